"""GetContextKeysForCustomPolicy and GetContextKeysForPrincipalPolicy: which context keys
the given policies, or the policies in force for a user, group or role, refer to.

The documents are read by the engine's own parser (`policy.compiled`), as the simulator
and the enforcer read them."""

from ..policy.compiled import compile_policy
from ..policy.context_keys import context_keys
from ..policy.grammar import check_document
from ..protocol.errors import AWSError, invalid_input
from .policy_sources import principal_policies
from .registry import operation


def checked(texts: list[str], kind: str = "identity") -> list[str]:
    """The texts, each validated as a policy of `kind` (InvalidInput with the grammar's
    message when one is not)."""
    for text in texts:
        try:
            check_document(text, kind)
        except AWSError as err:
            raise invalid_input(err.message) from None
    return texts


@operation("GetContextKeysForCustomPolicy")
def get_context_keys_for_custom_policy(ctx, p):
    texts = checked(p["PolicyInputList"])
    return {"ContextKeyNames": context_keys(compile_policy(t) for t in texts)}


@operation("GetContextKeysForPrincipalPolicy")
def get_context_keys_for_principal_policy(ctx, p):
    stored = principal_policies(ctx, p["PolicySourceArn"])
    texts = [doc for _, _, doc in stored.identity] + checked(p.get("PolicyInputList", []))
    return {"ContextKeyNames": context_keys(compile_policy(t) for t in texts)}
