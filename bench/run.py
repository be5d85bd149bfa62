"""Run the scenarios against iamd and moto's server side by side and print the ratios.

    .venv/bin/python -m bench.run [--seconds 5] [--scenarios getuser,listusers,createuser]

Servers are pinned to one core (BENCH_SERVER_CPU, default 1) and the load generator to
the other, so they do not compete. Each scenario replays pre-signed requests.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config

from . import accounts, loadgen, peers
from .signing import raw_request

GEN_CPU = int(os.environ.get("BENCH_GEN_CPU", "0"))


def client(peer, service="iam"):
    return boto3.client(service, endpoint_url=peer.endpoint, region_name="us-east-1",
                        aws_access_key_id=peer.key, aws_secret_access_key=peer.secret,
                        config=Config(retries={"max_attempts": 2}))


def seed_users(peer, n: int, prefix: str) -> None:
    iam = client(peer)
    for i in range(n):
        iam.create_user(UserName=f"{prefix}{i:05d}")


def _signed(peer, op, params_list, service="iam"):
    return [raw_request("127.0.0.1", peer.port, op, p, peer.key, peer.secret, service) for p in params_list]


def scenario_getuser(peer, seconds, conns):
    client(peer).create_user(UserName="bench-get") if peer.name != "reference" else None
    reqs = _signed(peer, "GetUser", [{"UserName": "bench-get"}] * 16)
    loadgen.run("127.0.0.1", peer.port, reqs, 0.5, conns)  # warm up
    cpu = peer.cpu_seconds()
    result = loadgen.run("127.0.0.1", peer.port, reqs, seconds, conns)
    cpu = peer.cpu_seconds() - cpu
    if cpu > 0:
        print(f"getuser      {peer.name:10s} server CPU {cpu / result.requests * 1e6:7.1f} us/request = "
              f"{result.requests / cpu:9.1f} requests per CPU-second", flush=True)
    return result


def _conditioned_policy(i: int, resource: str) -> str:
    """A policy of three statements with conditions, one of which allows GetUser."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": f"ReadUsers{i}", "Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUsers", "iam:Get*Policy"],
         "Resource": resource, "Condition": {
             "StringEquals": {"aws:PrincipalTag/team": "bench"},
             "IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "10.0.0.0/8"]},
             "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}},
        {"Sid": f"Other{i}", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "ec2:Describe*"],
         "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Sid": f"NoDeletes{i}", "Effect": "Deny", "Action": "iam:Delete*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:username": "admin"}}}]})


def policy_user(iam, name: str = "bench-reader") -> tuple[str, str]:
    """A user whose rights come from 10 attached managed policies and 5 groups' inline
    policies, all with conditions; its access key."""
    iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "bench"}])
    for i in range(10):
        arn = iam.create_policy(PolicyName=f"bench-managed-{i}",
                                PolicyDocument=_conditioned_policy(i, "arn:aws:iam::*:user/*"))["Policy"]["Arn"]
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    for i in range(5):
        iam.create_group(GroupName=f"bench-group-{i}")
        iam.put_group_policy(GroupName=f"bench-group-{i}", PolicyName=f"bench-inline-{i}",
                             PolicyDocument=_conditioned_policy(10 + i, "arn:aws:iam::*:user/bench-*"))
        iam.add_user_to_group(GroupName=f"bench-group-{i}", UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def scenario_getuser_policies(peer, seconds, conns):
    """iamd: GetUser as `policy_user`, enforcement on, after root's GetUser in the same run
    (printed, with the ratio); moto: its GetUser."""
    iam = client(peer)
    iam.create_user(UserName="bench-get")
    root_reqs = _signed(peer, "GetUser", [{"UserName": "bench-get"}] * 16)
    if peer.name != "iamd":
        loadgen.run("127.0.0.1", peer.port, root_reqs, 0.5, conns)
        return loadgen.run("127.0.0.1", peer.port, root_reqs, seconds, conns)
    key, secret = policy_user(iam)
    user_reqs = [raw_request("127.0.0.1", peer.port, "GetUser", {"UserName": "bench-get"}, key, secret, "iam")] * 16
    for reqs in (root_reqs, user_reqs):
        loadgen.run("127.0.0.1", peer.port, reqs, 0.5, conns)
    root = loadgen.run("127.0.0.1", peer.port, root_reqs, seconds, conns)
    user = loadgen.run("127.0.0.1", peer.port, user_reqs, seconds, conns)
    assert user.errors == 0 and root.errors == 0, (user.errors, root.errors)
    print(f"getuser_policies iamd root {root.rps:9.1f} req/s  p50 {root.percentile(0.5):7.2f} ms; "
          f"user with 15 policies {user.rps:9.1f} req/s  p50 {user.percentile(0.5):7.2f} ms; "
          f"user/root = {user.rps / root.rps:.1%}", flush=True)
    peer.extra["root_rps"] = root.rps
    return user


def scenario_listusers(peer, seconds, conns):
    seed_users(peer, 1000, "bench-list-")
    reqs = _signed(peer, "ListUsers", [{"MaxItems": 100}] * 16)
    loadgen.run("127.0.0.1", peer.port, reqs, 0.5, conns)
    return loadgen.run("127.0.0.1", peer.port, reqs, seconds, conns)


def scenario_createuser(peer, seconds, conns, pool=12000):
    reqs = _signed(peer, "CreateUser", [{"UserName": f"bench-create-{i:06d}"} for i in range(pool)])
    return loadgen.run("127.0.0.1", peer.port, reqs, seconds, conns, max_requests=pool)


def scenario_credential_report(peer, seconds, conns, users=10_000):
    accounts.WORKERS["workers"] = 1 if peer.name == "moto" else 8
    iam = client(peer)
    accounts.seed_users(iam, users)
    took, rows = accounts.time_credential_report(iam)
    return loadgen.Result(rows, 0, took, [took])


def scenario_authorization_details(peer, seconds, conns, per_kind=2_500):
    accounts.WORKERS["workers"] = 1 if peer.name == "moto" else 8
    iam = client(peer)
    account = client(peer, "sts").get_caller_identity()["Account"]
    accounts.seed_account(iam, account, per_kind)
    took, seen = accounts.time_authorization_details(iam)
    raw, size = accounts.time_authorization_details_raw(peer)
    print(f"authdetails  {peer.name:10s} server only (raw HTTP, no client parsing): {raw:.3f} s, "
          f"{size / 1e6:.1f} MB", flush=True)
    return loadgen.Result(seen, 0, took, [took, raw])


SCENARIOS = {
    "getuser": (scenario_getuser, True),  # (function, compare with the reference app)
    "getuser_policies": (scenario_getuser_policies, False),
    "listusers": (scenario_listusers, False),
    "createuser": (scenario_createuser, False),
}
# Timed once, end to end: the figure is seconds (lower is better), the ratio moto/iamd.
TIMED = {
    "credreport": scenario_credential_report,
    "authdetails": scenario_authorization_details,
}


def run_peers(fn, args, with_reference: bool):
    """Yield (peer name, result) of `fn` run against each server in turn, one at a time."""
    starters = [("iamd", lambda: peers.start_iamd(args.database_url, not args.no_access_log,
                                                  audit=not args.no_audit))]
    if not args.skip_moto:
        starters.append(("moto", peers.start_moto))
    if with_reference:
        starters.append(("reference", peers.start_reference))
    for label, start in starters:
        peer = start()
        try:
            result = fn(peer, args.seconds, args.connections)
        finally:
            peer.stop()
        yield label, result


def run_timed(name, fn, args) -> dict:
    row = {}
    for label, r in run_peers(fn, args, with_reference=False):
        row[label] = {"seconds": round(r.seconds, 3), "items": r.requests}
        print(f"{name:12s} {label:10s} {r.seconds:9.3f} s   items {r.requests}", flush=True)
    if "moto" in row and row["iamd"]["seconds"]:
        row["moto/iamd"] = round(row["moto"]["seconds"] / row["iamd"]["seconds"], 2)
        print(f"{name:12s} iamd is {row['moto/iamd']:.2f}x faster than moto", flush=True)
    return row


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--scenarios", default=",".join([*SCENARIOS, *TIMED]))
    ap.add_argument("--database-url", default=None, help="run iamd on PostgreSQL instead of SQLite")
    ap.add_argument("--no-access-log", action="store_true")
    ap.add_argument("--skip-moto", action="store_true")
    ap.add_argument("--no-audit", action="store_true", help="run iamd with its audit trail off")
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {GEN_CPU})
    results = {}
    for name in args.scenarios.split(","):
        if name in TIMED:
            results[name] = run_timed(name, TIMED[name], args)
            continue
        fn, with_ref = SCENARIOS[name]
        row = {}
        for label, r in run_peers(fn, args, with_ref):
            row[label] = {"rps": round(r.rps, 1), "p50_ms": round(r.percentile(0.5), 2),
                          "p99_ms": round(r.percentile(0.99), 2), "requests": r.requests, "errors": r.errors}
            print(f"{name:12s} {label:10s} {r.rps:9.1f} req/s  p50 {r.percentile(0.5):7.2f} ms  "
                  f"p99 {r.percentile(0.99):7.2f} ms  errors {r.errors}", flush=True)
        if "moto" in row and row["moto"]["rps"]:
            row["iamd/moto"] = round(row["iamd"]["rps"] / row["moto"]["rps"], 2)
            print(f"{name:12s} iamd/moto = {row['iamd/moto']:.2f}x", flush=True)
        if "reference" in row and row["reference"]["rps"]:
            row["iamd/reference"] = round(row["iamd"]["rps"] / row["reference"]["rps"], 3)
            print(f"{name:12s} iamd/reference = {row['iamd/reference']:.1%}", flush=True)
        results[name] = row
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"run-{int(time.time())}.json").write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
