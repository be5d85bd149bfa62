"""Batches of rows (`fastq.Query.many`): on SQLite they go in as multi-row INSERTs of a
power of two rows each; every row arrives once, in order, upserts included."""

import pytest

from iamd.store import access_advisor
from iamd.store import audit as audit_rows
from iamd.store.fastq import _MULTI
from iamd.store.schema.advisor import access_last_used
from iamd.store.schema.audit import audit_events

ACCT = "123456789012"


def _audit_row(i: int) -> tuple:
    return (f"eid-{i}", ACCT, float(i), "GetUser", f"arn:aws:iam::{ACCT}:user/u{i}", f"u{i}",
            None if i % 3 else "AccessDenied", bool(i % 2), True, f'{{"n": {i}}}')


@pytest.mark.parametrize("n", [1, 2, 3, 255, 256, 257, 1000])
def test_every_row_of_a_batch_goes_in_once_and_in_order(store, n):
    rows = [_audit_row(i) for i in range(n)]
    store.run(lambda tx: audit_rows.add(tx, rows))
    got = store.run(lambda tx: tx.execute(audit_events.select().order_by(audit_events.c.seq)).all(), write=False)
    assert [(r.event_id, r.event_time, r.user_name, r.error_code, bool(r.read_only), r.record) for r in got] == \
        [(r[0], r[2], r[5], r[6], r[7], r[9]) for r in rows]


def test_chunks_are_powers_of_two_so_their_texts_are_few(store):
    _MULTI.clear()
    store.run(lambda tx: audit_rows.add(tx, [_audit_row(i) for i in range(1000)]))
    assert sorted(n for _, n in _MULTI) == [8, 32, 64, 128, 256]  # 1000 = 3*256 + 128 + 64 + 32 + 8


def test_a_batch_of_upserts_updates_the_rows_it_finds(store):
    calls = {(ACCT, f"arn:aws:iam::{ACCT}:user/u{i}", "GetUser"): (100.0 + i, "us-east-1") for i in range(300)}
    store.run(lambda tx: access_advisor.record_calls(tx, calls))
    newer = {k: (v[0] + (1 if i % 2 else -1), "eu-west-1") for i, (k, v) in enumerate(calls.items())}
    store.run(lambda tx: access_advisor.record_calls(tx, newer))  # the odd ones are later: they win
    rows = store.run(lambda tx: tx.execute(access_last_used.select()).all(), write=False)
    got = {(r.account_id, r.entity_arn, r.action): (r.last_at, r.region) for r in rows}
    assert got == {k: newer[k] if i % 2 else calls[k] for i, k in enumerate(calls)}
