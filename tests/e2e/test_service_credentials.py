"""Service-specific credentials over HTTP: Git/Keyspaces passwords and Bedrock API keys,
the per-service quota, listing (own, by service, all users), status, reset, delete, the
errors AWS answers and the DeleteUser conflict."""

import base64

import pytest
from botocore.exceptions import ClientError
from helpers import client_of, error


def create(iam, user_name: str, service: str = "codecommit.amazonaws.com", **kw) -> dict:
    return iam.create_service_specific_credential(UserName=user_name, ServiceName=service,
                                                  **kw)["ServiceSpecificCredential"]


@pytest.mark.parametrize("service", ["codecommit.amazonaws.com", "cassandra.amazonaws.com"])
def test_lifecycle(iam, user, server, service):
    n = user()
    made = create(iam, n, service)
    cid = made["ServiceSpecificCredentialId"]
    assert cid.startswith("ACCA") and len(cid) == 21
    assert made["ServiceUserName"] == f"{n}-at-{server.account_id}"
    assert made["UserName"] == n and made["ServiceName"] == service and made["Status"] == "Active"
    assert len(made["ServicePassword"]) >= 40
    assert "ServiceCredentialSecret" not in made and "ExpirationDate" not in made

    listed = iam.list_service_specific_credentials(UserName=n, ServiceName=service)
    assert listed["ServiceSpecificCredentials"] == [
        {k: v for k, v in made.items() if k != "ServicePassword"}]
    assert listed["IsTruncated"] is False

    iam.update_service_specific_credential(UserName=n, ServiceSpecificCredentialId=cid, Status="Inactive")
    listed = iam.list_service_specific_credentials(UserName=n)["ServiceSpecificCredentials"]
    assert listed[0]["Status"] == "Inactive"

    reset = iam.reset_service_specific_credential(UserName=n, ServiceSpecificCredentialId=cid)
    reset = reset["ServiceSpecificCredential"]
    assert reset["ServicePassword"] != made["ServicePassword"]
    assert (reset["ServiceSpecificCredentialId"], reset["ServiceUserName"], reset["Status"]) == (
        cid, made["ServiceUserName"], "Inactive")

    iam.delete_service_specific_credential(UserName=n, ServiceSpecificCredentialId=cid)
    assert iam.list_service_specific_credentials(UserName=n)["ServiceSpecificCredentials"] == []


def test_two_per_service(iam, user, server):
    n = user()
    first, second = create(iam, n), create(iam, n)
    assert first["ServiceUserName"] == f"{n}-at-{server.account_id}"
    assert second["ServiceUserName"] == f"{n}+1-at-{server.account_id}"
    with pytest.raises(ClientError) as e:
        iam.create_service_specific_credential(UserName=n, ServiceName="codecommit.amazonaws.com")
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2",
                        409)
    create(iam, n, "cassandra.amazonaws.com")
    # Deleting the first frees its user name for the next one.
    iam.delete_service_specific_credential(UserName=n,
                                           ServiceSpecificCredentialId=first["ServiceSpecificCredentialId"])
    assert create(iam, n)["ServiceUserName"] == f"{n}-at-{server.account_id}"
    by_service = iam.list_service_specific_credentials(UserName=n, ServiceName="cassandra.amazonaws.com")
    assert [c["ServiceName"] for c in by_service["ServiceSpecificCredentials"]] == ["cassandra.amazonaws.com"]


def test_bedrock_api_key(iam, user, server):
    n = user()
    made = create(iam, n, "bedrock.amazonaws.com", CredentialAgeDays=30)
    alias, secret = made["ServiceCredentialAlias"], made["ServiceCredentialSecret"]
    assert alias == f"{n}-at-{server.account_id}"
    assert secret.startswith("ABSK") and base64.b64decode(secret[4:]).decode().startswith(alias + ":")
    assert "ServiceUserName" not in made and "ServicePassword" not in made
    assert (made["ExpirationDate"] - made["CreateDate"]).days == 30
    listed = iam.list_service_specific_credentials(UserName=n)["ServiceSpecificCredentials"][0]
    assert listed["ServiceCredentialAlias"] == alias and "ServiceCredentialSecret" not in listed
    assert listed["ExpirationDate"] == made["ExpirationDate"]


def test_credential_age_only_for_api_keys(iam, user):
    n = user()
    with pytest.raises(ClientError) as e:
        iam.create_service_specific_credential(UserName=n, ServiceName="codecommit.amazonaws.com",
                                               CredentialAgeDays=5)
    assert error(e)[0] == "InvalidInput" and error(e)[2] == 400


@pytest.mark.parametrize("service", ["nonexistentservice.amazonaws.com", "lambda.amazonaws.com", "o3on3n3o"])
def test_unsupported_service(iam, user, service):
    n = user()
    message = f"No such service {service} is supported for Service Specific Credentials"
    with pytest.raises(ClientError) as e:
        iam.create_service_specific_credential(UserName=n, ServiceName=service)
    assert error(e) == ("NoSuchEntity", message, 404)
    with pytest.raises(ClientError) as e:
        iam.list_service_specific_credentials(UserName=n, ServiceName=service)
    assert error(e) == ("NoSuchEntity", message, 404)


def test_unknown_user_and_unknown_id(iam, user, name):
    n, ghost = user(), name("ghost")
    with pytest.raises(ClientError) as e:
        iam.create_service_specific_credential(UserName=ghost, ServiceName="codecommit.amazonaws.com")
    assert error(e) == ("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404)
    cid = create(iam, n)["ServiceSpecificCredentialId"]
    calls = ((iam.update_service_specific_credential, {"Status": "Inactive"}),
             (iam.reset_service_specific_credential, {}), (iam.delete_service_specific_credential, {}))
    for call, kw in calls:
        with pytest.raises(ClientError) as e:
            call(UserName=ghost, ServiceSpecificCredentialId=cid, **kw)
        assert error(e) == ("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404)
        with pytest.raises(ClientError) as e:
            call(UserName=n, ServiceSpecificCredentialId="satisfiesregexbutstillinvalid", **kw)
        assert error(e) == ("NoSuchEntity", "No such credential satisfiesregexbutstillinvalid exists", 404)
    other = user()
    with pytest.raises(ClientError) as e:  # another user's credential is not found under this one
        iam.delete_service_specific_credential(UserName=other, ServiceSpecificCredentialId=cid)
    assert error(e) == ("NoSuchEntity", f"No such credential {cid} exists", 404)


def test_invalid_status(iam, user):
    n = user()
    cid = create(iam, n)["ServiceSpecificCredentialId"]
    with pytest.raises(ClientError) as e:
        iam.update_service_specific_credential(UserName=n, ServiceSpecificCredentialId=cid, Status="Invalid")
    assert error(e)[0] == "ValidationError" and "status" in error(e)[1]


def test_caller_is_the_default_user(iam, user, server):
    n = user()
    me = client_of(server, iam, n, allow=("iam:*ServiceSpecificCredential*",))
    cid = create(iam, n)["ServiceSpecificCredentialId"]
    mine = me.list_service_specific_credentials()["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in mine] == [cid]
    me.update_service_specific_credential(ServiceSpecificCredentialId=cid, Status="Inactive")
    reset = me.reset_service_specific_credential(ServiceSpecificCredentialId=cid)["ServiceSpecificCredential"]
    assert reset["ServicePassword"] and reset["UserName"] == n
    me.delete_service_specific_credential(ServiceSpecificCredentialId=cid)
    assert me.list_service_specific_credentials()["ServiceSpecificCredentials"] == []


def test_all_users_and_paging(iam, user):
    a, b = user(), user()
    made = {create(iam, u, "cassandra.amazonaws.com")["ServiceSpecificCredentialId"]: u for u in (a, b, a)}
    seen, marker = {}, None
    while True:
        page = iam.list_service_specific_credentials(AllUsers=True, ServiceName="cassandra.amazonaws.com",
                                                     MaxItems=1, **({"Marker": marker} if marker else {}))
        seen.update({c["ServiceSpecificCredentialId"]: c["UserName"] for c in page["ServiceSpecificCredentials"]})
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert made.items() <= seen.items()
    assert {c["ServiceName"] for c in iam.list_service_specific_credentials(AllUsers=True)
            ["ServiceSpecificCredentials"]} <= {"codecommit.amazonaws.com", "cassandra.amazonaws.com",
                                                  "bedrock.amazonaws.com", "logs.amazonaws.com"}
    with pytest.raises(ClientError) as e:
        iam.list_service_specific_credentials(AllUsers=True, UserName=a)
    assert error(e)[0] == "InvalidInput"


def test_delete_user_conflicts_while_credentials_exist(iam, user):
    n = user()
    cid = create(iam, n)["ServiceSpecificCredentialId"]
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=n)
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must remove referenced objects first.", 409)
    iam.delete_service_specific_credential(UserName=n, ServiceSpecificCredentialId=cid)
    iam.delete_user(UserName=n)
