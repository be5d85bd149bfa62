"""store.faults.describe: which driver errors are faults of the database (503, one line) and
which are bugs (500). The end-to-end faults are in tests/e2e/test_db_faults.py; this covers
the PostgreSQL errors a test cannot arrange on a shared server (a full disk, corruption)
and the wrapping SQLAlchemy puts around them."""

import sqlite3

import psycopg
import pytest
from sqlalchemy.exc import OperationalError, PendingRollbackError, ProgrammingError

from iamd.store.faults import DatabaseUnavailable, describe

PG_FAULTS = [  # (driver error, what the line says, lasting, lost connection)
    (psycopg.errors.DiskFull("could not extend file: No space left on device"), "disk holding the database is full",
     True, False),
    (psycopg.errors.DataCorrupted("invalid page in block 7"), "data is corrupt", True, False),
    (psycopg.errors.IndexCorrupted("index is corrupt"), "index is corrupt", True, False),
    (psycopg.errors.IoError("could not read block"), "I/O error", True, False),
    (psycopg.errors.UndefinedTable('relation "access_keys" does not exist'), "lacks iamd's schema", True, False),
    (psycopg.errors.InvalidCatalogName('database "x" does not exist'), "does not exist", True, False),
    (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), "shutting down",
     False, True),
    (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), "did not answer in time",
     False, False),
    (psycopg.errors.TooManyConnections("sorry, too many clients already"), "too many connections", False, False),
    (psycopg.errors.ConnectionTimeout("connection timeout expired"), "connection to the database failed",
     False, True),
    (psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly"),
     "connection to the database failed", False, True),
]


@pytest.mark.parametrize("err,says,lasting,lost", PG_FAULTS, ids=[type(e[0]).__name__ for e in PG_FAULTS])
def test_postgresql_faults(err, says, lasting, lost):
    for raised in (err, OperationalError("SELECT 1", {}, err)):  # bare, and as SQLAlchemy wraps it
        fault = describe(raised)
        assert isinstance(fault, DatabaseUnavailable)
        assert says in fault.reason and str(err) in fault.reason
        assert "\n" not in fault.reason
        assert (fault.lasting, fault.lost) == (lasting, lost)


def test_a_failed_cleanup_reports_the_fault_behind_it():
    try:
        try:
            raise sqlite3.OperationalError("no such table: access_keys")
        except sqlite3.OperationalError:
            raise PendingRollbackError("Can't reconnect until invalid transaction is rolled back.")
    except PendingRollbackError as exc:
        fault = describe(exc)
    assert fault is not None and fault.lasting and "no such table: access_keys" in fault.reason


@pytest.mark.parametrize("err", [
    psycopg.errors.SyntaxError('syntax error at or near "SELEC"'),
    psycopg.errors.StringDataRightTruncation("value too long for type character varying(128)"),
    psycopg.errors.UniqueViolation("duplicate key value violates unique constraint"),
    sqlite3.IntegrityError("UNIQUE constraint failed: users.name_lower"),
    sqlite3.ProgrammingError("Incorrect number of bindings supplied"),
    sqlite3.OperationalError('near "SELEC": syntax error'),
    ValueError("not a database error at all"),
], ids=lambda e: type(e).__name__)
def test_bugs_are_not_faults_of_the_database(err):
    assert describe(err) is None
    assert describe(ProgrammingError("SELECT 1", {}, err)) is None
