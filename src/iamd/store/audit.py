"""The audit trail's rows: written in batches (or inside a write's own transaction), read
back by `iamd audit`, claimed for delivery, and purged after the retention period.

A row holds one record, or a run of like reads: calls of one caller reading the same thing
with the same parameters, from the same address and client, whose records differ only in
their eventTime, requestID and eventID (a client polling GetUser). Such a run is one row
(`add_run`): `record` is its first call's record, as for any row, and `repeats` holds what
makes every call's record (the record's template, each call's time and request id, and
the random seed its event ids are counted from); `last_time` is its last call's time. An
insert per read cost the trail more than the read itself; a run costs one. Every reader
here (`find`, `claim_undelivered`) gives each call's record, as if each had a row.
"""

import json
from collections import namedtuple

from sqlalchemy import bindparam, delete, func, insert, select, update

from ..protocol.cloudtrail import event_id_from, filled
from .fastq import Query
from .schema.audit import audit_events as ae

COLUMNS = ("event_id", "account_id", "event_time", "event_name", "principal_arn", "user_name",
           "error_code", "read_only", "delivered", "record")
_INSERT = Query(insert(ae).values({c: bindparam(c) for c in COLUMNS}))
RUN_COLUMNS = (*COLUMNS, "last_time", "repeats")
_INSERT_RUN = Query(insert(ae).values({c: bindparam(c) for c in RUN_COLUMNS}))

# A run spans at most this many seconds from its first record to its last (the writer
# starts another past it; a batch normally spans FLUSH_EVERY), so that reads by time go by
# the index on event_time and look at most this much further.
RUN_SPAN = 1.0
# One call's record as the readers give it; `sub`: its place in its row's run (0 for a row of one).
Record = namedtuple("Record", "seq sub event_time record")
Claimed = namedtuple("Claimed", "seq account_id record")


def add(tx, rows: list[tuple]) -> None:
    """Insert rows (tuples of COLUMNS' values) in the caller's transaction."""
    if rows:
        _INSERT.many(tx, COLUMNS, rows)


def add_run(tx, columns: tuple, parts: tuple, seed: int, calls: list, delivered: bool) -> None:
    """Insert a run of like reads as one row: `columns` (account id, event name, principal
    ARN, user name, read-only) are every call's, each call's record is the template `parts`
    (protocol.cloudtrail.template) joined around its event time, request id and event id
    (the `i`th counted from `seed`: cloudtrail.event_id_from); `calls`: (time, request id)
    of each, in order, within RUN_SPAN seconds of the first."""
    account, name, arn, user, ro = columns
    (first, rid), eid = calls[0], event_id_from(seed, 0)
    repeats = json.dumps({"p": parts, "s": f"{seed:x}", "c": calls}, separators=(",", ":"))
    _INSERT_RUN.run(tx, event_id=eid, account_id=account, event_time=first, event_name=name, principal_arn=arn,
                    user_name=user, error_code=None, read_only=ro, delivered=delivered,
                    record=filled(parts, first, rid, eid), last_time=calls[-1][0],
                    repeats=repeats)


def _records(seq: int, at: float, record: str, repeats: str | None) -> list:
    """The records a row holds: its own, or each of its run's."""
    if repeats is None:
        return [Record(seq, 0, at, record)]
    run = json.loads(repeats)
    parts, seed = run["p"], int(run["s"], 16)
    return [Record(seq, i, t, filled(parts, t, rid, event_id_from(seed, i))) for i, (t, rid) in enumerate(run["c"])]


_NEWEST = func.coalesce(ae.c.last_time, ae.c.event_time)  # the time of a row's last record


def find(tx, *, since: float | None = None, until: float | None = None, user: str | None = None,
         event_name: str | None = None, error_code: str | None = None, read_only: bool | None = None,
         after_seq: int | None = None, limit: int | None = None, newest_first: bool = False) -> list:
    """Records (`Record`) matching the filters, by time (or by row with `after_seq`), the
    newest `limit` of them with `newest_first`, else the oldest; `user` matches a user name
    or a principal ARN; an `error_code` of "*" matches every failed call."""
    q = select(ae.c.seq, ae.c.event_time, ae.c.record, ae.c.repeats)
    if since is not None:  # a run that began up to RUN_SPAN earlier may reach into the window
        q = q.where(ae.c.event_time >= since - RUN_SPAN, _NEWEST >= since)
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
        order, key = (ae.c.seq,), (lambda r: (r.seq, r.sub))
    else:  # a row's records go from its event_time to its last_time, within RUN_SPAN
        order, key = (ae.c.event_time, ae.c.seq), (lambda r: (r.event_time, r.seq, r.sub))
    q = q.order_by(*(c.desc() for c in order) if newest_first else order).add_columns(order[0].label("bound"))

    def wanted(r) -> bool:
        return (since is None or r.event_time >= since) and (until is None or r.event_time < until)

    found: list = []
    page = None if limit is None else max(limit, 256)
    offset = 0
    while True:
        rows = tx.execute(q if page is None else q.limit(page).offset(offset)).all()
        for row in rows:
            found += [r for r in _records(row.seq, row.event_time, row.record, row.repeats) if wanted(r)]
        if page is None or len(rows) < page:
            break
        offset += page
        if after_seq is not None:  # by row: the rows not read yet come after every record found
            enough = len(found) >= limit
        else:  # rows not read yet hold no record older than the bound (oldest first), or newer
            # than RUN_SPAN past it (newest first): `limit` records on its near side are the ones
            bound = rows[-1].bound
            enough = sum(1 for r in found if (r.event_time >= bound + RUN_SPAN if newest_first
                                              else r.event_time <= bound)) >= limit
        if enough:
            break
    found.sort(key=key, reverse=newest_first)
    return found if limit is None else found[:limit]


def claim_undelivered(tx, limit: int) -> list:
    """The records of the oldest undelivered rows (`Claimed`, a row's run each with its
    row's seq), locked against other workers' delivery (PostgreSQL; SQLite's write
    transactions run one at a time)."""
    q = select(ae.c.seq, ae.c.account_id, ae.c.event_time, ae.c.record, ae.c.repeats) \
        .where(ae.c.delivered.is_(False)).order_by(ae.c.seq).limit(limit)
    if tx.dialect == "postgresql":
        q = q.with_for_update(skip_locked=True)
    return [Claimed(row.seq, row.account_id, r.record) for row in tx.execute(q).all()
            for r in _records(row.seq, row.event_time, row.record, row.repeats)]


def mark_delivered(tx, seqs: list[int]) -> None:
    for i in range(0, len(seqs), 500):
        tx.execute(update(ae).where(ae.c.seq.in_(seqs[i:i + 500])).values(delivered=True))


def purge(tx, before: float, delivered_only: bool) -> int:
    """Delete records older than `before` (only delivered ones when a directory awaits them;
    a run once its last record is)."""
    stmt = delete(ae).where(ae.c.event_time < before, _NEWEST < before)
    if delivered_only:
        stmt = stmt.where(ae.c.delivered.is_(True))
    return tx.execute(stmt).rowcount
