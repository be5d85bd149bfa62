"""The stored policies in force for a user, group or role, as named policy sources.

SimulatePrincipalPolicy evaluates them and GetContextKeysForPrincipalPolicy reads their
keys; both go through here so they see the same documents, in the same order, as the
enforcer (`store/principal_policies.load`): a user's inline and attached policies and
those of each of its groups, plus its permissions boundary; a role's inline, attached and
boundary; a group's inline and attached.
"""

from dataclasses import dataclass

from ..protocol.errors import invalid_input
from ..store.principal_policies import load
from ..store.policy_documents import group_documents
from .groups import require_group
from .roles import require_role
from .users import require_user


@dataclass(frozen=True)
class Stored:
    kind: str                                  # user, group, role
    arn: str
    identity: tuple[tuple[str, str, str], ...]  # (SourcePolicyId, SourcePolicyType, document)
    boundary: tuple[str, str, str] | None


def principal_policies(ctx, arn: str) -> Stored:
    """The policies of the user, group or role the ARN names (NoSuchEntity if it does not
    exist, InvalidInput if the ARN names none of them in this account)."""
    prefix = f"arn:aws:iam::{ctx.account_id}:"
    kind, _, rest = arn[len(prefix):].partition("/") if arn.startswith(prefix) else ("", "", "")
    name = rest.rsplit("/", 1)[-1]
    if kind == "group" and name:
        return Stored("group", arn, tuple(group_documents(ctx.tx, require_group(ctx, name).group_id)), None)
    if kind in ("user", "role") and name:
        row = require_user(ctx, name) if kind == "user" else require_role(ctx, name)
        loaded = load(ctx.tx, kind, row.user_id if kind == "user" else row.role_id)
        boundary = loaded.boundary
        return Stored(kind, arn, tuple((s.id, s.type, s.document) for s in loaded.identity),
                      None if boundary is None else (boundary.id, boundary.type, boundary.document))
    raise invalid_input(f"ARN {arn} is not valid.")
