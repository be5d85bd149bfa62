"""Run the scenarios against iamd and moto's server side by side and print the ratios.

    .venv/bin/python -m bench.run [--seconds 5] [--scenarios getuser,listusers,createuser]
    .venv/bin/python -m bench.run --scenarios authdetails [--per-kind 10000]
    .venv/bin/python -m bench.run --scenarios gaadscale --scale-sizes 10000,100000 [--walks 3]

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

from . import accounts, gaad, loadgen, peers, seeding
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
    return measured(peer, reqs, seconds, conns)


def measured(peer, reqs, seconds, conns):
    """loadgen.run, with the server's CPU time per request: on a shared machine whose load
    drifts, requests per CPU-second compare runs that requests per second cannot."""
    cpu = peer.cpu_seconds()
    result = loadgen.run("127.0.0.1", peer.port, reqs, seconds, conns)
    if result.requests:
        result.cpu_us = (peer.cpu_seconds() - cpu) / result.requests * 1e6
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
        return measured(peer, root_reqs, seconds, conns)
    key, secret = policy_user(iam)
    user_reqs = [raw_request("127.0.0.1", peer.port, "GetUser", {"UserName": "bench-get"}, key, secret, "iam")] * 16
    for reqs in (root_reqs, user_reqs):
        loadgen.run("127.0.0.1", peer.port, reqs, 0.5, conns)
    root = measured(peer, root_reqs, seconds, conns)
    user = measured(peer, user_reqs, seconds, conns)
    # The same call with a User-Agent of its own each time (the header is not signed): the
    # request context differs, so neither the whole-call memo nor the decision cache of
    # server/authorize.py answers, and every request is evaluated over all 15 policies.
    fresh = measured(peer, _with_user_agents(user_reqs[0], int(seconds * 20_000)), seconds, conns)
    assert user.errors == 0 and root.errors == 0 and fresh.errors == 0, (user.errors, root.errors, fresh.errors)
    print(f"getuser_policies iamd root {root.rps:9.1f} req/s  p50 {root.percentile(0.5):7.2f} ms "
          f"({root.cpu_us:.0f} us CPU); user with 15 policies {user.rps:9.1f} req/s  p50 "
          f"{user.percentile(0.5):7.2f} ms ({user.cpu_us:.0f} us CPU); user/root = {user.rps / root.rps:.1%}",
          flush=True)
    print(f"getuser_policies iamd user, every request evaluated afresh {fresh.rps:9.1f} req/s  p50 "
          f"{fresh.percentile(0.5):7.2f} ms ({fresh.cpu_us:.0f} us CPU); fresh/root = {fresh.rps / root.rps:.1%}",
          flush=True)
    peer.extra["fresh_rps"] = fresh.rps
    peer.extra["root_rps"] = root.rps
    return user


def _with_user_agents(request: bytes, n: int) -> list[bytes]:
    """`n` copies of a signed request, each with a User-Agent of its own (SigV4 does not
    sign that header)."""
    head, _, body = request.partition(b"\r\n\r\n")
    lines = [l for l in head.split(b"\r\n") if not l.lower().startswith(b"user-agent:")]
    return [b"\r\n".join([*lines, b"User-Agent: bench/%d" % i]) + b"\r\n\r\n" + body for i in range(n)]


_TRUST_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
_GET_USER = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:GetUser", "sts:AssumeRole"], "Resource": "*"}]})


def _role_and_user(iam):
    """A role anyone with the permission may assume and a user with that permission (and
    iam:GetUser) as an inline policy each: (role ARN, user key, user secret)."""
    arn = iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=_TRUST_ALL)["Role"]["Arn"]
    iam.put_role_policy(RoleName="bench-role", PolicyName="get", PolicyDocument=_GET_USER)
    iam.create_user(UserName="bench-caller")
    iam.put_user_policy(UserName="bench-caller", PolicyName="get", PolicyDocument=_GET_USER)
    key = iam.create_access_key(UserName="bench-caller")["AccessKey"]
    return arn, key["AccessKeyId"], key["SecretAccessKey"]


def _merged(a, b):
    """Two runs of the same requests as one result."""
    if a is None:
        return b
    return loadgen.Result(a.requests + b.requests, a.errors + b.errors, a.seconds + b.seconds,
                          a.latencies + b.latencies)


def scenario_getuser_session(peer, seconds, conns):
    """iamd: GetUser signed with a role session's temporary credentials, after the same call
    signed with a user's long-term key in the same run (printed, with the ratio); both
    principals hold the same one-statement policy. moto: its GetUser."""
    iam = client(peer)
    iam.create_user(UserName="bench-get")
    if peer.name != "iamd":
        reqs = _signed(peer, "GetUser", [{"UserName": "bench-get"}] * 16)
        loadgen.run("127.0.0.1", peer.port, reqs, 0.5, conns)
        return measured(peer, reqs, seconds, conns)
    role_arn, key, secret = _role_and_user(iam)
    sts = boto3.client("sts", endpoint_url=peer.endpoint, region_name="us-east-1", aws_access_key_id=key,
                       aws_secret_access_key=secret)
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="bench")["Credentials"]
    params = {"UserName": "bench-get"}
    long_reqs = [raw_request("127.0.0.1", peer.port, "GetUser", params, key, secret)] * 16
    session_reqs = [raw_request("127.0.0.1", peer.port, "GetUser", params, creds["AccessKeyId"],
                                creds["SecretAccessKey"], token=creds["SessionToken"])] * 16
    for reqs in (long_reqs, session_reqs):
        loadgen.run("127.0.0.1", peer.port, reqs, 0.5, conns)
    # alternate the two, half the time each turn, so a change in the machine's load
    # during the run weighs on both alike
    long_term = session = None
    for _ in range(2):
        long_term = _merged(long_term, loadgen.run("127.0.0.1", peer.port, long_reqs, seconds / 2, conns))
        session = _merged(session, loadgen.run("127.0.0.1", peer.port, session_reqs, seconds / 2, conns))
    assert long_term.errors == 0 and session.errors == 0, (long_term.errors, session.errors)
    print(f"getuser_session iamd long-term key {long_term.rps:9.1f} req/s  p50 {long_term.percentile(0.5):7.2f} ms; "
          f"session credentials {session.rps:9.1f} req/s  p50 {session.percentile(0.5):7.2f} ms; "
          f"session/long-term = {session.rps / long_term.rps:.1%}", flush=True)
    return session


def scenario_assumerole(peer, seconds, conns, pool=4000):
    """AssumeRole by a user allowed to (moto: by its root, it enforces nothing)."""
    iam = client(peer)
    role_arn, key, secret = _role_and_user(iam)
    if peer.name != "iamd":
        key, secret = peer.key, peer.secret
    reqs = [raw_request("127.0.0.1", peer.port, "AssumeRole", {"RoleArn": role_arn, "RoleSessionName": f"s{i}"},
                        key, secret, "sts") for i in range(pool)]
    loadgen.run("127.0.0.1", peer.port, reqs[:64], 0.5, conns)
    return measured(peer, reqs, seconds, conns)


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


def account_of(peer) -> str:
    return client(peer, "sts").get_caller_identity()["Account"]


def scenario_seeding(started: list, args, walk=False) -> dict:
    """Seed `--per-kind` of each kind in bands on every started peer, taking turns
    (bench.seeding); with `walk`, then time GetAccountAuthorizationDetails over each."""
    out = seeding.seed(started, [account_of(p) for p in started], args.per_kind, args.seed_connections)
    if walk:
        # A walk of iamd takes about a second, moto's most of a minute. On a shared machine
        # whose load drifts, iamd walks right before and right after moto's walk and its
        # figure is the slower of the two; boto3's walks follow.
        walks = {p.name: [] for p in started}
        order = [p for p in started if p.name == "iamd"] + \
            [q for p in started if p.name != "iamd" for q in (p, started[0])]
        if len(started) == 1:  # iamd alone (--skip-moto): three walks, the median kept
            order *= 3
        for peer in order:
            cpu0, wait0 = peer.scheduled()
            took, size, pages = accounts.walk_authorization_details_raw(peer)
            cpu1, wait1 = peer.scheduled()
            walks[peer.name].append((took, size, pages, cpu1 - cpu0, wait1 - wait0))
        for peer in started:
            got = walks[peer.name]
            raw, size, pages, cpu, waited = sorted(got)[len(got) // 2]
            print(f"authdetails  {peer.name:6s} whole walk, raw HTTP (no client parsing): {raw:.3f} s "
                  f"(of {', '.join(f'{w[0]:.3f}' for w in got)}; server CPU {cpu:.3f} s, waiting for a CPU "
                  f"{waited:.3f} s), {size / 1e6:.1f} MB, {len(pages)} pages", flush=True)
            out[peer.name].update(walk_raw_s=round(raw, 3), walk_mb=round(size / 1e6, 1), pages=len(pages),
                                  walk_cpu_s=round(cpu, 3), walk_waited_for_cpu_s=round(waited, 3))
        for peer in started:
            took, seen = accounts.time_authorization_details(client(peer))
            cpu = out[peer.name]["walk_cpu_s"] / max(1, seen) * 1e6
            print(f"authdetails  {peer.name:6s} whole walk, boto3: {took:.3f} s, {seen} entities "
                  f"(raw walk: server CPU {cpu:.1f} us/entity)", flush=True)
            out[peer.name].update(walk_boto3_s=round(took, 3), entities=seen, walk_cpu_us_per_entity=round(cpu, 1))
    return out


def scenario_gaad_scale(args) -> dict:
    """GetAccountAuthorizationDetails as the account grows (iamd only): one server per
    size (entities in all, a quarter of each kind), seeded over the API, then the walks
    take turns across the sizes (bench.gaad)."""
    started = []
    try:
        for size in args.scale_sizes:
            peer = peers.start_iamd(args.database_url, not args.no_access_log, audit=not args.no_audit)
            started.append((size // 4 * 4, peer))
            account, per_kind = account_of(peer), size // 4
            calls = seeding.create_calls(per_kind, "scale") + seeding.relation_calls(account, per_kind, "scale")
            for start in range(0, len(calls), seeding.BAND):
                seeding.send(peer, calls[start:start + seeding.BAND], args.seed_connections)
        return {"sizes": gaad.compare(started, args.walks, log=lambda line: print(line, flush=True))}
    finally:
        for _, peer in started:
            peer.stop()


SCENARIOS = {
    "getuser": (scenario_getuser, True),  # (function, compare with the reference app)
    "getuser_policies": (scenario_getuser_policies, False),
    "getuser_session": (scenario_getuser_session, False),
    "assumerole": (scenario_assumerole, False),
    "listusers": (scenario_listusers, False),
    "createuser": (scenario_createuser, False),
}
# Timed once, end to end: the figure is seconds (lower is better), the ratio moto/iamd.
TIMED = {
    "credreport": scenario_credential_report,
}
# Account-wide scenarios with reports of their own, iamd and moto up together.
ACCOUNT = {
    "seeding": scenario_seeding,
    "authdetails": lambda started, args: scenario_seeding(started, args, walk=True),
}


def run_peers(fn, args, with_reference: bool, with_moto: bool = True):
    """Yield (peer name, result) of `fn` run against each server in turn, one at a time."""
    starters = [("iamd", lambda: peers.start_iamd(args.database_url, not args.no_access_log,
                                                  audit=not args.no_audit))]
    if with_moto and not args.skip_moto:
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
    ap.add_argument("--scenarios", default=",".join([*SCENARIOS, *TIMED, "authdetails"]))
    ap.add_argument("--per-kind", type=int, default=10_000,
                    help="seeding/authdetails: users, groups, roles and policies each")
    ap.add_argument("--seed-connections", type=int, default=8)
    ap.add_argument("--scale-sizes", default="10000,100000",
                    help="gaadscale: account sizes in entities, ascending")
    ap.add_argument("--walks", type=int, default=3, help="gaadscale: walks of each size, taking turns (least CPU kept)")
    ap.add_argument("--database-url", default=None, help="run iamd on PostgreSQL instead of SQLite")
    ap.add_argument("--no-access-log", action="store_true")
    ap.add_argument("--skip-moto", action="store_true")
    ap.add_argument("--no-audit", action="store_true", help="run iamd with its audit trail off")
    args = ap.parse_args(argv)
    args.scale_sizes = [int(n) for n in args.scale_sizes.split(",")]
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {GEN_CPU})
    results = {}
    for name in args.scenarios.split(","):
        if name in TIMED:
            results[name] = run_timed(name, TIMED[name], args)
            continue
        if name == "gaadscale":
            results[name] = scenario_gaad_scale(args)
            continue
        if name in ACCOUNT:
            started = [peers.start_iamd(args.database_url, not args.no_access_log)]
            try:
                if not args.skip_moto:
                    started.append(peers.start_moto())
                got = ACCOUNT[name](started, args)
            finally:
                for peer in started:
                    peer.stop()
            results[name] = seeding.report(got)
            if name == "authdetails" and "moto" in got:
                ratio = got["moto"]["walk_raw_s"] / got["iamd"]["walk_raw_s"]
                for n, r in got.items():
                    results[name][n].update({k: v for k, v in r.items() if k.startswith("walk") or k == "pages"})
                results[name]["walk_raw_moto/iamd"] = round(ratio, 1)
                print(f"authdetails  whole walk, raw HTTP: iamd {got['iamd']['walk_raw_s']:.3f} s, "
                      f"moto {got['moto']['walk_raw_s']:.3f} s: {ratio:.1f}x", flush=True)
            continue
        fn, with_ref = SCENARIOS[name]
        row = {}
        for label, r in run_peers(fn, args, with_ref):
            row[label] = {"rps": round(r.rps, 1), "p50_ms": round(r.percentile(0.5), 2),
                          "p99_ms": round(r.percentile(0.99), 2), "requests": r.requests, "errors": r.errors}
            cpu = ""
            if r.cpu_us:
                row[label]["cpu_us"] = round(r.cpu_us, 1)
                cpu = f"  server CPU {r.cpu_us:.0f} us/request"
            print(f"{name:12s} {label:10s} {r.rps:9.1f} req/s  p50 {r.percentile(0.5):7.2f} ms  "
                  f"p99 {r.percentile(0.99):7.2f} ms  errors {r.errors}{cpu}", flush=True)
        if "moto" in row and row["moto"]["rps"]:
            row["iamd/moto"] = round(row["iamd"]["rps"] / row["moto"]["rps"], 2)
            by_cpu = ""
            if row["iamd"].get("cpu_us") and row["moto"].get("cpu_us"):
                row["iamd/moto_cpu"] = round(row["moto"]["cpu_us"] / row["iamd"]["cpu_us"], 2)
                by_cpu = f" (per CPU-second: {row['iamd/moto_cpu']:.2f}x)"
            print(f"{name:12s} iamd/moto = {row['iamd/moto']:.2f}x{by_cpu}", flush=True)
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
