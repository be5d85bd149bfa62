"""What a database error means for the service: a fault of the database, or a bug.

A fault of the database (it is unreachable, stalled, full, corrupt, or not the database the
server started on) is no fault of the request: the server answers 503 ServiceUnavailable,
which SDKs retry, and logs one line saying what is wrong. `describe` reads the driver's own
error codes (SQLite's extended result names, PostgreSQL's SQLSTATE) and returns that line;
anything it does not recognise is left to surface as a bug (500, with its traceback).
"""

class DatabaseUnavailable(Exception):
    """The database cannot serve this request; `reason` is one line for the log.

    `lasting` faults (disk full, corruption, a missing schema) stay until someone acts;
    the others (a timeout, a lost connection, a lock) may clear on the next request.
    `lost`: the connection was lost (the server restarted, or ended it), so a transaction
    that had not sent its commit may run again on a new one (`Store.run` sets `retry`).
    """

    def __init__(self, reason: str, lasting: bool = False, lost: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.lasting = lasting
        self.lost = lost
        self.retry = False


# SQLite's primary result codes (the name before any `_EXTENDED` part) -> (what, lasting).
_SQLITE = {
    "SQLITE_FULL": ("the disk holding the database is full", True),
    "SQLITE_CORRUPT": ("the database file is corrupt", True),
    "SQLITE_NOTADB": ("the database file is not a SQLite database (corrupt or overwritten)", True),
    "SQLITE_IOERR": ("the database file cannot be read or written (I/O error)", True),
    "SQLITE_READONLY": ("the database file is read-only", True),
    "SQLITE_CANTOPEN": ("the database file cannot be opened", True),
    "SQLITE_PERM": ("the database file may not be accessed (permissions)", True),
    "SQLITE_BUSY": ("the database stayed locked by another writer", False),
    "SQLITE_LOCKED": ("the database stayed locked by another writer", False),
    "SQLITE_INTERRUPT": ("the database did not answer in time", False),
    "SQLITE_PROTOCOL": ("the database's lock protocol failed (try again)", False),
    "SQLITE_NOMEM": ("the database ran out of memory", False),
}

# PostgreSQL SQLSTATEs (exact, then by class) -> (what, lasting).
_PG_STATE = {
    "53100": ("the disk holding the database is full", True),
    "53200": ("the database server is out of memory", False),
    "53300": ("the database server has too many connections", False),
    "57014": ("the database did not answer in time (statement cancelled)", False),
    "57P01": ("the database server is shutting down", False),
    "57P02": ("the database server crashed", False),
    "57P03": ("the database server is not accepting connections yet", False),
    "55P03": ("a database lock was not granted in time", False),
    "XX001": ("the database's data is corrupt", True),
    "XX002": ("the database's index is corrupt", True),
    "3D000": ("the database does not exist (dropped under the running server?)", True),
    "40001": ("the database could not serialize concurrent transactions", False),
    "40P01": ("the database found a deadlock", False),
}
_PG_LOST = {"57P01", "57P02", "57P03"}  # the server ended the session: a new one may work
_PG_CLASS = {
    "08": ("the connection to the database failed", False),
    "53": ("the database server is out of resources", False),
    "57": ("the database server stopped the request", False),
    "58": ("the database server has an I/O error", True),
}
# No table or column the schema has: the database was dropped, recreated or restored from
# something else under the running server.
_PG_MISSING = {"42P01", "42703"}  # undefined table, undefined column
_SQLITE_MISSING = ("no such table", "no such column")


def _driver_error(exc: BaseException) -> BaseException | None:
    """The DBAPI error behind `exc` (SQLAlchemy wraps it as `.orig`; a PendingRollbackError
    or a failed cleanup carries the first one as its context)."""
    seen = 0
    while exc is not None and seen < 8:
        orig = getattr(exc, "orig", None)
        if orig is not None:
            exc = orig
        if type(exc).__module__.split(".")[0] in ("sqlite3", "psycopg"):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def _is_a(err: BaseException, *names: str) -> bool:
    """Whether `err` is one of the DBAPI's classes of these names (or a subclass), without
    importing the driver."""
    return any(cls.__name__ in names for cls in type(err).__mro__)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def describe(exc: BaseException) -> DatabaseUnavailable | None:
    """The database fault behind `exc`, or None when it is not one (a bug: let it be a 500)."""
    if isinstance(exc, DatabaseUnavailable):
        return exc
    err = _driver_error(exc)
    if err is None:
        return None
    detail = _first_line(err)
    module = type(err).__module__.split(".")[0]
    if module == "sqlite3":
        name = getattr(err, "sqlite_errorname", "") or ""
        primary = "_".join(name.split("_")[:2])
        if primary in _SQLITE:
            what, lasting = _SQLITE[primary]
            return DatabaseUnavailable(f"{what} ({detail})", lasting)
        if _is_a(err, "OperationalError") and detail.startswith(_SQLITE_MISSING):
            return _missing(detail)
        return None  # SQLITE_ERROR is also a syntax error: a bug
    state = getattr(err, "sqlstate", None)
    if state in _PG_MISSING:
        return _missing(detail)
    found = _PG_STATE.get(state) or (_PG_CLASS.get(state[:2]) if state else None)
    if found:
        return DatabaseUnavailable(f"{found[0]} ({detail})", found[1], lost=state[:2] == "08" or state in _PG_LOST)
    if state is None and _is_a(err, "OperationalError", "InterfaceError"):
        return DatabaseUnavailable(f"the connection to the database failed ({detail})", lost=True)
    return None


def _missing(detail: str) -> DatabaseUnavailable:
    return DatabaseUnavailable(f"the database lacks iamd's schema ({detail}): it was dropped, recreated "
                               f"or replaced under the running server", True)
