"""Permissions boundaries of users and roles: Put (replace), Delete, and the check that a
boundary names a managed policy, shared with CreateUser and CreateRole.

The boundary is the policy ARN stored on the users/roles row; the policy's
PermissionsBoundaryUsageCount counts those rows, so nothing else needs updating.
"""

from sqlalchemy import update

from ..protocol.errors import AWSError
from ..store.schema.core import users
from ..store.schema.entities import roles
from .attachments import require_entity
from .policies import not_found, require_policy
from .registry import operation

TABLES = {"user": (users, users.c.user_id), "role": (roles, roles.c.role_id)}


def check_boundary_arn(ctx, policy_arn: str):
    """The managed policy (customer or AWS) a boundary names; NoSuchEntity otherwise."""
    policy = require_policy(ctx, policy_arn)
    if not policy.attachable:
        raise not_found(policy_arn)
    if policy.account_id is None and policy.path.startswith("/aws-service-role/"):
        raise AWSError("PolicyNotAttachable", "Cannot attach a Service Role Policy to a Customer Role.")
    return policy


def _set(ctx, kind: str, entity_id: str, value: str | None) -> None:
    table, id_col = TABLES[kind]
    ctx.tx.execute(update(table).where(id_col == entity_id).values(permissions_boundary=value))


def put_boundary(ctx, kind: str, name: str, policy_arn: str) -> None:
    _, entity_id = require_entity(ctx, kind, name, lock=True, modify=True)
    check_boundary_arn(ctx, policy_arn)
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
