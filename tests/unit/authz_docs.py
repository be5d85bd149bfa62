"""Builders of crafted GetAccountAuthorizationDetails documents (decoded, as the client
holds them), shared by the access-analysis tests and bench/access.py."""

ACCT = "123456789012"


def pol(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCT}:{kind}/{name}"


def _attached(arns) -> list:
    return [{"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a} for a in arns]


def user(name, inline=(), attached=(), groups=(), boundary=None, tags=()) -> dict:
    u = {"UserName": name, "UserId": "AIDA" + name.upper(), "Arn": arn("user", name), "Path": "/",
         "UserPolicyList": [{"PolicyName": f"{name}-{i}", "PolicyDocument": d} for i, d in enumerate(inline)],
         "AttachedManagedPolicies": _attached(attached), "GroupList": list(groups),
         "Tags": [{"Key": k, "Value": v} for k, v in tags]}
    if boundary:
        u["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    return u


def group(name, inline=(), attached=()) -> dict:
    return {"GroupName": name, "GroupId": "AGPA" + name.upper(), "Arn": arn("group", name), "Path": "/",
            "GroupPolicyList": [{"PolicyName": f"{name}-{i}", "PolicyDocument": d} for i, d in enumerate(inline)],
            "AttachedManagedPolicies": _attached(attached)}


def trusting(**principal) -> dict:
    return pol({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def role(name, trust, inline=(), attached=(), boundary=None) -> dict:
    r = {"RoleName": name, "RoleId": "AROA" + name.upper(), "Arn": arn("role", name), "Path": "/",
         "AssumeRolePolicyDocument": trust,
         "RolePolicyList": [{"PolicyName": f"{name}-{i}", "PolicyDocument": d} for i, d in enumerate(inline)],
         "AttachedManagedPolicies": _attached(attached), "InstanceProfileList": [], "Tags": []}
    if boundary:
        r["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    return r


def managed(name, *versions, default=0) -> dict:
    return {"PolicyName": name, "Arn": arn("policy", name), "DefaultVersionId": f"v{default + 1}",
            "AttachmentCount": 1, "PolicyVersionList": [
                {"VersionId": f"v{i + 1}", "IsDefaultVersion": i == default, "Document": d}
                for i, d in enumerate(versions)]}


def details(users=(), groups=(), roles=(), policies=()) -> dict:
    return {"UserDetailList": list(users), "GroupDetailList": list(groups), "RoleDetailList": list(roles),
            "Policies": list(policies)}
