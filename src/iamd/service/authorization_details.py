"""GetAccountAuthorizationDetails: every user, group, role and managed policy with what
grants it permissions, in one paginated snapshot-like listing.

The four lists share one MaxItems budget and are filled in a fixed order (users, groups,
roles, policies). The Marker is the keyset position of the last entity returned: its
kind and (created_at, id), so pages neither repeat nor drop entities while the account
changes between calls. Each page costs a bounded number of queries: one per kind for the
page's entities, then IN-lists over their ids for policies, groups, profiles and tags,
each an index lookup per id whatever the account's size (on PostgreSQL too: see
`store.reports.probe_by_index`).
"""

from ..store.paging import DEFAULT_MAX_ITEMS, decode_marker, encode_marker, invalid_marker
from ..store.reports import (attached_policies_of, gaad_entities, group_names_of_users, inline_policies_of,
                             instance_profiles_of_roles, policy_usage, probe_by_index, versions_of_policies)
from ..store.tags import TagRepo
from .arns import arn
from .boundaries import boundary_shape
from .registry import operation
from .roles import role_shape

KINDS = ("User", "Group", "Role", "Policy")
ALL_FILTERS = ("User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy")
LIST_OF = {"User": "UserDetailList", "Group": "GroupDetailList", "Role": "RoleDetailList",
           "Policy": "Policies"}
ID_OF = {"User": "user_id", "Group": "group_id", "Role": "role_id", "Policy": "policy_id"}


def _users(ctx, rows) -> list[dict]:
    ids = [r.user_id for r in rows]
    inline = inline_policies_of(ctx.tx, "user", ids)
    attached = attached_policies_of(ctx.tx, "user", ids)
    groups = group_names_of_users(ctx.tx, ids)
    tags = TagRepo(ctx.tx, ctx.account_id).list_many("user", ids)
    return [{"Path": r.path, "UserName": r.name, "UserId": r.user_id,
             "Arn": arn(ctx.account_id, "user", r.path, r.name), "CreateDate": r.created_at,
             "UserPolicyList": inline.get(r.user_id, []), "GroupList": groups.get(r.user_id, []),
             "AttachedManagedPolicies": attached.get(r.user_id, []),
             "PermissionsBoundary": boundary_shape(r.permissions_boundary), "Tags": tags.get(r.user_id)}
            for r in rows]


def _groups(ctx, rows) -> list[dict]:
    ids = [r.group_id for r in rows]
    inline = inline_policies_of(ctx.tx, "group", ids)
    attached = attached_policies_of(ctx.tx, "group", ids)
    return [{"Path": r.path, "GroupName": r.name, "GroupId": r.group_id,
             "Arn": arn(ctx.account_id, "group", r.path, r.name), "CreateDate": r.created_at,
             "GroupPolicyList": inline.get(r.group_id, []),
             "AttachedManagedPolicies": attached.get(r.group_id, [])}
            for r in rows]


def _roles(ctx, rows) -> list[dict]:
    ids = [r.role_id for r in rows]
    inline = inline_policies_of(ctx.tx, "role", ids)
    attached = attached_policies_of(ctx.tx, "role", ids)
    tags = TagRepo(ctx.tx, ctx.account_id).list_many("role", ids)
    profiles, members = instance_profiles_of_roles(ctx.tx, ids)
    acct = ctx.account_id
    out = []
    for r in rows:
        last_used = {}
        if r.last_used_at is not None:
            last_used = {"LastUsedDate": r.last_used_at, "Region": r.last_used_region}
        out.append({
            "Path": r.path, "RoleName": r.name, "RoleId": r.role_id,
            "Arn": arn(acct, "role", r.path, r.name), "CreateDate": r.created_at,
            "AssumeRolePolicyDocument": r.assume_role_policy,
            "InstanceProfileList": [
                {"Path": ip.path, "InstanceProfileName": ip.name, "InstanceProfileId": ip.profile_id,
                 "Arn": arn(acct, "instance-profile", ip.path, ip.name), "CreateDate": ip.created_at,
                 "Roles": [role_shape(ctx, m, full=False) for m in members.get(ip.profile_id, [])]}
                for ip in profiles.get(r.role_id, [])],
            "RolePolicyList": inline.get(r.role_id, []),
            "AttachedManagedPolicies": attached.get(r.role_id, []),
            "PermissionsBoundary": boundary_shape(r.permissions_boundary),
            "Tags": tags.get(r.role_id),  # left out when untagged, as GetUser/GetRole do
            "RoleLastUsed": last_used})  # an empty element when the role was never used
    return out


def _policies(ctx, rows) -> list[dict]:
    versions = versions_of_policies(ctx.tx, [r.policy_id for r in rows])
    attachments, boundaries = policy_usage(ctx.tx, ctx.account_id, rows)
    return [{"PolicyName": r.name, "PolicyId": r.policy_id, "Arn": r.arn, "Path": r.path,
             "DefaultVersionId": r.default_version, "AttachmentCount": attachments.get(r.policy_id, 0),
             "PermissionsBoundaryUsageCount": boundaries.get(r.arn, 0),
             "IsAttachable": getattr(r, "attachable", True),
             "Description": r.description, "CreateDate": r.created_at, "UpdateDate": r.updated_at,
             "PolicyVersionList": [
                 {"Document": v.document, "VersionId": v.version_id,
                  "IsDefaultVersion": v.version_id == r.default_version, "CreateDate": v.created_at}
                 for v in versions.get(r.policy_id, [])]}
            for r in rows]


SHAPERS = {"User": _users, "Group": _groups, "Role": _roles, "Policy": _policies}


def _position(marker: str | None) -> tuple[int, list | None]:
    if not marker:
        return 0, None
    pos = decode_marker(marker)
    if not (isinstance(pos, list) and len(pos) == 3 and isinstance(pos[0], int)
            and 0 <= pos[0] < len(KINDS) and isinstance(pos[1], (int, float))
            and not isinstance(pos[1], bool) and isinstance(pos[2], str)):
        raise invalid_marker()
    return pos[0], [float(pos[1]), pos[2]]


@operation("GetAccountAuthorizationDetails")
def get_account_authorization_details(ctx, p):
    wanted = set(p.get("Filter") or ALL_FILTERS)  # absent and empty (`Filter=`) mean all
    local, aws = "LocalManagedPolicy" in wanted, "AWSManagedPolicy" in wanted
    start, after = _position(p.get("Marker"))
    budget = p.get("MaxItems") or DEFAULT_MAX_ITEMS
    probe_by_index(ctx.tx)
    out = {name: [] for name in LIST_OF.values()}
    last, truncated = None, False
    for index, kind in enumerate(KINDS):
        if index < start or (kind == "Policy" and not (local or aws)) or \
                (kind != "Policy" and kind not in wanted):
            continue
        # One row beyond the budget tells whether anything is left for a later page.
        rows = gaad_entities(ctx.tx, ctx.account_id, kind, after if index == start else None,
                             budget + 1, local, aws)
        if len(rows) > budget:
            rows, truncated = rows[:budget], True
        if rows:
            out[LIST_OF[kind]] = SHAPERS[kind](ctx, rows)
            last = [index, rows[-1].created_at, getattr(rows[-1], ID_OF[kind])]
            budget -= len(rows)
        if truncated:
            break
    out["IsTruncated"] = truncated
    if truncated:
        out["Marker"] = encode_marker(last)
    return out
