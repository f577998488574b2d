// Texts from Django's JavaScript catalogue (/app/jsi18n/?lang=…), in the language chosen in
// the app. The catalogue script defines window.django; these wrap it.
export const LANGUAGES = [["ru", "Русский"], ["kk", "Қазақша"], ["en", "English"]];

export function loadCatalogue(url, lang) {
  return new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = `${url}?lang=${encodeURIComponent(lang)}`;
    script.onload = () => resolve(true);
    script.onerror = () => resolve(false);
    document.head.appendChild(script);
  });
}

const dj = () => window.django;

export function t(text) {
  return dj() ? dj().gettext(text) : text;
}

export function nt(singular, plural, count, values = {}) {
  const text = dj() ? dj().ngettext(singular, plural, count) : (count === 1 ? singular : plural);
  return fill(text, { n: count, ...values });
}

export function fill(text, values) {
  return text.replace(/%\((\w+)\)s/g, (_, name) => (name in values ? String(values[name]) : ""));
}

export function tf(text, values) {
  return fill(t(text), values);
}
