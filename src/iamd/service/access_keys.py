"""Access keys: create (shown once), list, activate/deactivate, delete, last used."""

from ..protocol.errors import limit_exceeded, no_such_entity
from ..store.keys import AccessKeyRepo
from ..store.users import UserRepo
from .dependents import user_dependent
from .ids import access_key_id, secret_access_key
from .quotas import quota
from .registry import operation
from .users import require_user


def _owner(ctx, p, lock=False):
    """(user_id or None for root, user name or None) of the key's owner."""
    name = p.get("UserName")
    if name is None and ctx.caller.kind == "user":
        name = ctx.caller.name
    if name is None:
        if lock:
            ctx.tx.lock_account(ctx.account_id)  # root's keys: the account row guards the quota
        return None, None
    row = require_user(ctx, name, lock=lock)
    return row.user_id, row.name


def _key_of(ctx, p):
    user_id, name = _owner(ctx, p)
    row = AccessKeyRepo(ctx.tx, ctx.account_id).get(p["AccessKeyId"])
    if row is None or row.user_id != user_id:
        raise no_such_entity(f"The Access Key with id {p['AccessKeyId']} cannot be found")
    return row


@operation("CreateAccessKey")
def create_access_key(ctx, p):
    user_id, name = _owner(ctx, p, lock=True)
    repo = AccessKeyRepo(ctx.tx, ctx.account_id)
    limit = quota(ctx, "AccessKeysPerUserQuota")
    if repo.count_for_user(user_id) >= limit:
        raise limit_exceeded(f"Cannot exceed quota for AccessKeysPerUser: {limit}")
    key_id, secret = access_key_id(ctx.account_id), secret_access_key()
    repo.create(key_id, user_id, ctx.app.box.encrypt(secret), ctx.now)
    return {"AccessKey": {"UserName": name or ctx.account_id, "AccessKeyId": key_id,
                          "Status": "Active", "SecretAccessKey": secret, "CreateDate": ctx.now}}


@operation("ListAccessKeys")
def list_access_keys(ctx, p):
    user_id, name = _owner(ctx, p)
    rows = AccessKeyRepo(ctx.tx, ctx.account_id).for_user(user_id)
    start = int(p["Marker"]) if p.get("Marker", "").isdigit() else 0
    limit = p.get("MaxItems") or 100
    chunk = rows[start:start + limit]
    out = {"AccessKeyMetadata": [
        {"UserName": name or ctx.account_id, "AccessKeyId": r.access_key_id, "Status": r.status,
         "CreateDate": r.created_at} for r in chunk],
        "IsTruncated": start + limit < len(rows)}
    if out["IsTruncated"]:
        out["Marker"] = str(start + limit)
    return out


@operation("UpdateAccessKey")
def update_access_key(ctx, p):
    row = _key_of(ctx, p)
    AccessKeyRepo(ctx.tx, ctx.account_id).set_status(row.access_key_id, p["Status"])
    ctx.tx.after_commit.append(lambda: ctx.app.resolver.forget(row.access_key_id))


@operation("DeleteAccessKey")
def delete_access_key(ctx, p):
    row = _key_of(ctx, p)
    AccessKeyRepo(ctx.tx, ctx.account_id).delete(row.access_key_id)
    ctx.tx.after_commit.append(lambda: ctx.app.resolver.forget(row.access_key_id))


@operation("GetAccessKeyLastUsed")
def get_access_key_last_used(ctx, p):
    row = AccessKeyRepo(ctx.tx, ctx.account_id).get(p["AccessKeyId"])
    if row is None:
        raise no_such_entity(f"The Access Key with id {p['AccessKeyId']} cannot be found")
    name = ctx.account_id
    if row.user_id:
        name = UserRepo(ctx.tx, ctx.account_id).get_by_id(row.user_id).name
    used = {"ServiceName": "N/A", "Region": "N/A"}
    if row.last_used_at:
        used = {"LastUsedDate": row.last_used_at, "ServiceName": row.last_used_service,
                "Region": row.last_used_region}
    return {"UserName": name, "AccessKeyLastUsed": used}


@user_dependent
def _keys_block_delete(ctx, user_row):
    if AccessKeyRepo(ctx.tx, ctx.account_id).count_for_user(user_row.user_id):
        return "delete access keys"
    return None
