"""The portal's audit signing key: Ed25519 or ECDSA P-256, from the `cryptography` package.

Production mounts a PEM private key on the node that signs checkpoints and names it in the
AUDIT_SIGNING_KEY_FILE setting; with DEBUG off signing requires it. Local runs generate an
Ed25519 key on first use at DATA_DIR/keys/audit-signing-key.pem (mode 0600, under the
git-ignored var/).

Verification needs no private key: it trusts the public keys in AUDIT_PUBLIC_KEY_FILES (and
the older name AUDIT_RETIRED_PUBLIC_KEY_FILES), published with `manage.py audit_public_key`,
plus the public half of a signing key that is already on this machine. A checkpoint signed by
any other key is reported, so somebody who can write to the database cannot sign their own.
"""

import base64
import functools
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
LOCAL_KEY_NAME = "audit-signing-key.pem"


def key_path() -> Path:
    if settings.AUDIT_SIGNING_KEY_FILE:
        return Path(settings.AUDIT_SIGNING_KEY_FILE)
    if not settings.DEBUG:
        raise ImproperlyConfigured("AUDIT_SIGNING_KEY_FILE is required when DEBUG is off")
    return Path(settings.DATA_DIR) / "keys" / LOCAL_KEY_NAME


def signing_key() -> PrivateKey:
    path = key_path()
    if not path.exists():
        if settings.AUDIT_SIGNING_KEY_FILE:
            raise ImproperlyConfigured(f"AUDIT_SIGNING_KEY_FILE={str(path)!r} does not exist")
        _generate(path)
    stat = path.stat()
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


def _generate(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process generated it first; use theirs
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int, size: int) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"audit signing key {path!r} cannot be loaded: {exc}") from exc
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    raise ImproperlyConfigured(f"audit signing key {path!r} must be Ed25519 or ECDSA P-256")


def key_id(key: PrivateKey | None = None) -> str:
    """SHA-256 of the public key (DER SubjectPublicKeyInfo), hex."""
    return _public_key_id((key or signing_key()).public_key())


def _public_key_id(public: PublicKey) -> str:
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def public_key_pem(key: PrivateKey | None = None) -> str:
    """The signing key's public half (PEM SubjectPublicKeyInfo), to publish for verifiers."""
    public = (key or signing_key()).public_key()
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def _present_signing_key() -> PrivateKey | None:
    """The signing key if this machine has one; never generates one."""
    if settings.AUDIT_SIGNING_KEY_FILE:
        path = Path(settings.AUDIT_SIGNING_KEY_FILE)
    elif settings.DEBUG:
        path = Path(settings.DATA_DIR) / "keys" / LOCAL_KEY_NAME
    else:
        return None
    if not path.exists():
        return None
    stat = path.stat()
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


def load_public_key(path: str) -> PublicKey:
    try:
        public = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"audit public key {path!r} cannot be loaded: {exc}") from exc
    if not isinstance(public, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey):
        raise ImproperlyConfigured(f"audit public key {path!r} must be Ed25519 or ECDSA P-256")
    if isinstance(public, ec.EllipticCurvePublicKey) and not isinstance(public.curve, ec.SECP256R1):
        raise ImproperlyConfigured(f"audit public key {path!r} must be Ed25519 or ECDSA P-256")
    return public


def trusted_public_keys() -> dict[str, PublicKey]:
    """The keys whose checkpoints verification accepts, by key id: every file in
    AUDIT_PUBLIC_KEY_FILES and AUDIT_RETIRED_PUBLIC_KEY_FILES, and the signing key's public
    half where this machine holds the signing key."""
    keys: dict[str, PublicKey] = {}
    present = _present_signing_key()
    if present is not None:
        keys[key_id(present)] = present.public_key()
    paths = [*settings.AUDIT_PUBLIC_KEY_FILES, *settings.AUDIT_RETIRED_PUBLIC_KEY_FILES]
    for path in paths:
        public = load_public_key(path)
        keys[_public_key_id(public)] = public
    return keys


def sign(message: bytes, key: PrivateKey | None = None) -> str:
    key = key or signing_key()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(message)
    else:
        signature = key.sign(message, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode("ascii")


def signature_valid(message: bytes, signature: str, public: PublicKey | None = None) -> bool:
    public = public or signing_key().public_key()
    try:
        raw = base64.b64decode(signature, validate=True)
        if isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(raw, message)
        else:
            public.verify(raw, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True
