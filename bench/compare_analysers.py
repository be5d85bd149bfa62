"""iamd's escalation findings and who-can beside PMapper's and cloudsplaining's, on one
crafted authorization-details document (docs/access-analysis.md records the outcome).

PMapper and cloudsplaining are not iamd dependencies: install them into a separate venv
(`python -m venv /tmp/cmp && /tmp/cmp/bin/pip install principalmapper==1.1.5
cloudsplaining==0.9.1`) and run this script with that venv's python:
`/tmp/cmp/bin/python bench/compare_analysers.py [--iamd .venv/bin/iamd]`.
iamd is run as a user runs it (`iamd account ... --details FILE`).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "unit"))
from authz_docs import ACCT, allow, arn, deny, details, group, managed, pol, role, trusting, user  # noqa: E402

ADMIN = managed("admin", pol(allow("*")))
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def scenario() -> dict:
    """Each principal is one case; the comment is the right answer."""
    return details(
        users=[
            user("boss", groups=["admins"]),                                                    # admin
            user("selfish", inline=[pol(allow("iam:PutUserPolicy", arn("user", "${aws:username}")))]),  # escalates
            user("keymaker", inline=[pol(allow("iam:CreateAccessKey", arn("user", "*")))]),    # escalates (boss)
            user("passer", inline=[pol(allow(["iam:PassRole", "ec2:RunInstances"]))]),         # escalates (ec2admin)
            user("mfaonly", inline=[pol(allow("iam:PutUserPolicy", arn("user", "mfaonly"), Condition=MFA))]),  # conditional
            user("fenced", inline=[pol(allow("iam:AttachUserPolicy", arn("user", "fenced"), Condition={
                "ArnEquals": {"iam:PolicyARN": arn("policy", "readonly")}}))]),                # no escalation
            user("denied", inline=[pol(allow("iam:PutUserPolicy", arn("user", "denied")), deny("iam:Put*"))]),  # none
            user("bounded", inline=[pol(allow("iam:PutUserPolicy", arn("user", "bounded")))],
                 boundary=arn("policy", "readonly")),                                          # none (boundary)
            user("joiner", inline=[pol(allow("iam:AddUserToGroup", arn("group", "admins")))]),  # escalates
            user("versioner", attached=[arn("policy", "team")],
                 inline=[pol(allow("iam:CreatePolicyVersion", arn("policy", "team")))]),       # escalates
            user("truster", inline=[pol(allow("iam:UpdateAssumeRolePolicy", arn("role", "ec2admin")))]),  # escalates
            user("reader", inline=[pol(allow(["iam:Get*", "iam:List*"]))]),                     # none
            # for who-can: s3:GetObject on arn:aws:s3:::b/k
            user("tagged", tags=[("team", "ops")], inline=[pol(allow("s3:GetObject", Condition={
                "StringEquals": {"aws:PrincipalTag/team": "ops"}}))]),                            # allowed
            user("notaction", inline=[pol({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})]),  # allowed;
            # may change the code of a function running as fnadmin, if there is one
            user("ipbound", inline=[pol(allow("s3:GetObject", Condition={
                "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))]),                             # conditional
            user("otherteam", tags=[("team", "dev")], inline=[pol(allow("s3:GetObject", Condition={
                "StringEquals": {"aws:PrincipalTag/team": "ops"}}))]),                            # denied
            user("trusted"),                                                                      # assumes ops
        ],
        groups=[group("admins", attached=[ADMIN["Arn"]])],
        roles=[role("ec2admin", trusting(Service="ec2.amazonaws.com"), attached=[ADMIN["Arn"]]),
               role("ops", trusting(AWS=arn("user", "trusted")), inline=[pol(allow("s3:GetObject"))]),
               role("fnadmin", trusting(Service="lambda.amazonaws.com"), attached=[ADMIN["Arn"]])],
        policies=[ADMIN, managed("readonly", pol(allow(["iam:Get*", "iam:List*"]))),
                  managed("team", pol(allow("s3:ListAllMyBuckets")))])


def with_aws_fields(doc: dict) -> dict:
    """Fields AWS's answer carries that PMapper reads (dates, paths, ids)."""
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for entity in (*doc["UserDetailList"], *doc["GroupDetailList"], *doc["RoleDetailList"]):
        entity.setdefault("CreateDate", now)
    for r in doc["RoleDetailList"]:
        r.setdefault("RoleLastUsed", {})
    for p in doc["Policies"]:
        p.update({"PolicyId": "ANPA" + p["PolicyName"].upper(), "Path": "/", "CreateDate": now, "UpdateDate": now,
                  "IsAttachable": True, "PermissionsBoundaryUsageCount": 0, "DefaultVersionId": "v1"})
        for v in p["PolicyVersionList"]:
            v["CreateDate"] = now
    return doc


def pmapper_graph(doc: dict):
    import collections
    import collections.abc
    for name in ("Mapping", "MutableMapping", "Sequence", "Iterable", "Callable"):  # PMapper 1.1.5: pre-3.10
        setattr(collections, name, getattr(collections.abc, name))
    from principalmapper.common import Graph
    from principalmapper.graphing import gathering
    from principalmapper.graphing.edge_identification import obtain_edges

    class Pages:
        def __init__(self, page):
            self.page = page

        def paginate(self, **_):
            return [self.page]

    class Client:
        def get_paginator(self, operation):
            return Pages(dict(doc, IsTruncated=False) if operation == "get_account_authorization_details"
                         else {"VirtualMFADevices": []})

        def list_mfa_devices(self, **_):
            return {"MFADevices": []}

        def list_access_keys(self, **_):
            return {"AccessKeyMetadata": []}

        def get_login_profile(self, **_):
            return {"LoginProfile": {}}
    parts = gathering.get_nodes_groups_and_policies(Client())
    gathering.update_admin_status(parts["nodes"])
    edges = obtain_edges(None, ["iam", "sts", "ec2", "lambda", "cloudformation"], parts["nodes"])
    return Graph(parts["nodes"], edges, parts["policies"], parts["groups"],
                 {"account_id": ACCT, "pmapper_version": "1.1.5"})


def pmapper(graph) -> set:
    from principalmapper.analysis.find_risks import can_privesc
    out = set()
    for node in graph.nodes:
        name = node.searchable_name().split("/", 1)[1]
        if node.is_admin:
            out.add((name, "admin"))
        elif can_privesc(graph, node)[0]:
            out.add((name, "escalates"))
    return out


WHO_CAN = (("s3:GetObject", "arn:aws:s3:::b/k"), ("iam:PutUserPolicy", arn("user", "mfaonly")),
           ("sts:AssumeRole", arn("role", "ops")))


def pmapper_who_can(graph, action: str, resource: str) -> dict:
    """name -> allowed | conditional (PMapper: allowed only with MFA); users and roles.
    Trust policies are given as the resource policy for sts:AssumeRole, as PMapper's
    query command does for a role."""
    from principalmapper.querying.query_interface import local_check_authorization_handling_mfa
    target = next((n for n in graph.nodes if n.arn == resource), None)
    policy = target.trust_policy if target is not None and action.startswith("sts:") else None
    out = {}
    for node in graph.nodes:
        ok, mfa = local_check_authorization_handling_mfa(node, action, resource, {}, resource_policy=policy,
                                                         resource_owner=ACCT if policy else None)
        if ok:
            out[node.searchable_name().split("/", 1)[1]] = "conditional" if mfa else "allowed"
    return out


def iamd_who_can(path: Path, iamd: str, action: str, resource: str) -> dict:
    out = subprocess.run([iamd, "account", "who-can", action, "--resource", resource, "--details", str(path),
                          "-o", "json"], capture_output=True, text=True, check=True).stdout
    return {r["name"]: r["decision"] for r in json.loads(out)}


def cloudsplaining(doc: dict, tmp: Path) -> set:
    """cloudsplaining judges policies, not principals: a principal escalates when a policy
    it holds (itself or through a group) has PrivilegeEscalation findings."""
    from cloudsplaining.scan.authorization_details import AuthorizationDetails
    results = AuthorizationDetails(json.loads(json.dumps(doc, default=str))).results
    members = {}
    for u in doc["UserDetailList"]:
        for g in u.get("GroupList", []):
            members.setdefault(g, []).append(u["UserName"])
    out = set()
    for kind in ("inline_policies", "customer_managed_policies", "aws_managed_policies"):
        for policy in results.get(kind, {}).values():
            if not (policy.get("PrivilegeEscalation") or {}).get("findings"):
                continue
            attached = policy.get("AttachedTo", {})
            names = [*attached.get("users", []), *attached.get("roles", [])]
            for g in attached.get("groups", []):
                names += members.get(g, [])
            out |= {(n, "escalates") for n in names}
    return out


def ours(doc: dict, tmp: Path, iamd: str) -> set:
    path = tmp / "details.json"
    path.write_text(json.dumps(doc, default=str))
    # credential-report --findings needs a live account; the same analysis is importable here.
    code = ("import json,sys; from iamd.cli.account import access, escalation;"
            "a=access.Account(json.load(open(sys.argv[1])));"
            "print(json.dumps(sorted({f.user:('escalates' if f.severity == 'high' else 'medium '+f.check[8:])"
            " for f in escalation.find(a)}.items())))")
    python = str(Path(iamd).parent / "python")
    found = json.loads(subprocess.run([python, "-c", code, str(path)], capture_output=True, text=True,
                                      check=True).stdout)
    return {tuple(x) for x in found}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iamd", default=str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "iamd"))
    args = parser.parse_args()
    doc = scenario()
    who_can = {}
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        rows = {"iamd": ours(doc, tmp, args.iamd)}
        try:
            graph = pmapper_graph(with_aws_fields(json.loads(json.dumps(doc))))
            rows["pmapper"] = pmapper(graph)
        except Exception as exc:  # noqa: BLE001 - report the tool's failure, compare the rest
            graph, rows["pmapper"] = None, {("error", f"{type(exc).__name__}: {exc}")}
        try:
            rows["cloudsplaining"] = cloudsplaining(with_aws_fields(json.loads(json.dumps(doc))), tmp)
        except Exception as exc:  # noqa: BLE001
            rows["cloudsplaining"] = {("error", f"{type(exc).__name__}: {exc}")}
        for action, resource in WHO_CAN:
            who_can[(action, resource)] = (iamd_who_can(tmp / "details.json", args.iamd, action, resource),
                                           pmapper_who_can(graph, action, resource) if graph else {})
    users = sorted({u["UserName"] for u in doc["UserDetailList"]})
    print(f"{'user':<10} " + " ".join(f"{k:<22}" for k in rows))
    for u in users:
        print(f"{u:<10} " + " ".join(f"{','.join(sorted(v for n, v in r if n == u)) or '-':<22}"
                                     for r in rows.values()))
    for (action, resource), (mine, theirs) in who_can.items():
        print(f"\nwho-can {action} on {resource}")
        for name in sorted(set(mine) | set(theirs)):
            print(f"  {name:<10} iamd {mine.get(name, '-'):<12} pmapper {theirs.get(name, '-')}")
    for k, r in rows.items():
        errors = [v for n, v in r if n == "error"]
        if errors:
            print(f"{k}: {errors[0]}")


if __name__ == "__main__":
    main()
