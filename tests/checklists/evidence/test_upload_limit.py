"""Upload bodies are refused before they are spooled: anonymous, or larger than evidence may be."""

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.test import Client, RequestFactory
from django.urls import reverse

from checklists.evidence.uploads import UploadLimitHandler, UploadRefused
from checklists.models import Evidence
from tests.checklists.assessment_helpers import attestation_of, make_checklist

MB = 1024 * 1024
LINE = b"2026-11-22T09:00:00Z INFO pay-api status=201 path=/v1/charges\n"


class SpoolProbe(FileUploadHandler):
    """Placed after the limit handler: records every byte that got past it, and the spool."""

    received = 0
    spool_seen: list[str] = []

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        from django.conf import settings

        SpoolProbe.received += len(raw_data)
        SpoolProbe.spool_seen.extend(p.name for p in settings.EVIDENCE_SPOOL_DIR.iterdir())
        return raw_data

    def file_complete(self, file_size):
        return None


@pytest.fixture
def spool(settings, tmp_path):
    settings.EVIDENCE_SPOOL_DIR = tmp_path / "uploads"
    settings.EVIDENCE_SPOOL_DIR.mkdir()
    settings.EVIDENCE_MAX_BYTES = MB
    settings.FILE_UPLOAD_HANDLERS = [
        "checklists.evidence.uploads.UploadLimitHandler",
        "tests.checklists.evidence.test_upload_limit.SpoolProbe",
        "django.core.files.uploadhandler.MemoryFileUploadHandler",
        "checklists.evidence.uploads.SealedFileUploadHandler",
    ]
    SpoolProbe.received = 0
    SpoolProbe.spool_seen = []
    return settings.EVIDENCE_SPOOL_DIR


@pytest.fixture
def item(catalog, team, lead):
    return attestation_of(make_checklist(team, lead), "GOPAY-1.2")


def _url(item):
    return reverse(
        "checklists:evidence_upload", args=[item.checklist.team.slug, "2026-Q4", "GOPAY-1.2"]
    )


def _post(client, item, content, *, token=None):
    data = {
        "upload": SimpleUploadedFile("access.log", content),
        "description": "Logs",
        "expected_version": item.version,
    }
    if token:
        data["csrfmiddlewaretoken"] = token
    return client.post(_url(item), data)


def _anonymous_with_csrf_cookie() -> tuple[Client, str]:
    """As a browser: the sign-in page sets the CSRF cookie; the form carries its token."""
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    return client, client.cookies["csrftoken"].value


def test_an_anonymous_upload_is_refused_before_a_byte_is_spooled(spool, item, caplog):
    client, token = _anonymous_with_csrf_cookie()
    with caplog.at_level(logging.ERROR, logger="django.security"):
        response = _post(client, item, LINE * (8 * MB // len(LINE)), token=token)
    assert response.status_code == 400
    assert SpoolProbe.received == 0 and SpoolProbe.spool_seen == []
    assert list(spool.iterdir()) == []
    assert "the request is not signed in" in caplog.text
    assert not Evidence.objects.exists()


def test_an_anonymous_small_upload_is_refused_too(spool, item):
    client, token = _anonymous_with_csrf_cookie()
    response = _post(client, item, LINE, token=token)
    assert response.status_code == 400
    assert SpoolProbe.received == 0 and list(spool.iterdir()) == []


def test_a_signed_in_upload_declared_too_large_is_refused_unread(
    spool, client, item, member, caplog, settings
):
    client.force_login(member)
    with caplog.at_level(logging.ERROR, logger="django.security"):
        response = _post(client, item, LINE * (8 * MB // len(LINE)))
    assert response.status_code == 400
    assert SpoolProbe.received == 0 and SpoolProbe.spool_seen == []
    assert list(spool.iterdir()) == []
    assert "an evidence file may be 1,048,576 bytes" in caplog.text
    assert "the request declares 8," in caplog.text
    assert not Evidence.objects.exists()
    assert not settings.EVIDENCE_ROOT.exists() or not any(settings.EVIDENCE_ROOT.iterdir())


def test_a_file_just_over_the_limit_gets_the_uploaders_message(spool, client, item, member):
    client.force_login(member)
    response = _post(client, item, b"x" * (MB + 1000))
    assert response.status_code == 400
    assert (
        "access.log is larger than 1 MB, the limit for an evidence file; "
        "upload an excerpt or split it."
    ) in response.content.decode()
    assert list(spool.iterdir()) == []
    assert not Evidence.objects.exists()


def test_a_file_within_the_limit_passes(spool, client, item, member):
    client.force_login(member)
    response = _post(client, item, LINE * 1000)
    assert response.status_code == 302
    assert Evidence.objects.get().size == len(LINE) * 1000
    assert SpoolProbe.received == len(LINE) * 1000


def test_it_stops_once_more_is_received_than_declared(settings, member):
    """A body that outgrows its declared length is stopped, then refused (limit: 1 MB plus
    the 64 KiB form margin, passed by the 18th chunk of 64 KiB)."""
    settings.EVIDENCE_MAX_BYTES = MB
    request = RequestFactory().post("/")
    request.user = member
    handler = UploadLimitHandler(request)
    assert handler.handle_raw_input(None, {}, 1000, b"x") is None
    handler.new_file("upload", "a.log", "text/plain", None)
    with pytest.raises(StopUpload) as stopped:
        for start in range(0, 2 * MB, 64 * 1024):
            assert handler.receive_data_chunk(b"x" * 64 * 1024, start) is not None
    assert stopped.value.connection_reset
    with pytest.raises(UploadRefused, match="file upload stopped after 1,179,648 bytes"):
        handler.upload_complete()
