"""SimulateCustomPolicy and SimulatePrincipalPolicy over HTTP, with AWS's documented examples
(AWS CLI reference: simulate-custom-policy, simulate-principal-policy) and the rules of the
API reference (inputs, paging, errors)."""

import json

import pytest
from botocore.exceptions import ClientError

from helpers import allow, code, deny, doc

DYNAMO = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
          '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}')


def date_entry(value):
    return [{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": [value], "ContextKeyType": "date"}]


def results(resp) -> list[tuple[str, str, str]]:
    return [(r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"]) for r in resp["EvaluationResults"]]


# -- AWS's documented examples -------------------------------------------------------------------

def test_documented_custom_policy_allowed_after_date(iam):
    """simulate-custom-policy example 1: allowed, PolicyInputList.1 at 1:38-1:167."""
    r = iam.simulate_custom_policy(PolicyInputList=[DYNAMO], ActionNames=["dynamodb:CreateBackup"],
                                   ContextEntries=date_entry("2019-04-25T11:00:00Z"))["EvaluationResults"]
    assert len(r) == 1
    assert (r[0]["EvalActionName"], r[0]["EvalResourceName"], r[0]["EvalDecision"]) == (
        "dynamodb:CreateBackup", "*", "allowed")
    m = r[0]["MatchedStatements"]
    assert [(s["SourcePolicyId"], s["StartPosition"], s["EndPosition"]) for s in m] == [
        ("PolicyInputList.1", {"Line": 1, "Column": 38}, {"Line": 1, "Column": 167})]
    assert r[0]["MissingContextValues"] == []


def test_documented_custom_policy_denied_before_date(iam):
    """simulate-custom-policy example 2: an earlier aws:CurrentTime is an implicit deny."""
    r = iam.simulate_custom_policy(PolicyInputList=[DYNAMO], ActionNames=["dynamodb:CreateBackup"],
                                   ContextEntries=date_entry("2014-04-25T11:00:00Z"))["EvaluationResults"]
    assert (r[0]["EvalDecision"], r[0]["MatchedStatements"]) == ("implicitDeny", [])


def test_documented_principal_policy_inline_statement(iam, server, name):
    """simulate-principal-policy example 1: the user's inline policy is the SourcePolicyId."""
    user = name("sim")
    iam.create_user(UserName=user)
    text = ('{\n    "Version": "2012-10-17",\n    "Statement": {\n        "Effect": "Allow",\n'
            '        "Action": "codecommit:ListRepositories",\n        "Resource": "*"\n    }\n}')
    iam.put_user_policy(UserName=user, PolicyName="Grant-Access-To-CodeCommit-ListRepo", PolicyDocument=text)
    arn = f"arn:aws:iam::{server.account_id}:user/{user}"
    r = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["codecommit:ListRepositories"])
    (res,) = r["EvaluationResults"]
    assert (res["EvalDecision"], res["EvalResourceName"]) == ("allowed", "*")
    (st,) = res["MatchedStatements"]
    assert (st["SourcePolicyId"], st["SourcePolicyType"]) == ("Grant-Access-To-CodeCommit-ListRepo", "user")
    assert (st["StartPosition"], st["EndPosition"]) == ({"Line": 3, "Column": 19}, {"Line": 7, "Column": 6})


def test_documented_principal_policy_denied_by_date(iam, server, name):
    user = name("sim")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="dynamo", PolicyDocument=DYNAMO)
    arn = f"arn:aws:iam::{server.account_id}:user/{user}"
    r = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["dynamodb:CreateBackup"],
                                      ContextEntries=date_entry("2014-04-25T11:00:00Z"))
    assert results(r) == [("dynamodb:CreateBackup", "*", "implicitDeny")]


# -- SimulateCustomPolicy ------------------------------------------------------------------------

def test_each_action_against_each_resource(iam):
    policy = doc(allow("iam:GetUser", "arn:aws:iam::123456789012:user/a*"), allow("iam:ListUsers"))
    r = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["iam:GetUser", "iam:ListUsers"],
                                   ResourceArns=["arn:aws:iam::123456789012:user/alice",
                                                 "arn:aws:iam::123456789012:user/bob"])
    assert results(r) == [
        ("iam:GetUser", "arn:aws:iam::123456789012:user/alice", "allowed"),
        ("iam:GetUser", "arn:aws:iam::123456789012:user/bob", "implicitDeny"),
        ("iam:ListUsers", "arn:aws:iam::123456789012:user/alice", "allowed"),
        ("iam:ListUsers", "arn:aws:iam::123456789012:user/bob", "allowed")]
    first = r["EvaluationResults"][0]["ResourceSpecificResults"]
    assert [(x["EvalResourceName"], x["EvalResourceDecision"]) for x in first] == [
        ("arn:aws:iam::123456789012:user/alice", "allowed")]


def test_explicit_deny_lists_only_the_deny(iam):
    r = iam.simulate_custom_policy(PolicyInputList=[doc(allow("*")), doc(deny("iam:DeleteUser"))],
                                   ActionNames=["iam:DeleteUser"])
    (res,) = r["EvaluationResults"]
    assert res["EvalDecision"] == "explicitDeny"
    assert [s["SourcePolicyId"] for s in res["MatchedStatements"]] == ["PolicyInputList.2"]


def test_allowed_lists_every_allow(iam):
    r = iam.simulate_custom_policy(PolicyInputList=[doc(allow("iam:*")), doc(allow("iam:Get*"))],
                                   ActionNames=["iam:GetUser"])
    assert [s["SourcePolicyId"] for s in r["EvaluationResults"][0]["MatchedStatements"]] == [
        "PolicyInputList.1", "PolicyInputList.2"]


def test_action_spelling_is_kept(iam):
    r = iam.simulate_custom_policy(PolicyInputList=[doc(allow("iam:GetUser"))], ActionNames=["IAM:getuser"])
    assert results(r) == [("IAM:getuser", "*", "allowed")]


def test_missing_context_values_at_top_level_for_star(iam):
    policy = doc(allow("s3:GetObject", Condition={"StringEquals": {"aws:PrincipalTag/team": "a"},
                                                  "Bool": {"aws:SecureTransport": "true"}}))
    r = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject"])
    res = r["EvaluationResults"][0]
    assert res["EvalDecision"] == "implicitDeny"
    assert res["MissingContextValues"] == ["aws:PrincipalTag/team", "aws:SecureTransport"]


def test_missing_context_values_name_every_key_of_the_policies(iam):
    """AWS lists the keys of every statement, not only those of the simulated action
    (boto3 issue #3111: s3:ListBucket reports the aws:username of an s3:GetObject statement)."""
    policy = doc(allow("s3:ListBucket", "arn:aws:s3:::example-bucket",
                       Condition={"StringLike": {"aws:PrincipalTag/allowed_service": "s3"}}),
                 allow("s3:GetObject", "arn:aws:s3:::example-bucket/${aws:username}"))
    r = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:ListBucket"])
    assert r["EvaluationResults"][0]["MissingContextValues"] == ["aws:PrincipalTag/allowed_service", "aws:username"]
    r = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:ListBucket"], ContextEntries=[
        {"ContextKeyName": "AWS:UserName", "ContextKeyValues": ["bob"], "ContextKeyType": "string"}])
    assert r["EvaluationResults"][0]["MissingContextValues"] == ["aws:PrincipalTag/allowed_service"]


def test_missing_context_values_per_resource(iam):
    policy = doc(allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": "a"}}))
    r = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject"],
                                   ResourceArns=["arn:aws:s3:::bucket/key"])
    res = r["EvaluationResults"][0]
    assert res["MissingContextValues"] == []
    assert res["ResourceSpecificResults"][0]["MissingContextValues"] == ["s3:prefix"]


def test_explicit_star_resource_reports_at_top_level(iam):
    """MissingContextValues is at the top when the resource is *, given or defaulted."""
    policy = doc(allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": "a"}}))
    r = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject"], ResourceArns=["*"])
    res = r["EvaluationResults"][0]
    assert res["MissingContextValues"] == ["s3:prefix"] and "ResourceSpecificResults" not in res


def test_supplied_context_is_not_missing(iam):
    policy = doc(allow("s3:GetObject", Condition={"StringEquals": {"aws:username": "bob"}}))
    r = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject"], ContextEntries=[
        {"ContextKeyName": "aws:username", "ContextKeyValues": ["bob"], "ContextKeyType": "string"}])
    assert (r["EvaluationResults"][0]["EvalDecision"], r["EvaluationResults"][0]["MissingContextValues"]) == (
        "allowed", [])


@pytest.mark.parametrize("operator,key,policy_value,kind,values,expected", [
    pytest.param("StringEquals", "aws:username", "bob", "string", ["bob"], "allowed", id="string"),
    pytest.param("ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], "stringList", ["a", "b"], "allowed", id="stringList"),
    pytest.param("ForAllValues:StringEquals", "aws:TagKeys", ["a"], "stringList", ["a", "z"], "implicitDeny", id="stringList-outside"),
    pytest.param("NumericLessThan", "aws:MultiFactorAuthAge", "3600", "numeric", ["120"], "allowed", id="numeric"),
    pytest.param("ForAnyValue:NumericEquals", "n:list", "7", "numericList", ["1", "7"], "allowed", id="numericList"),
    pytest.param("Bool", "aws:SecureTransport", "true", "boolean", ["True"], "allowed", id="boolean"),
    pytest.param("ForAllValues:Bool", "b:list", "true", "booleanList", ["true", "false"], "implicitDeny", id="booleanList"),
    pytest.param("IpAddress", "aws:SourceIp", "203.0.113.0/24", "ip", ["203.0.113.9"], "allowed", id="ip"),
    pytest.param("ForAnyValue:IpAddress", "ip:list", "10.0.0.0/8", "ipList", ["192.0.2.1", "10.1.1.1"], "allowed", id="ipList"),
    pytest.param("BinaryEquals", "bin:key", "QmluYXJ5", "binary", ["QmluYXJ5"], "allowed", id="binary"),
    pytest.param("ForAnyValue:BinaryEquals", "bin:list", "QmluYXJ5", "binaryList", ["b3RoZXI=", "QmluYXJ5"], "allowed", id="binaryList"),
    pytest.param("DateGreaterThan", "aws:CurrentTime", "2020-01-01", "date", ["2021-01-01T00:00:00Z"], "allowed", id="date"),
    pytest.param("ForAllValues:DateLessThan", "d:list", "2020-01-01", "dateList", ["2019-01-01", "2018-01-01"], "allowed", id="dateList"),
])
def test_context_entry_types(iam, operator, key, policy_value, kind, values, expected):
    policy = doc(allow("s3:GetObject", Condition={operator: {key: policy_value}}))
    r = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject"], ContextEntries=[
        {"ContextKeyName": key, "ContextKeyValues": values, "ContextKeyType": kind}])
    assert r["EvaluationResults"][0]["EvalDecision"] == expected


def test_policy_variable_from_context(iam):
    policy = doc(allow("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/${aws:username}"))
    entry = [{"ContextKeyName": "aws:username", "ContextKeyValues": ["bob"], "ContextKeyType": "string"}]
    r = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["iam:CreateAccessKey"],
                                   ResourceArns=["arn:aws:iam::123456789012:user/bob",
                                                 "arn:aws:iam::123456789012:user/eve"], ContextEntries=entry)
    assert [x[2] for x in results(r)] == ["allowed", "implicitDeny"]


def test_permissions_boundary_input(iam):
    r = iam.simulate_custom_policy(PolicyInputList=[doc(allow("*"))], ActionNames=["iam:GetUser", "iam:CreateUser"],
                                   PermissionsBoundaryPolicyInputList=[doc(allow("iam:Get*"))])
    assert [x[2] for x in results(r)] == ["allowed", "implicitDeny"]
    details = [x["PermissionsBoundaryDecisionDetail"] for x in r["EvaluationResults"]]
    assert details == [{"AllowedByPermissionsBoundary": True}, {"AllowedByPermissionsBoundary": False}]


def test_no_boundary_no_boundary_detail(iam):
    r = iam.simulate_custom_policy(PolicyInputList=[doc(allow("*"))], ActionNames=["iam:GetUser"])
    assert "PermissionsBoundaryDecisionDetail" not in r["EvaluationResults"][0]


def test_resource_policy_naming_the_caller_allows(iam):
    caller = "arn:aws:iam::123456789012:user/bob"
    rp = doc({"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "s3:GetObject", "Resource": "*"})
    r = iam.simulate_custom_policy(PolicyInputList=[doc(allow("ec2:*"))], ActionNames=["s3:GetObject"],
                                   ResourceArns=["arn:aws:s3:::bucket/key"], ResourcePolicy=rp,
                                   CallerArn=caller)
    res = r["EvaluationResults"][0]
    assert res["EvalDecision"] == "allowed"
    assert [s["SourcePolicyType"] for s in res["MatchedStatements"]] == ["resource"]


def test_resource_policy_explicit_deny(iam):
    caller = "arn:aws:iam::123456789012:user/bob"
    rp = doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"})
    r = iam.simulate_custom_policy(PolicyInputList=[doc(allow("*"))], ActionNames=["s3:GetObject"],
                                   ResourceArns=["arn:aws:s3:::bucket/key"], ResourcePolicy=rp, CallerArn=caller)
    assert r["EvaluationResults"][0]["EvalDecision"] == "explicitDeny"


def test_cross_account_needs_both_sides(iam):
    """ResourceOwner of another account: the resource policy must allow and so must the
    caller's own policies; EvalDecisionDetails says how each decided."""
    caller = "arn:aws:iam::123456789012:user/bob"
    rp = doc({"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "s3:GetObject", "Resource": "*"})
    kw = dict(ActionNames=["s3:GetObject"], ResourceArns=["arn:aws:s3:::bucket/key"], ResourcePolicy=rp,
              CallerArn=caller, ResourceOwner="arn:aws:iam::999988887777:root")
    both = iam.simulate_custom_policy(PolicyInputList=[doc(allow("s3:*"))], **kw)["EvaluationResults"][0]
    assert both["EvalDecision"] == "allowed"
    assert both["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "allowed"}
    one = iam.simulate_custom_policy(PolicyInputList=[doc(allow("ec2:*"))], **kw)["EvaluationResults"][0]
    assert one["EvalDecision"] == "implicitDeny"
    assert one["EvalDecisionDetails"] == {"IAM Policy": "implicitDeny", "Resource Policy": "allowed"}


def test_same_account_has_no_eval_decision_details(iam):
    caller = "arn:aws:iam::123456789012:user/bob"
    rp = doc({"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "s3:GetObject", "Resource": "*"})
    r = iam.simulate_custom_policy(PolicyInputList=[doc(allow("s3:*"))], ActionNames=["s3:GetObject"],
                                   ResourceArns=["arn:aws:s3:::bucket/key"], ResourcePolicy=rp, CallerArn=caller)
    assert "EvalDecisionDetails" not in r["EvaluationResults"][0]


def test_resource_handling_option_is_accepted(iam):
    r = iam.simulate_custom_policy(PolicyInputList=[doc(allow("ec2:RunInstances"))], ActionNames=["ec2:RunInstances"],
                                   ResourceHandlingOption="EC2-VPC-InstanceStore")
    assert r["EvaluationResults"][0]["EvalDecision"] == "allowed"


def test_paging_over_evaluation_results(iam):
    actions = [f"iam:Get{x}" for x in ("User", "Role", "Group", "Policy", "AccountSummary")]
    first = iam.simulate_custom_policy(PolicyInputList=[doc(allow("iam:Get*"))], ActionNames=actions, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["EvaluationResults"]) == 2
    seen = [r["EvalActionName"] for r in first["EvaluationResults"]]
    marker = first["Marker"]
    while marker:
        page = iam.simulate_custom_policy(PolicyInputList=[doc(allow("iam:Get*"))], ActionNames=actions,
                                          MaxItems=2, Marker=marker)
        seen += [r["EvalActionName"] for r in page["EvaluationResults"]]
        marker = page.get("Marker")
    assert seen == actions


def test_paginator(iam):
    pages = iam.get_paginator("simulate_custom_policy").paginate(
        PolicyInputList=[doc(allow("*"))], ActionNames=["iam:GetUser", "iam:GetRole", "iam:GetGroup"],
        PaginationConfig={"PageSize": 1})
    assert [r["EvalActionName"] for p in pages for r in p["EvaluationResults"]] == [
        "iam:GetUser", "iam:GetRole", "iam:GetGroup"]


# -- errors ---------------------------------------------------------------------------------------

def test_malformed_policy_is_invalid_input(iam):
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=["{not json"], ActionNames=["iam:GetUser"])
    assert code(e) == "InvalidInput"


def test_resource_policy_needs_caller_arn(iam):
    rp = doc({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"})
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=[doc(allow("*"))], ActionNames=["s3:GetObject"], ResourcePolicy=rp)
    assert code(e) == "InvalidInput"


def test_caller_arn_must_be_a_user(iam):
    rp = doc({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"})
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=[doc(allow("*"))], ActionNames=["s3:GetObject"], ResourcePolicy=rp,
                                   CallerArn="arn:aws:iam::123456789012:role/r")
    assert code(e) == "InvalidInput"


def test_invalid_marker(iam):
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=[doc(allow("*"))], ActionNames=["iam:GetUser"], Marker="bogus")
    assert code(e) == "ValidationError"  # as AWS answers an invalid Marker everywhere (recorded)


# -- SimulatePrincipalPolicy ----------------------------------------------------------------------

@pytest.fixture
def member(iam, server, name):
    """A user with an inline policy, an attached managed policy, and a group with both."""
    user, group = name("simu"), name("simg")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="own", PolicyDocument=doc(allow("iam:GetUser")))
    managed = iam.create_policy(PolicyName=name("simp"), PolicyDocument=doc(allow("iam:ListUsers")))["Policy"]
    iam.attach_user_policy(UserName=user, PolicyArn=managed["Arn"])
    iam.put_group_policy(GroupName=group, PolicyName="team", PolicyDocument=doc(allow("iam:GetGroup")))
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.put_group_policy(GroupName=group, PolicyName="guard", PolicyDocument=doc(deny("iam:DeleteUser")))
    return {"user": user, "group": group, "managed": managed["PolicyName"],
            "arn": f"arn:aws:iam::{server.account_id}:user/{user}",
            "group_arn": f"arn:aws:iam::{server.account_id}:group/{group}"}


def _sources(res) -> list[tuple[str, str]]:
    return [(s["SourcePolicyId"], s["SourcePolicyType"]) for s in res["MatchedStatements"]]


def test_principal_user_gathers_every_policy(iam, member):
    r = iam.simulate_principal_policy(PolicySourceArn=member["arn"], ActionNames=[
        "iam:GetUser", "iam:ListUsers", "iam:GetGroup", "iam:DeleteUser", "iam:CreateUser"])
    by = {x["EvalActionName"]: x for x in r["EvaluationResults"]}
    assert ("own", "user") in _sources(by["iam:GetUser"])
    assert ("ReadOnlyAccess", "aws-managed") in _sources(by["iam:GetUser"])
    assert (member["managed"], "user-managed") in _sources(by["iam:ListUsers"])
    assert ("team", "group") in _sources(by["iam:GetGroup"])
    assert (by["iam:DeleteUser"]["EvalDecision"], _sources(by["iam:DeleteUser"])) == (
        "explicitDeny", [("guard", "group")])
    assert by["iam:CreateUser"]["EvalDecision"] == "implicitDeny"


def test_principal_group(iam, member):
    r = iam.simulate_principal_policy(PolicySourceArn=member["group_arn"], ActionNames=["iam:GetGroup", "iam:CreateUser"])
    assert [x[2] for x in results(r)] == ["allowed", "implicitDeny"]


def test_principal_with_extra_policy_input(iam, member):
    r = iam.simulate_principal_policy(PolicySourceArn=member["arn"], ActionNames=["iam:CreateUser"],
                                      PolicyInputList=[doc(allow("iam:CreateUser"))])
    assert _sources(r["EvaluationResults"][0]) == [("PolicyInputList.1", "none")]


def test_principal_role_with_stored_boundary(iam, server, name):
    role = name("simr")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    boundary = iam.create_policy(PolicyName=name("simb"), PolicyDocument=doc(allow("iam:Get*")))["Policy"]["Arn"]
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust, PermissionsBoundary=boundary)
    iam.put_role_policy(RoleName=role, PolicyName="admin", PolicyDocument=doc(allow("*")))
    arn = f"arn:aws:iam::{server.account_id}:role/{role}"
    r = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["iam:GetRole", "iam:DeleteRole"])
    assert [x[2] for x in results(r)] == ["allowed", "implicitDeny"]
    assert [x["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"] for x in r["EvaluationResults"]] == [
        True, False]
    assert _sources(r["EvaluationResults"][0]) == [("admin", "role")]
    # PermissionsBoundaryPolicyInputList replaces the stored boundary.
    r = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["iam:DeleteRole"],
                                      PermissionsBoundaryPolicyInputList=[doc(allow("iam:*"))])
    assert r["EvaluationResults"][0]["EvalDecision"] == "allowed"


def test_principal_role_refuses_resource_policy(iam, server, name):
    role = name("simr")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    rp = doc({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"})
    with pytest.raises(ClientError) as e:
        iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{server.account_id}:role/{role}",
                                      ActionNames=["s3:GetObject"], ResourcePolicy=rp)
    assert code(e) == "InvalidInput"


def test_principal_user_is_the_default_caller_of_a_resource_policy(iam, member):
    rp = doc({"Effect": "Allow", "Principal": {"AWS": member["arn"]}, "Action": "s3:GetObject", "Resource": "*"})
    r = iam.simulate_principal_policy(PolicySourceArn=member["arn"], ActionNames=["s3:GetObject"],
                                      ResourceArns=["arn:aws:s3:::bucket/key"], ResourcePolicy=rp)
    assert r["EvaluationResults"][0]["EvalDecision"] == "allowed"


def test_principal_unknown_entity_is_no_such_entity(iam, server, name):
    with pytest.raises(ClientError) as e:
        iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{server.account_id}:user/{name('nope')}",
                                      ActionNames=["iam:GetUser"])
    assert code(e) == "NoSuchEntity"


def test_principal_invalid_arn_is_invalid_input(iam):
    with pytest.raises(ClientError) as e:
        iam.simulate_principal_policy(PolicySourceArn="arn:aws:iam::000000000000:user/x", ActionNames=["iam:GetUser"])
    assert code(e) == "InvalidInput"


def test_principal_and_context_keys_agree(iam, member):
    """GetContextKeysForPrincipalPolicy reads the same documents with the same parser."""
    iam.put_user_policy(UserName=member["user"], PolicyName="cond", PolicyDocument=doc(
        allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": "home/"}})))
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=member["arn"])["ContextKeyNames"]
    r = iam.simulate_principal_policy(PolicySourceArn=member["arn"], ActionNames=["s3:GetObject"])
    assert r["EvaluationResults"][0]["MissingContextValues"] == keys == ["s3:prefix"]


def test_many_pairs_page_through_in_order(iam):
    """Each action against each resource, action-major, across Marker pages."""
    actions = [f"iam:Action{i}" for i in range(100)]
    resources = [f"arn:aws:iam::123456789012:user/u{i}" for i in range(50)]
    pages = iam.get_paginator("simulate_custom_policy").paginate(
        PolicyInputList=[doc(allow("*"))], ActionNames=actions, ResourceArns=resources,
        PaginationConfig={"PageSize": 1000})
    got = [(r["EvalActionName"], r["EvalResourceName"]) for p in pages for r in p["EvaluationResults"]]
    assert got == [(a, r) for a in actions for r in resources]
