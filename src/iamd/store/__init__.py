"""Persistence: schema, migrations and repositories, on SQLite or PostgreSQL.

`engine.Store` opens the database and hands out transactions (`Tx`); one API call is one
transaction. Repositories (`users`, `keys`, ...) are small classes over a `Tx` that push
filters, ordering and limits into SQL.
"""
