"""The blob store over a Django storage backend, against a real S3-compatible server."""

import io
import logging
import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from checklists.evidence.storage import open_blob, store_upload
from checklists.evidence.stores import REPORTS_ALIAS, StorageStore, evidence_store
from tests.s3_server import ACCESS_KEY_ID, SECRET_ACCESS_KEY

NAME = "0123456789abcdef" * 2
OTHER = "fedcba9876543210" * 2


def test_evidence_store_is_the_storage_store_when_s3_is_chosen(s3_bucket):
    store = evidence_store()
    assert isinstance(store, StorageStore) and store.off_site


def test_it_puts_opens_lists_and_deletes(s3_bucket):
    store = StorageStore()
    assert store.put(NAME, lambda handle: handle.write(b"sealed bytes")) == 12
    assert s3_bucket.object_keys() == [f"evidence/{NAME}"]
    assert s3_bucket.read(f"evidence/{NAME}") == b"sealed bytes"
    with store.open(NAME) as handle:
        assert handle.read(6) == b"sealed"
        assert handle.read() == b" bytes"
    assert store.exists(NAME) and not store.exists(OTHER)
    assert store.names() == [NAME]
    store.delete(NAME)
    store.delete(NAME)  # already gone: no error
    assert store.names() == [] and s3_bucket.object_keys() == []


def test_a_put_replaces_the_object_in_place(s3_bucket):
    store = StorageStore()
    store.put(NAME, lambda handle: handle.write(b"first"))
    store.put(NAME, lambda handle: handle.write(b"second, longer"))
    assert s3_bucket.object_keys() == [f"evidence/{NAME}"]  # not renamed, no second object
    with store.open(NAME) as handle:
        assert handle.read() == b"second, longer"


def test_a_failed_put_uploads_nothing_and_keeps_the_old_blob(s3_bucket):
    store = StorageStore()
    store.put(NAME, lambda handle: handle.write(b"first"))

    def fail(handle):
        handle.write(b"half of the second" * 100_000)  # past the multipart threshold
        raise OSError("scanner gave up")

    with pytest.raises(OSError, match="scanner gave up"):
        store.put(NAME, fail)
    with pytest.raises(OSError, match="scanner gave up"):
        store.put(OTHER, fail)
    assert s3_bucket.object_keys() == [f"evidence/{NAME}"]
    assert s3_bucket.read(f"evidence/{NAME}") == b"first"
    assert s3_bucket.pending_uploads() == []


def test_a_large_blob_is_uploaded_whole(s3_bucket):
    data = bytes(range(256)) * 48_000  # 12 MB: boto3 sends it as a multipart upload
    store = StorageStore()
    store.put(NAME, lambda handle: handle.write(data))
    assert s3_bucket.read(f"evidence/{NAME}") == data
    with store.open(NAME) as handle:
        assert handle.read() == data


def test_a_missing_blob_is_file_not_found(s3_bucket):
    store = StorageStore()
    with pytest.raises(FileNotFoundError):
        store.open(NAME)
    with pytest.raises(FileNotFoundError):
        b"".join(open_blob(NAME))


@pytest.mark.parametrize("bad", ["../x", "A" * 32, "a" * 31, f"{NAME}/x", ""])
def test_it_refuses_names_it_could_not_have_made(s3_bucket, bad):
    store = StorageStore()
    with pytest.raises(ValueError, match="not an evidence blob name"):
        store.put(bad, lambda handle: handle.write(b"x"))
    with pytest.raises(ValueError, match="not an evidence blob name"):
        store.open(bad)
    assert s3_bucket.object_keys() == []


def test_names_pages_through_more_than_a_thousand_objects(s3_bucket):
    names = [f"{number:032x}" for number in range(1_203)]
    s3_bucket.seed_directly([f"evidence/{name}" for name in names], b"sealed")
    s3_bucket.write("evidence/notes.txt", b"not a blob")  # ignored: not a name we make
    s3_bucket.write(f"evidence/old/{NAME}", b"elsewhere")  # ignored: below the prefix
    s3_bucket.write(f"{REPORTS_ALIAS}/{NAME}", b"a report")  # another store's prefix
    assert StorageStore().names() == names
    assert StorageStore(REPORTS_ALIAS).names() == [NAME]


def test_evidence_and_reports_keep_to_their_own_prefix(s3_bucket):
    StorageStore().put(NAME, lambda handle: handle.write(b"evidence"))
    StorageStore(REPORTS_ALIAS).put(OTHER, lambda handle: handle.write(b"report"))
    assert s3_bucket.object_keys() == [f"evidence/{NAME}", f"reports/{OTHER}"]
    assert StorageStore().names() == [NAME]
    assert not StorageStore(REPORTS_ALIAS).exists(NAME)


def test_a_backend_that_renames_instead_of_replacing_is_refused(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "fs")},
        },
    }
    store = StorageStore()
    store.put(NAME, lambda handle: handle.write(b"first"))
    with pytest.raises(ImproperlyConfigured, match="allow_overwrite=True"):
        store.put(NAME, lambda handle: handle.write(b"second"))
    assert sorted(p.name for p in (tmp_path / "fs").iterdir()) == [NAME]  # no renamed copy
    assert (tmp_path / "fs" / NAME).read_bytes() == b"first"


def test_a_store_without_its_backend_is_a_configuration_error(settings):
    settings.STORAGES = {key: value for key, value in settings.STORAGES.items() if key == "default"}
    with pytest.raises(ImproperlyConfigured, match="STORAGES has no 'evidence' backend"):
        StorageStore().names()


def test_credentials_never_reach_the_logs(s3_bucket, caplog):
    caplog.set_level(logging.DEBUG)
    blob = store_upload(io.BytesIO(b"firewall rules reviewed\n"), filename="rules.txt")
    assert b"".join(open_blob(blob.name)) == b"firewall rules reviewed\n"
    evidence_store().names()
    evidence_store().delete(blob.name)
    with pytest.raises(FileNotFoundError):
        evidence_store().open(blob.name)
    logged = caplog.text + "".join(repr(record.args) for record in caplog.records)
    assert SECRET_ACCESS_KEY not in logged
    assert ACCESS_KEY_ID not in logged
    assert not re.search(r"Signature=[0-9a-f]{64}", logged)
