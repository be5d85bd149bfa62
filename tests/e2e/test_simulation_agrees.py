"""The simulator and the enforcer are one engine: for random policies, a user and a request,
SimulatePrincipalPolicy (given the context the enforcer supplies) decides what the enforcing
server does."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import client_of

OPS = [  # (operation, kwargs builder, action, resource builder)
    ("GetUser", lambda me, other: {"UserName": other}, "iam:GetUser", lambda a, me, other: f"arn:aws:iam::{a}:user/{other}"),
    ("GetUser", lambda me, other: {"UserName": me}, "iam:GetUser", lambda a, me, other: f"arn:aws:iam::{a}:user/{me}"),
    ("ListAccessKeys", lambda me, other: {"UserName": me}, "iam:ListAccessKeys", lambda a, me, other: f"arn:aws:iam::{a}:user/{me}"),
    ("ListUserTags", lambda me, other: {"UserName": other}, "iam:ListUserTags", lambda a, me, other: f"arn:aws:iam::{a}:user/{other}"),
    ("GetAccountSummary", lambda me, other: {}, "iam:GetAccountSummary", lambda a, me, other: "*"),
]
ACTIONS = ["iam:GetUser", "iam:Get*", "iam:List*", "iam:*", "*", "iam:ListAccessKeys", "iam:ListUserTags",
           "iam:GetAccountSummary", "iam:*User*"]
RESOURCES = ["*", "arn:aws:iam::*:user/*", "arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::*:user/sim-a*",
             "arn:aws:iam::*:role/*"]
CONDITIONS = [
    None,
    {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
    {"StringNotEquals": {"aws:PrincipalTag/team": "blue"}},
    {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
    {"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"StringLike": {"aws:username": "sim-*"}},
    {"StringEqualsIfExists": {"aws:PrincipalTag/missing": "x"}},
    {"Null": {"aws:PrincipalTag/team": "false"}},
]
statement = st.builds(
    lambda effect, action, resource, condition: {"Effect": effect, "Action": action, "Resource": resource,
                                                 **({"Condition": condition} if condition else {})},
    st.sampled_from(["Allow", "Allow", "Deny"]), st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2),
    st.sampled_from(RESOURCES), st.sampled_from(CONDITIONS))
policies = st.lists(st.lists(statement, min_size=1, max_size=3), min_size=1, max_size=3)


def context(server, user, team):
    entries = {"aws:username": user, "aws:SourceIp": "127.0.0.1", "aws:SecureTransport": "false",
               "aws:PrincipalArn": f"arn:aws:iam::{server.account_id}:user/{user}",
               "aws:RequestedRegion": "us-east-1"}
    if team:
        entries["aws:PrincipalTag/team"] = team
    return [{"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": "ip" if k == "aws:SourceIp" else "string"}
            for k, v in entries.items()]


def test_simulator_decides_as_the_enforcer(server, iam, name):
    me, other = name("sim-a"), name("sim-b")
    iam.create_user(UserName=other)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(policies, st.sampled_from([None, "blue", "red"]), st.sampled_from(range(len(OPS))))
    def check(docs, team, op_index):
        user = name("sim-a")
        iam.create_user(UserName=user, Tags=[{"Key": "team", "Value": team}] if team else [])
        client = client_of(server, iam, user)
        for i, statements in enumerate(docs):
            iam.put_user_policy(UserName=user, PolicyName=f"p{i}",
                                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
        op, kwargs, action, resource = OPS[op_index]
        arn = f"arn:aws:iam::{server.account_id}:user/{user}"
        sim = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=[action],
                                            ResourceArns=[resource(server.account_id, user, other)],
                                            ContextEntries=context(server, user, team))["EvaluationResults"][0]
        import time
        time.sleep(1.1)  # the enforcer's policy cache notices changes within a second
        try:
            getattr(client, __import__("botocore").xform_name(op))(**kwargs(user, other))
            enforced = "allowed"
        except client.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == "AccessDenied", e.response
            enforced = "denied"
        assert (sim["EvalDecision"] == "allowed") == (enforced == "allowed"), (docs, team, op, sim)

    check()
