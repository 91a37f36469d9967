"""Strict readers for settings that come from the environment.

A value that is present but malformed is an ImproperlyConfigured error, never a silent default.
"""

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

UNCONFIGURED_EMAIL_BACKEND = "portal.accounts.mail.UnconfiguredEmailBackend"

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def env_str(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the contents of the file named by NAME_FILE (for mounted secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path!r} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    normalised = value.strip().lower()
    if normalised in _TRUE:
        return True
    if normalised in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false)")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = (os.environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of {', '.join(choices)}")
    return value


def _scheme(url: str) -> str:
    return urlsplit(url).scheme or "(none)"


def database_config(url: str) -> dict[str, Any]:
    """DATABASES["default"] from a URL; errors name the variable, never the URL's password."""
    try:
        if urlsplit(url).scheme not in environ.Env.DB_SCHEMES:
            raise ValueError("unknown scheme")
        return environ.Env.db_url_config(url)
    except (KeyError, ValueError, ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(
            f"DATABASE_URL has an unknown or malformed scheme {_scheme(url)!r} "
            "(e.g. postgres://user:password@host:5432/name or sqlite:////path/to/db.sqlite3)"
        ) from exc


def email_config(url: str | None) -> dict[str, Any]:
    """Every EMAIL_* setting from EMAIL_URL; with no URL, a backend that refuses to send."""
    config: dict[str, Any] = {"EMAIL_BACKEND": UNCONFIGURED_EMAIL_BACKEND}
    if url:
        try:
            config = environ.Env.email_url_config(url)
        except (KeyError, ValueError, ImproperlyConfigured) as exc:
            raise ImproperlyConfigured(
                f"EMAIL_URL has an unknown or malformed scheme {_scheme(url)!r} "
                "(e.g. smtp+tls://user:password@smtp.example.com:587)"
            ) from exc
    return {
        "EMAIL_BACKEND": config["EMAIL_BACKEND"],
        "EMAIL_HOST": config.get("EMAIL_HOST") or "localhost",
        "EMAIL_PORT": config.get("EMAIL_PORT") or 25,
        "EMAIL_HOST_USER": config.get("EMAIL_HOST_USER") or "",
        "EMAIL_HOST_PASSWORD": config.get("EMAIL_HOST_PASSWORD") or "",
        "EMAIL_USE_TLS": bool(config.get("EMAIL_USE_TLS")),
        "EMAIL_USE_SSL": bool(config.get("EMAIL_USE_SSL")),
        "EMAIL_TIMEOUT": config.get("EMAIL_TIMEOUT") or 30,
        "EMAIL_FILE_PATH": config.get("EMAIL_FILE_PATH") or None,
    }


def cache_config(url: str) -> dict[str, Any]:
    try:
        if urlsplit(url).scheme not in environ.Env.CACHE_SCHEMES:
            raise ValueError("unknown scheme")
        return environ.Env.cache_url_config(url)
    except (KeyError, ValueError, ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(
            f"CACHE_URL has an unknown or malformed scheme {_scheme(url)!r} "
            "(e.g. redis://redis:6379/1)"
        ) from exc


def private_dir(path: Path) -> Path:
    """Create `path` and any missing parents readable by the owner only (0700).

    Folders that exist already are left as they are: PORTAL_DATA_DIR may name a shared one.
    """
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass  # another process made it first
        else:
            os.chmod(folder, 0o700)  # mkdir's mode is filtered through the umask
    return path


def local_secret_key(path: Path) -> str:
    """A development key kept in the git-ignored data folder, created on first use (0600)."""
    if path.exists():
        return path.read_text().strip()
    from django.core.management.utils import get_random_secret_key

    private_dir(path.parent)
    key = get_random_secret_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()  # another process created it first; use theirs
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
