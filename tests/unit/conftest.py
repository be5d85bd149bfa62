"""Fixtures the unit modules share."""

import pytest

from iamd.store.engine import Store


@pytest.fixture
def store(tmp_path):
    """A migrated SQLite store of the test's own."""
    s = Store(None, tmp_path)
    s.migrate()
    yield s
    s.dispose()
