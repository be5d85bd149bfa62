"""A run of like reads kept in one row (store/audit.py `add_run`) reads back as one record
per call, wherever records are read: by time window, newest first with a limit, after a
row, claimed for delivery; and is purged only once its last record is old enough."""

import json
import re

from iamd.protocol import cloudtrail
from iamd.store import audit as audit_rows

ACCT = "123456789012"
ARN = f"arn:aws:iam::{ACCT}:user/poller"
PARTS = cloudtrail.template(service="iam", event_name="GetUser", read_only=True,
                            identity=json.dumps({"type": "IAMUser", "arn": ARN}), region="us-east-1",
                            source_ip="127.0.0.1", user_agent="poller/1.0", request='{"userName":"x"}',
                            response="null", error=None, recipient=ACCT, from_console=False)


def _single(t: float, rid: str, delivered: bool = True) -> tuple:
    eid = cloudtrail.event_id()
    text = f"{PARTS[0]}{cloudtrail.event_time(t)}{PARTS[1]}{rid}{PARTS[2]}{eid}{PARTS[3]}"
    return (eid, ACCT, t, "GetUser", ARN, "poller", None, True, delivered, text)


def _fill(store, delivered: bool = True):
    """Singles at 100, 101 and 106; a run of five at 102.0..102.8 (rids r0..r4)."""
    run = [(round(102.0 + i * 0.2, 1), f"r{i}") for i in range(5)]
    store.run(lambda tx: audit_rows.add(tx, [_single(100.0, "s100", delivered), _single(101.0, "s101", delivered)]))
    store.run(lambda tx: audit_rows.add_run(tx, (ACCT, "GetUser", ARN, "poller", True), PARTS,
                                            cloudtrail.event_id_seed(), run, delivered))
    store.run(lambda tx: audit_rows.add(tx, [_single(106.0, "s106", delivered)]))


def _rids(found) -> list[str]:
    return [json.loads(r.record)["requestID"] for r in found]


def test_a_run_reads_back_as_one_record_per_call(store):
    _fill(store)
    found = store.run(lambda tx: audit_rows.find(tx), write=False)
    assert _rids(found) == ["s100", "s101", "r0", "r1", "r2", "r3", "r4", "s106"]
    recs = [json.loads(r.record) for r in found]
    assert len({r["eventID"] for r in recs}) == 8
    for r, rec in zip(found, recs):
        assert rec["eventTime"] == cloudtrail.event_time(r.event_time)
        assert rec["userIdentity"]["arn"] == ARN and rec["eventName"] == "GetUser"
    assert [r.event_time for r in found[2:7]] == [102.0, 102.2, 102.4, 102.6, 102.8]
    # the row's own record column is its first call's record, event id included
    row = store.run(lambda tx: tx.execute(audit_rows.ae.select().where(audit_rows.ae.c.repeats.is_not(None)))
                    .one(), write=False)
    assert json.loads(row.record) == recs[2] and row.event_id == recs[2]["eventID"] and row.last_time == 102.8


def test_the_same_records_every_time_they_are_read(store):
    _fill(store)
    first = store.run(lambda tx: audit_rows.find(tx), write=False)
    again = store.run(lambda tx: audit_rows.find(tx, after_seq=0), write=False)
    assert [r.record for r in first] == [r.record for r in again]


def test_a_time_window_cuts_through_a_run(store):
    _fill(store)
    found = store.run(lambda tx: audit_rows.find(tx, since=102.2, until=102.8), write=False)
    assert _rids(found) == ["r1", "r2", "r3"]
    found = store.run(lambda tx: audit_rows.find(tx, since=102.5), write=False)
    assert _rids(found) == ["r3", "r4", "s106"]


def test_newest_first_with_a_limit_counts_records_not_rows(store):
    _fill(store)
    for limit, want in [(1, ["s106"]), (2, ["s106", "r4"]), (4, ["s106", "r4", "r3", "r2"]),
                        (7, ["s106", "r4", "r3", "r2", "r1", "r0", "s101"])]:
        found = store.run(lambda tx: audit_rows.find(tx, limit=limit, newest_first=True), write=False)
        assert _rids(found) == want, limit
    found = store.run(lambda tx: audit_rows.find(tx, limit=3), write=False)
    assert _rids(found) == ["s100", "s101", "r0"]


def test_a_limit_with_many_rows_reads_past_the_first_page(store):
    # 600 rows within 0.6 s, and a run that began before them all and ended after them
    singles = [_single(1000.0 + i / 1000, f"x{i}") for i in range(600)]
    store.run(lambda tx: audit_rows.add(tx, singles))
    store.run(lambda tx: audit_rows.add_run(tx, (ACCT, "GetUser", ARN, "poller", True), PARTS,
                                            cloudtrail.event_id_seed(), [(999.9, "early"), (1000.7, "late")], True))
    found = store.run(lambda tx: audit_rows.find(tx, limit=2, newest_first=True), write=False)
    assert _rids(found) == ["late", "x599"]
    found = store.run(lambda tx: audit_rows.find(tx, limit=300), write=False)
    assert _rids(found)[:2] == ["early", "x0"] and len(found) == 300


def test_delivery_claims_every_record_of_a_run(store):
    _fill(store, delivered=False)
    claimed = store.run(lambda tx: audit_rows.claim_undelivered(tx, 100))
    assert [json.loads(c.record)["requestID"] for c in claimed] == ["s100", "s101", "r0", "r1", "r2", "r3", "r4",
                                                                     "s106"]
    store.run(lambda tx: audit_rows.mark_delivered(tx, sorted({c.seq for c in claimed})))
    assert store.run(lambda tx: audit_rows.claim_undelivered(tx, 100)) == []


def test_a_run_is_purged_once_its_last_record_is_old(store):
    _fill(store)
    store.run(lambda tx: audit_rows.purge(tx, 102.5, delivered_only=False))
    assert _rids(store.run(lambda tx: audit_rows.find(tx), write=False)) == ["r0", "r1", "r2", "r3", "r4", "s106"]
    store.run(lambda tx: audit_rows.purge(tx, 102.9, delivered_only=False))
    assert _rids(store.run(lambda tx: audit_rows.find(tx), write=False)) == ["s106"]


def test_event_ids_of_a_run_are_distinct_version_4_uuids():
    seed = (1 << 128) - 3  # counting wraps around
    ids = [cloudtrail.event_id_from(seed, i) for i in range(10)]
    assert len(set(ids)) == 10
    for eid in ids:
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", eid)


def test_newest_first_finds_a_run_that_began_before_later_rows(store):
    """Rows are read by their first record's time; a run's later records may be newer than
    rows that began after it (within RUN_SPAN)."""
    store.run(lambda tx: audit_rows.add_run(tx, (ACCT, "GetUser", ARN, "poller", True), PARTS,
                                            cloudtrail.event_id_seed(), [(500.0, "a0"), (500.9, "a1")], True))
    store.run(lambda tx: audit_rows.add(tx, [_single(500.5, "mid")]))
    found = store.run(lambda tx: audit_rows.find(tx, limit=1, newest_first=True), write=False)
    assert _rids(found) == ["a1"]
    found = store.run(lambda tx: audit_rows.find(tx, since=500.6), write=False)
    assert _rids(found) == ["a1"]


def test_the_writer_splits_a_run_longer_than_run_span():
    from iamd.server.audit import AuditTrail, Like
    trail = AuditTrail(None, None, 90)
    like = Like((ACCT, "GetUser", ARN, "poller", True), PARTS, None)
    batch = [(like, 10.0 + i * 0.3, f"r{i}") for i in range(8)]  # 2.1 s of calls
    runs = trail._runs(batch)
    assert [len(items) for _, items in runs] == [4, 4]
    assert all(items[-1][0] - items[0][0] <= audit_rows.RUN_SPAN for _, items in runs)
