"""The context keys a policy refers to: condition keys and policy variables.

GetContextKeysFor*Policy answer from the same compiled form the engine evaluates
(`compiled.compile_policy`), so the keys listed are exactly those evaluation can look up:
condition keys under every operator, and the keys of `${…}` variables in Resource,
NotResource and condition values (variables exist only in "Version": "2012-10-17"
documents; the escapes `${*}` `${?}` `${$}` name no key).
"""

from typing import Iterable

from .compiled import CompiledPolicy


def context_keys(policies: Iterable[CompiledPolicy]) -> list[str]:
    """Every key referenced, in the order first met, without case-insensitive repeats."""
    seen: dict[str, str] = {}
    for policy in policies:
        for st in policy.statements:
            for key in st.context_keys():
                seen.setdefault(key.lower(), key)
    return list(seen.values())
