"""What the audit trail keeps for the access advisor: each user's and role's latest call to
each action (server/audit.last_used), and how the store keeps it (store/access_advisor)."""

import time

from iamd.auth.principal import root_principal, session_principal, user_principal
from iamd.protocol.model import catalog
from iamd.server.audit import Call, last_used
from iamd.store import access_advisor
from iamd.store.schema.advisor import access_last_used

ACCT = "123456789012"
USER = user_principal(ACCT, "AIDAEXAMPLE", "/team/", "alice")
ROLE_ARN = f"arn:aws:iam::{ACCT}:role/ops/deployer"
SESSION = session_principal({"a": ACCT, "t": "assumed-role", "k": "ASIAEXAMPLE", "ra": ROLE_ARN,
                             "ri": "AROAEXAMPLE", "sn": "s1"})
FEDERATED = session_principal({"a": ACCT, "t": "federated-user", "k": "ASIAFED", "fn": "bob"})


def call(caller, action: str, at: float, region: str = "eu-west-1") -> Call:
    op = catalog().by_name.get(action)
    return Call(at, op, action, op.service if op else "iam", caller, None, region, None, None, None,
                None, None, "rid", ACCT)


def test_the_latest_call_of_each_entity_and_action():
    got = last_used([call(USER, "GetUser", 10), call(USER, "GetUser", 30), call(USER, "GetUser", 20),
                     call(USER, "GetCallerIdentity", 5, "ap-south-1")])
    assert got == {(ACCT, USER.arn, "GetUser"): (30, "us-east-1"),  # IAM is recorded in us-east-1
                   (ACCT, USER.arn, "GetCallerIdentity"): (5, "ap-south-1")}


def test_a_role_session_counts_for_its_role_and_others_for_no_one():
    got = last_used([call(SESSION, "ListRoles", 1), call(root_principal(ACCT), "ListUsers", 2),
                     call(FEDERATED, "GetCallerIdentity", 3), call(None, "GetUser", 4),
                     call(USER, "NoSuchOperation", 5)])
    assert got == {(ACCT, ROLE_ARN, "ListRoles"): (1, "us-east-1")}


def test_the_store_keeps_the_later_call_and_forgets_past_the_tracking_period(store):
    now = time.time()
    key = (ACCT, USER.arn, "GetUser")
    store.run(lambda tx: access_advisor.record_calls(tx, {key: (now, "us-east-1")}))
    store.run(lambda tx: access_advisor.record_calls(tx, {key: (now - 60, "eu-west-1")}))  # older: kept out
    store.run(lambda tx: access_advisor.record_calls(tx, {(ACCT, ROLE_ARN, "ListRoles"): (
        now - access_advisor.TRACKING_PERIOD - 1, "us-east-1")}))
    calls = store.run(lambda tx: access_advisor.latest_calls(tx, ACCT, 0, [USER.arn, ROLE_ARN]), write=False)
    assert sorted(calls) == [(ROLE_ARN, "ListRoles", now - access_advisor.TRACKING_PERIOD - 1, "us-east-1"),
                             (USER.arn, "GetUser", now, "us-east-1")]
    assert store.run(lambda tx: access_advisor.forget_calls(tx, now - access_advisor.TRACKING_PERIOD)) == 1
    rows = store.run(lambda tx: tx.execute(access_last_used.select()).all(), write=False)
    assert [(r.entity_arn, r.action) for r in rows] == [(USER.arn, "GetUser")]
