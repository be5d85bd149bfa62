"""Durability: every acknowledged write survives `kill -9` of the server, and a restart on the
same data dir / database comes back as the same account with the same root key."""

import pytest
from conftest import ENGINES


@pytest.mark.parametrize("engine", ENGINES)
def test_acknowledged_writes_survive_kill_9(server_factory, engine, name):
    srv = server_factory(engine, extra_args=["--no-access-log"]).start()
    credentials = (srv.data_dir / "credentials").read_text()
    iam = srv.client("iam")
    made = [name("dur") for _ in range(15)]
    for n in made:
        iam.create_user(UserName=n, Path="/durable/")
    iam.tag_user(UserName=made[0], Tags=[{"Key": "k", "Value": "v"}])
    key = iam.create_access_key(UserName=made[0])["AccessKey"]
    iam.update_user(UserName=made[1], NewUserName=made[1] + "-renamed")
    iam.delete_user(UserName=made[2])
    account = srv.account_id

    srv.stop("kill")
    assert srv.proc.returncode == -9
    srv.start()

    assert (srv.data_dir / "credentials").read_text() == credentials  # the same root key, reused
    iam = srv.client("iam")
    assert srv.client("sts").get_caller_identity()["Account"] == account
    listed = {u["UserName"] for p in iam.get_paginator("list_users").paginate(PathPrefix="/durable/")
              for u in p["Users"]}
    assert listed == {made[0], made[1] + "-renamed", *made[3:]}
    assert iam.list_user_tags(UserName=made[0])["Tags"] == [{"Key": "k", "Value": "v"}]
    # the key's secret, encrypted at rest, still decrypts after the restart
    arn = srv.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"]).get_caller_identity()["Arn"]
    assert arn.endswith(f":user/durable/{made[0]}")
    root_keys = iam.list_access_keys()["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in root_keys] == [srv.access_key]  # no new root key per start
