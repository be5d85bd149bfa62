"""Attaching managed policies to users, groups and roles; listing them both ways.

Attaching twice is a no-op; detaching what is not attached is NoSuchEntity. Each entity
type has its own quota of attached policies, checked with the entity row locked so that
concurrent attaches cannot overshoot it. An attachment blocks deleting its entity.
"""

from ..protocol.errors import AWSError, no_such_entity
from ..store.paging import listing
from ..store.policy_attachments import AttachmentRepo
from .dependents import blocks_delete
from .policies import not_found, require_policy
from .quotas import within_quota
from .registry import operation

# entity type -> (API noun, quota key, name in the LimitExceeded message)
KINDS = {
    "user": ("User", "AttachedPoliciesPerUserQuota", "PoliciesPerUser"),
    "group": ("Group", "AttachedPoliciesPerGroupQuota", "PoliciesPerGroup"),
    "role": ("Role", "AttachedPoliciesPerRoleQuota", "PoliciesPerRole"),
}


def require_entity(ctx, kind: str, name: str, lock: bool = False, modify: bool = False):
    """(row, unique id) of the named user, group or role.

    `modify`: the call changes the entity, which service-linked roles refuse.
    """
    if kind == "user":
        from .users import require_user
        row = require_user(ctx, name, lock=lock)
        return row, row.user_id
    if kind == "group":
        from .groups import require_group
        row = require_group(ctx, name, lock=lock)
        return row, row.group_id
    from .roles import ensure_modifiable, require_role
    row = require_role(ctx, name, lock=lock)
    if modify:
        ensure_modifiable(row)
    return row, row.role_id


def require_attachable(ctx, policy_arn: str):
    """The managed policy (customer or AWS) an ARN names, if it may be attached or set as a
    permissions boundary; NoSuchEntity or PolicyNotAttachable otherwise."""
    policy = require_policy(ctx, policy_arn)
    if not policy.attachable:
        raise not_found(policy_arn)
    if policy.account_id is None and policy.path.startswith("/aws-service-role/"):
        raise AWSError("PolicyNotAttachable", "Cannot attach a Service Role Policy to a Customer Role.")
    return policy


def attach(ctx, kind: str, name: str, policy_arn: str) -> None:
    _, entity_id = require_entity(ctx, kind, name, lock=True, modify=True)
    policy = require_attachable(ctx, policy_arn)
    repo = AttachmentRepo(ctx.tx, ctx.account_id)
    if repo.is_attached(policy.policy_id, kind, entity_id):
        return
    _, quota_key, quota_name = KINDS[kind]
    within_quota(ctx, quota_key, quota_name, repo.count_for(kind, entity_id) + 1)
    repo.attach(policy.policy_id, kind, entity_id, ctx.now)


def detach(ctx, kind: str, name: str, policy_arn: str) -> None:
    _, entity_id = require_entity(ctx, kind, name, lock=True, modify=True)
    policy = require_policy(ctx, policy_arn)
    if not AttachmentRepo(ctx.tx, ctx.account_id).detach(policy.policy_id, kind, entity_id):
        raise no_such_entity(f"Policy {policy_arn} was not found.")


def list_attached(ctx, kind: str, name: str, p: dict) -> dict:
    _, entity_id = require_entity(ctx, kind, name)
    rows, marker = AttachmentRepo(ctx.tx, ctx.account_id).list_for(
        kind, entity_id, p.get("PathPrefix"), p.get("Marker"), p.get("MaxItems"))
    return listing([{"PolicyName": r.name, "PolicyArn": r.arn} for r in rows], marker,
                   "AttachedPolicies")


def _register(kind: str) -> None:
    noun = KINDS[kind][0]
    key = f"{noun}Name"
    operation(f"Attach{noun}Policy")(lambda ctx, p: attach(ctx, kind, p[key], p["PolicyArn"]))
    operation(f"Detach{noun}Policy")(lambda ctx, p: detach(ctx, kind, p[key], p["PolicyArn"]))
    operation(f"ListAttached{noun}Policies")(lambda ctx, p: list_attached(ctx, kind, p[key], p))
    blocks_delete(kind, "detach all policies")(
        lambda ctx, row: AttachmentRepo(ctx.tx, ctx.account_id).any_for(kind, getattr(row, f"{kind}_id")))


for _kind in KINDS:
    _register(_kind)


# ListEntitiesForPolicy's EntityFilter -> entity types it lists. The policy-type filters
# name no attachable entity type, so they list nothing.
ENTITY_FILTERS = {None: ("group", "user", "role"), "User": ("user",), "Group": ("group",),
                  "Role": ("role",), "LocalManagedPolicy": (), "AWSManagedPolicy": ()}
OUTPUT = {"group": ("PolicyGroups", "GroupName", "GroupId"),
          "user": ("PolicyUsers", "UserName", "UserId"),
          "role": ("PolicyRoles", "RoleName", "RoleId")}


@operation("ListEntitiesForPolicy")
def list_entities_for_policy(ctx, p):
    policy = require_policy(ctx, p["PolicyArn"])
    # Without a usage filter AWS lists attachments only; boundary users and roles need
    # PolicyUsageFilter=PermissionsBoundary.
    boundary = p.get("PolicyUsageFilter") == "PermissionsBoundary"
    rows, marker = AttachmentRepo(ctx.tx, ctx.account_id).entities(
        policy, ENTITY_FILTERS[p.get("EntityFilter")], boundary, p.get("PathPrefix"),
        p.get("Marker"), p.get("MaxItems"))
    out = {field: [] for field, _, _ in OUTPUT.values()}
    for r in rows:
        field, name_key, id_key = OUTPUT[r.kind]
        out[field].append({name_key: r.name, id_key: r.entity_id})
    out["IsTruncated"] = marker is not None
    if marker:
        out["Marker"] = marker
    return out
