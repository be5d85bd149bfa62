"""What keeps writes flat as an account grows: per-account entity counts kept by the
database (quota checks read them instead of counting rows), and group commit (one fsync
for many acknowledged writes, which must still survive `kill -9`)."""

import threading

import pytest
from conftest import ENGINES
from helpers import bulk_users, code, db, policy_doc
from sqlalchemy import insert, text

from iamd.store.schema.core import users

TRUST = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
         '{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}')

# kind: (quota, create(iam, name), delete(iam, name, account))
KINDS = {
    "users": ("UsersQuota", lambda iam, n: iam.create_user(UserName=n),
              lambda iam, n, a: iam.delete_user(UserName=n)),
    "groups": ("GroupsQuota", lambda iam, n: iam.create_group(GroupName=n),
               lambda iam, n, a: iam.delete_group(GroupName=n)),
    "roles": ("RolesQuota", lambda iam, n: iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST),
              lambda iam, n, a: iam.delete_role(RoleName=n)),
    "policies": ("PoliciesQuota", lambda iam, n: iam.create_policy(PolicyName=n, PolicyDocument=policy_doc()),
                 lambda iam, n, a: iam.delete_policy(PolicyArn=f"arn:aws:iam::{a}:policy/{n}")),
    "instance profiles": ("InstanceProfilesQuota", lambda iam, n: iam.create_instance_profile(InstanceProfileName=n),
                          lambda iam, n, a: iam.delete_instance_profile(InstanceProfileName=n)),
}


@pytest.fixture(scope="module")
def small_quotas(server, server_factory):
    """A server whose account may hold 3 of each kind (stopped with the module: a session
    that holds many servers starts the next ones slowly)."""
    args = ["--no-access-log"]
    for quota, _, _ in KINDS.values():
        args += ["--quota", f"{quota}=3"]
    srv = server_factory(server.engine, extra_args=args).start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_quota_counts_follow_creates_and_deletes(small_quotas, kind):
    _, create, delete = KINDS[kind]
    iam, account = small_quotas.client("iam"), small_quotas.account_id
    for n in ("a", "b", "c"):
        create(iam, n)
    with pytest.raises(Exception) as e:
        create(iam, "d")
    assert code(e) == "LimitExceeded"
    delete(iam, "b", account)  # a delete gives the place back...
    create(iam, "d")
    with pytest.raises(Exception) as e:  # ...once
        create(iam, "e")
    assert code(e) == "LimitExceeded"
    delete(iam, "d", account)
    with pytest.raises(Exception) as e:  # a create refused for its name counts nothing
        create(iam, "a")
    assert code(e) == "EntityAlreadyExists"
    create(iam, "x")
    with pytest.raises(Exception) as e:
        create(iam, "y")
    assert code(e) == "LimitExceeded"


def _last_user_within_quota(srv, last: str, refused: str) -> None:
    iam = srv.client("iam")
    iam.create_user(UserName=last)
    with pytest.raises(Exception) as e:
        iam.create_user(UserName=refused)
    assert code(e) == "LimitExceeded"


def test_rows_written_straight_to_the_database_are_counted(server, server_factory):
    srv = server_factory(server.engine, extra_args=["--no-access-log", "--quota", "UsersQuota=5"]).start()
    engine = db(srv)
    try:
        with engine.begin() as conn:
            conn.execute(insert(users), bulk_users(srv.account_id, 4, 1.0e9))
    finally:
        engine.dispose()
    _last_user_within_quota(srv, "fifth", "sixth")
    srv.stop()


def test_counts_of_a_database_from_before_the_counts_are_taken_at_upgrade(server, server_factory):
    srv = server_factory(server.engine, extra_args=["--no-access-log", "--quota", "UsersQuota=3"]).start()
    iam = srv.client("iam")
    iam.create_user(UserName="old-1")
    iam.create_user(UserName="old-2")
    srv.stop()
    engine = db(srv)  # back to how a database before m0061 looked: no counts, no triggers
    try:
        with engine.begin() as conn:
            if srv.engine == "postgresql":
                conn.execute(text("DROP FUNCTION iamd_count_entities() CASCADE"))
            else:
                for t in ("users", "groups", "roles", "managed_policies", "instance_profiles"):
                    conn.execute(text(f"DROP TRIGGER {t}_count_insert"))
                    conn.execute(text(f"DROP TRIGGER {t}_count_delete"))
            conn.execute(text("DROP TABLE entity_counts"))
            conn.execute(text("DELETE FROM schema_migrations WHERE version = 61"))
    finally:
        engine.dispose()
    _last_user_within_quota(srv.start(), "new-3", "new-4")
    srv.stop()


@pytest.mark.parametrize("engine", ENGINES)
def test_concurrent_acknowledged_writes_survive_kill_9(server_factory, engine, name):
    """Eight clients writing at once share fsyncs (group commit); every write a client saw
    acknowledged is there after `kill -9`."""
    srv = server_factory(engine, extra_args=["--no-access-log"]).start()
    acknowledged, lock = [], threading.Lock()
    prefix = name("gc")

    def writer(w):
        iam = srv.client("iam")
        for i in range(25):
            n = f"{prefix}-{w}-{i}"
            iam.create_user(UserName=n)
            iam.tag_user(UserName=n, Tags=[{"Key": "w", "Value": str(w)}])
            with lock:
                acknowledged.append(n)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    srv.stop("kill")
    assert srv.proc.returncode == -9
    srv.start()
    iam = srv.client("iam")
    stored = {u["UserName"] for page in iam.get_paginator("list_users").paginate() for u in page["Users"]}
    assert set(acknowledged) <= stored and len(acknowledged) == 200
    n = acknowledged[-1]
    assert iam.list_user_tags(UserName=n)["Tags"] == [{"Key": "w", "Value": n.split("-")[-2]}]
    srv.stop()
