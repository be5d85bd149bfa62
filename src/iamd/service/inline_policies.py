"""Inline policies of users, groups and roles: Put (create or overwrite), Get, Delete, List.

The quota is on the aggregate size of all of an entity's inline policies (whitespace not
counted): 2048 for a user, 5120 for a group, 10240 for a role. The entity row is locked
before the sum is taken so concurrent Puts cannot overshoot it together.
"""

from ..policy.grammar import check_document, policy_size
from ..protocol.errors import limit_exceeded, no_such_entity
from ..store.paging import listing
from ..store.policy_inline import InlinePolicyRepo
from .attachments import require_entity
from .dependents import blocks_delete
from .quotas import quota
from .registry import operation

# entity type -> (API noun, size quota key)
KINDS = {"user": ("User", "UserPolicySizeQuota"), "group": ("Group", "GroupPolicySizeQuota"),
         "role": ("Role", "RolePolicySizeQuota")}


def put(ctx, kind: str, p: dict) -> None:
    noun, quota_key = KINDS[kind]
    row, entity_id = require_entity(ctx, kind, p[f"{noun}Name"], lock=True, modify=True)
    name, text = p["PolicyName"], p["PolicyDocument"]
    check_document(text, "identity")
    repo = InlinePolicyRepo(ctx.tx, ctx.account_id)
    total = policy_size(text) + sum(policy_size(r.document) for r in repo.documents(kind, entity_id)
                                    if r.name != name)
    limit = quota(ctx, quota_key)
    if total > limit:
        raise limit_exceeded(f"Maximum policy size of {limit} bytes exceeded for {kind} {row.name}")
    repo.put(kind, entity_id, name, text, ctx.now)


def _missing(kind: str, name: str):
    return no_such_entity(f"The {kind} policy with name {name} cannot be found.")


def get(ctx, kind: str, p: dict) -> dict:
    noun, _ = KINDS[kind]
    row, entity_id = require_entity(ctx, kind, p[f"{noun}Name"])
    found = InlinePolicyRepo(ctx.tx, ctx.account_id).get(kind, entity_id, p["PolicyName"])
    if found is None:
        raise _missing(kind, p["PolicyName"])
    return {f"{noun}Name": row.name, "PolicyName": found.name, "PolicyDocument": found.document}


def delete(ctx, kind: str, p: dict) -> None:
    noun, _ = KINDS[kind]
    _, entity_id = require_entity(ctx, kind, p[f"{noun}Name"], lock=True, modify=True)
    if not InlinePolicyRepo(ctx.tx, ctx.account_id).delete(kind, entity_id, p["PolicyName"]):
        raise _missing(kind, p["PolicyName"])


def list_names(ctx, kind: str, p: dict) -> dict:
    noun, _ = KINDS[kind]
    _, entity_id = require_entity(ctx, kind, p[f"{noun}Name"])
    rows, marker = InlinePolicyRepo(ctx.tx, ctx.account_id).names(
        kind, entity_id, p.get("Marker"), p.get("MaxItems"))
    return listing([r.name for r in rows], marker, "PolicyNames")


def _register(kind: str) -> None:
    noun, _ = KINDS[kind]
    operation(f"Put{noun}Policy")(lambda ctx, p: put(ctx, kind, p))
    operation(f"Get{noun}Policy")(lambda ctx, p: get(ctx, kind, p))
    operation(f"Delete{noun}Policy")(lambda ctx, p: delete(ctx, kind, p))
    operation(f"List{noun}Policies")(lambda ctx, p: list_names(ctx, kind, p))

    blocks_delete(kind, "delete policies")(
        lambda ctx, row: InlinePolicyRepo(ctx.tx, ctx.account_id).any_for(kind, getattr(row, f"{kind}_id")))


for _kind in KINDS:
    _register(_kind)
