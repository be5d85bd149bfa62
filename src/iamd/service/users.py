"""IAM users: create, read, list, rename/move, delete, tags."""

from ..auth.principal import user_arn
from ..protocol.errors import already_exists, no_such_entity, validation_error
from ..store.paging import listing
from ..store.tags import TagRepo
from ..store.users import UserRepo
from . import ids
from .attachments import require_attachable
from .boundaries import boundary_shape
from .dependents import ensure_deletable
from .quotas import within_quota
from .registry import operation
from .tags import add_tags, check_new_tags, tag_operations


def user_shape(ctx, row, tags: list | None = None, listed: bool = False) -> dict:
    """A User; ListUsers (`listed`) leaves PermissionsBoundary out, as AWS does."""
    out = {"Path": row.path, "UserName": row.name, "UserId": row.user_id,
           "Arn": user_arn(ctx.account_id, row.path, row.name), "CreateDate": row.created_at}
    if row.password_last_used:
        out["PasswordLastUsed"] = row.password_last_used
    if row.permissions_boundary and not listed:
        out["PermissionsBoundary"] = boundary_shape(row.permissions_boundary)
    if tags:
        out["Tags"] = tags
    return out


def require_user(ctx, name: str, lock: bool = False):
    row = UserRepo(ctx.tx, ctx.account_id).get(name, lock=lock)
    if row is None:
        raise no_such_entity(f"The user with name {name} cannot be found.")
    return row


def target_name(ctx, p) -> str:
    """The user a request names in UserName or, when it names none, the calling IAM user.
    Callers that are neither (the root user, roles) must name one; operations that serve the
    root user as well check for it first."""
    name = p.get("UserName")
    if name is None:
        if ctx.caller.kind != "user":
            raise validation_error("Must specify userName when calling with non-User credentials")
        name = ctx.caller.name
    return name


def target_user(ctx, p, lock: bool = False):
    """The row of `target_name`'s user."""
    return require_user(ctx, target_name(ctx, p), lock=lock)


@operation("CreateUser")
def create_user(ctx, p):
    repo = UserRepo(ctx.tx, ctx.account_id)
    tags = p.get("Tags", [])
    check_new_tags(tags)
    within_quota(ctx, "UsersQuota", "UsersPerAccount", repo.count() + 1)
    boundary = p.get("PermissionsBoundary")
    if boundary:
        require_attachable(ctx, boundary)
    user_id = ids.unique_id("AIDA")
    path = p.get("Path", "/")
    if not repo.create(user_id, p["UserName"], path, ctx.now, boundary):
        raise already_exists(f"User with name {p['UserName']} already exists.")
    add_tags(ctx, "user", user_id, tags)
    return {"User": user_shape(ctx, repo.get_by_id(user_id), tags or None)}


@operation("GetUser")
def get_user(ctx, p):
    if p.get("UserName") is None and ctx.caller.kind == "root":
        return {"User": {"UserId": ctx.account_id, "Arn": ctx.caller.arn, "Path": "/",
                         "CreateDate": ctx.app.created(ctx.tx, ctx.account_id) if ctx.app else ctx.now}}
    name = target_name(ctx, p)
    row, tags = UserRepo(ctx.tx, ctx.account_id).get_with_tags(name)
    if row is None:
        raise no_such_entity(f"The user with name {name} cannot be found.")
    return {"User": user_shape(ctx, row, [{"Key": k, "Value": v} for k, v in tags] or None)}


@operation("ListUsers")
def list_users(ctx, p):
    rows, marker = UserRepo(ctx.tx, ctx.account_id).list(p.get("PathPrefix"), p.get("Marker"), p.get("MaxItems"))
    return listing([user_shape(ctx, r, listed=True) for r in rows], marker, "Users")


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
    ensure_deletable(ctx, "user", row)
    TagRepo(ctx.tx, ctx.account_id).remove_all("user", row.user_id)
    UserRepo(ctx.tx, ctx.account_id).delete(row.user_id)


tag_operations("User", "user", lambda ctx, p: require_user(ctx, p["UserName"]).user_id)


