"""Instance profiles: create, read (with their role), list, delete, the role in a profile,
tags (case-sensitive keys, unlike roles)."""

from ..protocol.errors import already_exists, limit_exceeded, no_such_entity
from ..store.instance_profiles import InstanceProfileRepo
from ..store.paging import listing
from ..store.tags import TagRepo
from .arns import arn
from .dependents import blocks_delete, ensure_deletable
from .ids import unique_id
from .quotas import quota, within_quota
from .registry import operation
from .roles import ensure_modifiable, require_role, role_shape
from .tags import add_tags, check_new_tags, tag_list, tag_operations

RESOURCE = "instance_profile"  # tag resource type


def instance_profile_shape(ctx, row, role_rows: list, tags: list | None = None) -> dict:
    """An InstanceProfile with its Roles (list shape of each role, trust policy included)."""
    out = {"Path": row.path, "InstanceProfileName": row.name, "InstanceProfileId": row.profile_id,
           "Arn": arn(ctx.account_id, "instance-profile", row.path, row.name),
           "CreateDate": row.created_at, "Roles": [role_shape(ctx, r, full=False) for r in role_rows]}
    if tags is not None:
        out["Tags"] = tags
    return out


def shapes(ctx, rows: list) -> list[dict]:
    """Many profiles with their roles, two queries in all (list outputs carry no tags)."""
    roles = InstanceProfileRepo(ctx.tx, ctx.account_id).roles_of([r.profile_id for r in rows])
    return [instance_profile_shape(ctx, r, roles[r.profile_id]) for r in rows]


def require_instance_profile(ctx, name: str, lock: bool = False):
    row = InstanceProfileRepo(ctx.tx, ctx.account_id).get(name, lock=lock)
    if row is None:
        raise no_such_entity(f"Instance Profile {name} cannot be found.")
    return row


@operation("CreateInstanceProfile")
def create_instance_profile(ctx, p):
    tags = p.get("Tags", [])
    check_new_tags(tags)
    repo = InstanceProfileRepo(ctx.tx, ctx.account_id)
    within_quota(ctx, "InstanceProfilesQuota", "InstanceProfilesPerAccount", repo.count(lock=True) + 1)
    profile_id = unique_id("AIPA")
    name = p["InstanceProfileName"]
    if not repo.create(profile_id, name, p.get("Path", "/"), ctx.now):
        raise already_exists(f"Instance Profile {name} already exists.")
    add_tags(ctx, RESOURCE, profile_id, tags)
    return {"InstanceProfile": instance_profile_shape(ctx, repo.get_by_id(profile_id), [], tags or None)}


@operation("GetInstanceProfile")
def get_instance_profile(ctx, p):
    row = require_instance_profile(ctx, p["InstanceProfileName"])
    roles = InstanceProfileRepo(ctx.tx, ctx.account_id).roles_of([row.profile_id])[row.profile_id]
    return {"InstanceProfile": instance_profile_shape(ctx, row, roles,
                                                      tag_list(ctx, RESOURCE, row.profile_id))}


@operation("ListInstanceProfiles")
def list_instance_profiles(ctx, p):
    rows, marker = InstanceProfileRepo(ctx.tx, ctx.account_id).list(
        p.get("PathPrefix"), p.get("Marker"), p.get("MaxItems"))
    return listing(shapes(ctx, rows), marker, "InstanceProfiles")


@operation("ListInstanceProfilesForRole")
def list_instance_profiles_for_role(ctx, p):
    role = require_role(ctx, p["RoleName"])
    rows, marker = InstanceProfileRepo(ctx.tx, ctx.account_id).for_role(
        role.role_id, p.get("Marker"), p.get("MaxItems"))
    return listing(shapes(ctx, rows), marker, "InstanceProfiles")


@operation("DeleteInstanceProfile")
def delete_instance_profile(ctx, p):
    row = require_instance_profile(ctx, p["InstanceProfileName"], lock=True)
    ensure_deletable(ctx, "instance_profile", row)
    TagRepo(ctx.tx, ctx.account_id).remove_all(RESOURCE, row.profile_id)
    InstanceProfileRepo(ctx.tx, ctx.account_id).delete(row.profile_id)


@operation("AddRoleToInstanceProfile")
def add_role_to_instance_profile(ctx, p):
    profile = require_instance_profile(ctx, p["InstanceProfileName"], lock=True)
    role = require_role(ctx, p["RoleName"])
    ensure_modifiable(role)
    repo = InstanceProfileRepo(ctx.tx, ctx.account_id)
    limit = quota(ctx, "InstanceProfileRolesQuota")
    # one role per profile is also the table's key, which settles concurrent adds
    if repo.count_roles(profile.profile_id) >= limit or not repo.add_role(profile.profile_id, role.role_id):
        raise limit_exceeded(f"Cannot exceed quota for InstanceSessionsPerInstanceProfile: {limit}")


@operation("RemoveRoleFromInstanceProfile")
def remove_role_from_instance_profile(ctx, p):
    profile = require_instance_profile(ctx, p["InstanceProfileName"], lock=True)
    role = require_role(ctx, p["RoleName"])
    ensure_modifiable(role)
    if not InstanceProfileRepo(ctx.tx, ctx.account_id).remove_role(profile.profile_id, role.role_id):
        raise no_such_entity(f"The role with name {role.name} cannot be found in instance profile "
                             f"{profile.name}.")


tag_operations("InstanceProfile", RESOURCE,
               lambda ctx, p: require_instance_profile(ctx, p["InstanceProfileName"]).profile_id)


@blocks_delete("instance_profile", "remove roles from instance profile")
def _profile_roles(ctx, profile_row):
    return InstanceProfileRepo(ctx.tx, ctx.account_id).count_roles(profile_row.profile_id)


@blocks_delete("role", "remove roles from instance profile")
def _role_profiles(ctx, role_row):
    return InstanceProfileRepo(ctx.tx, ctx.account_id).count_for_role(role_row.role_id)
