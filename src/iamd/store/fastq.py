"""Statements compiled once per dialect and run on the DBAPI cursor: the hot path.

SQLAlchemy Core costs ~80 µs per execution here, the driver ~5 µs; the few queries that
every request makes (credential lookup, GetUser, ListUsers, tags) use `Query` so that a
read costs what the database costs. Statements are ordinary SQLAlchemy Core with named
`bindparam`s; rows come back as named tuples with the selected columns' names.
"""

from collections import namedtuple


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
        entry = (c.string, names, defaults, cols)
        self._compiled[dialect.name] = entry
        return entry

    def _cursor(self, tx, params):
        dialect = tx.conn.dialect
        entry = self._compiled.get(dialect.name) or self._compile(dialect)
        sql, names, defaults, cols = entry
        if defaults:
            params = {**defaults, **params}
        args = tuple(params[n] for n in names) if names is not None else params
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
        """Run the statement once per row (executemany), each row a tuple of the values of
        `columns`, e.g. a batch of inserts."""
        dialect = tx.conn.dialect
        sql, names, defaults, _ = self._compiled.get(dialect.name) or self._compile(dialect)
        if names is None:  # named parameters (psycopg)
            args = [{**defaults, **dict(zip(columns, r))} for r in rows]
        elif tuple(names) == columns and not defaults:
            args = rows
        else:
            args = [tuple({**defaults, **dict(zip(columns, r))}[n] for n in names) for r in rows]
        cur = tx.raw.cursor()
        cur.executemany(sql, args)
        cur.close()

    def run(self, tx, **params) -> int:
        cur, _ = self._cursor(tx, params)
        n = cur.rowcount
        cur.close()
        return n
