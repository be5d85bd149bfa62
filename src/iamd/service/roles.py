"""IAM roles: create, read, list, update, trust policy, delete, tags.

`role_shape` is the one place a Role output is built (GetRole, ListRoles, instance
profiles, authorization details); `ensure_modifiable` is the guard every writer of a role
calls so that service-linked roles stay AWS's to change.
"""

from ..protocol.errors import AWSError, invalid_input, no_such_entity
from ..store.paging import listing
from ..store.roles import RoleRepo
from ..store.tags import TagRepo
from .arns import arn
from .attachments import require_attachable
from .boundaries import boundary_shape
from .dependents import ensure_deletable
from .ids import unique_id
from .quotas import within_quota
from .registry import operation
from .tags import add_tags, check_new_tags, tag_list, tag_operations

SERVICE_ROLE_PATH = "/aws-service-role/"
DEFAULT_MAX_SESSION = 3600


def role_shape(ctx, row, tags: list | None = None, full: bool = True) -> dict:
    """A Role. `full=False` is the subset list operations return (no PermissionsBoundary,
    RoleLastUsed or Tags, as ListRoles documents)."""
    out = {"Path": row.path, "RoleName": row.name, "RoleId": row.role_id,
           "Arn": arn(ctx.account_id, "role", row.path, row.name), "CreateDate": row.created_at,
           "AssumeRolePolicyDocument": row.assume_role_policy,
           "MaxSessionDuration": row.max_session_duration}
    if row.description:
        out["Description"] = row.description
    if not full:
        return out
    if row.permissions_boundary:
        out["PermissionsBoundary"] = boundary_shape(row.permissions_boundary)
    if tags:
        out["Tags"] = tags
    # never used: an empty element, as GetRole answers
    out["RoleLastUsed"] = ({"LastUsedDate": row.last_used_at, "Region": row.last_used_region}
                           if row.last_used_at else {})
    return out


def require_role(ctx, name: str, lock: bool = False):
    row = RoleRepo(ctx.tx, ctx.account_id).get(name, lock=lock)
    if row is None:
        raise no_such_entity(f"The role with name {name} cannot be found.")
    return row


def ensure_modifiable(row) -> None:
    """Refuse to change a service-linked role (only its service may)."""
    if row.service_linked:
        raise AWSError("UnmodifiableEntity", f"Cannot perform the operation on the protected role "
                                             f"'{row.name}' - this role is only modifiable by AWS")


def check_trust_policy(ctx, text: str) -> None:
    """Validate a trust policy as IAM does when it is saved, then its size quota."""
    from ..policy.grammar import check_document, policy_size
    check_document(text, "trust")
    within_quota(ctx, "AssumeRolePolicySizeQuota", "ACLSizePerRole", policy_size(text))


def full_role(ctx, row) -> dict:
    return role_shape(ctx, row, tag_list(ctx, "role", row.role_id) or None)


def insert_role(ctx, *, name: str, path: str, trust: str, description: str | None = None,
                max_session: int = DEFAULT_MAX_SESSION, boundary: str | None = None,
                service_linked: bool = False, taken=None):
    """Create a role row under the RolesPerAccount quota; `taken` is the error to raise
    when the name is in use. Returns the new row."""
    repo = RoleRepo(ctx.tx, ctx.account_id)
    within_quota(ctx, "RolesQuota", "RolesPerAccount", repo.count(lock=True) + 1)
    role_id = unique_id("AROA")
    if not repo.create(role_id=role_id, name=name, path=path, created_at=ctx.now,
                       assume_role_policy=trust, description=description,
                       max_session_duration=max_session, permissions_boundary=boundary,
                       service_linked=service_linked):
        raise taken or AWSError("EntityAlreadyExists", f"Role with name {name} already exists.")
    return repo.get_by_id(role_id)


@operation("CreateRole")
def create_role(ctx, p):
    path = p.get("Path", "/")
    if path.startswith(SERVICE_ROLE_PATH):
        raise invalid_input(f"Path prefix '{SERVICE_ROLE_PATH}' can only be used for AWS Service linked Roles")
    check_trust_policy(ctx, p["AssumeRolePolicyDocument"])
    tags = p.get("Tags", [])
    check_new_tags(tags)
    boundary = p.get("PermissionsBoundary")
    if boundary:
        require_attachable(ctx, boundary)
    row = insert_role(ctx, name=p["RoleName"], path=path, trust=p["AssumeRolePolicyDocument"],
                      description=p.get("Description"),
                      max_session=p.get("MaxSessionDuration", DEFAULT_MAX_SESSION), boundary=boundary)
    add_tags(ctx, "role", row.role_id, tags)
    out = role_shape(ctx, row, tags or None)
    del out["RoleLastUsed"]  # CreateRole does not report usage
    return {"Role": out}


@operation("GetRole")
def get_role(ctx, p):
    return {"Role": full_role(ctx, require_role(ctx, p["RoleName"]))}


@operation("ListRoles")
def list_roles(ctx, p):
    rows, marker = RoleRepo(ctx.tx, ctx.account_id).list(p.get("PathPrefix"), p.get("Marker"), p.get("MaxItems"))
    return listing([role_shape(ctx, r, full=False) for r in rows], marker, "Roles")


@operation("UpdateRole")
def update_role(ctx, p):
    row = require_role(ctx, p["RoleName"], lock=True)
    values = {}
    if "Description" in p:
        values["description"] = p["Description"]
    if "MaxSessionDuration" in p:
        ensure_modifiable(row)  # a service-linked role's description is editable, not its sessions
        values["max_session_duration"] = p["MaxSessionDuration"]
    if values:
        RoleRepo(ctx.tx, ctx.account_id).update(row.role_id, **values)
    return {}


@operation("UpdateRoleDescription")
def update_role_description(ctx, p):
    row = require_role(ctx, p["RoleName"], lock=True)
    repo = RoleRepo(ctx.tx, ctx.account_id)
    repo.update(row.role_id, description=p["Description"])
    return {"Role": full_role(ctx, repo.get_by_id(row.role_id))}


@operation("UpdateAssumeRolePolicy")
def update_assume_role_policy(ctx, p):
    row = require_role(ctx, p["RoleName"], lock=True)
    ensure_modifiable(row)
    check_trust_policy(ctx, p["PolicyDocument"])
    RoleRepo(ctx.tx, ctx.account_id).update(row.role_id, assume_role_policy=p["PolicyDocument"])


def delete_role_row(ctx, row) -> None:
    """Remove a role that nothing blocks any more, with what hangs off it by id."""
    TagRepo(ctx.tx, ctx.account_id).remove_all("role", row.role_id)
    RoleRepo(ctx.tx, ctx.account_id).delete(row.role_id)


@operation("DeleteRole")
def delete_role(ctx, p):
    row = require_role(ctx, p["RoleName"], lock=True)
    ensure_modifiable(row)
    ensure_deletable(ctx, "role", row)
    delete_role_row(ctx, row)


tag_operations("Role", "role", lambda ctx, p: require_role(ctx, p["RoleName"]).role_id)
