"""STS operations that need no session machinery: GetCallerIdentity, GetAccessKeyInfo."""

from .ids import account_of_key
from .registry import operation


@operation("GetCallerIdentity")
def get_caller_identity(ctx, p):
    c = ctx.caller
    return {"UserId": c.user_id, "Account": c.account_id, "Arn": c.arn}


@operation("GetAccessKeyInfo")
def get_access_key_info(ctx, p):
    return {"Account": account_of_key(p["AccessKeyId"]) or ctx.account_id}
