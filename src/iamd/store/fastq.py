"""Statements compiled once per dialect and run on the DBAPI cursor: the hot path.

SQLAlchemy Core costs ~80 µs per execution here, the driver ~5 µs; the few queries that
every request makes (credential lookup, GetUser, ListUsers, tags) use `Query` so that a
read costs what the database costs. Statements are ordinary SQLAlchemy Core with named
`bindparam`s; rows come back as named tuples with the selected columns' names (and values
as the driver gives them: SQLite's booleans are 0 and 1). An IN-list is an expanding
bindparam (`col.in_(bindparam("ids", expanding=True))`) given a non-empty list.
"""

import re
import sqlite3
from collections import namedtuple

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as _upsert_insert


_PLACEHOLDER = {"qmark": lambda name, i: "?", "format": lambda name, i: "%s",
                "pyformat": lambda name, i: f"%({name}_{i})s", "named": lambda name, i: f":{name}_{i}"}


class Query:
    __slots__ = ("stmt", "_compiled")

    def __init__(self, stmt):
        self.stmt = stmt
        self._compiled: dict = {}

    def _compile(self, dialect):
        c = self.stmt.compile(dialect=dialect)
        names = c.positiontup  # bind names in order for positional paramstyles, else None
        defaults = {k: v for k, v in c.params.items() if v is not None}
        cols = None
        if self.stmt.is_select:
            cols = namedtuple("Row", [col.key for col in self.stmt.selected_columns], rename=True)
        expanding = tuple(name for b, name in c.bind_names.items() if b.expanding)
        if expanding and dialect.paramstyle not in _PLACEHOLDER:
            raise NotImplementedError(f"IN-lists with paramstyle {dialect.paramstyle}")
        entry = (c.string, names, defaults, cols, expanding)
        self._compiled[dialect.name] = entry
        return entry

    def _cursor(self, tx, params):
        dialect = tx.conn.dialect
        entry = self._compiled.get(dialect.name) or self._compile(dialect)
        sql, names, defaults, cols, expanding = entry
        if defaults:
            params = {**defaults, **params}
        if expanding:
            sql, params = _expand(sql, params, expanding, dialect.paramstyle)
        if names is None:
            args = params
        elif expanding:
            args = []
            for n in names:
                if n in expanding:
                    args.extend(params[n])
                else:
                    args.append(params[n])
        else:
            args = tuple(params[n] for n in names)
        cur = tx.raw.cursor()
        cur.execute(sql, args)
        return cur, cols

    def one(self, tx, **params):
        cur, cols = self._cursor(tx, params)
        row = cur.fetchone()
        cur.close()
        return cols._make(row) if row is not None else None

    def all(self, tx, **params):
        cur, cols = self._cursor(tx, params)
        rows = cur.fetchall()
        cur.close()
        return [cols._make(r) for r in rows]

    def scalar(self, tx, **params):
        cur, _ = self._cursor(tx, params)
        row = cur.fetchone()
        cur.close()
        return row[0] if row is not None else None

    def many(self, tx, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Run the statement for every row, each a tuple of the values of `columns` (a batch
        of inserts): on SQLite as multi-row INSERTs (`_rows_at_once`), elsewhere with
        executemany."""
        dialect = tx.conn.dialect
        sql, names, defaults, _, _ = self._compiled.get(dialect.name) or self._compile(dialect)
        if names is None:  # named parameters (psycopg)
            args = [{**defaults, **dict(zip(columns, r))} for r in rows]
        elif tuple(names) == columns and not defaults:
            args = rows
        else:
            args = [tuple({**defaults, **dict(zip(columns, r))}[n] for n in names) for r in rows]
        cur = tx.raw.cursor()
        if dialect.paramstyle == "qmark" and len(args) > 1 and _VALUES.search(sql):
            _rows_at_once(cur, sql, args)
        else:
            cur.executemany(sql, args)
        cur.close()

    def run(self, tx, **params) -> int:
        cur, _ = self._cursor(tx, params)
        n = cur.rowcount
        cur.close()
        return n


# The VALUES group of a one-row INSERT (upserts included) in SQLite's qmark style.
_VALUES = re.compile(r"VALUES \((\?(?:, \?)*)\)")
# Bound parameters one SQLite statement may hold (SQLITE_MAX_VARIABLE_NUMBER's default).
_SQLITE_VARIABLES = 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999
_MULTI: dict[tuple, str] = {}  # (statement, rows) -> its multi-row text


def _rows_at_once(cur, sql: str, rows: list[tuple]) -> None:
    """Insert `rows` with a few multi-row statements (chunks of a power of two rows, so that
    the driver's statement cache holds their texts) instead of one step per row: the
    driver lets go of the GIL at every step, and with the pipeline's threads waiting for
    it each step became a switch of threads; a batch of the audit trail cost twice its
    CPU time so."""
    width = len(rows[0])
    most = 1 << (min(256, _SQLITE_VARIABLES // width).bit_length() - 1)
    i = 0
    while i < len(rows):
        n = 1 << (min(most, len(rows) - i).bit_length() - 1)
        text = _MULTI.get((sql, n))
        if text is None:
            m = _VALUES.search(sql)
            text = _MULTI[(sql, n)] = f"{sql[:m.start()]}VALUES {', '.join([f'({m.group(1)})'] * n)}{sql[m.end():]}"
        cur.execute(text, [v for r in rows[i:i + n] for v in r])
        i += n


_EXPANDED: dict[tuple, str] = {}  # (statement, paramstyle, IN-list lengths) -> its text


def _expand(sql: str, params: dict, expanding: tuple, paramstyle: str) -> tuple[str, dict]:
    """Write each IN-list's placeholders into the statement (SQLAlchemy leaves a token).
    The text depends only on the lists' lengths: a page's worth of ids is expanded once."""
    key = (sql, paramstyle, *(len(params[name]) for name in expanding))
    text = _EXPANDED.get(key)
    if text is None:
        mark = _PLACEHOLDER[paramstyle]
        text = sql
        for name in expanding:
            marks = ", ".join(mark(name, i) for i in range(len(params[name])))
            text = text.replace(f"__[POSTCOMPILE_{name}]", marks)
        if len(_EXPANDED) >= 4096:
            _EXPANDED.clear()
        _EXPANDED[key] = text
    if paramstyle in ("pyformat", "named"):
        params = dict(params)
        for name in expanding:
            params.update({f"{name}_{i}": v for i, v in enumerate(params[name])})
    return text, params


def insert_new(table, columns: str) -> Query:
    """INSERT of the named columns (bindparams of the same names) that does nothing when a
    unique key is taken: `run()` answers 1 for a new row, 0 for a taken name. Cheaper than
    a savepoint around an insert that may fail, on both engines (the clause compiles for
    SQLite as for PostgreSQL)."""
    return Query(_upsert_insert(table).values({c: bindparam(c) for c in columns.split()})
                 .on_conflict_do_nothing())
