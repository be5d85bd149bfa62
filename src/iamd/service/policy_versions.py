"""Versions of managed policies: at most five per policy, ids v1, v2, … never reused, one
of them the default (the only one evaluated). UpdateDate follows the newest version.

AWS managed policies carry only their default version here; they can be read, not changed.
"""

from ..protocol.errors import delete_conflict, limit_exceeded, no_such_entity
from ..store.paging import listing, offset_page
from ..store.policies import PolicyRepo
from .policies import check_managed_document, require_policy
from .quotas import quota
from .registry import operation

TOO_MANY = ("A managed policy can have up to {n} versions. Before you create a new version, "
            "you must delete an existing version.")


def version_shape(row, default: str, document: bool = False) -> dict:
    out = {"VersionId": row.version_id, "IsDefaultVersion": row.version_id == default,
           "CreateDate": row.created_at}
    if document:
        out["Document"] = row.document
    return out


def require_version(ctx, policy, version_id: str):
    row = PolicyRepo(ctx.tx, ctx.account_id).version(policy.policy_id, version_id)
    if row is None:
        raise no_such_entity(f"Policy {policy.arn} version {version_id} does not exist or is not attachable.")
    return row


@operation("CreatePolicyVersion")
def create_policy_version(ctx, p):
    repo = PolicyRepo(ctx.tx, ctx.account_id)
    policy = require_policy(ctx, p["PolicyArn"], lock=True)
    check_managed_document(ctx, p["PolicyDocument"])
    limit = quota(ctx, "VersionsPerPolicyQuota")
    if repo.count_versions(policy.policy_id) >= limit:
        raise limit_exceeded(TOO_MANY.format(n=limit))
    set_default = bool(p.get("SetAsDefault"))
    version_id = repo.add_version(policy, p["PolicyDocument"], ctx.now, set_default)
    default = version_id if set_default else policy.default_version
    return {"PolicyVersion": {"VersionId": version_id, "IsDefaultVersion": version_id == default,
                              "CreateDate": ctx.now}}


@operation("GetPolicyVersion")
def get_policy_version(ctx, p):
    policy = require_policy(ctx, p["PolicyArn"])
    row = require_version(ctx, policy, p["VersionId"])
    return {"PolicyVersion": version_shape(row, policy.default_version, document=True)}


@operation("ListPolicyVersions")
def list_policy_versions(ctx, p):
    policy = require_policy(ctx, p["PolicyArn"])
    # At most five versions: paging over the sorted list is enough.
    rows, marker = offset_page(PolicyRepo(ctx.tx, ctx.account_id).versions(policy.policy_id),
                               p.get("Marker"), p.get("MaxItems"))
    return listing([version_shape(r, policy.default_version) for r in rows], marker, "Versions")


@operation("DeletePolicyVersion")
def delete_policy_version(ctx, p):
    policy = require_policy(ctx, p["PolicyArn"], lock=True)
    require_version(ctx, policy, p["VersionId"])
    if p["VersionId"] == policy.default_version:
        raise delete_conflict("Cannot delete the default version of a policy.")
    PolicyRepo(ctx.tx, ctx.account_id).delete_version(policy.policy_id, p["VersionId"])


@operation("SetDefaultPolicyVersion")
def set_default_policy_version(ctx, p):
    policy = require_policy(ctx, p["PolicyArn"], lock=True)
    require_version(ctx, policy, p["VersionId"])
    PolicyRepo(ctx.tx, ctx.account_id).set_default(policy.policy_id, p["VersionId"])
