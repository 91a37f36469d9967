"""gunicorn.conf.py loads, and gunicorn's own log lines are JSON with secrets masked."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_LOAD = """
import runpy
from gunicorn.config import Config

def load():
    cfg = Config()
    for name, value in runpy.run_path("gunicorn.conf.py").items():
        if name in cfg.settings:
            cfg.set(name, value)
    return cfg
"""


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-c", _LOAD + code],
        cwd=ROOT,
        env={**clean, "PORTAL_LOCAL_ENV": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_config_loads_with_sensible_values():
    result = _run(
        "cfg = load()\n"
        "print(cfg.workers, cfg.timeout, cfg.graceful_timeout, cfg.max_requests, cfg.wsgi_app)",
        WEB_CONCURRENCY="3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3", "60", "30", "1000", "portal.wsgi:application"]


def test_a_malformed_setting_names_its_variable():
    result = _run("load()", GUNICORN_TIMEOUT="soon")
    assert result.returncode != 0
    assert "GUNICORN_TIMEOUT='soon' is not an integer" in result.stderr


def _lines(stream: str) -> list[dict]:
    return [json.loads(line) for line in stream.splitlines() if line.startswith("{")]


def test_a_worker_traceback_is_one_redacted_json_line():
    code = """
from gunicorn.glogging import Logger
log = Logger(load())
try:
    raise RuntimeError("upstream refused api_key=sk_live_51HxTqLkq2e8Xn4Vb9Lm")
except RuntimeError:
    log.exception("Error handling request /pay?token=tok_8f7Hq2LmNx5Vz1Pq")
"""
    result = _run(code)
    assert result.returncode == 0, result.stderr
    (line,) = _lines(result.stderr)
    assert line["logger"] == "gunicorn.error" and line["level"] == "ERROR"
    assert "token=[REDACTED]" in line["message"]
    assert "RuntimeError" in line["exc_info"] and "api_key=[REDACTED]" in line["exc_info"]
    assert "sk_live_51HxTqLkq2e8Xn4Vb9Lm" not in result.stderr + result.stdout
    assert "tok_8f7Hq2LmNx5Vz1Pq" not in result.stderr + result.stdout


def test_an_access_line_is_redacted_json():
    code = """
import logging
from gunicorn.glogging import Logger
Logger(load())
request = {"h": "203.0.113.1", "r": "GET /cb?password=hunter2hunter2 HTTP/1.1", "s": "200"}
logging.getLogger("gunicorn.access").info('%(h)s "%(r)s" %(s)s', request)
"""
    result = _run(code)
    assert result.returncode == 0, result.stderr
    (line,) = _lines(result.stderr)
    assert line["logger"] == "gunicorn.access"
    assert line["message"] == '203.0.113.1 "GET /cb?password=[REDACTED] HTTP/1.1" 200'
