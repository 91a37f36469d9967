"""Verify an audit export (JSON Lines, from the portal's "Export as verifiable JSON Lines")
without the portal: Python's standard library and the `cryptography` package only.

    python offline_verify.py audit-events.jsonl --public-key audit-public-key.pem

--public-key may be given more than once (the current key and retired ones); the portal
prints its key with `manage.py audit_public_key`. Exit status: 0 intact, 1 broken (the first
bad sequence is named), 3 the file or a key cannot be read.

What it checks: every exported event's hash, recomputed from its canonical form; that every
sequence from the first to the last is present, each linking to the one before (events the
export leaves out appear as links: sequence, previous hash and hash only); every
checkpoint's signature, and that it pins a hash the export holds at its sequence; and that
every exported `audit.checkpoint.signed` event finds its checkpoint. It cannot check the
events' MACs (their key stays on the portal's servers), so it says "MAC not checked".

The canonical rules repeat portal/audit/chain.py, on purpose: this file stands alone.
"""

import argparse
import base64
import hashlib
import json
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

EXPORT_FORMAT = "portal.audit.export"
EXPORT_VERSIONS = (1,)
CANONICAL_VERSIONS = (1, 2)
CHECKPOINT_MESSAGE_VERSION = 1
GENESIS_HASH = "0" * 64
EVENT_KEYS = {
    "v",
    "sequence",
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "team_id",
    "changes",
    "reason",
    "ip",
    "user_agent",
    "request_id",
    "prev_hash",
}
EXIT_INTACT, EXIT_BROKEN, EXIT_UNREADABLE = 0, 1, 3


class Broken(Exception):
    def __init__(self, sequence, problem: str):
        super().__init__(problem)
        self.sequence = sequence
        self.problem = problem


class Unreadable(Exception):
    pass


def canonical_dumps(payload) -> bytes:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def has_float(value) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(has_float(item) for item in value.values())
    if isinstance(value, list):
        return any(has_float(item) for item in value)
    return False


def checkpoint_message(*, sequence: int, hash: str, created_at: str, key_id: str) -> bytes:
    return canonical_dumps(
        {
            "type": "portal.audit.checkpoint",
            "v": CHECKPOINT_MESSAGE_VERSION,
            "sequence": sequence,
            "hash": hash,
            "created_at": created_at,
            "key_id": key_id,
        }
    )


def load_public_keys(paths: list[str]) -> dict:
    keys = {}
    for path in paths:
        try:
            public = serialization.load_pem_public_key(Path(path).read_bytes())
        except (OSError, ValueError) as exc:
            raise Unreadable(f"public key {path}: {exc}") from exc
        if isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
            pass
        elif not isinstance(public, ed25519.Ed25519PublicKey):
            raise Unreadable(f"public key {path}: must be Ed25519 or ECDSA P-256")
        der = public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        keys[hashlib.sha256(der).hexdigest()] = public
    return keys


def signature_valid(public, message: bytes, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        if isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(raw, message)
        else:
            public.verify(raw, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def read_lines(path: str):
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except ValueError as exc:
                    raise Unreadable(f"line {number} is not JSON: {exc}") from exc
                if not isinstance(value, dict):
                    raise Unreadable(f"line {number} is not a JSON object")
                yield number, value
    except OSError as exc:
        raise Unreadable(f"{path}: {exc}") from exc


class Verifier:
    def __init__(self, public_keys: dict):
        self.public_keys = public_keys
        self.header = None
        self.hashes: dict[int, str] = {}  # every sequence in the export, event or link
        self.checkpoint_events: list[tuple[int, dict]] = []
        self.checkpoints: list[dict] = []
        self.events = 0
        self.links = 0
        self.expected = None
        self.previous = None
        self.version = 1

    def verify(self, path: str) -> str:
        for number, line in read_lines(path):
            kind = line.get("type")
            if self.header is None:
                self._header(number, line)
            elif kind == "event":
                self._event(line)
            elif kind == "link":
                self._link(line)
            elif kind == "checkpoint":
                self.checkpoints.append(line)
            else:
                raise Unreadable(f"line {number} has an unknown type {kind!r}")
        if self.header is None:
            raise Unreadable("the file is empty")
        last = self.header.get("last_sequence")
        if last is not None and self.expected - 1 != last:
            raise Broken(
                self.expected, f"the export ends at {self.expected - 1} but its header says {last}"
            )
        pinned = self._checkpoints()
        for sequence, changes in self.checkpoint_events:
            self._checkpoint_event(sequence, changes)
        return self._summary(pinned)

    def _header(self, number: int, line: dict) -> None:
        if line.get("type") != "export" or line.get("format") != EXPORT_FORMAT:
            raise Unreadable(f"line {number} is not a {EXPORT_FORMAT} header")
        if line.get("version") not in EXPORT_VERSIONS:
            raise Unreadable(f"export version {line.get('version')!r} is not supported")
        self.header = line
        self.expected = line.get("first_sequence") or 1

    def _place(self, sequence, prev_hash, hash_) -> None:
        if not isinstance(sequence, int) or sequence != self.expected:
            raise Broken(
                self.expected, f"sequence {self.expected} is missing (the next line is {sequence})"
            )
        if not isinstance(hash_, str) or len(hash_) != 64:
            raise Broken(sequence, "its hash is malformed")
        if self.previous is None:
            if sequence == 1 and prev_hash != GENESIS_HASH:
                raise Broken(sequence, "the first event does not start from the genesis hash")
        elif prev_hash != self.previous:
            raise Broken(sequence, "its previous hash does not match the line before it")
        self.hashes[sequence] = hash_
        self.expected, self.previous = sequence + 1, hash_

    def _event(self, line: dict) -> None:
        event, hash_ = line.get("event"), line.get("hash")
        if not isinstance(event, dict) or set(event) != EVENT_KEYS:
            raise Broken(self.expected, "its event does not have the canonical fields")
        sequence = event["sequence"]
        self._place(sequence, event["prev_hash"], hash_)
        version = event["v"]
        if version not in CANONICAL_VERSIONS:
            raise Broken(sequence, f"unknown canonical version {version!r}")
        if version < self.version:
            raise Broken(sequence, f"its canonical version {version} is older than {self.version}")
        self.version = version
        if version >= 2 and has_float(event["changes"]):
            raise Broken(sequence, "its changes hold a float, which version 2 forbids")
        try:
            recomputed = hashlib.sha256(canonical_dumps(event)).hexdigest()
        except ValueError as exc:
            raise Broken(sequence, f"it cannot be put in canonical form: {exc}") from exc
        if recomputed != hash_:
            raise Broken(sequence, "its contents do not match its hash")
        if event["action"] == "audit.checkpoint.signed":
            self.checkpoint_events.append((sequence, event["changes"]))
        self.events += 1

    def _link(self, line: dict) -> None:
        self._place(line.get("sequence"), line.get("prev_hash"), line.get("hash"))
        self.links += 1

    def _checkpoints(self) -> int | None:
        """Check every checkpoint; return the highest exported sequence one pins."""
        pinned = None
        for line in self.checkpoints:
            sequence, hash_, key_id = line.get("sequence"), line.get("hash"), line.get("key_id")
            public = self.public_keys.get(key_id)
            if public is None:
                raise Broken(sequence, f"checkpoint at {sequence} is signed by an unknown key")
            message = checkpoint_message(
                sequence=sequence, hash=hash_, created_at=line.get("created_at"), key_id=key_id
            )
            if not signature_valid(public, message, line.get("signature", "")):
                raise Broken(sequence, f"checkpoint at {sequence} has an invalid signature")
            if sequence == 0 and hash_ != GENESIS_HASH:
                raise Broken(sequence, "checkpoint at 0 does not pin the genesis hash")
            if sequence in self.hashes:
                if self.hashes[sequence] != hash_:
                    raise Broken(sequence, "its hash differs from the signed checkpoint")
                pinned = max(pinned or 0, sequence)
        return pinned

    def _checkpoint_event(self, sequence: int, changes) -> None:
        changes = changes if isinstance(changes, dict) else {}
        for line in self.checkpoints:
            if (line.get("sequence"), line.get("hash"), line.get("key_id")) == (
                changes.get("sequence"),
                changes.get("hash"),
                changes.get("key_id"),
            ):
                return
        raise Broken(
            sequence, f"it records a checkpoint at {changes.get('sequence')} that is missing"
        )

    def _summary(self, pinned: int | None) -> str:
        first, last = self.header.get("first_sequence"), self.header.get("last_sequence")
        if first is None:
            span = "no events"
        else:
            span = f"sequences {first} to {last}: {self.events} events, {self.links} links"
        unpinned = (last - pinned) if pinned is not None and last is not None else None
        if pinned is None:
            pin = "no exported sequence is pinned by a signed checkpoint"
        elif unpinned:
            pin = f"signed up to {pinned}; the last {unpinned} are not yet signed"
        else:
            pin = f"signed up to {pinned}"
        return (
            f"Export intact: {span}; {len(self.checkpoints)} checkpoint"
            f"{'' if len(self.checkpoints) == 1 else 's'} verified, {pin}. MAC not checked."
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="the .jsonl file the portal exported")
    parser.add_argument(
        "--public-key",
        action="append",
        required=True,
        help="a PEM public key to trust (repeat for retired keys)",
    )
    args = parser.parse_args(argv)
    try:
        verifier = Verifier(load_public_keys(args.public_key))
        print(verifier.verify(args.export))
    except Unreadable as exc:
        print(f"Cannot verify: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except Broken as broken:
        print(
            f"Export broken at sequence {broken.sequence}: {broken.problem} "
            f"({verifier.events} events verified before it).",
            file=sys.stderr,
        )
        return EXIT_BROKEN
    return EXIT_INTACT


if __name__ == "__main__":
    sys.exit(main())
