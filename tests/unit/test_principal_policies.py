"""store/principal_policies.py over a SQLite store: what a user's policy set is made of,
and when the per-worker cache drops it (the account's policy generation)."""

import json

import pytest
from sqlalchemy import insert

from iamd.store.engine import Store
from iamd.store.principal_policies import RECHECK, PolicyCache, bump, load
from iamd.store.schema.core import accounts, tags, users
from iamd.store.schema.entities import group_members, groups
from iamd.store.schema.policies import inline_policies, managed_policies, policy_attachments, policy_versions

ACCOUNT = "123456789012"


def doc(action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})


@pytest.fixture
def store(tmp_path):
    s = Store(None, tmp_path)
    s.migrate()
    with s.transaction() as tx:
        tx.execute(insert(accounts).values(account_id=ACCOUNT, created_at=0.0))
        tx.execute(insert(users).values(user_id="AIDAUSER", account_id=ACCOUNT, name="alice", name_lower="alice",
                                        path="/", created_at=0.0,
                                        permissions_boundary=f"arn:aws:iam::{ACCOUNT}:policy/bound"))
        tx.execute(insert(groups).values(group_id="AGPAGROUP", account_id=ACCOUNT, name="g", name_lower="g",
                                         path="/", created_at=0.0))
        tx.execute(insert(group_members).values(group_id="AGPAGROUP", user_id="AIDAUSER", added_at=0.0))
        for pid, account, name in (("ANPAMINE", ACCOUNT, "mine"), ("ANPAAWS", None, "AwsOne"),
                                   ("ANPABOUND", ACCOUNT, "bound")):
            path_arn = f"arn:aws:iam::{account or 'aws'}:policy/{name}"
            tx.execute(insert(managed_policies).values(policy_id=pid, account_id=account, arn=path_arn, name=name,
                                                       name_lower=name.lower(), path="/", default_version="v2",
                                                       next_version=3, created_at=0.0, updated_at=0.0))
            for v in ("v1", "v2"):
                tx.execute(insert(policy_versions).values(policy_id=pid, version_id=v, created_at=0.0,
                                                          document=doc(f"iam:{name}{v}")))
        tx.execute(insert(policy_attachments).values(policy_id="ANPAMINE", entity_type="user", entity_id="AIDAUSER",
                                                     account_id=ACCOUNT, attached_at=0.0))
        tx.execute(insert(policy_attachments).values(policy_id="ANPAAWS", entity_type="group", entity_id="AGPAGROUP",
                                                     account_id=ACCOUNT, attached_at=0.0))
        for etype, eid, name in (("user", "AIDAUSER", "own"), ("group", "AGPAGROUP", "team")):
            tx.execute(insert(inline_policies).values(entity_type=etype, entity_id=eid, name=name, account_id=ACCOUNT,
                                                      document=doc(f"iam:{name}"), created_at=0.0))
        tx.execute(insert(tags).values(resource_type="user", resource_id="AIDAUSER", key_norm="team", key="Team",
                                       value="blue", account_id=ACCOUNT))
    yield s
    s.dispose()


def test_a_users_policies_come_in_one_load(store):
    with store.transaction(write=False) as tx:
        p = load(tx, "user", "AIDAUSER")
    assert [(s.id, s.type) for s in p.identity] == [
        ("own", "user"), ("team", "group"), ("AwsOne", "aws-managed"), ("mine", "user-managed")]
    assert all("v2" in s.document for s in p.identity if s.type.endswith("managed"))  # default versions
    assert (p.boundary.id, p.boundary.type, p.boundary_arn) == ("bound", "user-managed",
                                                                f"arn:aws:iam::{ACCOUNT}:policy/bound")
    assert p.tags == (("Team", "blue"),)


def test_the_cache_holds_until_the_generation_moves(store):
    built = []
    cache = PolicyCache(lambda p: built.append(p) or len(built))
    with store.transaction(write=False) as tx:
        assert cache.get(tx, ACCOUNT, "user", "AIDAUSER", 100.0) == 1
        assert cache.get(tx, ACCOUNT, "user", "AIDAUSER", 100.1) == 1
    with store.transaction() as tx:  # another worker's change: no local clear
        bump(tx, ACCOUNT)
    with store.transaction(write=False) as tx:
        assert cache.get(tx, ACCOUNT, "user", "AIDAUSER", 100.0 + RECHECK / 2) == 1  # not rechecked yet
        assert cache.get(tx, ACCOUNT, "user", "AIDAUSER", 100.0 + RECHECK) == 2  # rechecked: rebuilt
    with store.transaction() as tx:  # this worker's own change: dropped at commit
        bump(tx, ACCOUNT, cache)
    with store.transaction(write=False) as tx:
        assert cache.get(tx, ACCOUNT, "user", "AIDAUSER", 100.0 + RECHECK) == 3


def test_a_rolled_back_change_keeps_the_cache(store):
    cache = PolicyCache(lambda p: object())
    with store.transaction(write=False) as tx:
        first = cache.get(tx, ACCOUNT, "user", "AIDAUSER", 0.0)
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            bump(tx, ACCOUNT, cache)
            raise RuntimeError("the handler failed")
    with store.transaction(write=False) as tx:
        assert cache.get(tx, ACCOUNT, "user", "AIDAUSER", RECHECK * 3) is first
