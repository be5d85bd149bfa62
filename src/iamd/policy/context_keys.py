"""The context keys a policy refers to: condition keys and policy variables.

Pure functions over parsed policy documents, for GetContextKeysFor*Policy (and later the
simulator, which must be given a value for each of them).
"""

import re

# `${aws:username}`; the escapes `${*}`, `${?}` and `${$}` name no key.
_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_ESCAPES = frozenset({"*", "?", "$"})


def _statements(doc: dict) -> list:
    st = doc.get("Statement", [])
    return st if isinstance(st, list) else [st]


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)


def context_keys(docs: list[dict]) -> list[str]:
    """Every key referenced, in the order first met, without case-insensitive repeats."""
    seen: dict[str, str] = {}

    def add(key: str) -> None:
        seen.setdefault(key.lower(), key)

    for doc in docs:
        for st in _statements(doc):
            if not isinstance(st, dict):
                continue
            for key in (st.get("Condition") or {}).values():
                if isinstance(key, dict):
                    for name in key:
                        add(name)
            for field in ("Resource", "NotResource", "Condition"):
                for text in _strings(st.get(field)):
                    for var in _VARIABLE.findall(text):
                        name = var.split(",", 1)[0].strip()  # ${key, 'default'}
                        if name not in _ESCAPES:
                            add(name)
    return list(seen.values())
