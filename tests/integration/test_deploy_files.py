"""The deploy files (deploy/, docs/deploy.md) agree with the code and with each other.

The units name server paths: /srv/kniga03/app is this repository and /srv/kniga03/venv its
virtualenv (here: the one running the tests). The production checks run in a subprocess with
the example environment file, as the units would start the application.
"""
import json
import os
import re
import runpy
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.shared_db import ROOT

DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
SERVER_APP = "/srv/kniga03/app"
SERVER_VENV_BIN = "/srv/kniga03/venv/bin"
ENV_FILE = "/etc/kniga03/kniga03.env"
SERVICES = ["kniga03-web", "kniga03-worker", "kniga03-beat", "kniga03-backup"]
APPLICATION = ["kniga03-web", "kniga03-worker", "kniga03-beat"]


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file as {section: {key: [values in order]}}."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in (UNITS / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def service(name: str) -> dict[str, list[str]]:
    return unit(f"{name}.service")["Service"]


def unit_environment(name: str) -> dict[str, str]:
    values = {}
    for item in service(name).get("Environment", []):
        for pair in shlex.split(item):
            key, _, value = pair.partition("=")
            values[key] = value
    return values


def here(path: str) -> Path:
    """The file a server path stands for in this checkout."""
    if path.startswith(SERVER_APP + "/"):
        return ROOT / path.removeprefix(SERVER_APP + "/")
    if path.startswith(SERVER_VENV_BIN + "/"):
        return Path(sys.executable).parent / path.removeprefix(SERVER_VENV_BIN + "/")
    raise AssertionError(f"{path} is neither in {SERVER_APP} nor in {SERVER_VENV_BIN}")


def exec_start(name: str) -> list[str]:
    (command,) = service(name)["ExecStart"]
    return shlex.split(command)


def env_file() -> dict[str, str]:
    values = {}
    for raw in (DEPLOY / "kniga03.env.example").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def settings_variables() -> set[str]:
    """The environment variables the settings read."""
    names = {"DJANGO_SETTINGS_MODULE"}  # read by manage.py, wsgi.py and the Celery app
    for path in (ROOT / "backend" / "config" / "settings").glob("*.py"):
        names |= set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"',
                                path.read_text()))
    return names


def gunicorn_config(environment: dict[str, str]) -> dict:
    saved = dict(os.environ)
    os.environ.update(environment)
    try:
        return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_every_service_runs_as_kniga03_in_the_app_folder_with_the_shared_env_file():
    for name in SERVICES:
        values = service(name)
        assert values["User"] == ["kniga03"] and values["Group"] == ["kniga03"], name
        assert values["WorkingDirectory"] == [SERVER_APP], name
        assert values["EnvironmentFile"] == [ENV_FILE], name
    for name in APPLICATION:
        module = unit_environment(name)["DJANGO_SETTINGS_MODULE"]
        assert module == "backend.config.settings.production", name
        assert unit(f"{name}.service")["Install"]["WantedBy"] == ["multi-user.target"]


def test_web_unit_runs_gunicorn_with_a_config_that_loads_and_serves_our_application():
    from gunicorn.config import Config

    argv = exec_start("kniga03-web")
    assert Path(argv[0]).name == "gunicorn" and here(argv[0]).exists()
    config_path = here(argv[argv.index("--config") + 1])
    assert config_path == DEPLOY / "gunicorn.conf.py"

    loaded = gunicorn_config(unit_environment("kniga03-web"))
    known = Config()
    for key, value in loaded.items():
        if key in known.settings:
            known.set(key, value)  # gunicorn's own validation of each value
    module, _, attribute = known.wsgi_app.partition(":")
    assert (module, attribute) == ("backend.config.wsgi", "application")
    from backend.config import wsgi

    assert callable(getattr(wsgi, attribute))
    assert Path(known.chdir) == ROOT
    assert known.bind == ["127.0.0.1:8000"]
    assert service("kniga03-web")["Type"] == ["notify"]  # gunicorn tells systemd it is up


def test_worker_and_beat_units_run_our_celery_app_and_beat_knows_every_task():
    from backend.config import celery_app

    for name, command in (("kniga03-worker", "worker"), ("kniga03-beat", "beat")):
        argv = exec_start(name)
        assert Path(argv[0]).name == "celery" and here(argv[0]).exists(), name
        assert argv[argv.index("-A") + 1] == "backend.config"
        assert argv[argv.index("-A") + 2] == command
    schedule = exec_start("kniga03-beat")
    state = schedule[schedule.index("--schedule") + 1]
    assert state.startswith("/var/lib/kniga03/")
    assert service("kniga03-beat")["StateDirectory"] == ["kniga03"]
    celery_app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in celery_app.tasks, entry["task"]


def test_backup_timer_starts_the_backup_script_nightly():
    timer = unit("kniga03-backup.timer")
    assert timer["Timer"]["Unit"] == ["kniga03-backup.service"]
    assert timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == ["true"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]
    backup = service("kniga03-backup")
    assert backup["Type"] == ["oneshot"]
    (script,) = exec_start("kniga03-backup")
    assert here(script) == DEPLOY / "backup.sh"
    assert unit_environment("kniga03-backup")["BACKUP_DIR"] in backup["ReadWritePaths"]
    for path in (DEPLOY / "backup.sh", DEPLOY / "restore.sh"):
        assert os.access(path, os.X_OK), path
        checked = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr


def test_env_file_and_units_name_only_variables_that_something_reads():
    read_by_settings = settings_variables()
    documented = set(re.findall(r"\b([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text()))
    names = set(env_file())
    assert names - read_by_settings == set(), "not read by backend/config/settings"
    assert names - documented == set(), "not in .env.example"
    gunicorn_conf = (DEPLOY / "gunicorn.conf.py").read_text()
    backup_script = (DEPLOY / "backup.sh").read_text()
    for name in SERVICES:
        for variable in unit_environment(name):
            assert (variable in read_by_settings or f'"{variable}"' in gunicorn_conf
                    or f"{{{variable}" in backup_script), f"{name}: {variable} is read nowhere"


def production_env(**overrides: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "TWILIO_", "CACHE_"))}
    return {**base, **env_file(), "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "backend.config.settings.production", **overrides}


CHECK = """
import json, sys
import django
from django.conf import settings
from django.core.management import call_command
django.setup()
call_command("check", deploy=True, fail_level="WARNING")
print(json.dumps({
    "proxy_ssl_header": list(settings.SECURE_PROXY_SSL_HEADER),
    "static_url": settings.STATIC_URL, "static_root": str(settings.STATIC_ROOT),
    "health_checks": settings.DATABASES["default"]["CONN_HEALTH_CHECKS"],
    "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
    "allowed_hosts": settings.ALLOWED_HOSTS, "eager": settings.CELERY_TASK_ALWAYS_EAGER,
}))
# The same reference checks as WhiteNoise's manifest storage, without the slow compression:
# a file that names one that is not there stops collectstatic on deploy.
settings.STATIC_ROOT = sys.argv[1]
settings.STORAGES = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
call_command("collectstatic", interactive=False, verbosity=0)
"""


def test_production_starts_from_the_env_file_once_its_secrets_are_filled_in(tmp_path):
    as_written = subprocess.run([sys.executable, "-c", "import django; django.setup()"],
                                env=production_env(), capture_output=True, text=True,
                                cwd=tmp_path, timeout=120)
    assert as_written.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in as_written.stderr

    filled = production_env(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64), JWT_SIGNING_KEY=secrets.token_urlsafe(48),
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN=secrets.token_hex(16), TWILIO_FROM_NUMBER="+77172000000")
    static_root = tmp_path / "static"
    checked = subprocess.run([sys.executable, "-c", CHECK, str(static_root)], env=filled,
                             capture_output=True, text=True, cwd=tmp_path, timeout=300)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    values = json.loads(checked.stdout.strip().splitlines()[-1])
    assert values["health_checks"] is True and values["conn_max_age"] == 60
    assert values["eager"] is False
    assert (static_root / "staticfiles.json").exists()
    nginx = (DEPLOY / "nginx" / "kniga03.conf").read_text()
    header, scheme = values["proxy_ssl_header"]
    proxy_header = header.removeprefix("HTTP_").replace("_", "-").title()
    assert f"proxy_set_header {proxy_header} $scheme;" in nginx and scheme == "https"
    static_alias = f"{SERVER_APP}/{Path(values['static_root']).relative_to(ROOT)}/"
    assert re.search(rf"location {re.escape(values['static_url'])} \{{\s*alias "
                     rf"{re.escape(static_alias)};", nginx)
    names = set(re.findall(r"server_name ([^;]+);", nginx)[0].split())
    assert names <= set(values["allowed_hosts"])


def test_nginx_terminates_tls_and_proxies_to_every_gunicorn():
    nginx = (DEPLOY / "nginx" / "kniga03.conf").read_text()
    live = "\n".join(line for line in nginx.splitlines() if not line.strip().startswith("#"))
    upstream = re.search(r"upstream kniga03 \{(.*?)\}", live, re.S).group(1)
    ports = {int(port) for port in re.findall(r"server [\w.\[\]:]+:(\d+)", upstream)}
    bind = gunicorn_config(unit_environment("kniga03-web"))["bind"]
    assert ports == {int(address.rsplit(":", 1)[1]) for address in bind}
    assert "proxy_pass http://kniga03;" in live
    assert "proxy_set_header Host $host;" in live
    assert re.search(r"listen 443 ssl", live) and "ssl_certificate " in live
    assert "ssl_certificate_key " in live and "TLSv1.2 TLSv1.3" in live
    assert "return 301 https://$host$request_uri;" in live
    assert "location /media/" not in live  # imports hold personal data


@pytest.mark.parametrize("document", ["README.md", "docs/deploy.md"])
def test_the_deploy_guide_is_linked_and_names_the_files(document):
    text = (ROOT / document).read_text()
    if document == "README.md":
        assert "(docs/deploy.md)" in text
        return
    for path in [*UNITS.iterdir(), DEPLOY / "nginx" / "kniga03.conf", DEPLOY / "backup.sh",
                 DEPLOY / "restore.sh", DEPLOY / "kniga03.env.example",
                 DEPLOY / "gunicorn.conf.py"]:
        assert path.name in text, path.name
