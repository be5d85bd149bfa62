"""Server time of every console page for an account with 10,000 users.

Starts an iamd of its own (SQLite in a temp dir, or --database-url), loads 10,000 users
straight into its database (plus groups, roles, policies and a credential report), sets a
root password, signs in over HTTP and fetches each page `--rounds` times. The figure is
the server's own time for the request, from its access log (`ms`: the pipeline, not the
network), reported as the median and the worst per page.

    .venv/bin/python -m bench.console [--users 10000] [--rounds 20] [--database-url URL] [--no-audit]
"""

import argparse
import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import boto3
import httpx
from sqlalchemy import create_engine, insert

PASSWORD = "bench-root-Pa55word"
LIMIT_MS = 100.0


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _iamd(*args, **kw):
    return subprocess.run([sys.executable, "-m", "iamd.cli.main", *args], capture_output=True, text=True, **kw)


def _fill(url: str, account_id: str, users: int) -> None:
    from iamd.store.schema.core import users as users_table
    engine = create_engine(url)
    now = time.time()
    rows = [{"user_id": f"AIDABENCH{i:012d}", "account_id": account_id, "name": f"user-{i:05d}",
             "name_lower": f"user-{i:05d}", "path": "/", "created_at": now + i} for i in range(users)]
    with engine.begin() as conn:
        for i in range(0, len(rows), 1000):
            conn.execute(insert(users_table), rows[i:i + 1000])
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--no-audit", action="store_true", help="serve with --no-audit (the trail's cost)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="iamd-console-bench-"))
    data, port = tmp / "data", _port()
    log = open(tmp / "iamd.log", "w")
    store = ["--database-url", args.database_url] if args.database_url else []
    proc = subprocess.Popen([sys.executable, "-m", "iamd.cli.main", "serve", "--port", str(port),
                             "--data-dir", str(data), *store, *(["--no-audit"] if args.no_audit else [])],
                            stderr=log, stdout=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/health")
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        creds = dict(line.split(" = ") for line in (data / "credentials").read_text().splitlines() if " = " in line)
        iam = boto3.client("iam", endpoint_url=base, region_name="us-east-1",
                           aws_access_key_id=creds["aws_access_key_id"],
                           aws_secret_access_key=creds["aws_secret_access_key"])
        account = boto3.client("sts", endpoint_url=base, region_name="us-east-1",
                               aws_access_key_id=creds["aws_access_key_id"],
                               aws_secret_access_key=creds["aws_secret_access_key"]
                               ).get_caller_identity()["Account"]
        url = (args.database_url.replace("postgresql://", "postgresql+psycopg://") if args.database_url
               else f"sqlite:///{data / 'iamd.db'}")
        _fill(url, account, args.users)
        doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                                   "Resource": "*"}]})
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
            "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        for i in range(60):
            iam.create_group(GroupName=f"group-{i:03d}")
            iam.create_role(RoleName=f"role-{i:03d}", AssumeRolePolicyDocument=trust)
            iam.create_policy(PolicyName=f"policy-{i:03d}", PolicyDocument=doc)
        iam.add_user_to_group(GroupName="group-000", UserName="user-00042")
        iam.attach_user_policy(UserName="user-00042", PolicyArn=f"arn:aws:iam::{account}:policy/policy-000")
        iam.create_access_key(UserName="user-00042")
        while iam.generate_credential_report()["State"] != "COMPLETE":
            time.sleep(0.05)
        result = _iamd("root-password", "set", "--data-dir", str(data), *store, input=f"{PASSWORD}\n{PASSWORD}\n")
        assert result.returncode == 0, result.stderr
        c = httpx.Client(base_url=f"{base}/console", follow_redirects=False)
        csrf = re.search(r'name="csrf" value="([^"]*)"', c.get("/signin").text).group(1)
        r = c.post("/signin", data={"csrf": csrf, "principal": "root", "account": account, "password": PASSWORD})
        assert r.status_code == 303 and r.headers["location"] == "/console/dashboard", r.text
        policy_arn = quote(f"arn:aws:iam::{account}:policy/policy-000", safe="")
        pages = ["/dashboard", "/users", "/users?marker=user-05000", "/users?search=user-0999",
                 "/users?search=no-such-user", "/users/new", "/users/user-00042", "/groups", "/groups/group-000",
                 "/roles", "/roles/role-000", "/policies", "/policies?scope=AWS", f"/policy?arn={policy_arn}",
                 "/password-policy", "/credential-report", "/simulator", "/providers", "/graph"]
        for p in pages:  # warm up (templates compiled, caches filled)
            assert c.get(p).status_code == 200, p
        for _ in range(args.rounds):
            for p in pages:
                c.get(p)
        time.sleep(0.5)  # the access log is written in batches
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()
    # Requests go one at a time, so the log's console lines come in the order they were sent.
    with open(tmp / "iamd.log") as f:
        served = [json.loads(line)["ms"] for line in f if line.startswith("{") and '"console GET ' in line]
    served = served[-args.rounds * len(pages):]  # the timed rounds, after the warm-up
    times = {p: served[i::len(pages)] for i, p in enumerate(pages)}
    print(f"iamd console, {args.users:,} users, {'PostgreSQL' if args.database_url else 'SQLite'}, "
          f"{args.rounds} rounds: server ms per page (median / 90th percentile / worst)")
    worst = 0.0
    for p in pages:
        worst = max(worst, max(times[p]))
        ordered = sorted(times[p])
        print(f"  {p[:48]:<48} {statistics.median(ordered):7.1f} / {ordered[int(len(ordered) * 0.9) - 1]:7.1f} / "
              f"{ordered[-1]:7.1f}")
    medians = max(statistics.median(t) for t in times.values())
    print(f"slowest median {medians:.1f} ms, worst single request {worst:.1f} ms (limit {LIMIT_MS:.0f} ms)")


if __name__ == "__main__":
    main()
