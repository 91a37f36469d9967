import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from portal.env import env_bool, env_int, env_str

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "PORTAL_DATA_DIR",
            "DATABASE_URL",
            "EMAIL_URL",
            "CACHE_URL",
            "CELERY_BROKER_URL",
            "CELERY_RESULT_BACKEND",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "PORTAL_LOCAL_ENV": "", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_rejects_a_boolean_that_is_not_one(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG='ture' is not a boolean"):
        env_bool("SOME_FLAG", default=False)


@pytest.mark.parametrize(
    "raw, expected", [("true", True), ("False", False), ("1", True), ("off", False)]
)
def test_it_reads_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG", default=not expected) is expected


def test_it_rejects_an_integer_that_is_not_one(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "12s")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("SOME_NUMBER", 3)


def test_it_reads_a_secret_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("SOME_SECRET_FILE", str(secret))
    assert env_str("SOME_SECRET") == "from-a-file"


def test_it_requires_a_secret_key_when_debug_is_off():
    result = _manage("check", DEBUG="false", ALLOWED_HOSTS="portal.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off" in result.stderr


def test_it_refuses_a_malformed_debug_flag():
    result = _manage("check", DEBUG="yes please")
    assert result.returncode != 0
    assert "DEBUG='yes please' is not a boolean" in result.stderr


def _production_env(tmp_path, **overrides) -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    signing_key = tmp_path / "audit-signing.pem"
    signing_key.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    report_key, report_cert = _report_signing_files(tmp_path)
    data = tmp_path / "data"
    data.mkdir(mode=0o700, exist_ok=True)  # provisioned owner-only, as in production
    env = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "portal.example.com",
        "EVIDENCE_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
        "AUDIT_SIGNING_KEY_FILE": str(signing_key),
        "AUDIT_MAC_KEY": secrets.token_urlsafe(32),
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "EMAIL_URL": "smtp+tls://portal:mail-password@smtp.example.com:587",
        "CELERY_BROKER_URL": "redis://redis.example.com:6379/0",
        "CACHE_URL": "redis://redis.example.com:6379/1",
        "REPORT_SIGNING_KEY_FILE": str(report_key),
        "REPORT_SIGNING_CERT_FILE": str(report_cert),
        "REPORT_TRUST_ROOT_FILES": str(report_cert),
    }
    return {**env, **overrides}


def _report_signing_files(tmp_path):
    """An ECDSA P-256 key and its self-signed certificate, as PEM files."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Portal reports")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = tmp_path / "report-key.pem", tmp_path / "report-cert.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def test_the_deploy_check_requires_the_report_signing_key(tmp_path):
    env = _production_env(tmp_path, REPORT_SIGNING_KEY_FILE="", REPORT_SIGNING_CERT_FILE="")
    result = _manage("check", "--deploy", **env)
    assert result.returncode != 0 and "portal.E010" in result.stderr


def test_it_passes_the_deploy_check_in_production_settings(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **_production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_names_missing_production_keys(tmp_path):
    env = _production_env(tmp_path, EVIDENCE_KEYS="", AUDIT_SIGNING_KEY_FILE="")
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert "portal.E001" in result.stderr and "EVIDENCE_KEYS" in result.stderr
    assert "portal.E002" in result.stderr and "AUDIT_SIGNING_KEY_FILE" in result.stderr


def test_it_runs_ci_on_postgresql():
    if os.environ.get("CI") != "true":
        pytest.skip("only CI is bound to PostgreSQL; local runs use SQLite")
    assert connection.vendor == "postgresql"


def test_it_never_commits_a_secret_key():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [path for path in tracked if path.startswith("var/") or path.endswith("secret_key")]


def test_static_files_collect_for_production(tmp_path):
    """Production serves hashed, compressed static files; the manifest must build."""
    result = _manage("collectstatic", "--noinput", **_production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "data" / "static" / "staticfiles.json").read_text())
    assert any(
        name.startswith("portal/portal.") and name.endswith(".css")
        for name in manifest["paths"].values()
    )


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter with DJANGO_SETTINGS_MODULE set and `env` added."""
    return _manage_env_run([sys.executable, "-c", code], env)


def _manage_env_run(args, env) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "PORTAL_DATA_DIR", "DATABASE_URL", "EMAIL_URL"}
    }
    return subprocess.run(
        args,
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "portal.settings", "PORTAL_LOCAL_ENV": "", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


_PRINT_SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.DATABASES['default']['NAME'], s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, "
    "s.EMAIL_HOST_USER, s.EMAIL_USE_TLS)"
)


def test_database_and_email_urls_come_from_files(tmp_path):
    (tmp_path / "db").write_text("postgres://portal:db-password@db.example.com:5432/portal\n")
    (tmp_path / "mail").write_text("smtp+tls://portal:mail-password@smtp.example.com:587\n")
    result = _python(
        _PRINT_SETTINGS,
        **_production_env(tmp_path),
        DATABASE_URL_FILE=str(tmp_path / "db"),
        EMAIL_URL_FILE=str(tmp_path / "mail"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "portal",
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.com",
        "587",
        "portal",
        "True",
    ]


@pytest.mark.parametrize("name", ["DATABASE_URL", "EMAIL_URL"])
def test_a_malformed_url_names_its_variable_and_hides_its_password(tmp_path, name):
    result = _python(_PRINT_SETTINGS, **{**_production_env(tmp_path), name: "bogus://u:s3cr3t@x/y"})
    assert result.returncode != 0
    assert f"{name} has an unknown or malformed scheme 'bogus'" in result.stderr
    assert "s3cr3t" not in result.stderr


def test_without_email_url_production_mail_is_refused_not_printed(tmp_path):
    env = {**_production_env(tmp_path)}
    del env["EMAIL_URL"]
    code = (
        "import django; django.setup(); from django.core.mail import send_mail\n"
        "try:\n    send_mail('s', 'reset link', 'a@example.com', ['b@example.com'])\n"
        "except Exception as exc:\n    print('refused:', exc)"
    )
    result = _python(code, **env)
    assert "refused: EMAIL_URL (or EMAIL_URL_FILE) is not set" in result.stdout, result.stderr
    assert "reset link" not in result.stdout


def test_importing_settings_creates_no_folders(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    env = _production_env(tmp_path, EVIDENCE_SPOOL_DIR=str(uploads))
    (tmp_path / "data").rmdir()
    result = _python("import django; django.setup()", **env)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "data").exists()


def test_local_data_is_readable_by_its_owner_only(tmp_path):
    data = tmp_path / "nested" / "data"
    code = (
        "import django; django.setup(); "
        "from django.db import connection; connection.ensure_connection()"
    )
    result = _python(code, DEBUG="true", PORTAL_DATA_DIR=str(data))
    assert result.returncode == 0, result.stderr
    modes = {
        path.name: oct(path.stat().st_mode & 0o777)
        for path in (tmp_path / "nested", data, data / "secret_key", data / "portal.sqlite3")
    }
    assert modes == {
        "nested": "0o700",
        "data": "0o700",
        "secret_key": "0o600",
        "portal.sqlite3": "0o600",
    }


def test_the_deploy_check_names_every_unsafe_production_setting(tmp_path):
    env = _production_env(tmp_path, EVIDENCE_KEYS="k1:not-base64!", EMAIL_URL="consolemail://")
    for name in ("CELERY_BROKER_URL", "CACHE_URL"):
        del env[name]
    data = tmp_path / "data"
    data.chmod(0o755)
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    report = result.stderr
    assert "portal.E003" in report and "EVIDENCE_KEYS is malformed" in report
    assert "not-base64" not in report  # the key's value never reaches the output
    assert "portal.E004" in report and "prints mail to the console" in report
    assert "portal.W001" in report and "CELERY_BROKER_URL is not set" in report
    assert "portal.W002" in report and "CACHE_URL is not set" in report
    assert "portal.W003" in report and f"chmod 700 {data}" in report


def test_the_deploy_check_requires_an_email_url(tmp_path):
    env = _production_env(tmp_path)
    del env["EMAIL_URL"]
    result = _manage("check", "--deploy", **env)
    assert result.returncode != 0
    assert (
        "portal.E004" in result.stderr
        and "EMAIL_URL (or EMAIL_URL_FILE) is not set" in result.stderr
    )


def test_the_commands_the_readme_shows_work_where_make_left_its_local_env(tmp_path):
    local = tmp_path / "local.env"
    local.write_text("DEBUG=true\n")
    data = tmp_path / "data"
    command = ("check",)
    without = _manage(*command, PORTAL_DATA_DIR=str(data))
    assert without.returncode != 0 and "required when DEBUG is off" in without.stderr
    made = _manage(*command, PORTAL_DATA_DIR=str(data), PORTAL_LOCAL_ENV=str(local))
    assert made.returncode == 0, made.stderr
    # The environment wins over the file.
    production = _manage(
        *command, PORTAL_DATA_DIR=str(data), PORTAL_LOCAL_ENV=str(local), DEBUG="false"
    )
    assert "required when DEBUG is off" in production.stderr
