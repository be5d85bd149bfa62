"""Helpers shared by the table-driven engine suites (tests/unit/test_policy_engine_*.py)."""

import json

from iamd.policy.compiled import compile_policy
from iamd.policy.evaluate import PolicySet, PolicySource, Request, evaluate

ACCOUNT = "123456789012"
V = "2012-10-17"


def doc(*statements, version=V) -> str:
    d = {"Statement": list(statements)}
    if version is not None:
        d = {"Version": version, **d}
    return json.dumps(d)


def source(text_or_statement, id="p", type="user") -> PolicySource:
    text = text_or_statement if isinstance(text_or_statement, str) else doc(text_or_statement)
    return PolicySource(id, type, compile_policy(text))


def context(values: dict | None) -> dict:
    return {k.lower(): v for k, v in (values or {}).items()}


def request(action="iam:GetUser", resource="*", ctx=None) -> Request:
    return Request(action, resource, context(ctx))


def allow(action="iam:GetUser", resource="*", condition=None, **extra) -> dict:
    st = {"Effect": "Allow", "Action": action, "Resource": resource, **extra}
    if condition is not None:
        st["Condition"] = condition
    return st


def deny(action="iam:GetUser", resource="*", condition=None, **extra) -> dict:
    st = allow(action, resource, condition, **extra)
    st["Effect"] = "Deny"
    return st


def decide(policies, req=None, **kw):
    """The engine's decision, checked against the enforcer's shortcut (`decision_only`,
    which stops looking for Allows once one holds): every case is also a differential test."""
    srcs = tuple(p if isinstance(p, PolicySource) else source(p) for p in policies)
    full = evaluate(req or request(), PolicySet(srcs), **kw)
    quick = evaluate(req or request(), PolicySet(srcs), decision_only=True, **kw)
    assert (quick.decision, quick.denied_by, quick.boundary_allowed) == \
        (full.decision, full.denied_by, full.boundary_allowed), (quick, full)
    return full


def condition_holds(operator, key, policy_value, ctx, version=V) -> bool:
    """Whether one condition entry holds, via an Allow statement that carries it."""
    st = allow(condition={operator: {key: policy_value}})
    return decide([doc(st, version=version)], request(ctx=ctx)).decision == "allowed"
