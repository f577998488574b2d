"""The Content-Security-Policy on every page, pages with nothing it would block, and page
scripts that never turn data into HTML."""
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse

from backend.config.csp import content_security_policy, map_tile_source
from tests.factories import BranchFactory, ReaderFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = '<img src=x onerror=alert(1)><script>alert(2)</script>'


def policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(response) -> None:
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["script-src-attr"] == ["'none'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    everything = " ".join(v for values in csp.values() for v in values)
    for loose in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:"):
        assert loose not in everything.split(), loose


class InlineCode(HTMLParser):
    """What the policy would block on a page: inline scripts, handlers, styles."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self.scripts: list[str] = []
        self._in_script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name == "style":
                self.found.append(f"<{tag} style=…>")
        if tag == "style":
            self.found.append("<style>")
        if tag == "script":
            if attrs.get("src"):
                self.scripts.append(attrs["src"])
            elif attrs.get("type") != "application/json":
                self._in_script = tag
                self.found.append("inline <script>")
        for name in ("href", "src"):
            if (attrs.get(name) or "").startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")


def inline_code(response) -> InlineCode:
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser


def signed_in(client, role, **kwargs):
    client.force_login(UserFactory(role=role, **kwargs))
    return client


@pytest.fixture
def hostile_reader(db):
    branch = BranchFactory(lat=54.0, lon=69.0)
    return ReaderFactory(branch=branch, last_name=PAYLOAD, first_name="<b>Мария</b>",
                         patronymic="\" onmouseover=\"alert(3)")


def pages(reader) -> dict[str, tuple[str, str, dict]]:
    """Each kind of signed-in page: (role, path, user options)."""
    staff = {"is_staff": True}
    return {
        "desk": ("operator", "/desk/", {}),
        "desk search": ("operator", f"/desk/?q={reader.card_number}", {}),
        "desk card": ("operator", reverse("desk:card", args=[reader.pk]), {}),
        "plan": ("coordinator", f"/plan/?branch={reader.branch_id}", {"branch": reader.branch}),
        "reports": ("librarian", "/reports/", {}),
        "admin": ("librarian", "/admin/", staff),
        "admin list": ("librarian", reverse("admin:readers_reader_changelist"), staff),
        "admin card": ("librarian", reverse("admin:readers_reader_change", args=[reader.pk]),
                       staff),
        "admin history": ("librarian",
                          reverse("admin:readers_reader_history", args=[reader.pk]), staff),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["desk", "desk search", "desk card", "plan", "reports",
                                  "admin", "admin list", "admin card", "admin history"])
def test_signed_in_pages_carry_the_strict_policy_and_nothing_it_blocks(client, hostile_reader,
                                                                      kind):
    role, path, options = pages(hostile_reader)[kind]
    response = signed_in(client, role, **options).get(path)
    assert response.status_code == 200, path
    assert_strict(response)
    found = inline_code(response)
    assert found.found == [], f"{path}: {found.found}"
    html = response.content.decode()
    # The hostile name is on the page as text, never as markup.
    if kind in {"desk search", "desk card", "admin list", "admin card"}:
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html and "<script>alert" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/no-such-page/",
                                  "/api/docs/"])
def test_public_pages_carry_the_strict_policy(client, path):
    response = client.get(path)
    assert response.status_code == (404 if path == "/no-such-page/" else 200)
    assert_strict(response)
    assert inline_code(response).found == []


@pytest.mark.django_db
def test_api_answers_carry_the_policy_too(client):
    assert_strict(client.get("/api/v1/readers/"))


@pytest.mark.django_db
def test_swagger_ui_comes_from_the_package_with_its_script_apart(client):
    response = client.get("/api/docs/")
    html = response.content.decode()
    assert "@latest" not in html and "http://" not in html and "https://" not in html
    scripts = inline_code(response).scripts
    assert scripts[-1] == "/api/docs/?script="
    for src in scripts[:-1]:
        assert src.startswith("/static/drf_spectacular_sidecar/swagger-ui-dist/"), src
        assert finders.find(src.removeprefix("/static/")), src
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


def test_map_tiles_are_allowed_from_their_host_only():
    assert map_tile_source("") == []
    assert map_tile_source("https://tiles.example/{z}/{x}/{y}.png") == ["https://tiles.example"]
    assert map_tile_source("https://{s}.tile.example:8443/{z}/{x}/{y}.png") == [
        "https://*.tile.example:8443"]
    for bad in ("tiles.example/{z}/{x}/{y}.png", "https://a.{s}.example/{z}.png",
                "javascript:alert(1)"):
        with pytest.raises(ImproperlyConfigured):
            map_tile_source(bad)


@pytest.mark.django_db
def test_the_plan_page_allows_the_configured_tile_host(client):
    branch = BranchFactory()
    url = "https://{s}.tiles.example/{z}/{x}/{y}.png"
    with override_settings(MAP_TILE_URL=url,
                           CONTENT_SECURITY_POLICY=content_security_policy(map_tile_url=url)):
        response = signed_in(client, "coordinator", branch=branch).get(
            f"/plan/?branch={branch.pk}")
    assert policy(response)["img-src"] == ["'self'", "data:", "https://*.tiles.example"]
    assert policy(response)["script-src"] == ["'self'"]


# Page scripts ---------------------------------------------------------------------------------

SCRIPTS = sorted((ROOT / "backend" / "static" / "js").rglob("*.js"))
SINKS = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\s*\(|"
                   r"new\s+Function\s*\(|setAttribute\(\s*[\"'](style|on\w+)[\"']")
# Leaflet puts a string in with innerHTML: these take DOM nodes only (built with el()).
LEAFLET_HTML = re.compile(r"\.(bindTooltip|bindPopup|setContent|setTooltipContent|"
                          r"setPopupContent)\((?!\s*el\()|\bhtml\s*:(?!\s*el\()")


def test_there_are_page_scripts_to_check():
    assert {p.name for p in SCRIPTS} >= {"plan.js", "desk.js"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_page_scripts_never_write_html(script):
    code = script.read_text()
    assert not SINKS.findall(code), SINKS.findall(code)
    assert not [m.group(0) for m in LEAFLET_HTML.finditer(code)]


TEMPLATES = sorted(p for p in ROOT.joinpath("backend").rglob("templates/**/*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_have_no_inline_code_or_unescaped_output(template):
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", text), "inline style or handler"
    assert "|safe" not in text and "autoescape off" not in text


@pytest.mark.django_db
def test_only_our_own_pages_may_frame_a_route_sheet(api):
    from tests.reports.test_route_sheet import build_route

    route = build_route(1)
    client = api.as_role("coordinator")
    sheet = client.get(f"/api/v1/routes/{route.pk}/sheet.pdf", HTTP_ACCEPT="application/pdf")
    assert sheet.status_code == 200
    assert policy(sheet)["frame-ancestors"] == ["'self'"]
    assert sheet["X-Frame-Options"] == "SAMEORIGIN"
    assert policy(sheet)["script-src"] == ["'self'"]
    # Everything else, the route's picture included, is never framed.
    picture = client.get(f"/api/v1/routes/{route.pk}/map.svg", HTTP_ACCEPT="image/svg+xml")
    assert picture.status_code == 200
    assert policy(picture)["frame-ancestors"] == ["'none'"]
    assert picture["X-Frame-Options"] == "DENY"
