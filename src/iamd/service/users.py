"""IAM users: create, read, list, rename/move, delete, tags."""

from ..auth.principal import user_arn
from ..protocol.errors import AWSError, already_exists, delete_conflict, limit_exceeded, no_such_entity
from ..store.paging import listing
from ..store.tags import TagRepo
from ..store.users import UserRepo
from . import ids
from .dependents import user_dependents
from .quotas import quota
from .registry import operation
from .tags import add_tags, check_new_tags, paged_tags, remove_tags


def user_shape(ctx, row, tags: list | None = None) -> dict:
    out = {"Path": row.path, "UserName": row.name, "UserId": row.user_id,
           "Arn": user_arn(ctx.account_id, row.path, row.name), "CreateDate": row.created_at}
    if row.password_last_used:
        out["PasswordLastUsed"] = row.password_last_used
    if row.permissions_boundary:
        out["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                      "PermissionsBoundaryArn": row.permissions_boundary}
    if tags:
        out["Tags"] = tags
    return out


def require_user(ctx, name: str, lock: bool = False):
    row = UserRepo(ctx.tx, ctx.account_id).get(name, lock=lock)
    if row is None:
        raise no_such_entity(f"The user with name {name} cannot be found.")
    return row


@operation("CreateUser")
def create_user(ctx, p):
    repo = UserRepo(ctx.tx, ctx.account_id)
    tags = p.get("Tags", [])
    check_new_tags(tags)
    if repo.count() >= quota(ctx, "UsersQuota"):
        raise limit_exceeded(f"Cannot exceed quota for UsersPerAccount: {quota(ctx, 'UsersQuota')}")
    boundary = p.get("PermissionsBoundary")
    if boundary:
        from .boundaries import check_boundary_arn
        check_boundary_arn(ctx, boundary)
    user_id = ids.unique_id("AIDA")
    path = p.get("Path", "/")
    if not repo.create(user_id, p["UserName"], path, ctx.now, boundary):
        raise already_exists(f"User with name {p['UserName']} already exists.")
    add_tags(ctx, "user", user_id, tags)
    return {"User": user_shape(ctx, repo.get_by_id(user_id), tags or None)}


@operation("GetUser")
def get_user(ctx, p):
    name = p.get("UserName")
    if name is None:
        if ctx.caller.kind == "root":
            return {"User": {"UserId": ctx.account_id, "Arn": ctx.caller.arn, "Path": "/",
                             "CreateDate": ctx.extra.get("account_created", ctx.now)}}
        if ctx.caller.kind != "user":
            raise AWSError("ValidationError", "Must specify userName when calling with non-User credentials")
        name = ctx.caller.name
    row = require_user(ctx, name)
    tags = TagRepo(ctx.tx, ctx.account_id).list("user", row.user_id)
    return {"User": user_shape(ctx, row, [{"Key": k, "Value": v} for k, v in tags] or None)}


@operation("ListUsers")
def list_users(ctx, p):
    rows, marker = UserRepo(ctx.tx, ctx.account_id).list(p.get("PathPrefix"), p.get("Marker"), p.get("MaxItems"))
    return listing([user_shape(ctx, r) for r in rows], marker, "Users")


@operation("UpdateUser")
def update_user(ctx, p):
    repo = UserRepo(ctx.tx, ctx.account_id)
    row = require_user(ctx, p["UserName"], lock=True)
    values = {}
    if "NewUserName" in p:
        values["name"] = p["NewUserName"]
    if "NewPath" in p:
        values["path"] = p["NewPath"]
    if values and not repo.update(row.user_id, **values):
        raise already_exists(f"User with name {p['NewUserName']} already exists.")
    if "name" in values:
        ctx.tx.after_commit.append(lambda: ctx.app and ctx.app.resolver.clear())


@operation("DeleteUser")
def delete_user(ctx, p):
    row = require_user(ctx, p["UserName"], lock=True)
    blocking = user_dependents(ctx, row)
    if blocking:
        raise delete_conflict(f"Cannot delete entity, must {blocking[0]} first.")
    TagRepo(ctx.tx, ctx.account_id).remove_all("user", row.user_id)
    UserRepo(ctx.tx, ctx.account_id).delete(row.user_id)


@operation("TagUser")
def tag_user(ctx, p):
    add_tags(ctx, "user", require_user(ctx, p["UserName"]).user_id, p["Tags"])


@operation("UntagUser")
def untag_user(ctx, p):
    remove_tags(ctx, "user", require_user(ctx, p["UserName"]).user_id, p["TagKeys"])


@operation("ListUserTags")
def list_user_tags(ctx, p):
    return paged_tags(ctx, "user", require_user(ctx, p["UserName"]).user_id, p)


