"""Every `manage.py` command the README shows runs as written, in the README's order, on a
machine where `make run` ran: `var/local.env` says DEBUG=true, the database is migrated and
holds the demo data. The commands run in a scratch folder (with `.venv` and `manage.py` linked
into it, so the files they write land there) against a data folder of their own."""

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
PYTHON = ".venv/bin/python"

# Shown for production, where DEBUG is off; `check --deploy` is run by tests/test_settings.py.
PRODUCTION_ONLY = {
    "python manage.py check --deploy --fail-level WARNING",
    "manage.py collectstatic",
}
# The benchmarks' scale data takes minutes to build; tests/checklists/test_seed_demo.py covers
# --teams and --audit-events on small numbers.
SCALE_ONLY = {f"{PYTHON} manage.py seed_demo --teams 200 --audit-events 230000"}
# What a reader puts in for the README's placeholders.
PLACEHOLDERS = {"<name>": "kopi-dev"}
ROSTER = (
    "account,person,email,role,privileged,mfa,last_login,created\n"
    "kopi.lead,Kopi Lead,kopi-lead@example.com,administrator,yes,yes,2026-11-20,2025-01-10\n"
    "kopi.dev,Kopi Dev,kopi-dev@example.com,operator,no,yes,2026-11-28,2025-03-02\n"
)
# Settings the developer's shell would not have: everything comes from var/local.env.
NOT_IN_A_DEVELOPER_SHELL = (
    "DEBUG",
    "CI",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "SECRET_KEY",
)


def readme_commands() -> list[str]:
    """The README's manage.py commands in order: shell blocks line by line (continuations
    joined, comments dropped) and inline code spans."""
    text = README.read_text("utf-8")
    found: list[tuple[int, str]] = []
    for block in re.finditer(r"```sh\n(.*?)```", text, re.S):
        joined = block[1].replace("\\\n", " ")
        for line in joined.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if "manage.py" in command:
                found.append((block.start(), " ".join(command.split())))
    for span in re.finditer(r"`([^`\n]*manage\.py[^`\n]*)`", text):
        if "```" in text[max(0, span.start() - 3) : span.start() + 1] or "…" in span[1]:
            continue
        found.append((span.start(), span[1]))
    commands = []
    for _, command in sorted(found):
        if command in PRODUCTION_ONLY | SCALE_ONLY:
            continue
        for placeholder, value in PLACEHOLDERS.items():
            command = command.replace(placeholder, value)
        if command.startswith("manage.py"):
            command = f"{PYTHON} {command}"
        optional = re.search(r" \[(--\S+) YYYY-MM-DD\]", command)
        if optional:  # once without the option, once with it
            commands.append(command.replace(optional[0], ""))
            command = command.replace(optional[0], f" {optional[1]} 2026-12-07")
        commands.append(command)
    return commands


def test_it_finds_the_readme_s_commands():
    commands = readme_commands()
    assert f"{PYTHON} manage.py seed_demo --reset-passwords" in commands
    assert f"{PYTHON} manage.py verify_report kopi.pdf" in commands
    assert any("access_review_import --team kopi-kita-miniapp" in c for c in commands)
    assert f"{PYTHON} manage.py send_reminders --date 2026-12-07" in commands
    assert all(PYTHON in c and "[" not in c and "<" not in c for c in commands), commands


@pytest.fixture
def developer_machine(tmp_path):
    """A scratch working folder, a data folder and a local.env like `make setup` writes."""
    work = tmp_path / "work"
    work.mkdir()
    (work / ".venv").symlink_to(REPO / ".venv")
    (work / "manage.py").symlink_to(REPO / "manage.py")
    (work / "my-provider.yaml").write_bytes((REPO / "fixtures/catalog/mixpay.yaml").read_bytes())
    (work / "operators.csv").write_text(ROSTER)
    local_env = tmp_path / "local.env"
    local_env.write_text("DEBUG=true\n")
    env = {k: v for k, v in os.environ.items() if k not in NOT_IN_A_DEVELOPER_SHELL}
    env |= {"PORTAL_DATA_DIR": str(tmp_path / "data"), "PORTAL_LOCAL_ENV": str(local_env)}
    return work, env


def run(command: str, work: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )


def test_every_readme_command_runs_as_written(developer_machine):
    work, env = developer_machine
    # What `make run` does before serving.
    for step in ("manage.py migrate --noinput", "manage.py seed_demo"):
        done = run(f"{PYTHON} {step}", work, env)
        assert done.returncode == 0, f"{step}:\n{done.stdout}\n{done.stderr}"

    failed = []
    for command in readme_commands():
        done = run(command, work, env)
        if done.returncode != 0:
            failed.append(f"$ {command}\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    assert not failed, "\n\n".join(failed)
    assert (work / "catalog.json").stat().st_size > 0
    assert (work / "kopi.pdf").read_bytes().startswith(b"%PDF")
    assert (work / "audit-public-key.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")


def test_the_makefile_has_the_readme_s_targets():
    for args in (["run"], ["test"], ["run", "PORT=8001"]):
        dry = subprocess.run(
            ["make", "-n", *args], cwd=REPO, capture_output=True, text=True, timeout=60
        )
        assert dry.returncode == 0, dry.stderr
    assert "runserver 127.0.0.1:8001" in dry.stdout
