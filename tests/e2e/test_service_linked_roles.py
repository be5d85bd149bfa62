"""Service-linked roles over HTTP with boto3: naming, path and trust policy, the
asynchronous delete and its status, and the roles' protection against changes."""

import json
import re

import pytest
from botocore.exceptions import ClientError
from helpers import error

PROTECTED = "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS"


def slr(iam, service, **kw):
    """Create `service`'s role, or reuse it: the name is fixed per service and the server
    is shared by the whole session."""
    try:
        return iam.create_service_linked_role(AWSServiceName=service, **kw)["Role"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "InvalidInput" or "has been taken" not in exc.response["Error"]["Message"]:
            raise
        name = re.search(r"Service role name (\S+) has", exc.response["Error"]["Message"]).group(1)
        return iam.get_role(RoleName=name)["Role"]


def test_create_known_service(iam, server):
    role = slr(iam, "elasticbeanstalk.amazonaws.com")
    name = "AWSServiceRoleForElasticBeanstalk"
    assert role["RoleName"] == name and role["RoleId"].startswith("AROA")
    assert role["Path"] == "/aws-service-role/elasticbeanstalk.amazonaws.com/"
    assert role["Arn"] == f"arn:aws:iam::{server.account_id}:role/aws-service-role/elasticbeanstalk.amazonaws.com/{name}"
    statement = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "elasticbeanstalk.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole" and statement["Effect"] == "Allow"
    assert iam.get_role(RoleName=name)["Role"]["RoleId"] == role["RoleId"]
    listed = [r["RoleName"] for r in iam.list_roles(PathPrefix="/aws-service-role/")["Roles"]]
    assert name in listed
    with pytest.raises(ClientError) as e:
        iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")
    assert error(e) == ("InvalidInput", f"Service role name {name} has been taken in this account, "
                                        "please try a different suffix.", 400)


def test_custom_suffix_and_description(iam, name):
    suffix = name("sfx")
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=suffix,
                                          Description="scaling things")["Role"]
    assert role["RoleName"] == f"AWSServiceRoleForAutoScaling_{suffix}"
    assert role["Description"] == "scaling things"
    assert role["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    with pytest.raises(ClientError) as e:
        iam.create_service_linked_role(AWSServiceName="es.amazonaws.com", CustomSuffix=suffix)
    assert error(e) == ("InvalidInput", "Custom suffix is not allowed for es.amazonaws.com", 400)
    iam.delete_service_linked_role(RoleName=role["RoleName"])


def test_unlisted_service_name_is_derived(iam, name):
    suffix = name("x")
    role = iam.create_service_linked_role(AWSServiceName="custom-thing.amazonaws.com", CustomSuffix=suffix)["Role"]
    assert role["RoleName"] == f"AWSServiceRoleForCustomThing_{suffix}"
    iam.delete_service_linked_role(RoleName=role["RoleName"])
    with pytest.raises(ClientError) as e:
        iam.create_service_linked_role(AWSServiceName="not-a-service")
    assert error(e)[0] == "InvalidInput"


def test_delete_and_deletion_status(iam, name):
    suffix = name("del")
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=suffix)["Role"]
    task = iam.delete_service_linked_role(RoleName=role["RoleName"])["DeletionTaskId"]
    assert re.fullmatch(rf"task/aws-service-role/autoscaling\.amazonaws\.com/{role['RoleName']}/"
                        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", task)
    status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert status["Status"] == "SUCCEEDED" and "Reason" not in status
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=role["RoleName"])
    assert error(e)[0] == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.delete_service_linked_role(RoleName=role["RoleName"])
    assert error(e) == ("NoSuchEntity", f"The role with name {role['RoleName']} cannot be found.", 404)
    unknown = task[:-36] + "00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as e:
        iam.get_service_linked_role_deletion_status(DeletionTaskId=unknown)
    assert error(e)[0] == "NoSuchEntity" and error(e)[2] == 404
    with pytest.raises(ClientError) as e:
        iam.get_service_linked_role_deletion_status(DeletionTaskId="garbage")
    assert error(e)[0] == "InvalidInput" and error(e)[2] == 400


def test_delete_service_linked_role_refuses_ordinary_roles(iam, name):
    n = name("plain")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName=n, AssumeRolePolicyDocument=trust)
    with pytest.raises(ClientError) as e:
        iam.delete_service_linked_role(RoleName=n)
    assert error(e) == ("NoSuchEntity", f"The role with name {n} cannot be found.", 404)
    assert iam.get_role(RoleName=n)["Role"]["RoleName"] == n


def test_service_linked_roles_are_protected(iam, name):
    role = slr(iam, "elasticbeanstalk.amazonaws.com")
    n = role["RoleName"]
    message = PROTECTED.format(n)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
    calls = [
        lambda: iam.delete_role(RoleName=n),
        lambda: iam.update_assume_role_policy(RoleName=n, PolicyDocument=trust),
        lambda: iam.update_role(RoleName=n, MaxSessionDuration=7200),
        lambda: iam.put_role_policy(RoleName=n, PolicyName="p", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})),
        lambda: iam.attach_role_policy(RoleName=n, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"),
        lambda: iam.put_role_permissions_boundary(RoleName=n,
                                                  PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess"),
    ]
    profile = name("ip")
    iam.create_instance_profile(InstanceProfileName=profile)
    calls.append(lambda: iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=n))
    for call in calls:
        with pytest.raises(ClientError) as e:
            call()
        assert error(e) == ("UnmodifiableEntity", message, 400)
    # the description stays editable, and the role is still whole
    iam.update_role(RoleName=n, Description="edited")
    assert iam.update_role_description(RoleName=n, Description="again")["Role"]["Description"] == "again"
    assert iam.get_role(RoleName=n)["Role"]["MaxSessionDuration"] == 3600
