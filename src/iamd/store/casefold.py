"""Case folding for the normalized columns: `*.name_lower` and `tags.key_norm`.

Names and the tag keys of users and roles are case-insensitive (but case-preserving): a
folded copy sits beside the value, in a column as wide as the value's own, and lookups and
uniqueness go through it. Python's `str.lower()` applies Unicode's full case mapping, which
can lengthen a string (U+0130 `İ` becomes `i` + U+0307): a 128-character key would then
overflow its 128-character column on PostgreSQL. `fold` maps one character to one
character, as Java's `equalsIgnoreCase` compares them (the simple upper-case mapping, then
the simple lower-case one), so a folded value is never longer than the value.
"""

from functools import lru_cache

# Characters whose full lower-case mapping has several characters, with their simple one
# (UnicodeData.txt); U+0130 is the only one in Unicode 15.
_SIMPLE_LOWER = {"\u0130": "i"}


@lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    up = c.upper()
    if len(up) != 1:  # no simple upper-case mapping (ß, ﬁ, ŉ ...): the character stays
        up = c
    low = up.lower()
    return low if len(low) == 1 else _SIMPLE_LOWER.get(up, up)


def fold(text: str) -> str:
    """`text` case-folded character by character: same length, same for any casing."""
    if text.isascii():
        return text.lower()
    return "".join(map(_fold_char, text))
