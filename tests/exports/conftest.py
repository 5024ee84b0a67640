import pytest

from tests.store.records import priced_record, sample_record


@pytest.fixture
def record():
    """The realistic offline run (two people, a fork, one dialog)."""
    return sample_record()


@pytest.fixture
def priced():
    """The same run made by a paid model."""
    return priced_record()
