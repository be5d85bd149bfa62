"""Concurrency across worker processes and across servers sharing one PostgreSQL database:
name uniqueness under races, the access-key quota under races, and how fast a deleted or
deactivated key, or a policy change, reaches every worker and every server."""

import base64
import json
import os
import threading
import time

import httpx
import pytest
from botocore.exceptions import ClientError
from conftest import ENGINES, pg_drop_database

THREADS = 4
NAMES = 12


@pytest.fixture(scope="module", params=ENGINES)
def workers2(request, server_factory):
    """A server with two worker processes and the access log on (to tell the workers apart)."""
    return server_factory(request.param, extra_args=["--workers", "2"]).start()


def race(calls) -> list:
    """Run the callables at once (a barrier releases them together); results or exceptions."""
    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(i, fn):
        barrier.wait()
        try:
            out[i] = fn()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            out[i] = exc
    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def create_all(client, names) -> list:
    """Try to create every name in order; per name, 'ok' or the error code."""
    out = []
    for n in names:
        try:
            client.create_user(UserName=n)
            out.append("ok")
        except ClientError as exc:
            out.append(exc.response["Error"]["Code"])
    return out


def assert_one_winner_per_name(results: list, names: list) -> None:
    assert not [r for r in results if isinstance(r, Exception)], results
    for i, n in enumerate(names):
        outcomes = sorted(r[i] for r in results)
        assert outcomes == ["EntityAlreadyExists"] * (len(results) - 1) + ["ok"], (n, outcomes)


def test_racing_create_user_has_one_winner_per_name(workers2, name):
    names = [name("race") for _ in range(NAMES)]
    clients = [workers2.client("iam") for _ in range(THREADS)]
    results = race([lambda c=c: create_all(c, names) for c in clients])
    assert_one_winner_per_name(results, names)
    listed = {u["UserName"] for p in clients[0].get_paginator("list_users").paginate() for u in p["Users"]}
    assert set(names) <= listed


def test_racing_create_access_key_never_exceeds_the_quota(workers2, name):
    iam = workers2.client("iam")
    n = name("quota")
    iam.create_user(UserName=n)
    clients = [workers2.client("iam") for _ in range(6)]

    def make(c):
        try:
            return c.create_access_key(UserName=n)["AccessKey"]["AccessKeyId"]
        except ClientError as exc:
            return exc.response["Error"]["Code"]
    results = race([lambda c=c: make(c) for c in clients])
    made = [r for r in results if isinstance(r, str) and r.startswith("AKIA")]
    assert len(made) == 2 and sorted(set(results) - set(made)) == ["LimitExceeded"], results
    listed = iam.list_access_keys(UserName=n)["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted(made)


CALLER_IDENTITY = b"Action=GetCallerIdentity&Version=2011-06-15"
LIST_ROLES = b"Action=ListRoles&Version=2010-05-08&MaxItems=1"


def _call(server, key: str, secret: str, body: bytes = CALLER_IDENTITY) -> httpx.Response:
    """One call on a connection of its own, so the kernel may hand it to any worker."""
    url, headers, body = server.sign(body, key=key, secret=secret, headers={"Connection": "close"})
    return httpx.post(url, headers=headers, content=body, timeout=10)


def _pids(server, rids: set) -> set:
    pids = set()
    for line in server.log_path.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry["rid"] in rids:
                pids.add(entry["pid"])
    return pids


def _warm_every_worker(server, key: str, secret: str, body: bytes = CALLER_IDENTITY, status: int = 200) -> None:
    """Use the key until both workers have served it (and so cached it and its policies)."""
    rids = set()
    for _ in range(200):
        resp = _call(server, key, secret, body)
        assert resp.status_code == status, resp.text
        rids.add(resp.headers["x-amzn-requestid"])
        if len(rids) >= 10 and len(_pids(server, rids)) == 2:
            return
    raise AssertionError(f"requests never reached both workers: {_pids(server, rids)}")


def _refused_everywhere_within_a_second(server, key: str, secret: str) -> None:
    time.sleep(1.0)
    rids = set()
    for _ in range(200):
        resp = _call(server, key, secret)
        assert resp.status_code == 403 and b"<Code>InvalidClientTokenId</Code>" in resp.content, resp.text
        rids.add(resp.headers["x-amzn-requestid"])
        if len(rids) >= 10 and len(_pids(server, rids)) == 2:
            return
    raise AssertionError("the refusals never came from both workers")


@pytest.mark.parametrize("how", ["delete", "deactivate"])
def test_revoked_key_is_refused_by_every_worker_within_a_second(workers2, name, how):
    iam = workers2.client("iam")
    n = name("revoke")
    iam.create_user(UserName=n)
    k = iam.create_access_key(UserName=n)["AccessKey"]
    key, secret = k["AccessKeyId"], k["SecretAccessKey"]
    _warm_every_worker(workers2, key, secret)
    if how == "delete":
        iam.delete_access_key(UserName=n, AccessKeyId=key)
    else:
        iam.update_access_key(UserName=n, AccessKeyId=key, Status="Inactive")
    _refused_everywhere_within_a_second(workers2, key, secret)


@pytest.mark.skipif("postgresql" not in ENGINES, reason="needs PostgreSQL")
def test_two_servers_on_one_postgresql_database(server_factory, name):
    master = base64.b64encode(os.urandom(32)).decode()
    first = server_factory("postgresql", extra_args=["--no-access-log"], env={"IAMD_MASTER_KEY": master}).start()
    second = server_factory("postgresql", extra_args=["--no-access-log"], env={"IAMD_MASTER_KEY": master})
    pg_drop_database(second.database_url)  # the factory made it a database of its own: share instead
    second.database_url = first.database_url
    second.start()
    assert second.account_id == first.account_id
    a, b = first.client("iam"), second.client("iam")
    names = [name("twin") for _ in range(NAMES)]
    results = race([lambda c=c: create_all(c, names) for c in (a, b, first.client("iam"), second.client("iam"))])
    assert_one_winner_per_name(results, names)
    # a key made through one server authenticates at the other
    n = names[0]
    k = a.create_access_key(UserName=n)["AccessKey"]
    arn = second.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"]).get_caller_identity()["Arn"]
    assert arn.endswith(f":user/{n}")
    # a server with another master key would fail every caller: it refuses to start instead
    third = server_factory("postgresql", extra_args=["--no-access-log"])
    pg_drop_database(third.database_url)
    third.database_url = first.database_url
    with pytest.raises(RuntimeError, match="master key does not decrypt"):
        third.start()


def _user_with_key(iam, name) -> tuple[str, str, str]:
    n = name("policy")
    iam.create_user(UserName=n)
    k = iam.create_access_key(UserName=n)["AccessKey"]
    return n, k["AccessKeyId"], k["SecretAccessKey"]


def _answers_within_a_second(servers, key: str, secret: str, status: int) -> None:
    """One second after a change, every call on every server (and worker) answers `status`."""
    time.sleep(1.0)
    for server in servers:
        for _ in range(20):
            resp = _call(server, key, secret, LIST_ROLES)
            assert resp.status_code == status, resp.text


def test_policy_change_reaches_every_worker_within_a_second(workers2, name):
    iam = workers2.client("iam")
    n, key, secret = _user_with_key(iam, name)
    _warm_every_worker(workers2, key, secret, LIST_ROLES, 403)
    iam.attach_user_policy(UserName=n, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    _answers_within_a_second([workers2], key, secret, 200)
    _warm_every_worker(workers2, key, secret, LIST_ROLES, 200)
    iam.put_user_policy(UserName=n, PolicyName="deny", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:List*", "Resource": "*"}]}))
    _answers_within_a_second([workers2], key, secret, 403)


@pytest.mark.skipif("postgresql" not in ENGINES, reason="needs PostgreSQL")
def test_policy_change_reaches_another_server_on_the_database_within_a_second(server_factory, name):
    master = base64.b64encode(os.urandom(32)).decode()
    first = server_factory("postgresql", extra_args=["--no-access-log"], env={"IAMD_MASTER_KEY": master}).start()
    second = server_factory("postgresql", extra_args=["--no-access-log"], env={"IAMD_MASTER_KEY": master})
    pg_drop_database(second.database_url)
    second.database_url = first.database_url
    second.start()
    iam = first.client("iam")
    group = name("readers")
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    n, key, secret = _user_with_key(iam, name)
    for server in (first, second):
        assert _call(server, key, secret, LIST_ROLES).status_code == 403
    iam.add_user_to_group(GroupName=group, UserName=n)  # through the first server
    _answers_within_a_second([first, second], key, secret, 200)
    second.client("iam").remove_user_from_group(GroupName=group, UserName=n)  # through the second
    _answers_within_a_second([first, second], key, secret, 403)
