"""Production settings: deploy checks pass with the required variables, and refuse without."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_", "JWT_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120,
    )


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "backend.config.settings.production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
    "DJANGO_ALLOWED_HOSTS": "kniga03.example.kz",
    "DATABASE_URL": "postgres://kniga:secret@127.0.0.1:5432/kniga",
}


def test_check_deploy_is_clean_for_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_with_a_short_secret_key():
    result = run_manage("check", env={**PRODUCTION, "DJANGO_SECRET_KEY": "x" * 49})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be at least 50 characters long" in result.stderr


def test_production_refuses_to_start_without_a_jwt_signing_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "JWT_SIGNING_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must be set" in result.stderr


def test_production_refuses_to_start_with_a_short_jwt_signing_key():
    result = run_manage("check", env={**PRODUCTION, "JWT_SIGNING_KEY": "k" * 31})
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must be at least 32 characters long" in result.stderr


def test_production_refuses_to_start_without_database_url():
    env = {k: v for k, v in PRODUCTION.items() if k != "DATABASE_URL"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DATABASE_URL must be set" in result.stderr


def test_local_defaults_to_sqlite_in_the_project_folder(settings):
    from django.conf import settings as live

    if os.environ.get("DATABASE_URL"):
        return
    assert live.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert live.TIME_ZONE == "Asia/Almaty"
    assert live.LANGUAGE_CODE == "ru"
    assert [code for code, _ in live.LANGUAGES] == ["ru", "kk", "en"]


def test_production_cookies_are_secure_and_hsts_is_on():
    code = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS >= 31536000, "
            "s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, "
            "'django.middleware.csrf.CsrfViewMiddleware' in s.MIDDLEWARE)")
    result = run_manage("shell", "-c", code, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    printed = result.stdout.strip().splitlines()[-1].split()
    assert printed == ["True", "True", "True", "True", "True",
                       "('HTTP_X_FORWARDED_PROTO',", "'https')", "True"]
