"""Read the models' patterns as Java reads them, with Python's `re`.

AWS validates input with Java regular expressions (Coral); the IAM and STS models carry
them verbatim. Most of the syntax means the same in Python, but the predefined classes do
not: in Java `\\w`, `\\d` and `\\s` are ASCII-only, while Python's are Unicode-wide (a `ü`
would pass `[\\w+=,.@-]+` here and fail at AWS), and Python has no `\\p{L}`-style
Unicode categories at all. `translate` rewrites those into explicit classes so that the
validator and the tests' generators agree with AWS.
"""

import sys
import unicodedata
from functools import lru_cache

_ASCII_CLASSES = {"w": "a-zA-Z0-9_", "d": "0-9", "s": " \\t\\n\\x0b\\f\\r"}
_NEGATED = {"W": "w", "D": "d", "S": "s"}


def _esc(cp: int) -> str:
    return f"\\U{cp:08x}"


@lru_cache(maxsize=1)
def _category_runs() -> tuple[tuple[int, int, str], ...]:
    """Maximal runs of code points sharing one general category (one pass, ~0.1 s)."""
    runs, start, current = [], 0, None
    category = unicodedata.category
    for cp in range(sys.maxunicode + 1):
        cat = category(chr(cp))
        if cat != current:
            if current is not None:
                runs.append((start, cp - 1, current))
            start, current = cp, cat
    runs.append((start, sys.maxunicode, current))
    return tuple(runs)


@lru_cache(maxsize=None)
def category_ranges(name: str) -> str:
    """The body of a character class matching Java's `\\p{name}` (e.g. L, Lu, N, Z)."""
    name = name[2:] if name.startswith("Is") and len(name) > 2 else name
    merged: list[list[int]] = []
    for lo, hi, cat in _category_runs():
        if cat.startswith(name):
            if merged and merged[-1][1] == lo - 1:
                merged[-1][1] = hi
            else:
                merged.append([lo, hi])
    if not merged:
        raise ValueError(f"unknown Unicode category {name!r}")
    return "".join(_esc(lo) if lo == hi else f"{_esc(lo)}-{_esc(hi)}" for lo, hi in merged)


def translate(pattern: str) -> str:
    """Rewrite a Java pattern into a Python `re` pattern with the same meaning."""
    out: list[str] = []
    in_class = 0
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt in "pP" and i + 2 < n:
                if pattern[i + 2] == "{":
                    end = pattern.index("}", i + 3)
                    name = pattern[i + 3:end]
                else:
                    end, name = i + 2, pattern[i + 2]
                body = category_ranges(name)
                if in_class:
                    if nxt == "P":
                        raise ValueError("negated category inside a class is not supported")
                    out.append(body)
                else:
                    out.append(f"[{'^' if nxt == 'P' else ''}{body}]")
                i = end + 1
                continue
            if nxt in _ASCII_CLASSES:
                body = _ASCII_CLASSES[nxt]
                out.append(body if in_class else f"[{body}]")
                i += 2
                continue
            if nxt in _NEGATED and not in_class:
                out.append(f"[^{_ASCII_CLASSES[_NEGATED[nxt]]}]")
                i += 2
                continue
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if ch == "[":
            # A `[` inside a class is a Java nested class; Python would read it literally
            # (and warn); the models use none, so only the outermost bracket is tracked.
            if not in_class:
                in_class = 1
                out.append(ch)
                if pattern.startswith("^", i + 1):
                    out.append("^")
                    i += 1
                i += 1
                continue
            out.append("\\[")
            i += 1
            continue
        if ch == "]" and in_class:
            in_class = 0
        out.append(ch)
        i += 1
    return "".join(out)
