"""The audit trail's rows: written in batches (or inside a write's own transaction), read
back by `iamd audit`, claimed for delivery, and purged after the retention period."""

from sqlalchemy import bindparam, delete, insert, select, update

from .fastq import Query
from .schema.audit import audit_events as ae

COLUMNS = ("event_id", "account_id", "event_time", "event_name", "principal_arn", "user_name",
           "error_code", "read_only", "delivered", "record")
_INSERT = Query(insert(ae).values({c: bindparam(c) for c in COLUMNS}))


def add(tx, rows: list[tuple]) -> None:
    """Insert rows (tuples of COLUMNS' values) in the caller's transaction."""
    if rows:
        _INSERT.many(tx, COLUMNS, rows)


def find(tx, *, since: float | None = None, until: float | None = None, user: str | None = None,
         event_name: str | None = None, error_code: str | None = None, read_only: bool | None = None,
         after_seq: int | None = None, limit: int | None = None, newest_first: bool = False) -> list:
    """Rows matching the filters; `user` matches a user name or a principal ARN; an
    `error_code` of "*" matches every failed call."""
    q = select(ae.c.seq, ae.c.event_time, ae.c.record)
    if since is not None:
        q = q.where(ae.c.event_time >= since)
    if until is not None:
        q = q.where(ae.c.event_time < until)
    if user is not None:
        q = q.where((ae.c.principal_arn == user) | (ae.c.user_name == user))
    if event_name is not None:
        q = q.where(ae.c.event_name == event_name)
    if error_code == "*":
        q = q.where(ae.c.error_code.is_not(None))
    elif error_code is not None:
        q = q.where(ae.c.error_code == error_code)
    if read_only is not None:
        q = q.where(ae.c.read_only == read_only)
    if after_seq is not None:
        q = q.where(ae.c.seq > after_seq)
    order = (ae.c.seq,) if after_seq is not None else (ae.c.event_time, ae.c.seq)
    q = q.order_by(*(c.desc() for c in order) if newest_first else order)
    if limit is not None:
        q = q.limit(limit)
    return tx.execute(q).all()


def claim_undelivered(tx, limit: int) -> list:
    """The oldest undelivered rows, locked against other workers' delivery (PostgreSQL;
    SQLite's write transactions run one at a time)."""
    q = select(ae.c.seq, ae.c.account_id, ae.c.record).where(ae.c.delivered.is_(False)) \
        .order_by(ae.c.seq).limit(limit)
    if tx.dialect == "postgresql":
        q = q.with_for_update(skip_locked=True)
    return tx.execute(q).all()


def mark_delivered(tx, seqs: list[int]) -> None:
    for i in range(0, len(seqs), 500):
        tx.execute(update(ae).where(ae.c.seq.in_(seqs[i:i + 500])).values(delivered=True))


def purge(tx, before: float, delivered_only: bool) -> int:
    """Delete records older than `before` (only delivered ones when a directory awaits them)."""
    stmt = delete(ae).where(ae.c.event_time < before)
    if delivered_only:
        stmt = stmt.where(ae.c.delivered.is_(True))
    return tx.execute(stmt).rowcount
