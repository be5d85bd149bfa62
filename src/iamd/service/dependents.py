"""What must be gone before an entity can be deleted (AWS's DeleteConflict rules).

Each resource family registers what it hangs off an entity with
`@blocks_delete("user", "delete access keys")` (or "group", "role", "instance_profile");
the Delete handler calls `ensure_deletable`, so it need not know every family that hangs
off its entity.
"""

from ..protocol.errors import delete_conflict

_CHECKS: dict[str, list] = {}


def blocks_delete(entity_type: str, phrase: str):
    """Register fn(ctx, row) -> a count (or flag) of what the family still holds for the
    entity; while it is non-zero, deleting the entity fails with `must <phrase> first`."""
    def register(fn):
        _CHECKS.setdefault(entity_type, []).append((fn, phrase))
        return fn
    return register


def ensure_deletable(ctx, entity_type: str, row) -> None:
    """Raise DeleteConflict for the first family (in registration order) that still holds
    something of the entity; the later checks' queries are not run."""
    for held, phrase in _CHECKS.get(entity_type, ()):
        if held(ctx, row):
            raise delete_conflict(f"Cannot delete entity, must {phrase} first.")
