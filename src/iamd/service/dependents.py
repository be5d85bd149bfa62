"""What must be gone before an entity can be deleted (AWS's DeleteConflict rules).

Each resource family registers a check with `@user_dependent`; DeleteUser asks them all,
so the users module need not know every family that hangs off a user.
"""

_USER_CHECKS: list = []


def user_dependent(fn):
    """fn(ctx, user_row) -> a phrase like 'delete access keys', or None."""
    _USER_CHECKS.append(fn)
    return fn


def user_dependents(ctx, row) -> list[str]:
    found = []
    for check in _USER_CHECKS:
        why = check(ctx, row)
        if why:
            found.append(why)
    return found
