"""A failed statement is logged with its traceback: its bound values (password hashes,
sealed secrets, private keys) must not be in the exception's text."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from iamd.store.engine import Store


def test_statement_errors_leave_the_parameters_out(tmp_path):
    store = Store(None, tmp_path)
    try:
        with store.engine.connect() as conn, pytest.raises(DBAPIError) as e:
            conn.execute(text("SELECT no_such_column WHERE :secret = :secret"), {"secret": "SeCrEt-value"})
        assert "SeCrEt" not in str(e.value)
    finally:
        store.dispose()
