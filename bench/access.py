"""who-can over a large authorization-details document (issue 11: 10,000 principals < 10 s).

Builds a document of 7,000 users and 3,000 roles (each user: an inline policy, two
attached managed policies out of 200, two groups out of 100, some with conditions and
policy variables; each role: an inline and an attached policy and a trust policy), writes
it where `iamd account who-can --details FILE` reads it, and times the command as a user
runs it (process start, JSON parse, policy sets, one decision per principal).
Also times the privilege-escalation analysis of the same document in-process (what
`credential-report --findings` adds). Run: `.venv/bin/python -m bench.access
[--principals N]`; prints wall and CPU seconds and the answers.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "unit"))
from authz_docs import allow, arn, details, group, managed, pol, role, trusting, user  # noqa: E402

SERVICES = ("s3", "ec2", "sqs", "sns", "dynamodb", "lambda", "kms", "iam", "logs", "cloudwatch")


def build(principals: int) -> dict:
    policies = [managed(f"m{i}", pol(
        allow([f"{SERVICES[i % 10]}:Get*", f"{SERVICES[(i + 3) % 10]}:List*"]),
        allow(f"{SERVICES[(i + 5) % 10]}:*", f"arn:aws:{SERVICES[(i + 5) % 10]}:::team{i}/*",
              Condition={"Bool": {"aws:SecureTransport": "true"}}))) for i in range(200)]
    groups = [group(f"g{i}", inline=[pol(allow(f"{SERVICES[i % 10]}:Describe*"))],
                    attached=[policies[(i * 7) % 200]["Arn"]]) for i in range(100)]
    n_users = principals * 7 // 10
    users = [user(f"u{i}", groups=[f"g{i % 100}", f"g{(i * 13) % 100}"],
                  attached=[policies[i % 200]["Arn"], policies[(i * 31) % 200]["Arn"]],
                  inline=[pol(allow("iam:CreateAccessKey", arn("user", "${aws:username}")),
                              allow("s3:GetObject", f"arn:aws:s3:::home/u{i}/*"))],
                  tags=[("team", f"t{i % 17}")]) for i in range(n_users)]
    roles = [role(f"r{i}", trusting(Service="ec2.amazonaws.com"),
                  inline=[pol(allow(f"{SERVICES[i % 10]}:Put*", "*",
                                    Condition={"StringEquals": {"aws:PrincipalTag/team": f"t{i % 17}"}}))],
                  attached=[policies[(i * 11) % 200]["Arn"]]) for i in range(principals - n_users)]
    return details(users, groups, roles, policies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--principals", type=int, default=10_000)
    args = parser.parse_args()
    doc = build(args.principals)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "details.json"
        path.write_text(json.dumps(doc))
        size = path.stat().st_size
        iamd = str(Path(sys.executable).parent / "iamd")
        for action, target in (("s3:GetObject", "arn:aws:s3:::home/u5/k"), ("iam:CreateAccessKey", arn("user", "u1")),
                               ("ec2:DescribeInstances", "*")):
            cpu0 = _children_cpu()
            start = time.perf_counter()
            out = subprocess.run([iamd, "account", "who-can", action, "--resource", target, "--details", str(path),
                                  "-o", "json"], capture_output=True, text=True, check=True).stdout
            took = time.perf_counter() - start
            print(f"who-can {action} on {target}: {len(json.loads(out))} of {args.principals} principals, "
                  f"{took:.2f} s wall, {_children_cpu() - cpu0:.2f} s CPU (document {size / 1e6:.1f} MB)")
    from iamd.cli.account import access, escalation
    start = time.perf_counter()
    found = escalation.find(access.Account(doc))
    print(f"escalation findings: {len(found)} over {args.principals} principals, {time.perf_counter() - start:.2f} s")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
