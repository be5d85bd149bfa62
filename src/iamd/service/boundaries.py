"""Permissions boundaries of users and roles: Put (replace) and Delete. A boundary must
name a policy that could be attached (`attachments.require_attachable`, which CreateUser
and CreateRole apply to their PermissionsBoundary too).

The boundary is the policy ARN stored on the users/roles row; the policy's
PermissionsBoundaryUsageCount counts those rows, so nothing else needs updating.
"""

from sqlalchemy import update

from ..store.schema.core import users
from ..store.schema.entities import roles
from .attachments import require_attachable, require_entity
from .registry import operation

TABLES = {"user": (users, users.c.user_id), "role": (roles, roles.c.role_id)}


def boundary_shape(policy_arn: str | None) -> dict | None:
    """The PermissionsBoundary member of a User or Role (None without a boundary)."""
    if not policy_arn:
        return None
    return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": policy_arn}


def _set(ctx, kind: str, entity_id: str, value: str | None) -> None:
    table, id_col = TABLES[kind]
    ctx.tx.execute(update(table).where(id_col == entity_id).values(permissions_boundary=value))


def put_boundary(ctx, kind: str, name: str, policy_arn: str) -> None:
    _, entity_id = require_entity(ctx, kind, name, lock=True, modify=True)
    require_attachable(ctx, policy_arn)
    _set(ctx, kind, entity_id, policy_arn)


def delete_boundary(ctx, kind: str, name: str) -> None:
    _, entity_id = require_entity(ctx, kind, name, lock=True, modify=True)
    _set(ctx, kind, entity_id, None)


@operation("PutUserPermissionsBoundary")
def put_user_permissions_boundary(ctx, p):
    put_boundary(ctx, "user", p["UserName"], p["PermissionsBoundary"])


@operation("PutRolePermissionsBoundary")
def put_role_permissions_boundary(ctx, p):
    put_boundary(ctx, "role", p["RoleName"], p["PermissionsBoundary"])


@operation("DeleteUserPermissionsBoundary")
def delete_user_permissions_boundary(ctx, p):
    delete_boundary(ctx, "user", p["UserName"])


@operation("DeleteRolePermissionsBoundary")
def delete_role_permissions_boundary(ctx, p):
    delete_boundary(ctx, "role", p["RoleName"])
