"""What must be gone before an entity can be deleted (AWS's DeleteConflict rules).

Each resource family registers its check with `@dependent("user")` (or "group", "role",
"policy", "instance_profile"); the Delete handler asks them all, so it need not know
every family that hangs off its entity.
"""

_CHECKS: dict[str, list] = {}


def dependent(entity_type: str):
    """Register fn(ctx, row) -> a phrase like 'delete access keys', or None."""
    def register(fn):
        _CHECKS.setdefault(entity_type, []).append(fn)
        return fn
    return register


def dependents(ctx, entity_type: str, row) -> list[str]:
    found = []
    for check in _CHECKS.get(entity_type, ()):
        why = check(ctx, row)
        if why:
            found.append(why)
    return found


def user_dependent(fn):
    return dependent("user")(fn)


def user_dependents(ctx, row) -> list[str]:
    return dependents(ctx, "user", row)
