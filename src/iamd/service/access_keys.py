"""Access keys: create (shown once), list, activate/deactivate, delete, last used."""

from ..protocol.errors import no_such_entity
from ..store.keys import AccessKeyRepo
from ..store.paging import listing, offset_page
from ..store.users import UserRepo
from .dependents import blocks_delete
from .ids import access_key_id, secret_access_key
from .quotas import within_quota
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
        raise no_such_entity(f"The Access Key with id {p['AccessKeyId']} cannot be found.")
    return row


@operation("CreateAccessKey")
def create_access_key(ctx, p):
    user_id, name = _owner(ctx, p, lock=True)
    repo = AccessKeyRepo(ctx.tx, ctx.account_id)
    within_quota(ctx, "AccessKeysPerUserQuota", "AccessKeysPerUser", repo.count_for_user(user_id) + 1)
    key_id, secret = access_key_id(ctx.account_id), secret_access_key()
    repo.create(key_id, user_id, ctx.app.box.encrypt(secret), ctx.now)
    return {"AccessKey": {"UserName": name or ctx.account_id, "AccessKeyId": key_id,
                          "Status": "Active", "SecretAccessKey": secret, "CreateDate": ctx.now}}


@operation("ListAccessKeys")
def list_access_keys(ctx, p):
    user_id, name = _owner(ctx, p)
    # At most two keys: paging over the whole list is enough.
    rows, marker = offset_page(AccessKeyRepo(ctx.tx, ctx.account_id).for_user(user_id),
                               p.get("Marker"), p.get("MaxItems"))
    return listing([{"UserName": name or ctx.account_id, "AccessKeyId": r.access_key_id, "Status": r.status,
                     "CreateDate": r.created_at} for r in rows], marker, "AccessKeyMetadata")


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
        raise no_such_entity(f"The Access Key with id {p['AccessKeyId']} cannot be found.")
    name = ctx.account_id
    if row.user_id:
        name = UserRepo(ctx.tx, ctx.account_id).get_by_id(row.user_id).name
    used = {"ServiceName": "N/A", "Region": "N/A"}
    if row.last_used_at:
        used = {"LastUsedDate": row.last_used_at, "ServiceName": row.last_used_service,
                "Region": row.last_used_region}
    return {"UserName": name, "AccessKeyLastUsed": used}


@blocks_delete("user", "delete access keys")
def _user_keys(ctx, user_row):
    return AccessKeyRepo(ctx.tx, ctx.account_id).count_for_user(user_row.user_id)
