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
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
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
    env = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "portal.example.com",
        "EVIDENCE_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
        "AUDIT_SIGNING_KEY_FILE": str(signing_key),
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
    }
    return {**env, **overrides}


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
