"""`--auth off`, the moto-style test double: no signature is checked, a known access key
acts as its owner and any other key as the account root, no policy is enforced, `POST
/moto-api/reset` wipes the state and `POST /moto-api/reset-auth` turns the checks on as
moto's server does."""

import boto3
import httpx
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import ENGINES


@pytest.fixture(scope="module", params=ENGINES)
def off(request, server_factory):
    return server_factory(request.param, extra_args=["--auth", "off"]).start()


def client(off, service="iam", key="testing", secret="testing", **config):
    return boto3.client(service, endpoint_url=off.endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}, **config))


def test_banner_says_it_is_insecure(off):
    banner = [line for line in off.log_path.read_text().splitlines() if line.startswith("iamd: auth:")]
    assert len(banner) == 1 and "OFF" in banner[0] and "INSECURE" in banner[0]
    assert "moto-api/reset" in banner[0]


def test_made_up_credentials_act_as_root(off, name):
    root = f"arn:aws:iam::{off.account_id}:root"
    assert client(off, "sts").get_caller_identity()["Arn"] == root
    n = name("off")
    client(off).create_user(UserName=n)
    assert client(off, key="AKIAANYTHINGATALL000", secret="x").get_user(UserName=n)["User"]["UserName"] == n


def test_unsigned_and_malformed_requests_act_as_root(off):
    root = f"arn:aws:iam::{off.account_id}:root"
    assert client(off, "sts", signature_version=UNSIGNED).get_caller_identity()["Arn"] == root
    resp = httpx.post(off.endpoint + "/", content=b"Action=GetCallerIdentity&Version=2011-06-15",
                      headers={"Authorization": "Bearer whatever", "Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 200 and f"<Arn>{root}</Arn>".encode() in resp.content


def test_a_known_key_acts_as_its_owner_whatever_the_secret(off, name):
    iam = client(off)
    n = name("owner")
    iam.create_user(UserName=n)
    key = iam.create_access_key(UserName=n)["AccessKey"]["AccessKeyId"]
    arn = client(off, "sts", key=key, secret="not-the-secret").get_caller_identity()["Arn"]
    assert arn == f"arn:aws:iam::{off.account_id}:user/{n}"
    # acting as the user: CreateAccessKey without UserName makes a key for that user
    mine = client(off, key=key, secret="wrong").create_access_key()["AccessKey"]
    assert mine["UserName"] == n
    iam.update_access_key(UserName=n, AccessKeyId=key, Status="Inactive")
    arn = client(off, "sts", key=key, secret="x").get_caller_identity()["Arn"]
    assert arn == f"arn:aws:iam::{off.account_id}:root"  # an inactive key is just another unknown key


def test_reset_wipes_everything_but_the_account_and_its_root_keys(off, name):
    iam = client(off)
    n = name("gone")
    iam.create_user(UserName=n)
    iam.tag_user(UserName=n, Tags=[{"Key": "a", "Value": "b"}])
    key = iam.create_access_key(UserName=n)["AccessKey"]["AccessKeyId"]
    assert client(off, "sts", key=key).get_caller_identity()["Arn"].endswith(f":user/{n}")
    resp = httpx.post(off.endpoint + "/moto-api/reset")
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}
    assert iam.list_users()["Users"] == []
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=n)
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
    assert client(off, "sts", key=key).get_caller_identity()["Arn"] == f"arn:aws:iam::{off.account_id}:root"
    # the root key in the credentials file is still the account's and still works
    assert off.client("sts").get_caller_identity()["Account"] == off.account_id
    assert [k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]] == [off.access_key]
    iam.create_user(UserName=n)  # the name is free again


# -- moto's /moto-api/reset-auth: signature checks and policies on after N more calls -----------

def reset_auth(server, body: str) -> httpx.Response:
    return httpx.post(server.endpoint + "/moto-api/reset-auth", content=body.encode(), timeout=10)


def test_reset_auth_turns_checks_on_after_n_calls(server, server_factory, name):
    off = server_factory(server.engine, extra_args=["--auth", "off", "--no-access-log"]).start()
    iam = client(off)
    nobody, admin = name("nobody"), name("admin")
    for n in (nobody, admin):
        iam.create_user(UserName=n)
    iam.attach_user_policy(UserName=admin, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    keys = {n: iam.create_access_key(UserName=n)["AccessKey"] for n in (nobody, admin)}
    as_nobody = client(off, key=keys[nobody]["AccessKeyId"], secret=keys[nobody]["SecretAccessKey"])
    resp = reset_auth(off, "2")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT": "inf"}
    for _ in range(2):  # still free: neither signatures nor policies
        assert "Users" in as_nobody.list_users(MaxItems=1)
    with pytest.raises(ClientError) as e:
        as_nobody.list_users(MaxItems=1)
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert e.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{off.account_id}:user/{nobody} is not authorized to perform: iam:ListUsers on "
        f"resource: arn:aws:iam::{off.account_id}:user/ because no identity-based policy allows the "
        "iam:ListUsers action")
    with pytest.raises(ClientError) as e:
        client(off).list_users(MaxItems=1)  # made-up credentials no longer act as root
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"
    with pytest.raises(ClientError) as e:
        client(off, key=keys[admin]["AccessKeyId"], secret="wrong").list_users(MaxItems=1)
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert "Users" in client(off, key=keys[admin]["AccessKeyId"],
                             secret=keys[admin]["SecretAccessKey"]).list_users(MaxItems=1)
    assert reset_auth(off, "inf").json() == {"status": "ok", "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT": "2.0"}
    assert "Users" in client(off).list_users(MaxItems=1)  # free again


def test_reset_auth_wants_a_number_and_auth_off(off, server):
    resp = reset_auth(off, "many")
    assert resp.status_code == 400 and "Error" in resp.json()
    resp = reset_auth(server, "0")
    assert resp.status_code == 403 and b"<Code>AccessDenied</Code>" in resp.content
