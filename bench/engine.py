"""Micro-benchmark of the pure policy engine: decisions per second.

Two principals, as the enforcer sees them (a cached PolicySet, a fresh Request per call):
* typical: 10 attached managed policies and 5 group policies without conditions;
* condition-heavy: the same shape, every group policy carrying `${aws:username}` in its
  Resource and StringEquals / IpAddress / Bool / DateLessThan conditions, plus a
  conditional Deny and a permissions boundary.
Run: `.venv/bin/python -m bench.engine` (a few seconds; best of 5 rounds is reported).
"""

import json
import time

from iamd.policy.compiled import compile_policy
from iamd.policy.evaluate import PolicySet, PolicySource, Request, evaluate

ACCOUNT = "123456789012"


def _source(i, kind, statements) -> PolicySource:
    return PolicySource(f"{kind}-{i}", kind, compile_policy(json.dumps(
        {"Version": "2012-10-17", "Statement": statements})))


def _managed(i: int) -> PolicySource:
    return _source(i, "user-managed", [
        {"Effect": "Allow", "Action": [f"s3:Get{i}*", "ec2:Describe*", "sqs:List*"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"],
         "Resource": f"arn:aws:iam::{ACCOUNT}:user/team{i}/*"}])


def typical() -> PolicySet:
    groups = [_source(i, "group", [{"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListAccessKeys"],
                                    "Resource": f"arn:aws:iam::{ACCOUNT}:user/*"}]) for i in range(5)]
    return PolicySet(tuple([_managed(i) for i in range(10)] + groups))


def condition_heavy() -> PolicySet:
    groups = [_source(i, "group", [
        {"Effect": "Allow", "Action": ["iam:GetUser", "iam:*AccessKey*"],
         "Resource": f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": f"t{i}", "aws:RequestedRegion": "us-east-1"},
                       "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]},
                       "Bool": {"aws:SecureTransport": "true"},
                       "DateLessThan": {"aws:CurrentTime": "2099-01-01T00:00:00Z"}}},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"},
                       "ForAnyValue:StringEquals": {"aws:TagKeys": ["protected"]}}}]) for i in range(5)]
    boundary = _source(0, "user-managed", [{"Effect": "Allow", "Action": "iam:*", "Resource": "*",
                                            "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}}}])
    return PolicySet(tuple([_managed(i) for i in range(10)] + groups), boundary)


def _context(i: int) -> dict:
    return {"aws:username": "bob", "aws:principaltag/team": "t4", "aws:requestedregion": "us-east-1",
            "aws:sourceip": f"10.0.{i % 250}.7", "aws:securetransport": "true",
            "aws:currenttime": "2025-06-01T12:00:00Z", "aws:principalarn": f"arn:aws:iam::{ACCOUNT}:user/bob"}


def measure(policies: PolicySet, n: int = 20000) -> tuple[float, str]:
    reqs = [Request("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/bob", _context(i)) for i in range(100)]
    decision = evaluate(reqs[0], policies).decision
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for k in range(n):
            evaluate(reqs[k % 100], policies)
        best = min(best, time.perf_counter() - start)
    return n / best, decision


def main() -> None:
    for name, factory in (("typical (15 policies)", typical), ("condition-heavy (15 policies + boundary)", condition_heavy)):
        rate, decision = measure(factory())
        print(f"{name:42s} {rate:>12,.0f} decisions/s  {1e6 / rate:6.2f} µs/decision  ({decision})")


if __name__ == "__main__":
    main()
