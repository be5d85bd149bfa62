"""Managed policies: create, read, list, delete, tags; and the helpers every policy family
uses to find a policy by ARN and to validate a managed policy document.

AWS managed policies (account_id NULL) can be read and attached by every account but not
changed; their AttachmentCount and PermissionsBoundaryUsageCount count this account only.
"""


from ..policy.grammar import check_document, policy_size
from ..protocol.errors import (AWSError, already_exists, delete_conflict, invalid_input, no_such_entity)
from ..store.paging import listing
from ..store.policies import PolicyRepo
from ..store.tags import TagRepo
from . import ids
from .arns import arn as entity_arn
from .quotas import within_quota
from .registry import operation
from .tags import add_tags, check_new_tags, paged_tags, remove_tags, tag_list

MULTIPLE_VERSIONS = ("This policy has more than one version. Before you delete a policy, you must "
                     "delete the policy's versions. The default version is deleted with the policy.")


def not_found(policy_arn: str) -> AWSError:
    return no_such_entity(f"Policy {policy_arn} does not exist or is not attachable.")


def check_arn(policy_arn: str) -> None:
    """Refuse what is not an ARN at all (InvalidInput); a well-formed ARN naming nothing is
    NoSuchEntity, raised by the lookup."""
    parts = policy_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[5]:
        raise invalid_input(f"ARN {policy_arn} is not valid.")


def require_policy(ctx, policy_arn: str, lock: bool = False):
    """The managed policy (this account's or AWS's) with this ARN, else NoSuchEntity."""
    check_arn(policy_arn)
    row = PolicyRepo(ctx.tx, ctx.account_id).get(policy_arn, lock=lock)
    if row is None:
        raise not_found(policy_arn)
    return row


def check_managed_document(ctx, text: str) -> None:
    """Grammar of a managed policy version, then its size quota (whitespace not counted)."""
    check_document(text, "managed")
    within_quota(ctx, "PolicySizeQuota", "PolicySize", policy_size(text))


def policy_shape(row, attached: dict, boundaries: dict, full: bool = False,
                 tags: list | None = None) -> dict:
    out = {"PolicyName": row.name, "PolicyId": row.policy_id, "Arn": row.arn, "Path": row.path,
           "DefaultVersionId": row.default_version,
           "AttachmentCount": attached.get(row.policy_id, 0),
           "PermissionsBoundaryUsageCount": boundaries.get(row.arn, 0),
           "IsAttachable": bool(row.attachable),
           "CreateDate": row.created_at, "UpdateDate": row.updated_at}
    # ListPolicies and CreatePolicy leave Description out; GetPolicy carries it.
    if full and row.description:
        out["Description"] = row.description
    if tags is not None:
        out["Tags"] = tags
    return out


def full_policy(ctx, row, created: bool = False) -> dict:
    """GetPolicy's Policy (Tags always, an empty list when none), or CreatePolicy's
    (no Description, Tags only when given; no usage counts yet for a policy created by this call)."""
    attached, boundaries = ({}, {}) if created else PolicyRepo(ctx.tx, ctx.account_id).usage([row])
    tags = tag_list(ctx, "policy", row.policy_id) if row.account_id else []
    return policy_shape(row, attached, boundaries, full=not created,
                        tags=(tags or None) if created else tags)


@operation("CreatePolicy")
def create_policy(ctx, p):
    repo = PolicyRepo(ctx.tx, ctx.account_id)
    tags = p.get("Tags", [])
    check_new_tags(tags)
    check_managed_document(ctx, p["PolicyDocument"])
    # Lock the account row so concurrent creators queue and the quota holds exactly.
    ctx.tx.lock_account(ctx.account_id)
    within_quota(ctx, "PoliciesQuota", "PoliciesPerAccount", repo.count_local() + 1)
    name, path = p["PolicyName"], p.get("Path", "/")
    policy_id = ids.unique_id("ANPA")
    policy_arn = entity_arn(ctx.account_id, "policy", path, name)
    if not repo.create(policy_id, policy_arn, name, path, p.get("Description"),
                       p["PolicyDocument"], ctx.now):
        raise already_exists(f"A policy called {name} already exists. Duplicate names are not allowed.")
    add_tags(ctx, "policy", policy_id, tags)
    return {"Policy": full_policy(ctx, repo.get_by_id(policy_id), created=True)}


@operation("GetPolicy")
def get_policy(ctx, p):
    return {"Policy": full_policy(ctx, require_policy(ctx, p["PolicyArn"]))}


@operation("ListPolicies")
def list_policies(ctx, p):
    repo = PolicyRepo(ctx.tx, ctx.account_id)
    # Every managed policy can serve as a permissions policy, so PermissionsPolicy narrows
    # nothing; PermissionsBoundary keeps the policies in use as a boundary in this account.
    rows, marker = repo.list(p.get("Scope", "All"), bool(p.get("OnlyAttached")),
                             p.get("PolicyUsageFilter") == "PermissionsBoundary",
                             p.get("PathPrefix"), p.get("Marker"), p.get("MaxItems"))
    attached, boundaries = repo.usage(rows)
    return listing([policy_shape(r, attached, boundaries) for r in rows], marker, "Policies")


@operation("DeletePolicy")
def delete_policy(ctx, p):
    repo = PolicyRepo(ctx.tx, ctx.account_id)
    row = require_policy(ctx, p["PolicyArn"], lock=True)
    if repo.in_use(row):
        raise delete_conflict("Cannot delete a policy attached to entities.")
    if repo.count_versions(row.policy_id) > 1:
        raise delete_conflict(MULTIPLE_VERSIONS)
    TagRepo(ctx.tx, ctx.account_id).remove_all("policy", row.policy_id)
    repo.delete(row.policy_id)


@operation("TagPolicy")
def tag_policy(ctx, p):
    row = require_policy(ctx, p["PolicyArn"], lock=True)
    add_tags(ctx, "policy", row.policy_id, p["Tags"])


@operation("UntagPolicy")
def untag_policy(ctx, p):
    row = require_policy(ctx, p["PolicyArn"], lock=True)
    remove_tags(ctx, "policy", row.policy_id, p["TagKeys"])


@operation("ListPolicyTags")
def list_policy_tags(ctx, p):
    row = require_policy(ctx, p["PolicyArn"])
    if row.account_id is None:
        return {"Tags": [], "IsTruncated": False}
    return paged_tags(ctx, "policy", row.policy_id, p)
