"""Parse an AWS Query form (POST body or GET query string) into an operation's input.

The walk follows the botocore input shape: structures by member serialization name,
lists as `Name.member.N` (or `Name.N` when flattened), maps as `Name.entry.N.key/value`.
Type errors are collected as Coral-style validation messages, as AWS reports them.
"""

import base64
import binascii
from datetime import datetime, timezone
from urllib.parse import parse_qsl

from botocore.model import Shape

from .errors import AWSError

# Parameters that carry transport or authentication, never operation input.
RESERVED = frozenset({"Action", "Version", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                      "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature",
                      "X-Amz-Security-Token"})


def parse_form(raw: str) -> dict[str, str]:
    """Decode a form body; a parameter given twice is ambiguous and refused."""
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise AWSError("MalformedQueryString", f"The query string is malformed: {exc}") from None
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise AWSError("InvalidParameterValue", f"The parameter {key} appears more than once.")
        params[key] = value
    return params


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


class _Walker:
    __slots__ = ("params", "prefixes", "errors")

    def __init__(self, params: dict[str, str]):
        self.params = params
        prefixes = set()
        for key in params:
            parts = key.split(".")
            for i in range(1, len(parts)):
                prefixes.add(".".join(parts[:i]))
        self.prefixes = prefixes
        self.errors: list[str] = []

    def present(self, key: str) -> bool:
        return key in self.params or key in self.prefixes

    def value(self, shape: Shape, key: str, path: str):
        t = shape.type_name
        if t == "structure":
            return self.structure(shape, key, path)
        if t == "list":
            return self.list(shape, key, path)
        if t == "map":
            return self.map(shape, key, path)
        raw = self.params.get(key)
        if raw is None:
            return None
        return self.scalar(shape, raw, path)

    def structure(self, shape: Shape, prefix: str, path: str):
        out = {}
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            key = f"{prefix}.{wire}" if prefix else wire
            if not self.present(key):
                continue
            sub = f"{path}.{lower_first(name)}" if path else lower_first(name)
            value = self.value(member, key, sub)
            if value is not None:
                out[name] = value
        return out

    def list(self, shape: Shape, prefix: str, path: str):
        if self.params.get(prefix) == "" and prefix not in self.prefixes:
            return []
        if shape.serialization.get("flattened"):
            base = prefix
        else:
            base = f"{prefix}.{shape.member.serialization.get('name', 'member')}"
        items = []
        n = 1
        while self.present(f"{base}.{n}"):
            items.append(self.value(shape.member, f"{base}.{n}", f"{path}.{n}.member"))
            n += 1
        return items

    def map(self, shape: Shape, prefix: str, path: str):
        if self.params.get(prefix) == "" and prefix not in self.prefixes:
            return {}
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        kname = shape.key.serialization.get("name", "key")
        vname = shape.value.serialization.get("name", "value")
        out = {}
        n = 1
        while self.present(f"{base}.{n}"):
            k = self.value(shape.key, f"{base}.{n}.{kname}", f"{path}.{n}.key")
            v = self.value(shape.value, f"{base}.{n}.{vname}", f"{path}.{n}.value")
            if k is not None:
                out[k] = v
            n += 1
        return out

    def scalar(self, shape: Shape, raw: str, path: str):
        t = shape.type_name
        if t == "string":
            return raw
        if t in ("integer", "long"):
            try:
                return int(raw)
            except ValueError:
                return self.bad(raw, path, "Member must be a number")
        if t in ("float", "double"):
            try:
                return float(raw)
            except ValueError:
                return self.bad(raw, path, "Member must be a number")
        if t == "boolean":
            low = raw.lower()
            if low in ("true", "false"):
                return low == "true"
            return self.bad(raw, path, "Member must be a boolean")
        if t == "timestamp":
            return parse_timestamp(raw) or self.bad(raw, path, "Member must be a timestamp")
        if t == "blob":
            try:
                return base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                return self.bad(raw, path, "Member must be base64-encoded binary data")
        return raw

    def bad(self, raw: str, path: str, why: str):
        self.errors.append(f"Value '{raw}' at '{path}' failed to satisfy constraint: {why}")
        return None


def parse_timestamp(raw: str) -> float | None:
    try:
        if raw.replace(".", "", 1).isdigit():
            return float(raw)
        dt = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return dt.timestamp()
    except ValueError:
        return None


def parse_input(shape: Shape | None, params: dict[str, str]) -> tuple[dict, list[str]]:
    """Return the input dict and the type errors met on the way."""
    if shape is None:
        return {}, []
    walker = _Walker(params)
    return walker.structure(shape, "", ""), walker.errors
