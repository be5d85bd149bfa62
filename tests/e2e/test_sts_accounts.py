"""Several accounts on one server (`iamd accounts create|list`): each with its own root
credentials, calls belonging to the signer's account, cross-account AssumeRole decided by
the trust policy and the caller's own policies, every other cross-account attempt refused."""

import configparser

import pytest
from botocore.exceptions import ClientError

from helpers import code_status, error, run_iamd
from sts_helpers import allow, make_role, session_client, trust_of


def _store_args(srv) -> list[str]:
    return ["--data-dir", str(srv.data_dir)] + (["--database-url", srv.database_url] if srv.database_url else [])


@pytest.fixture(scope="module")
def two_accounts(own_server):
    """(server, second account id, a client factory for the second account's root)."""
    made = run_iamd("accounts", "create", "--alias", f"second-{own_server.port}", *_store_args(own_server))
    assert made.returncode == 0, made.stderr
    other = made.stdout.split()[0]
    profile = configparser.ConfigParser()
    profile.read(own_server.data_dir / "credentials")
    key, secret = profile[other]["aws_access_key_id"], profile[other]["aws_secret_access_key"]
    assert profile["default"]["aws_access_key_id"] == own_server.access_key  # the server's own key kept
    return own_server, other, lambda service="iam": own_server.client(service, key, secret)


def test_accounts_are_listed_and_each_root_is_its_own(two_accounts):
    srv, other, client = two_accounts
    listed = run_iamd("accounts", "list", *_store_args(srv))
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert rows[0][0] == srv.account_id and [r[0] for r in rows].count(other) == 1
    assert dict((r[0], r[1]) for r in rows)[other] == f"second-{srv.port}"
    me = client("sts").get_caller_identity()
    assert (me["Account"], me["Arn"]) == (other, f"arn:aws:iam::{other}:root")
    assert client().list_account_aliases()["AccountAliases"] == [f"second-{srv.port}"]


def test_entities_belong_to_the_signers_account(two_accounts, name):
    srv, other, client = two_accounts
    n = name("same")
    mine = srv.client("iam").create_user(UserName=n)["User"]
    theirs = client().create_user(UserName=n)["User"]  # the same name in another account
    assert mine["Arn"] == f"arn:aws:iam::{srv.account_id}:user/{n}"
    assert theirs["Arn"] == f"arn:aws:iam::{other}:user/{n}"
    assert n in [u["UserName"] for u in client().list_users()["Users"]]
    assert mine["UserId"] not in [u["UserId"] for u in client().list_users()["Users"]]


def test_cross_account_assume_role_needs_both_sides(two_accounts, name):
    srv, other, client = two_accounts
    outsider = name("out")
    outsider_arn = client().create_user(UserName=outsider)["User"]["Arn"]
    key = client().create_access_key(UserName=outsider)["AccessKey"]
    outsider_sts = srv.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    role = name("xrole")
    role_arn = make_role(srv.client("iam"), role, trust_of(f"arn:aws:iam::{other}:root"), "iam:ListRoles")
    with pytest.raises(ClientError) as e:  # the trust policy allows; the outsider's own account does not
        outsider_sts.assume_role(RoleArn=role_arn, RoleSessionName="x1")
    assert error(e) == ("AccessDenied", f"User: {outsider_arn} is not authorized to perform: sts:AssumeRole "
                                        f"on resource: {role_arn}", 403)
    client().put_user_policy(UserName=outsider, PolicyName="assume", PolicyDocument=allow("sts:AssumeRole"))
    out = outsider_sts.assume_role(RoleArn=role_arn, RoleSessionName="x1")
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{srv.account_id}:assumed-role/{role}/x1"
    session = session_client(srv, out["Credentials"])
    assert role in [r["RoleName"] for r in session.list_roles()["Roles"]]  # acts in the role's account
    assert session_client(srv, out["Credentials"], "sts").get_caller_identity()["Account"] == srv.account_id
    # a role whose trust policy names another account: the identity allow is not enough
    closed = make_role(srv.client("iam"), name("closed"), trust_of(f"arn:aws:iam::{srv.account_id}:root"))
    with pytest.raises(ClientError) as e:
        outsider_sts.assume_role(RoleArn=closed, RoleSessionName="x1")
    assert code_status(e) == ("AccessDenied", 403)


def test_other_cross_account_attempts_are_refused(two_accounts, name):
    srv, other, client = two_accounts
    admin = name("admin")
    client().create_user(UserName=admin)
    client().put_user_policy(UserName=admin, PolicyName="all", PolicyDocument=allow("*"))
    key = client().create_access_key(UserName=admin)["AccessKey"]
    theirs = srv.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    policy = srv.client("iam").create_policy(PolicyName=name("p"), PolicyDocument=allow("s3:*"))["Policy"]["Arn"]
    with pytest.raises(ClientError) as e:
        theirs.get_policy(PolicyArn=policy)
    assert code_status(e) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:  # as AWS: another account's policy is not attachable
        theirs.attach_user_policy(UserName=admin, PolicyArn=policy)
    assert code_status(e) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:  # its root neither reads the other account's entities
        client().get_policy(PolicyArn=policy)
    assert code_status(e)[1] in (403, 404)


def test_account_create_refuses_a_taken_id(two_accounts):
    srv, other, _ = two_accounts
    again = run_iamd("accounts", "create", "--account-id", other, *_store_args(srv))
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1
    assert f"account {other} already exists" in again.stderr
    bad = run_iamd("accounts", "create", "--account-id", "12ab", *_store_args(srv))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
