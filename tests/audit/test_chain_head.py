import pytest

from portal.audit import chain, services
from portal.audit.selectors import chain_head
from tests.audit.conftest import record_many

pytestmark = pytest.mark.django_db


def test_it_reports_the_genesis_head_of_an_empty_chain():
    head = chain_head()
    assert (head.sequence, head.hash) == (0, chain.GENESIS_HASH)
    assert head.checkpoint_sequence is None


def test_it_reports_the_last_event_and_the_latest_checkpoint():
    record_many(3)
    checkpoint = services.checkpoint_create()  # then records event 4
    head = chain_head()
    assert head.sequence == 4
    assert head.checkpoint_sequence == 3
    assert head.checkpoint_at == checkpoint.created_at


def test_it_takes_two_queries(django_assert_num_queries):
    record_many(2)
    with django_assert_num_queries(2):
        chain_head()
