"""Fuzz the policy engine: any JSON document compiles, any request evaluates, never a crash.

Documents are drawn from the policy grammar with every element allowed to be of the wrong
type, operators and values drawn from the real ones and from junk, and contexts holding
single and multi-valued keys. Properties: compile_policy raises only ValueError (and only
for non-objects), evaluate always answers one of the three decisions, and a PolicySet
reused across requests (its memoised plan) decides exactly as a fresh one does.
"""

import json

from hypothesis import given
from hypothesis import strategies as st
from model_strategies import budget

from iamd.policy.compiled import compile_policy
from iamd.policy.conditions import OPERATORS
from iamd.policy.evaluate import Caller, PolicySet, PolicySource, Request, evaluate

ACCOUNT = "123456789012"
KEYS = ["aws:username", "aws:SourceIp", "aws:CurrentTime", "aws:TagKeys", "aws:PrincipalTag/team",
        "aws:MultiFactorAuthAge", "aws:SecureTransport", "aws:PrincipalArn", "s3:prefix"]
VALUES = ["bob", "10.0.0.0/8", "2001:db8::/32", "2020-01-01T00:00:00Z", "1700000000", "42", "true", "false",
          "b*", "?", "arn:aws:iam::*:user/*", "${aws:username}", "${aws:username, 'x'}", "${*}", "QmluYXJ5", "",
          "not-an-ip", "${", "}"]
ACTIONS = ["iam:GetUser", "iam:*", "*", "iam:Get*", "IAM:getuser", "sts:AssumeRole", "iam:?etUser", "s3:*Object"]
RESOURCES = ["*", f"arn:aws:iam::{ACCOUNT}:user/bob", "arn:aws:iam::*:user/*", f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}",
             "arn:aws:s3:::bucket/*", "arn:aws", "arn:aws:iam::*", "user/*"]

junk = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=6)
strings = st.one_of(st.sampled_from(VALUES), st.text(max_size=10))
operator = st.one_of(
    st.builds(lambda q, op, ie: q + op + ie, st.sampled_from(["", "ForAllValues:", "ForAnyValue:", "ForSome:"]),
              st.sampled_from(sorted(OPERATORS)), st.sampled_from(["", "IfExists"])),
    st.text(max_size=12))
condition = st.one_of(
    st.dictionaries(operator, st.dictionaries(st.sampled_from(KEYS),
                                              st.one_of(strings, st.lists(strings, max_size=3), st.integers(),
                                                        st.booleans(), junk), max_size=3), max_size=3),
    junk)
principal = st.one_of(st.just("*"), st.dictionaries(
    st.sampled_from(["AWS", "Service", "Federated", "CanonicalUser", "Other"]),
    st.one_of(st.sampled_from([ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{ACCOUNT}:user/bob",
                               f"arn:aws:iam::{ACCOUNT}:role/r", "ec2.amazonaws.com", "*", "AIDAX"]), junk),
    max_size=2), junk)
statement = st.fixed_dictionaries({}, optional={
    "Sid": st.one_of(st.text(max_size=5), junk), "Effect": st.sampled_from(["Allow", "Deny", "allow", 3]),
    "Action": st.one_of(st.sampled_from(ACTIONS), st.lists(st.sampled_from(ACTIONS), max_size=3), junk),
    "NotAction": st.one_of(st.sampled_from(ACTIONS), junk),
    "Resource": st.one_of(st.sampled_from(RESOURCES), st.lists(st.sampled_from(RESOURCES), max_size=3), junk),
    "NotResource": st.one_of(st.sampled_from(RESOURCES), junk),
    "Principal": principal, "NotPrincipal": principal, "Condition": condition})
document = st.fixed_dictionaries({"Statement": st.one_of(statement, st.lists(statement, max_size=4), junk)},
                                 optional={"Version": st.sampled_from(["2012-10-17", "2008-10-17", 7])})
context_value = st.one_of(strings, st.lists(strings, max_size=3).map(tuple))
context = st.dictionaries(st.sampled_from(KEYS).map(str.lower), context_value, max_size=5)
request = st.builds(Request, st.sampled_from(["iam:GetUser", "iam:CreateUser", "sts:AssumeRole", "s3:GetObject"]),
                    st.sampled_from(["*", f"arn:aws:iam::{ACCOUNT}:user/bob", "arn:aws:s3:::bucket/k"]), context)
CALLER = Caller(f"arn:aws:iam::{ACCOUNT}:user/bob", ACCOUNT, unique_id="AIDAX")


def _sources(docs):
    return tuple(PolicySource(f"p{i}", "none", compile_policy(json.dumps(d))) for i, d in enumerate(docs))


@budget(20)
@given(st.one_of(document.map(json.dumps), st.text(max_size=40), junk.map(json.dumps)))
def test_compile_never_crashes(text):
    try:
        policy = compile_policy(text)
    except ValueError:
        return
    for s in policy.statements:
        assert s.effect in ("Allow", "Deny", "Invalid") and s.start[0] >= 1


@budget(20)
@given(st.lists(document, min_size=1, max_size=3), st.one_of(st.none(), document), st.one_of(st.none(), document),
       st.lists(request, min_size=1, max_size=4), st.booleans())
def test_evaluate_always_decides_and_memo_agrees(identity, boundary, resource, requests, explain):
    kw = dict(resource_policy=_sources([resource])[0] if resource else None, caller=CALLER, explain=explain)
    boundary_source = _sources([boundary])[0] if boundary else None
    shared = PolicySet(_sources(identity), boundary_source)
    for req in requests:
        d = evaluate(req, shared, **kw)
        fresh = evaluate(req, PolicySet(_sources(identity), boundary_source), **kw)
        assert d.decision in ("allowed", "explicitDeny", "implicitDeny")
        assert (d.decision, d.denied_by, d.boundary_allowed) == (fresh.decision, fresh.denied_by, fresh.boundary_allowed)
        assert sorted((s.id, st.index) for s, st in d.matched) == sorted((s.id, st.index) for s, st in fresh.matched)
        if d.decision == "explicitDeny":
            assert all(st.effect == "Deny" for _, st in d.matched)
        elif d.decision == "allowed":
            assert all(st.effect == "Allow" for _, st in d.matched)
        else:
            assert d.matched == ()
