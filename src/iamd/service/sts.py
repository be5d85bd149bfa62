"""STS operations that need no session machinery: GetCallerIdentity, GetAccessKeyInfo."""

from ..protocol.errors import AWSError
from .ids import account_of_key
from .registry import operation


@operation("GetCallerIdentity")
def get_caller_identity(ctx, p):
    c = ctx.caller
    return {"UserId": c.user_id, "Account": c.account_id, "Arn": c.arn}


@operation("GetAccessKeyInfo")
def get_access_key_info(ctx, p):
    return {"Account": account_of_key(p["AccessKeyId"]) or ctx.account_id}


@operation("DecodeAuthorizationMessage")
def decode_authorization_message(ctx, p):
    # iamd never hands out encoded authorization messages, so none can be decoded here.
    raise AWSError("InvalidAuthorizationMessageException",
                   "The specified message is not a valid encoded authorization message.")
