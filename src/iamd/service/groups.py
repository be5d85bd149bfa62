"""IAM groups: create, read (with members), list, rename/move, delete, membership.

Memberships key on group_id and user_id, so renaming or moving a group or a user keeps
them; so do the group's policies (the policies family keys on group_id too).
"""

from ..protocol.errors import already_exists, no_such_entity
from ..store.groups import GroupRepo
from ..store.paging import listing
from .arns import arn
from .dependents import blocks_delete, ensure_deletable
from .ids import unique_id
from .quotas import within_quota
from .registry import operation
from .users import require_user, user_shape


def group_shape(ctx, row) -> dict:
    return {"Path": row.path, "GroupName": row.name, "GroupId": row.group_id,
            "Arn": arn(ctx.account_id, "group", row.path, row.name), "CreateDate": row.created_at}


def require_group(ctx, name: str, lock: bool = False):
    row = GroupRepo(ctx.tx, ctx.account_id).get(name, lock=lock)
    if row is None:
        raise no_such_entity(f"The group with name {name} cannot be found.")
    return row


@operation("CreateGroup")
def create_group(ctx, p):
    repo = GroupRepo(ctx.tx, ctx.account_id)
    within_quota(ctx, "GroupsQuota", "GroupsPerAccount", repo.count(lock=True) + 1)
    group_id = unique_id("AGPA")
    if not repo.create(group_id, p["GroupName"], p.get("Path", "/"), ctx.now):
        raise already_exists(f"Group with name {p['GroupName']} already exists.")
    return {"Group": group_shape(ctx, repo.get_by_id(group_id))}


@operation("GetGroup")
def get_group(ctx, p):
    row = require_group(ctx, p["GroupName"])
    users, marker = GroupRepo(ctx.tx, ctx.account_id).members(row.group_id, p.get("Marker"), p.get("MaxItems"))
    out = listing([user_shape(ctx, u) for u in users], marker, "Users")
    out["Group"] = group_shape(ctx, row)
    return out


@operation("ListGroups")
def list_groups(ctx, p):
    rows, marker = GroupRepo(ctx.tx, ctx.account_id).list(p.get("PathPrefix"), p.get("Marker"), p.get("MaxItems"))
    return listing([group_shape(ctx, r) for r in rows], marker, "Groups")


@operation("UpdateGroup")
def update_group(ctx, p):
    row = require_group(ctx, p["GroupName"], lock=True)
    values = {}
    if "NewGroupName" in p:
        values["name"] = p["NewGroupName"]
    if "NewPath" in p:
        values["path"] = p["NewPath"]
    if values and not GroupRepo(ctx.tx, ctx.account_id).update(row.group_id, **values):
        raise already_exists(f"Group with name {p['NewGroupName']} already exists.")


@operation("DeleteGroup")
def delete_group(ctx, p):
    row = require_group(ctx, p["GroupName"], lock=True)
    ensure_deletable(ctx, "group", row)
    GroupRepo(ctx.tx, ctx.account_id).delete(row.group_id)


@operation("AddUserToGroup")
def add_user_to_group(ctx, p):
    # The user is looked up first: with both missing, AWS reports the user.
    user = require_user(ctx, p["UserName"], lock=True)  # the user owns the GroupsPerUser quota
    group = require_group(ctx, p["GroupName"])
    repo = GroupRepo(ctx.tx, ctx.account_id)
    if repo.is_member(group.group_id, user.user_id):
        return  # AWS accepts a repeated add without change
    within_quota(ctx, "GroupsPerUserQuota", "GroupsPerUser", repo.count_for_user(user.user_id) + 1)
    repo.add_member(group.group_id, user.user_id, ctx.now)


@operation("RemoveUserFromGroup")
def remove_user_from_group(ctx, p):
    user = require_user(ctx, p["UserName"])
    group = require_group(ctx, p["GroupName"])
    if not GroupRepo(ctx.tx, ctx.account_id).remove_member(group.group_id, user.user_id):
        # AWS's text is not documented; moto's wording, naming the entities as stored
        raise no_such_entity(f"User {user.name} not in group {group.name}")


@operation("ListGroupsForUser")
def list_groups_for_user(ctx, p):
    user = require_user(ctx, p["UserName"])
    rows, marker = GroupRepo(ctx.tx, ctx.account_id).for_user(user.user_id, p.get("Marker"), p.get("MaxItems"))
    return listing([group_shape(ctx, r) for r in rows], marker, "Groups")


@blocks_delete("group", "remove users from group")
def _group_members(ctx, group_row):
    return GroupRepo(ctx.tx, ctx.account_id).count_members(group_row.group_id)


@blocks_delete("user", "remove users from group")
def _user_groups(ctx, user_row):
    return GroupRepo(ctx.tx, ctx.account_id).count_for_user(user_row.user_id)
