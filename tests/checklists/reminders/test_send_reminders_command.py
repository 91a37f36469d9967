"""`manage.py send_reminders`: what it prints, and a bad --date."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from tests.checklists.reminders.conftest import WEDNESDAY, due_in, on


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def send(*args) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue().strip()


def test_it_prints_what_it_sent(team, lead, member, nobody):
    with on(WEDNESDAY):
        due_in(-1, team=team, by=lead, owner=member)
    assert send("--date", "2026-12-09") == (
        "Sent 1 digest; 2 people had nothing due; 0 already sent today."
    )
    assert send("--date", "2026-12-09") == (
        "Sent 0 digests; 2 people had nothing due; 1 already sent today."
    )
    assert len(mail.outbox) == 1


def test_it_sends_for_today_by_default(team, lead, member):
    with on(WEDNESDAY):
        due_in(7, team=team, by=lead, owner=member)
        assert send().startswith("Sent 1 digest;")


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "09/12/2026", "20261209"])
def test_a_bad_date_is_refused(db, bad):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        send("--date", bad)
    assert mail.outbox == []


def test_a_bad_date_exits_non_zero(db):
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "manage.py", "send_reminders", "--date", "2026-02-30"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "DEBUG": "true"},
    )
    assert done.returncode != 0
    assert "YYYY-MM-DD" in done.stderr
