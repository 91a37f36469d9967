#!/usr/bin/env python
"""How long `verify_audit_log` takes, and how much memory it needs, on a long chain.

    DEBUG=true .venv/bin/python benchmarks/verify_audit_log.py              # 1,000,000 events
    DEBUG=true .venv/bin/python benchmarks/verify_audit_log.py --events 100000
    DEBUG=true .venv/bin/python benchmarks/verify_audit_log.py --database-url postgres://...

It fills a fresh database (by default a SQLite file in a temporary folder; a --database-url
must point at an empty database, it is migrated first) with N events bulk-inserted with
correct hashes, signs a checkpoint, then verifies the chain in a fresh child process, twice:
once plain (wall time, peak RSS from getrusage) and once under tracemalloc (peak Python
allocations during verification). The figures go to stdout as JSON.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACTIONS = (
    "accounts.login.succeeded",
    "checklists.attestation.submitted",
    "checklists.attestation.approved",
    "evidence.file.uploaded",
    "accounts.membership.added",
)


def _setup(database_url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["PORTAL_DATA_DIR"] = data_dir
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def fill(events: int, batch: int) -> float:
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection, transaction

    from portal.audit import chain, mac, services
    from portal.audit.models import AuditChainHead, AuditEvent

    call_command("migrate", verbosity=0)
    if AuditEvent.objects.exists():
        raise SystemExit("The database already holds audit events; give an empty one.")
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 (names from the model)
    start_time = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    started = time.perf_counter()
    previous = chain.GENESIS_HASH
    mac_key = mac.required_mac_key()
    for first in range(1, events + 1, batch):
        rows = []
        for sequence in range(first, min(first + batch - 1, events) + 1):
            values = {
                "sequence": sequence,
                "created_at": start_time + dt.timedelta(milliseconds=sequence * 30),
                "actor_id": sequence % 50 + 1,
                "actor_label": f"user{sequence % 50 + 1}",
                "action": ACTIONS[sequence % len(ACTIONS)],
                "object_type": "checklists.attestation",
                "object_id": str(sequence // 3),
                "object_label": f"Control {sequence % 120} for merchant {sequence % 20}",
                "team_id": sequence % 20 + 1,
                "changes": {
                    "status": {"from": "submitted", "to": "approved"},
                    "comment": {"from": None, "to": "Looks fine"},
                },
                "reason": "Evidence checked against the policy" if sequence % 4 == 0 else "",
                "ip": f"10.0.{sequence % 250}.{sequence % 200 + 1}",
                "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
                "request_id": f"{sequence:032x}",
                "prev_hash": previous,
                "canonical_version": chain.CANONICAL_VERSION,
            }
            values["hash"] = previous = chain.event_hash(values)
            values["mac"] = mac.event_mac(values["hash"], mac_key)
            rows.append([f.get_db_prep_save(values[f.attname], connection) for f in fields])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        if sequence % 100_000 < batch:
            print(f"  filled {sequence:,}", file=sys.stderr, flush=True)
    AuditChainHead.objects.update_or_create(
        pk=1, defaults={"last_sequence": events, "last_hash": previous}
    )
    elapsed = time.perf_counter() - started
    services.checkpoint_create()  # signs head N, records event N+1
    return elapsed


def verify(chunk_size: int, trace: bool) -> dict:
    import tracemalloc

    from portal.audit import services

    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    result = services.log_verify(chunk_size=chunk_size)
    elapsed = time.perf_counter() - started
    figures = {
        "ok": result.ok,
        "problem": result.problem,
        "count": result.count,
        "head_hash": result.head_hash,
        "checkpoints": result.checkpoints,
        "seconds": round(elapsed, 2),
        "events_per_second": round(result.count / elapsed) if elapsed else None,
        "rss_before_mib": round(baseline_rss / 1024, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if trace:
        figures["tracemalloc_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 2)
        tracemalloc.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--chunk-size", type=int, default=5000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--verify-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tracemalloc", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.verify_only:
        _setup(args.database_url, args.data_dir)
        print(json.dumps(verify(args.chunk_size, args.tracemalloc)))
        return

    with tempfile.TemporaryDirectory(prefix="audit-bench-") as tmp:
        database_url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        _setup(database_url, tmp)
        fill_seconds = fill(args.events, args.batch)
        runs = {}
        for name, extra in (("plain", []), ("tracemalloc", ["--tracemalloc"])):
            child = subprocess.run(  # noqa: S603 (our own interpreter and script)
                [
                    sys.executable,
                    __file__,
                    "--verify-only",
                    "--database-url",
                    database_url,
                    "--data-dir",
                    tmp,
                    "--chunk-size",
                    str(args.chunk_size),
                    *extra,
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            runs[name] = json.loads(child.stdout.strip().splitlines()[-1])
        database_bytes = (
            Path(tmp, "bench.sqlite3").stat().st_size if not args.database_url else None
        )
        print(
            json.dumps(
                {
                    "events": args.events,
                    "database": database_url.split(":", 1)[0],
                    "database_mib": round(database_bytes / 2**20) if database_bytes else None,
                    "fill_seconds": round(fill_seconds, 1),
                    "cpu_count": os.cpu_count(),
                    "verify": runs,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
