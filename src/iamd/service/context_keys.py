"""GetContextKeysForCustomPolicy and GetContextKeysForPrincipalPolicy: which context keys
the given policies, or the policies in force for a user, group or role, refer to."""

from ..policy.context_keys import context_keys
from ..policy.grammar import check_document
from ..protocol.errors import AWSError, invalid_input
from ..store.groups import GroupRepo
from ..store.policy_documents import entity_documents
from .groups import require_group
from .registry import operation
from .roles import require_role
from .users import require_user


def _parsed(texts: list[str]) -> list[dict]:
    docs = []
    for text in texts:
        try:
            docs.append(check_document(text, "identity"))
        except AWSError as err:
            raise invalid_input(err.message) from None
    return docs


@operation("GetContextKeysForCustomPolicy")
def get_context_keys_for_custom_policy(ctx, p):
    return {"ContextKeyNames": context_keys(_parsed(p["PolicyInputList"]))}


def _principal_entities(ctx, arn: str) -> list[tuple[str, str]]:
    """(entity_type, entity_id) whose policies apply to the ARN's user, group or role."""
    prefix = f"arn:aws:iam::{ctx.account_id}:"
    kind, _, rest = arn[len(prefix):].partition("/") if arn.startswith(prefix) else ("", "", "")
    name = rest.rsplit("/", 1)[-1]
    if kind == "user" and name:
        user = require_user(ctx, name)
        groups = GroupRepo(ctx.tx, ctx.account_id).all_for_user(user.user_id)
        return [("user", user.user_id), *(("group", g.group_id) for g in groups)]
    if kind == "group" and name:
        return [("group", require_group(ctx, name).group_id)]
    if kind == "role" and name:
        return [("role", require_role(ctx, name).role_id)]
    raise invalid_input(f"ARN {arn} is not valid.")


@operation("GetContextKeysForPrincipalPolicy")
def get_context_keys_for_principal_policy(ctx, p):
    stored = entity_documents(ctx.tx, _principal_entities(ctx, p["PolicySourceArn"]))
    docs = _parsed(stored) + _parsed(p.get("PolicyInputList", []))
    return {"ContextKeyNames": context_keys(docs)}
