#!/usr/bin/env python
"""Throughput and memory of evidence storage: `store_upload` and `open_blob` on 20 MB files.

    DEBUG=true .venv/bin/python benchmarks/evidence_upload.py
    DEBUG=true .venv/bin/python benchmarks/evidence_upload.py --megabytes 5

It writes two inputs to a temporary folder, a text log (type check, strict UTF-8 check,
secret scan, SHA-256, AES-GCM) and a one-page PDF padded with an image-like stream (parsed,
its text scanned, SHA-256, AES-GCM),
then runs each measurement in a fresh child process, twice: once plain (wall time, MB/s, peak
RSS from getrusage, and the RSS after Django's start-up for comparison) and once under
tracemalloc (peak Python allocations). Downloads read the text blob back through `open_blob`.
The figures go to stdout as JSON.
"""

import argparse
import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
LOG_LINE = (
    b"2024-05-01T10:00:00.123Z INFO pay-api request_id=7f3a9c2e method=POST path=/v1/charges "
    b"status=201 took_ms=84 merchant=kopi-kita ip=203.0.113.9 user_agent=okhttp/4.12\n"
)


def _make_inputs(folder: Path, size: int) -> dict[str, Path]:
    text = folder / "access.log"
    with text.open("wb") as out:
        written = 0
        while written + len(LOG_LINE) <= size:
            out.write(LOG_LINE)
            written += len(LOG_LINE)
        out.write(b"#" * (size - written - 1) + b"\n")
    pdf = folder / "scan.pdf"
    pdf.write_bytes(_pdf(size))
    return {"text": text, "pdf": pdf}


def _pdf(size: int) -> bytes:
    """A well-formed one-page PDF (parsed and its text scanned on upload), padded to `size`
    with random bytes in an unreferenced stream, like a scan's image."""
    content = b"BT /F1 12 Tf 72 720 Td (Firewall review 2026-Q4) Tj ET"
    filler = os.urandom(max(size - 1200, 0))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(filler) + filler + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _child(action: str, path: str, traced: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from checklists.evidence.storage import open_blob, store_upload

    baseline = _rss_mb()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    if action == "store":
        with open(path, "rb") as upload:
            blob = store_upload(upload, filename=Path(path).name)
        size, result = blob.size, blob.name
    else:
        size = sum(len(chunk) for chunk in open_blob(path))
        result = path
    elapsed = time.perf_counter() - started
    figures = {"seconds": round(elapsed, 3), "bytes": size, "blob": result}
    if traced:
        figures["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / MB, 2)
        tracemalloc.stop()
    else:
        figures["mb_per_s"] = round(size / MB / elapsed, 1)
        figures["ru_maxrss_mb"] = round(_rss_mb(), 1)
        figures["ru_maxrss_after_startup_mb"] = round(baseline, 1)
    print(json.dumps(figures))


def _run(action: str, target: str, *, traced: bool, env: dict[str, str]) -> dict:
    args = [sys.executable, __file__, "--child", action, target]
    if traced:
        args.append("--traced")
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        args, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=int, default=20)
    parser.add_argument("--child", nargs=2, metavar=("ACTION", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        _child(*options.child, traced=options.traced)
        return

    size = options.megabytes * MB
    with tempfile.TemporaryDirectory(prefix="evidence-bench-") as folder:
        data_dir = Path(folder)
        env = {
            **os.environ,
            "DEBUG": os.environ.get("DEBUG", "true"),
            "PORTAL_DATA_DIR": str(data_dir),
            "EVIDENCE_ROOT": str(data_dir / "evidence"),
            "EVIDENCE_MAX_BYTES": str(size),
            "EVIDENCE_KEYS": f"bench:{base64.b64encode(os.urandom(32)).decode()}",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("EVIDENCE_KEYS_FILE", None)
        inputs = _make_inputs(data_dir, size)
        report: dict[str, dict] = {"megabytes": options.megabytes, "cpus": os.cpu_count()}
        for kind, path in inputs.items():
            plain = _run("store", str(path), traced=False, env=env)
            traced = _run("store", str(path), traced=True, env=env)
            report[f"store_{kind}"] = {
                **plain,
                "tracemalloc_peak_mb": traced["tracemalloc_peak_mb"],
            }
            blob = plain["blob"]
            plain = _run("open", blob, traced=False, env=env)
            traced = _run("open", blob, traced=True, env=env)
            report[f"open_{kind}"] = {**plain, "tracemalloc_peak_mb": traced["tracemalloc_peak_mb"]}
        for figures in report.values():
            if isinstance(figures, dict):
                figures.pop("blob", None)
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
