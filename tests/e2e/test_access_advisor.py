"""The access advisor over HTTP, on both engines: service last accessed reports of users,
groups, roles and policies computed from the recorded calls, their jobs' life cycle,
WithEntities, ListPoliciesGrantingServiceAccess, paging and errors; the AWS CLI too."""

import json
import secrets
import time

import pytest
from botocore.exceptions import ClientError
from helpers import all_pages, allow, client_of, db, doc
from helpers import code_status as error
from sts_helpers import session_client, trust_of, user_with_sts
from sqlalchemy import insert
from test_awscli import aws

from iamd.store.schema.advisor import access_advisor_jobs

IAM_NAME = "AWS Identity and Access Management"


def wait_completed(iam, job_id: str, timeout: float = 20, **kw) -> dict:
    """Poll as a boto3 client does until the job leaves IN_PROGRESS."""
    deadline = time.time() + timeout
    while True:
        got = iam.get_service_last_accessed_details(JobId=job_id, **kw)
        if got["JobStatus"] != "IN_PROGRESS":
            return got
        assert time.time() < deadline, "the job did not complete"
        time.sleep(0.1)


def report(iam, arn: str, **kw) -> dict:
    job = iam.generate_service_last_accessed_details(Arn=arn, **kw)["JobId"]
    got = wait_completed(iam, job)
    assert got["JobStatus"] == "COMPLETED", got
    got["JobId"] = job
    return got


def by_namespace(got: dict) -> dict:
    return {s["ServiceNamespace"]: s for s in got["ServicesLastAccessed"]}


def near_now(value, slack: float = 120) -> bool:
    return abs(value.timestamp() - time.time()) < slack


@pytest.fixture
def worker(server, iam, name):
    """A user allowed iam:* and s3:GetObject, with a group and a client; it has called IAM."""
    user_name, group_name = name("adv"), name("advg")
    user_arn = iam.create_user(UserName=user_name)["User"]["Arn"]
    iam.put_user_policy(UserName=user_name, PolicyName="work", PolicyDocument=doc(
        allow(["iam:*", "s3:GetObject"])))
    group_arn = iam.create_group(GroupName=group_name)["Group"]["Arn"]
    iam.put_group_policy(GroupName=group_name, PolicyName="team", PolicyDocument=doc(
        allow(["iam:Get*", "iam:CreateUser", "dynamodb:GetItem"])))
    iam.add_user_to_group(GroupName=group_name, UserName=user_name)
    client = client_of(server, iam, user_name)
    client.get_user()
    client.list_users(MaxItems=1)
    return {"name": user_name, "arn": user_arn, "group": group_name, "group_arn": group_arn, "client": client}


def test_user_report_lists_granted_services_with_the_last_call(iam, worker):
    job = iam.generate_service_last_accessed_details(Arn=worker["arn"])["JobId"]
    assert len(job) == 36
    first = iam.get_service_last_accessed_details(JobId=job)
    assert first["JobStatus"] == "IN_PROGRESS"  # AWS's jobs take a while: clients poll
    assert first["ServicesLastAccessed"] == [] and "JobCompletionDate" not in first
    assert near_now(first["JobCreationDate"])
    got = wait_completed(iam, job)
    assert got["JobStatus"] == "COMPLETED" and got["JobType"] == "SERVICE_LEVEL"
    assert got["JobCompletionDate"] >= got["JobCreationDate"]
    services = by_namespace(got)
    # the user's own policy and its group's: iam, s3 and dynamodb, in namespace order
    assert [s["ServiceNamespace"] for s in got["ServicesLastAccessed"]] == ["dynamodb", "iam", "s3"]
    iam_entry = services["iam"]
    assert iam_entry["ServiceName"] == IAM_NAME
    assert near_now(iam_entry["LastAuthenticated"])
    assert iam_entry["LastAuthenticatedEntity"] == worker["arn"]
    assert iam_entry["LastAuthenticatedRegion"] == "us-east-1"
    assert iam_entry["TotalAuthenticatedEntities"] == 1
    assert "TrackedActionsLastAccessed" not in iam_entry
    # granted, never called: listed without details
    assert services["s3"] == {"ServiceName": "Amazon S3", "ServiceNamespace": "s3"}
    assert set(services["dynamodb"]) == {"ServiceName", "ServiceNamespace"}
    assert got["IsTruncated"] is False


def test_denied_attempts_count_and_ungranted_services_are_not_listed(server, iam, name):
    n = name("deny")
    arn = iam.create_user(UserName=n)["User"]["Arn"]
    client = client_of(server, iam, n, allow=("s3:ListBucket",))
    with pytest.raises(ClientError) as e:
        client.list_roles()
    assert error(e)[0] == "AccessDenied"
    got = by_namespace(report(iam, arn))
    assert list(got) == ["s3"]  # iam was attempted, but no policy grants it
    iam.put_user_policy(UserName=n, PolicyName="iam", PolicyDocument=doc(allow("iam:GetUser")))
    got = by_namespace(report(iam, arn))
    assert got["iam"]["LastAuthenticatedEntity"] == arn  # the denied ListRoles was an attempt


def test_action_level_lists_the_tracked_actions_called(iam, worker, name):
    client = worker["client"]
    client.create_user(UserName=name("made"))
    got = report(iam, worker["arn"], Granularity="ACTION_LEVEL")
    assert got["JobType"] == "ACTION_LEVEL"
    tracked = by_namespace(got)["iam"]["TrackedActionsLastAccessed"]
    # management actions only: the reads (GetUser, ListUsers) are not tracked
    assert [t["ActionName"] for t in tracked] == ["CreateUser"]
    assert tracked[0]["LastAccessedEntity"] == worker["arn"]
    assert tracked[0]["LastAccessedRegion"] == "us-east-1" and near_now(tracked[0]["LastAccessedTime"])
    assert "TrackedActionsLastAccessed" not in by_namespace(got)["s3"]


def test_group_report_names_the_member_and_counts_members(server, iam, worker, name):
    other = name("mate")
    other_arn = iam.create_user(UserName=other)["User"]["Arn"]
    iam.add_user_to_group(GroupName=worker["group"], UserName=other)
    time.sleep(0.05)
    client_of(server, iam, other).get_user()  # the group grants iam:Get*
    got = report(iam, worker["group_arn"])
    services = by_namespace(got)
    assert sorted(services) == ["dynamodb", "iam"]  # the group's own policies only
    assert services["iam"]["LastAuthenticatedEntity"] == other_arn
    assert services["iam"]["TotalAuthenticatedEntities"] == 2
    details = iam.get_service_last_accessed_details_with_entities(JobId=got["JobId"], ServiceNamespace="iam")
    assert details["JobStatus"] == "COMPLETED"
    listed = [(d["EntityInfo"]["Arn"], d["EntityInfo"]["Type"]) for d in details["EntityDetailsList"]]
    assert listed == [(other_arn, "USER"), (worker["arn"], "USER")]  # most recent first
    info = details["EntityDetailsList"][1]["EntityInfo"]
    assert info["Name"] == worker["name"] and info["Path"] == "/" and info["Id"].startswith("AIDA")
    assert all(near_now(d["LastAuthenticated"]) for d in details["EntityDetailsList"])
    dynamo = iam.get_service_last_accessed_details_with_entities(JobId=got["JobId"], ServiceNamespace="dynamodb")
    assert [d["EntityInfo"]["Name"] for d in dynamo["EntityDetailsList"]] == sorted([worker["name"], other])
    assert not any("LastAuthenticated" in d for d in dynamo["EntityDetailsList"])


def test_role_report_counts_its_sessions_and_names_the_role(server, iam, name):
    caller_arn, sts = user_with_sts(server, iam, name("assumer"))
    role = name("advr")
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust_of(caller_arn))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=doc(allow(["iam:List*", "sts:*", "s3:*"])))
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")["Credentials"]
    session_client(server, creds, "iam").list_roles(MaxItems=1)
    session_client(server, creds, "sts", region="eu-west-1").get_caller_identity()
    got = report(iam, role_arn)
    services = by_namespace(got)
    assert sorted(services) == ["iam", "s3", "sts"]
    assert services["iam"]["LastAuthenticatedEntity"] == role_arn
    assert services["sts"]["LastAuthenticatedEntity"] == role_arn
    assert services["sts"]["LastAuthenticatedRegion"] == "eu-west-1"
    assert "LastAuthenticated" not in services["s3"]
    mine = iam.get_service_last_accessed_details_with_entities(JobId=got["JobId"], ServiceNamespace="sts")
    assert [(d["EntityInfo"]["Type"], d["EntityInfo"]["Arn"]) for d in mine["EntityDetailsList"]] == \
        [("ROLE", role_arn)]
    # the user that assumed the role: AssumeRole is a tracked (management) action of STS
    sts.get_caller_identity()
    tracked = by_namespace(report(iam, caller_arn, Granularity="ACTION_LEVEL"))["sts"]["TrackedActionsLastAccessed"]
    assert [(t["ActionName"], t["LastAccessedEntity"]) for t in tracked] == [("AssumeRole", caller_arn)]


def test_policy_report_covers_the_entities_it_is_attached_to(server, iam, worker, name):
    policy_arn = iam.create_policy(PolicyName=name("advp"), PolicyDocument=doc(
        allow(["iam:GetUser", "s3:PutObject"])))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName=worker["group"], PolicyArn=policy_arn)
    lone = name("lone")
    iam.create_user(UserName=lone)
    iam.attach_user_policy(UserName=lone, PolicyArn=policy_arn)
    worker["client"].get_user()
    got = report(iam, policy_arn)
    services = by_namespace(got)
    assert sorted(services) == ["iam", "s3"]
    assert services["iam"]["LastAuthenticatedEntity"] == worker["arn"]
    assert services["iam"]["TotalAuthenticatedEntities"] == 1
    entities = iam.get_service_last_accessed_details_with_entities(JobId=got["JobId"], ServiceNamespace="iam")
    assert [d["EntityInfo"]["Name"] for d in entities["EntityDetailsList"]] == [worker["name"], lone]
    assert "LastAuthenticated" in entities["EntityDetailsList"][0]
    assert "LastAuthenticated" not in entities["EntityDetailsList"][1]


def test_aws_managed_policy_report(iam):
    got = report(iam, "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert [s["ServiceNamespace"] for s in got["ServicesLastAccessed"]] == ["iam"]


def test_paging_of_services_and_entities(iam, name):
    n = name("wide")
    arn = iam.create_user(UserName=n)["User"]["Arn"]
    iam.put_user_policy(UserName=n, PolicyName="all", PolicyDocument=doc(allow("*")))
    got = report(iam, arn)
    assert len(got["ServicesLastAccessed"]) == 100 and got["IsTruncated"] is True  # AWS's default page
    every = all_pages(lambda **kw: iam.get_service_last_accessed_details(JobId=got["JobId"], **kw),
                      "ServicesLastAccessed", MaxItems=70)
    namespaces = [s["ServiceNamespace"] for s in every]
    assert namespaces == sorted(namespaces) and len(set(namespaces)) == len(namespaces) > 300
    assert {"iam", "sts", "s3", "ec2"} <= set(namespaces)
    with pytest.raises(ClientError) as e:
        iam.get_service_last_accessed_details(JobId=got["JobId"], Marker="not-ours")
    assert error(e)[1] == 400


def test_list_policies_granting_service_access(iam, worker, name):
    policy_arn = iam.create_policy(PolicyName=name("s3p"), PolicyDocument=doc(allow("s3:*")))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=worker["name"], PolicyArn=policy_arn)
    got = iam.list_policies_granting_service_access(Arn=worker["arn"], ServiceNamespaces=["iam", "s3", "ec2"])
    assert got["IsTruncated"] is False
    entries = {e["ServiceNamespace"]: e["Policies"] for e in got["PoliciesGrantingServiceAccess"]}
    assert list(entries) == ["iam", "s3", "ec2"]
    assert entries["iam"] == [
        {"PolicyName": "work", "PolicyType": "INLINE", "EntityType": "USER", "EntityName": worker["name"]},
        {"PolicyName": "team", "PolicyType": "INLINE", "EntityType": "GROUP", "EntityName": worker["group"]}]
    assert entries["s3"] == [
        {"PolicyName": "work", "PolicyType": "INLINE", "EntityType": "USER", "EntityName": worker["name"]},
        {"PolicyName": policy_arn.rsplit("/", 1)[1], "PolicyType": "MANAGED", "PolicyArn": policy_arn}]
    assert entries["ec2"] == []
    group = iam.list_policies_granting_service_access(Arn=worker["group_arn"], ServiceNamespaces=["s3", "iam"])
    assert [[p["PolicyName"] for p in e["Policies"]] for e in group["PoliciesGrantingServiceAccess"]] == \
        [[], ["team"]]  # a group's own policies only


def test_errors(server, iam, unchecked_iam, worker, name):
    acct = server.account_id
    for arn, code in [(f"arn:aws:iam::{acct}:user/{name('ghost')}", "NoSuchEntity"),
                      (f"arn:aws:iam::{acct}:role/{name('ghost')}", "NoSuchEntity"),
                      (f"arn:aws:iam::{acct}:group/{name('ghost')}", "NoSuchEntity"),
                      (f"arn:aws:iam::{acct}:policy/{name('ghost')}", "NoSuchEntity"),
                      (f"arn:aws:iam::{acct}:user/elsewhere/{worker['name']}", "NoSuchEntity"),
                      (f"arn:aws:iam::{acct}:instance-profile/{name('ip')}", "InvalidInput"),
                      ("arn:aws:iam::999999999999:user/someone", "InvalidInput"),
                      ("not-an-arn-at-all-really", "InvalidInput")]:
        with pytest.raises(ClientError) as e:
            iam.generate_service_last_accessed_details(Arn=arn)
        assert error(e) == (code, 404 if code == "NoSuchEntity" else 400), arn
    unknown = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(ClientError) as e:
        iam.get_service_last_accessed_details(JobId=unknown)
    assert error(e) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        iam.get_service_last_accessed_details_with_entities(JobId=unknown, ServiceNamespace="iam")
    assert error(e) == ("NoSuchEntity", 404)
    job = report(iam, worker["arn"])["JobId"]
    with pytest.raises(ClientError) as e:
        iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="nosuchservice")
    assert error(e) == ("InvalidInput", 400)
    # a service the policies do not grant has no entities to show
    none = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="ec2")
    assert none["EntityDetailsList"] == []
    # another principal cannot read the job (AWS: the same user, or role session, only)
    with pytest.raises(ClientError) as e:
        worker["client"].get_service_last_accessed_details(JobId=job)
    assert error(e) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:  # a policy ARN names no identity here
        iam.list_policies_granting_service_access(Arn="arn:aws:iam::aws:policy/IAMReadOnlyAccess",
                                                  ServiceNamespaces=["iam"])
    assert error(e) == ("InvalidInput", 400)
    with pytest.raises(ClientError) as e:
        unchecked_iam.generate_service_last_accessed_details(Arn=worker["arn"], Granularity="RESOURCE_LEVEL")
    assert error(e)[1] == 400


def test_a_deleted_entity_fails_the_job(iam, name):
    n = name("gone")
    arn = iam.create_user(UserName=n)["User"]["Arn"]
    iam.put_user_policy(UserName=n, PolicyName="p", PolicyDocument=doc(allow("iam:GetUser")))
    job = iam.generate_service_last_accessed_details(Arn=arn)["JobId"]
    iam.delete_user_policy(UserName=n, PolicyName="p")
    iam.delete_user(UserName=n)
    got = wait_completed(iam, job)
    assert got["JobStatus"] == "FAILED" and got["Error"]["Code"] == "NoSuchEntity"
    assert got["ServicesLastAccessed"] == [] and "JobCompletionDate" in got


def test_the_operations_are_authorized_by_policy(server, iam, worker, name):
    n = name("nosy")
    iam.create_user(UserName=n)
    client = client_of(server, iam, n)
    with pytest.raises(ClientError) as e:
        client.generate_service_last_accessed_details(Arn=worker["arn"])
    assert error(e) == ("AccessDenied", 403)
    iam.put_user_policy(UserName=n, PolicyName="adv", PolicyDocument=doc(
        allow("iam:GenerateServiceLastAccessedDetails", worker["arn"]),  # the report's subject
        allow("iam:GetServiceLastAccessedDetails")))
    with pytest.raises(ClientError) as e:
        client.generate_service_last_accessed_details(Arn=worker["group_arn"])
    assert error(e) == ("AccessDenied", 403)
    job = client.generate_service_last_accessed_details(Arn=worker["arn"])["JobId"]
    assert wait_completed(client, job)["JobStatus"] == "COMPLETED"


def test_aws_cli(server, iam, worker):
    made = aws(server, "iam", "generate-service-last-accessed-details", "--arn", worker["arn"])
    assert made.returncode == 0, made.stderr
    job = json.loads(made.stdout)["JobId"]
    deadline = time.time() + 20
    while True:
        got = aws(server, "iam", "get-service-last-accessed-details", "--job-id", job)
        assert got.returncode == 0, got.stderr
        body = json.loads(got.stdout)
        if body["JobStatus"] == "COMPLETED":
            break
        assert time.time() < deadline
        time.sleep(0.2)
    assert "iam" in [s["ServiceNamespace"] for s in body["ServicesLastAccessed"]]
    listed = aws(server, "iam", "list-policies-granting-service-access", "--arn", worker["arn"],
                 "--service-namespaces", "s3")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["PoliciesGrantingServiceAccess"][0]["Policies"][0]["PolicyName"] == "work"


def test_a_burst_of_jobs_all_complete(iam, worker):
    jobs = [iam.generate_service_last_accessed_details(Arn=worker["arn"])["JobId"] for _ in range(12)]
    assert len(set(jobs)) == 12
    assert all(wait_completed(iam, j)["JobStatus"] == "COMPLETED" for j in jobs)


def test_a_job_left_in_progress_by_a_dead_worker_is_started_again(server, iam, worker):
    job = "11111111-2222-4333-8444-" + secrets.token_hex(6)
    engine = db(server)
    with engine.begin() as conn:
        conn.execute(insert(access_advisor_jobs).values(
            job_id=job, account_id=server.account_id, owner_arn=f"arn:aws:iam::{server.account_id}:root",
            entity_arn=worker["arn"], entity_kind="user", entity_id=iam.get_user(
                UserName=worker["name"])["User"]["UserId"], granularity="SERVICE_LEVEL",
            status="IN_PROGRESS", created_at=time.time() - 3600))
    engine.dispose()
    assert iam.get_service_last_accessed_details(JobId=job)["JobStatus"] == "IN_PROGRESS"
    got = wait_completed(iam, job)
    assert got["JobStatus"] == "COMPLETED" and "iam" in by_namespace(got)
