"""`manage.py bench_app`: the volunteers' app on a slow phone, and the size of its shell.

A throwaway database (SQLite in a temporary file, migrated here and deleted at the end)
gets a volunteer with a published 40-stop route for today (the route `bench_mobile` times).
A live server in this process serves it; Debian's Chromium, through Playwright, opens the
app at 360×640 with touch and the CPU slowed 4× (`Emulation.setCPUThrottlingRate`). Each
run is a new browser profile:

- cold open: from navigation to the sign-in form on screen (nothing cached);
- sign in: from the tap on "Sign in" to the 40 stops on screen (the routes fetched);
- warm reopen: the app closed and opened again, the service worker in charge, from
  navigation to the 40 stops on screen (from IndexedDB).

"On screen" is the first frame after the element is in the page. The figures are medians
over the runs. The shell is what the service worker precaches (fetched from the server as
the phone gets it, gzipped at level 9 as whitenoise serves it), and the worker itself
(sw.js and the Workbox modules it loads); the budget is 150 KB (150,000 bytes) compressed.
"""
from __future__ import annotations

import datetime
import gzip
import json
import os
import statistics
import tempfile
import urllib.request
import warnings
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.templatetags.static import static
from django.test.utils import override_settings
from django.urls import reverse

BUDGET = 150_000
PASSWORD = "bench-correct-horse-battery"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Marks, in ms from navigation, when the form and the stops reach the screen and when the
# sign-in form is submitted. Added by the browser before the page's own scripts run.
MARKS = """(() => {
  const marks = {};
  window.__benchMarks = marks;
  const frame = (name) => requestAnimationFrame(() => setTimeout(() => {
    marks[name] = performance.now(); }));
  const check = () => {
    if (!marks.seenForm && document.getElementById("signin-phone")) {
      marks.seenForm = true; frame("form"); }
    if (!marks.seenStops && document.querySelectorAll("li.stop").length >= %(stops)d) {
      marks.seenStops = true; frame("stops"); }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
  document.addEventListener("submit", () => {
    if (marks.submit === undefined) marks.submit = performance.now(); }, true);
})();"""

# After signing in: from the end of the last route's answer (GET routes/{id}/) to the stops
# on screen, which is the app's own work on the route (the rest is the network and server).
ROUTE_TO_STOPS = """() => {
  const answers = performance.getEntriesByType("resource")
    .filter((entry) => /\\/api\\/mobile\\/v1\\/routes\\/\\d+\\/$/.test(entry.name));
  return window.__benchMarks.stops - answers[answers.length - 1].responseEnd;
}"""


def _summary(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 1), "min": round(min(values), 1),
            "max": round(max(values), 1), "runs": [round(v, 1) for v in values]}


class Command(BaseCommand):
    help = ("Time the volunteers' app in Chromium (360×640, touch, CPU 4× slower) on a 40-stop "
            "route, and weigh its shell against the 150 KB budget.")

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--stops", type=int, default=40)
        parser.add_argument("--cpu-slowdown", type=float, default=4)
        parser.add_argument("--json", default="bench-results/app.json")
        parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH",
                                                                 "/usr/bin/chromium"))

    def handle(self, *args, **options):
        if not Path(options["chromium"]).exists():
            raise CommandError(f"Chromium not found at {options['chromium']}: "
                               "`make chromium`, or --chromium / CHROMIUM_PATH.")
        # Playwright's sync API runs an event loop in this thread; the ORM calls made here
        # (before the browser starts) are plain synchronous ones.
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        # whitenoise looks for collected files; here the live server serves them from the apps.
        warnings.filterwarnings("ignore", message="No directory at")
        with tempfile.TemporaryDirectory(prefix="bench-app-") as scratch:
            results = self._with_database(scratch, options)
        self._report(results, options)

    def _with_database(self, scratch: str, options) -> dict:
        if connection.vendor == "sqlite":
            connection.settings_dict.setdefault("TEST", {})["NAME"] = str(
                Path(scratch) / "bench-app.sqlite3")
        old_name = connection.settings_dict["NAME"]
        self.stdout.write("Migrating a throwaway database…")
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            with override_settings(DEBUG=False):
                return self._with_server(options)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)

    def _with_server(self, options) -> dict:
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.test.testcases import LiveServerThread

        from mobile_api.management.commands.bench_mobile import build_route

        user, route = build_route(options["stops"])
        user.phone = "+77010000404"
        user.set_password(PASSWORD)
        user.save(update_fields=["phone", "password"])
        connection.close()  # the server's threads open their own connections to the file

        server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error
        base = f"http://127.0.0.1:{server.port}"
        try:
            shell = self._weigh(base)
            timings = self._drive(base, str(user.phone), options)
        finally:
            server.terminate()
        return {"shell": shell, **timings}

    def _weigh(self, base: str) -> dict:
        from volunteer_app.views import precache_entries

        def fetch(url: str) -> bytes:
            with urllib.request.urlopen(base + url, timeout=30) as response:  # noqa: S310
                return response.read()

        def weigh(urls: list[str]) -> list[dict]:
            rows = []
            for url in urls:
                raw = fetch(url)
                rows.append({"url": url, "raw": len(raw),
                             "gzip": len(gzip.compress(raw, compresslevel=9, mtime=0))})
            return rows

        precached = weigh([entry["url"] for entry in precache_entries()])
        workbox = sorted(Path(finders.find("app/vendor/workbox/workbox-sw.js")).parent.glob("*.js"))
        worker = weigh([reverse("volunteer_app:sw")]
                       + [static(f"app/vendor/workbox/{path.name}") for path in workbox])

        def total(rows):
            return {"files": len(rows), "raw_bytes": sum(r["raw"] for r in rows),
                    "gzip_bytes": sum(r["gzip"] for r in rows)}

        everything = total(precached + worker)
        return {"precached": total(precached), "worker": total(worker),
                "total": everything, "budget_gzip_bytes": BUDGET,
                "within_budget": everything["gzip_bytes"] <= BUDGET,
                "files": precached + worker}

    def _drive(self, base: str, phone: str, options) -> dict:
        from playwright.sync_api import sync_playwright

        stops, rate = options["stops"], options["cpu_slowdown"]
        marks = MARKS % {"stops": stops}
        cold, signed_in, rendered, warm = [], [], [], []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=options["chromium"],
                                                 args=CHROMIUM_ARGS)
            try:
                for run in range(max(1, options["runs"])):
                    cache.clear()  # sign-in throttles start afresh each run
                    context = browser.new_context(
                        viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True,
                        locale="ru-RU")
                    context.add_init_script(marks)
                    try:
                        page = self._slow_page(context, rate)
                        page.goto(f"{base}/app/")
                        page.wait_for_function("() => window.__benchMarks.form !== undefined")
                        cold.append(page.evaluate("() => window.__benchMarks.form"))
                        page.fill("#signin-phone", phone)
                        page.fill("#signin-password", PASSWORD)
                        page.locator("#signin-password").press("Enter")
                        page.wait_for_function("() => window.__benchMarks.stops !== undefined")
                        signed_in.append(page.evaluate(
                            "() => window.__benchMarks.stops - window.__benchMarks.submit"))
                        rendered.append(page.evaluate(ROUTE_TO_STOPS))
                        page.wait_for_function(
                            "() => navigator.serviceWorker.controller !== null")
                        page.evaluate("async () => { await navigator.serviceWorker.ready; }")
                        page.wait_for_load_state("networkidle")
                        page.close()

                        page = self._slow_page(context, rate)
                        page.goto(f"{base}/app/")
                        page.wait_for_function("() => window.__benchMarks.stops !== undefined")
                        warm.append(page.evaluate("() => window.__benchMarks.stops"))
                        page.close()
                    finally:
                        context.close()
                    self.stdout.write(f"  run {run + 1}: cold open {cold[-1]:.0f} ms, sign in → "
                                      f"{stops} stops {signed_in[-1]:.0f} ms, warm reopen "
                                      f"{warm[-1]:.0f} ms")
                version = browser.version
            finally:
                browser.close()
        return {"chromium": version, "cold_open_to_sign_in_form_ms": _summary(cold),
                "sign_in_to_stops_ms": _summary(signed_in),
                "route_answer_to_stops_ms": _summary(rendered),
                "warm_reopen_to_stops_ms": _summary(warm)}

    @staticmethod
    def _slow_page(context, rate: float):
        page = context.new_page()
        page.set_default_timeout(60000)
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": rate})
        return page

    def _report(self, results: dict, options) -> None:
        shell = results["shell"]
        report = {
            "date": datetime.date.today().isoformat(),
            "stops": options["stops"], "runs": max(1, options["runs"]),
            "viewport": "360x640, touch", "cpu_slowdown": options["cpu_slowdown"],
            "database": "SQLite (throwaway)" if connection.vendor == "sqlite"
            else connection.vendor,
            "server": "Django's live server thread in the command's process, DEBUG off",
            **results,
        }
        if options["json"]:
            path = Path(options["json"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")

        def line(name, figures):
            return (f"  {name}: median {figures['median']:.0f} ms "
                    f"(min {figures['min']:.0f}, max {figures['max']:.0f})")

        def size(part):
            return (f"{part['files']} files, {part['raw_bytes'] / 1000:.1f} KB raw, "
                    f"{part['gzip_bytes'] / 1000:.1f} KB gzip")

        total = shell["total"]
        self.stdout.write("\n".join([
            f"The volunteers' app, {options['stops']} stops, 360×640 touch, CPU "
            f"{options['cpu_slowdown']:g}× slower, {report['runs']} runs ({results['chromium']}):",
            line("cold open → sign-in form", results["cold_open_to_sign_in_form_ms"]),
            line(f"sign in → {options['stops']} stops", results["sign_in_to_stops_ms"]),
            line(f"  of which the last route answer → {options['stops']} stops",
                 results["route_answer_to_stops_ms"]),
            line(f"warm reopen → {options['stops']} stops", results["warm_reopen_to_stops_ms"]),
            f"  shell precached: {size(shell['precached'])}",
            f"  service worker and Workbox: {size(shell['worker'])}",
            f"  together: {size(total)} — budget {BUDGET / 1000:.0f} KB gzip: "
            + ("ok" if shell["within_budget"] else "OVER"),
        ]))
        if options["json"]:
            self.stdout.write(f"Written to {options['json']}")
