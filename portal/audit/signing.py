"""The portal's audit signing key: Ed25519 or ECDSA P-256, from the `cryptography` package.

Production mounts a PEM private key and names it in the AUDIT_SIGNING_KEY_FILE setting (from
the environment); with DEBUG off it is required, so every node signs with the same key.
Local runs generate an Ed25519 key on first use at DATA_DIR/keys/audit-signing-key.pem
(mode 0600, under the git-ignored var/). Verification trusts only this key: a checkpoint
signed by any other key is reported, so somebody who can write to the database cannot sign
their own.
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


def trusted_public_keys() -> dict[str, PublicKey]:
    """The keys whose checkpoints verification accepts, by key id: the current signing key
    and the retired ones listed in AUDIT_RETIRED_PUBLIC_KEY_FILES (after a key rotation)."""
    keys = {key_id(): signing_key().public_key()}
    for path in settings.AUDIT_RETIRED_PUBLIC_KEY_FILES:
        try:
            public = serialization.load_pem_public_key(Path(path).read_bytes())
        except (OSError, ValueError) as exc:
            raise ImproperlyConfigured(
                f"retired audit key {path!r} cannot be loaded: {exc}"
            ) from exc
        if not isinstance(public, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey):
            raise ImproperlyConfigured(f"retired audit key {path!r} must be Ed25519 or ECDSA P-256")
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
