from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from portal.accounts.tasks import clear_expired_sessions


def _session(expires_in: timedelta) -> str:
    store = SessionStore()
    store["seen"] = True
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() + expires_in
    )
    return store.session_key


def test_it_clears_only_expired_sessions(db):
    stale = _session(timedelta(minutes=-5))
    fresh = _session(timedelta(minutes=25))
    assert clear_expired_sessions.delay().get() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [fresh]
    assert stale != fresh


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_it_on_the_broker(celery_worker):
    client, queue = celery_worker
    stale = _session(timedelta(minutes=-5))
    result = client.send_task("portal.accounts.tasks.clear_expired_sessions", queue=queue)
    assert result.get(timeout=30) == 1
    assert not Session.objects.filter(session_key=stale).exists()


def test_it_is_scheduled_nightly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["clear-expired-sessions"]
    assert entry["task"] == "portal.accounts.tasks.clear_expired_sessions"
