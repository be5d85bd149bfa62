"""Parse an AWS Query form (POST body or GET query string) into an operation's input.

The walk follows the botocore input shape: structures by member serialization name,
lists as `Name.member.N` (or `Name.N` when flattened), maps as `Name.entry.N.key/value`.
Keys are split one dot at a time and only where the shape leads, so the work is bounded
by the shape's depth, not by what a client chose to send: a key with a thousand dots or
a list index of a billion costs no more than a well-formed one. Type errors are
collected as Coral-style validation messages, as AWS reports them.
"""

import base64
import binascii
import math
import re
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import unquote

from botocore.model import Shape

from .errors import AWSError, value_at

# Parameters that carry transport or authentication, never operation input.
RESERVED = frozenset({"Action", "Version", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                      "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature",
                      "X-Amz-Security-Token"})

# No IAM/STS list reaches this (the largest modelled maximum is 200); it bounds what one
# request can make the handlers iterate over. Indexes are kept to 9 digits so a client
# cannot make us convert a megabyte of digits.
MAX_LIST_ITEMS = 10_000
_INDEX = re.compile(r"[1-9][0-9]{0,8}")
# Recursive shapes (none in IAM/STS, some in the protocol suites) end here at the latest.
MAX_DEPTH = 64

_INT = re.compile(r"[-+]?[0-9]{1,20}")
_FLOAT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]{1,4})?")
_EPOCH = re.compile(r"[0-9]{1,12}(?:\.[0-9]*)?")
_INT_RANGE = {"integer": (-(1 << 31), (1 << 31) - 1), "long": (-(1 << 63), (1 << 63) - 1)}
# Timestamps a handler can turn into a datetime: years 1 to 9999.
_MIN_TS, _MAX_TS = -62135596800.0, 253402300799.0


def parse_form(raw: str) -> dict[str, str]:
    """Decode a form body; a parameter given twice is ambiguous and refused."""
    # urllib's parse_qsl(keep_blank_values=True) inlined: it is a tenth of a cheap
    # request, and most keys and values need no unquoting at all.
    params: dict[str, str] = {}
    twice = None
    try:
        for piece in raw.split("&"):
            if not piece:
                continue
            key, _, value = piece.partition("=")
            if "+" in key:
                key = key.replace("+", " ")
            if "%" in key:
                key = unquote(key, errors="strict")
            if "+" in value:
                value = value.replace("+", " ")
            if "%" in value:
                value = unquote(value, errors="strict")
            if key in params and twice is None:
                twice = key  # reported once the whole form has decoded, as before
            params[key] = value
    except (UnicodeDecodeError, ValueError) as exc:
        raise AWSError("MalformedQueryString", f"The query string is malformed: {exc}") from None
    if twice is not None:
        raise AWSError("InvalidParameterValue", f"The parameter {twice} appears more than once.")
    return params


@lru_cache(maxsize=4096)
def lower_first(name: str) -> str:
    """A member name as Coral writes it in a validation path (`userName`)."""
    return name[:1].lower() + name[1:]


def _group(items) -> dict[str, list]:
    """Split keys at their first dot: head -> [own value or None, [(rest, value), ...]]."""
    groups: dict[str, list] = {}
    for key, value in items:
        head, dot, rest = key.partition(".")
        node = groups.get(head)
        if node is None:
            node = groups[head] = [None, []]
        if dot:
            node[1].append((rest, value))
        else:
            node[0] = value
    return groups


def _indexed(children) -> list[tuple[int, list]]:
    """The `N` groups under a list or map, in index order; gaps close up, as the
    position is all botocore's numbering carries. Heads that are not a canonical
    1-based index are unknown parameters and ignored, like any other."""
    found = [(int(head), node) for head, node in _group(children).items() if _INDEX.fullmatch(head)]
    found.sort(key=lambda pair: pair[0])
    return found


def _wire_name(name: str, member: Shape) -> str:
    # A flattened list is sent under its item's name when the model gives one
    # (botocore's QuerySerializer replaces the last key segment with it).
    if member.type_name == "list" and member.serialization.get("flattened"):
        item_name = member.member.serialization.get("name")
        if item_name:
            return item_name
    return member.serialization.get("name", name)


class _Walker:
    __slots__ = ("errors",)

    def __init__(self):
        self.errors: list[str] = []

    def value(self, shape: Shape, node: list, path: str, depth: int):
        t = shape.type_name
        if t == "structure" or t == "list" or t == "map":
            if depth > MAX_DEPTH:
                raise AWSError("ValidationError", f"The parameter at '{path}' is nested too deeply.")
            own, children = node
            if not children:
                if own is None:
                    return None
                if own != "":
                    return self.bad(shape, own, path, f"Member must be a {t}")
            if t == "structure":
                result = self.structure(shape, children, path, depth + 1)
            elif t == "list":
                result = self.list(shape, children, path, depth + 1)
            else:
                result = self.map(shape, children, path, depth + 1)
            # Only `Name=` says "empty"; sub-keys that name nothing we know say nothing.
            return None if not result and own is None else result
        raw = node[0]
        if raw is None:
            return None
        return self.scalar(shape, raw, path)

    def structure(self, shape: Shape, children, path: str, depth: int):
        groups = _group(children)
        out = {}
        for name, member in shape.members.items():
            node = groups.get(_wire_name(name, member))
            if node is None:
                continue
            sub = f"{path}.{lower_first(name)}" if path else lower_first(name)
            value = self.value(member, node, sub, depth)
            if value is not None:
                out[name] = value
        return out

    def list(self, shape: Shape, children, path: str, depth: int):
        if not shape.serialization.get("flattened"):
            node = _group(children).get(shape.member.serialization.get("name", "member"))
            children = node[1] if node is not None else ()
        items = _indexed(children)
        self.limit(len(items), path)
        out = []
        for pos, (_, node) in enumerate(items, 1):
            item = self.value(shape.member, node, f"{path}.{pos}.member", depth)
            if item is not None:  # an item sent only as sub-keys of a scalar is no item
                out.append(item)
        return out

    def map(self, shape: Shape, children, path: str, depth: int):
        if not shape.serialization.get("flattened"):
            node = _group(children).get("entry")
            children = node[1] if node is not None else ()
        kname = shape.key.serialization.get("name", "key")
        vname = shape.value.serialization.get("name", "value")
        items = _indexed(children)
        self.limit(len(items), path)
        out = {}
        for pos, (_, node) in enumerate(items, 1):
            parts = _group(node[1])
            knode, vnode = parts.get(kname), parts.get(vname)
            k = self.value(shape.key, knode, f"{path}.{pos}.key", depth) if knode else None
            v = self.value(shape.value, vnode, f"{path}.{pos}.value", depth) if vnode else None
            if k is not None:
                out[k] = v
        return out

    def limit(self, n: int, path: str) -> None:
        if n > MAX_LIST_ITEMS:
            raise AWSError("ValidationError", f"1 validation error detected: Value at '{path}' failed "
                                              f"to satisfy constraint: Member must have length less "
                                              f"than or equal to {MAX_LIST_ITEMS}")

    def scalar(self, shape: Shape, raw: str, path: str):
        t = shape.type_name
        if t == "string" or t == "character":
            return raw
        if t == "integer" or t == "long":
            if _INT.fullmatch(raw):
                value = int(raw)
                lo, hi = _INT_RANGE[t]
                if lo <= value <= hi:
                    return value
            return self.bad(shape, raw, path, "Member must be a number")
        if t == "float" or t == "double":
            if _FLOAT.fullmatch(raw):
                value = float(raw)
                if math.isfinite(value):
                    return value
            return self.bad(shape, raw, path, "Member must be a number")
        if t == "boolean":
            low = raw.lower()
            if low == "true" or low == "false":
                return low == "true"
            return self.bad(shape, raw, path, "Member must be a boolean")
        if t == "timestamp":
            value = parse_timestamp(raw)
            return self.bad(shape, raw, path, "Member must be a timestamp") if value is None else value
        if t == "blob":
            try:
                return base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                return self.bad(shape, raw, path, "Member must be base64-encoded binary data")
        return raw

    def bad(self, shape: Shape, raw: str, path: str, why: str):
        subject = value_at(raw, path, shown=not shape.metadata.get("sensitive"))
        self.errors.append(f"{subject} failed to satisfy constraint: {why}")
        return None


def parse_timestamp(raw: str) -> float | None:
    """Epoch seconds from ISO 8601 (any offset; none means UTC) or epoch-seconds text."""
    try:
        if _EPOCH.fullmatch(raw):
            value = float(raw)
        else:
            dt = datetime.fromisoformat(raw)
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=timezone.utc)
            value = dt.timestamp()
    except (ValueError, OverflowError):
        return None
    return value if math.isfinite(value) and _MIN_TS <= value <= _MAX_TS else None


def parse_input(shape: Shape | None, params: dict[str, str]) -> tuple[dict, list[str]]:
    """Return the input dict and the type errors met on the way."""
    if shape is None:
        return {}, []
    walker = _Walker()
    return walker.structure(shape, params.items(), "", 1), walker.errors
