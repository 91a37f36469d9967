"""The evidence store interface and its folder implementation, chosen by EVIDENCE_STORE."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from checklists.evidence.storage import open_blob
from checklists.evidence.stores import FolderStore, evidence_store

from .conftest import listing, store_bytes

NAME = "0123456789abcdef" * 2


class SecondFolderStore(FolderStore):
    """A store kept somewhere else, to show the setting picks the implementation."""

    def __init__(self) -> None:
        from django.conf import settings

        super().__init__(settings.EVIDENCE_ROOT.parent / "second")


def test_the_folder_store_puts_opens_lists_and_deletes(evidence_root):
    store = FolderStore()
    assert store.put(NAME, lambda handle: handle.write(b"sealed bytes")) == 12
    with store.open(NAME) as handle:
        assert handle.read() == b"sealed bytes"
    assert store.names() == [NAME] and store.exists(NAME)
    store.delete(NAME)
    store.delete(NAME)  # already gone: no error
    assert store.names() == [] and listing(evidence_root) == []


def test_a_failed_put_keeps_the_old_blob_and_leaves_no_temp_file(evidence_root):
    store = FolderStore()
    store.put(NAME, lambda handle: handle.write(b"first"))

    def fail(handle):
        handle.write(b"half of the second")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        store.put(NAME, fail)
    with store.open(NAME) as handle:
        assert handle.read() == b"first"
    assert listing(evidence_root) == [NAME]


@pytest.mark.parametrize("bad", ["../x", "A" * 32, "a" * 31, ".partial-abc", ""])
def test_it_refuses_names_it_could_not_have_made(evidence_root, bad):
    with pytest.raises(ValueError, match="not an evidence blob name"):
        FolderStore().put(bad, lambda handle: None)
    assert listing(evidence_root) == []


def test_evidence_store_names_the_implementation(evidence_root, settings):
    settings.EVIDENCE_STORE = f"{__name__}.SecondFolderStore"
    assert isinstance(evidence_store(), SecondFolderStore)
    blob = store_bytes(b"kept in the second store\n", "a.txt")
    assert (settings.EVIDENCE_ROOT.parent / "second" / blob.name).exists()
    assert listing(evidence_root) == []
    assert b"".join(open_blob(blob.name)) == b"kept in the second store\n"


def test_an_unknown_store_is_a_configuration_error(settings):
    settings.EVIDENCE_STORE = "checklists.evidence.stores.NoSuchStore"
    with pytest.raises(ImproperlyConfigured, match="EVIDENCE_STORE .*NoSuchStore.* cannot be"):
        evidence_store()
