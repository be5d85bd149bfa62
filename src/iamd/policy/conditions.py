"""Condition blocks: every operator, `IfExists`, `ForAnyValue:` / `ForAllValues:`.

`compile_condition(block, variables_enabled)` turns a statement's Condition element into a
`Condition` whose `test(context, missing, full)` is true when every operator and every key
under it holds (AND); several values of one key are OR, and NOR for the negated operators
(reference §6.3). Policy values are parsed once here; a policy value the operator cannot
read (a bad number, date, CIDR, base64), an unknown operator or a malformed block makes
the condition one that cannot be evaluated, which AWS treats as not matching.

Absent keys: positive operators false, negated true, `…IfExists` true, `Null` tests
presence, `ForAllValues` true and `ForAnyValue` false (an empty request set likewise).
A multi-valued request value under an unqualified operator matches when any value does.
"""

import base64
import binascii
import ipaddress
import re
from datetime import datetime, timezone
from functools import lru_cache
from decimal import Decimal, InvalidOperation
from typing import Mapping

from . import matching, variables

_QUALIFIERS = ("ForAllValues:", "ForAnyValue:")


# --- value readers: policy and request values alike; None when unreadable ---------------

@lru_cache(maxsize=4096)
def _number(v: str):
    try:
        d = Decimal(v.strip())
    except (InvalidOperation, AttributeError):
        return None
    return d if d.is_finite() else None


_EPOCH = re.compile(r"-?\d+(\.\d+)?")


@lru_cache(maxsize=4096)
def _date(v: str):
    """Epoch seconds for W3C ISO 8601 forms (date, date-time with Z or offset) or epoch
    seconds; naive times are UTC."""
    v = v.strip()
    if _EPOCH.fullmatch(v):
        return float(v)
    try:
        dt = datetime.fromisoformat(v[:-1] + "+00:00" if v[-1:] in "zZ" and v else v)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _binary(v: str):
    try:
        return base64.b64decode(v.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def _network(v: str):
    """(version, network as int, mask as int); an address alone is /32 or /128."""
    try:
        net = ipaddress.ip_network(v.strip(), strict=False)
    except ValueError:
        return None
    return net.version, int(net.network_address), int(net.netmask)


@lru_cache(maxsize=4096)
def _address(v: str):
    try:
        a = ipaddress.ip_address(v.strip().split("/", 1)[0])
    except ValueError:
        return None
    return a.version, int(a)


def _bool(v: str):
    low = v.strip().lower()
    return low if low in ("true", "false") else None


def _in_network(addr, net) -> bool:
    return addr[0] == net[0] and (addr[1] & net[2]) == net[1]


# Family: (reader of policy values, reader of request values, compare(request, policy)).
_NUM_CMP = {
    "Equals": lambda a, b: a == b, "LessThan": lambda a, b: a < b,
    "LessThanEquals": lambda a, b: a <= b, "GreaterThan": lambda a, b: a > b,
    "GreaterThanEquals": lambda a, b: a >= b,
}

# base operator -> (family, negated, comparison suffix)
OPERATORS: dict[str, tuple[str, bool, str]] = {
    "StringEquals": ("string", False, ""), "StringNotEquals": ("string", True, ""),
    "StringEqualsIgnoreCase": ("istring", False, ""),
    "StringNotEqualsIgnoreCase": ("istring", True, ""),
    "StringLike": ("like", False, ""), "StringNotLike": ("like", True, ""),
    "Bool": ("bool", False, ""), "BinaryEquals": ("binary", False, ""),
    "IpAddress": ("ip", False, ""), "NotIpAddress": ("ip", True, ""),
    "ArnEquals": ("arn", False, ""), "ArnLike": ("arn", False, ""),
    "ArnNotEquals": ("arn", True, ""), "ArnNotLike": ("arn", True, ""),
    "Null": ("null", False, ""),
    "NumericNotEquals": ("numeric", True, "Equals"),
    "DateNotEquals": ("date", True, "Equals"),
}
for _cmp in _NUM_CMP:
    OPERATORS["Numeric" + _cmp] = ("numeric", False, _cmp)
    OPERATORS["Date" + _cmp] = ("date", False, _cmp)

# Families whose values may hold policy variables (Bool: the AWS pages disagree; allowed).
_VARIABLE_FAMILIES = frozenset(("string", "istring", "like", "arn", "bool"))


def split_operator(operator: str) -> tuple[str | None, str, bool]:
    """(set qualifier or None, base operator, IfExists) of an operator name."""
    qualifier = None
    for q in _QUALIFIERS:
        if operator.startswith(q):
            qualifier, operator = q[:-1], operator[len(q):]
            break
    if operator.endswith("IfExists"):
        return qualifier, operator[:-len("IfExists")], True
    return qualifier, operator, False


def _policy_strings(value) -> list[str] | None:
    """A key's policy values as strings (JSON strings, numbers, booleans); None if the
    value is of a shape no operator takes."""
    items = value if isinstance(value, list) else [value]
    out = []
    for v in items:
        if isinstance(v, bool):
            out.append("true" if v else "false")
        elif isinstance(v, (str, int, float)):
            out.append(v if isinstance(v, str) else str(v))
        else:
            return None
    return out


class _Never:
    """A condition entry that cannot be evaluated: it never matches."""

    __slots__ = ("key", "written")

    def __init__(self, written: str = ""):
        self.key = written.lower()
        self.written = written

    def test(self, context, missing) -> bool:
        return False


class Entry:
    """One operator applied to one key: `test(context, missing) -> bool`."""

    __slots__ = ("key", "written", "family", "negated", "qualifier", "if_exists", "cmp",
                 "values", "exact", "regex", "dynamic", "fast", "plain", "absent")

    def __init__(self, qualifier, base, if_exists, key: str, values: list[str], var_on: bool):
        family, negated, cmp = OPERATORS[base]
        self.key, self.written = key.lower(), key
        self.family, self.negated, self.qualifier, self.if_exists = family, negated, qualifier, if_exists
        self.cmp = _NUM_CMP.get(cmp)
        self.exact = self.regex = None
        self.dynamic: list = []
        self.fast = None
        self.plain = qualifier is None and family != "null"
        self.absent = (True if qualifier == "ForAllValues" else if_exists if qualifier == "ForAnyValue"
                       else if_exists or negated)
        self._init_values(family, base, values, var_on)
        self.fast = self._fast()

    def _init_values(self, family, base, values, var_on) -> None:
        if family == "null":
            self.values = [_bool(v) for v in values]
            if None in self.values:
                raise ValueError(base)
            return
        if family in _VARIABLE_FAMILIES:
            templates = [variables.parse(v, var_on) for v in values]
            static = [t for t in templates if variables.is_static(t)]
            self.dynamic = [t for t in templates if not variables.is_static(t)]
            self._compile_static(family, static)
            self.values = static
            return
        reader = {"numeric": _number, "date": _date, "binary": _binary, "ip": _network}[family]
        parsed = [reader(v) for v in values]
        if any(p is None for p in parsed):
            raise ValueError(base)
        self.values = parsed

    def _compile_static(self, family, static) -> None:
        if family == "string":
            self.exact = frozenset(variables.text(t) for t in static)
        elif family == "istring":
            self.exact = frozenset(variables.text(t).lower() for t in static)
        elif family == "bool":
            self.exact = frozenset(variables.text(t).lower() for t in static)
        elif family == "like":
            sources = [matching.glob_regex(t) for t in static]
            self.regex = re.compile("|".join(f"(?:{s})" for s in sources), re.DOTALL) if sources else None
        elif family == "arn":
            sources = [matching.arn_regex(t) for t in static]
            self.regex = re.compile("|".join(f"(?:{s})" for s in sources), re.DOTALL) if sources else None

    def _fast(self):
        """A one-argument test of a request value for entries without variables (the
        common case), or None."""
        if self.dynamic:
            return None
        f, exact, rx, vals, cmp = self.family, self.exact, self.regex, self.values, self.cmp
        if f == "string":
            return exact.__contains__
        if f in ("istring", "bool"):
            return lambda v: v.lower() in exact
        if f in ("like", "arn"):
            return (lambda v: False) if rx is None else (lambda v: rx.fullmatch(v) is not None)
        if f == "numeric":
            def numeric(v):
                n = _number(v)
                return None if n is None else any(cmp(n, p) for p in vals)
            return numeric
        if f == "date":
            def date(v):
                d = _date(v)
                return None if d is None else any(cmp(d, p) for p in vals)
            return date
        if f == "ip":
            def ip(v):
                a = _address(v)
                return None if a is None else any(_in_network(a, n) for n in vals)
            return ip
        if f == "binary":
            def binary(v):
                b = _binary(v)
                return None if b is None else b in vals
            return binary
        return None

    # -- one request value against every policy value (OR) ---------------------------
    def _any(self, value: str, context, missing) -> bool | None:
        """True if the request value matches some policy value; None if it is unreadable."""
        f = self.family
        if f in _VARIABLE_FAMILIES:
            if f == "istring" or f == "bool":
                probe = value.lower()
            else:
                probe = value
            if self.exact is not None and probe in self.exact:
                return True
            if self.regex is not None and self.regex.fullmatch(value) is not None:
                return True
            for t in self.dynamic:
                r = variables.resolve(t, context, missing)
                if r is None:
                    continue           # an unresolvable value matches nothing
                if f in ("string",) and variables.text(r) == value:
                    return True
                if f in ("istring", "bool") and variables.text(r).lower() == probe:
                    return True
                if f == "like" and matching.compiled_regex(matching.glob_regex(r)).fullmatch(value):
                    return True
                if f == "arn" and matching.compiled_regex(matching.arn_regex(r)).fullmatch(value):
                    return True
            return False
        return self.fast(value)      # numeric, date, binary, ip: never hold variables

    def test(self, context: Mapping, missing: list | None) -> bool:
        value = context.get(self.key)
        if self.plain:
            if value.__class__ is str:
                fast = self.fast
                hit = fast(value) if fast is not None else self._any(value, context, missing)
                return False if hit is None else hit != self.negated
        elif self.family == "null":
            absent = value is None or value == () or value == ""
            if value is None and missing is not None:
                missing.append(self.written)
            return any((w == "true") == absent for w in self.values)
        if value is None:
            if missing is not None:
                missing.append(self.written)
            return self.absent
        if isinstance(value, str):
            values: tuple = (value,)
        else:
            values = tuple(value)
            if not values:
                return self.absent
        q = self.qualifier
        if q == "ForAllValues":
            for v in values:
                hit = self._any(v, context, missing)
                if hit is None or hit == self.negated:
                    return False
            return True
        if q == "ForAnyValue":
            for v in values:
                hit = self._any(v, context, missing)
                if hit is not None and hit != self.negated:
                    return True
            return False
        hits = []
        for v in values:
            hit = self._any(v, context, missing)
            if hit is None:
                return False       # a request value the operator cannot read
            hits.append(hit)
        return (not any(hits)) if self.negated else any(hits)


class Condition:
    """A statement's Condition element: every entry must hold."""

    __slots__ = ("entries", "keys")

    def __init__(self, entries: list):
        self.entries = tuple(entries)
        self.keys = tuple(e.written for e in entries)

    def test(self, context: Mapping, missing: list | None = None, full: bool = False) -> bool:
        """`full`: evaluate every entry even after one fails (so `missing` is complete)."""
        ok = True
        for e in self.entries:
            if not e.test(context, missing):
                if not full:
                    return False
                ok = False
        return ok


def compile_condition(block, variables_enabled: bool) -> Condition | None:
    if block is None:
        return None
    if not isinstance(block, dict):
        return Condition([_Never()])
    entries: list = []
    for operator, keys in block.items():
        qualifier, base, if_exists = split_operator(operator) if isinstance(operator, str) else (None, "", False)
        known = base in OPERATORS and not (base == "Null" and (if_exists or qualifier))
        if not isinstance(keys, dict):
            entries.append(_Never())
            continue
        for key, value in keys.items():
            values = _policy_strings(value)
            if not known or values is None:
                entries.append(_Never(key))
                continue
            try:
                entries.append(Entry(qualifier, base, if_exists, key, values, variables_enabled))
            except ValueError:
                entries.append(_Never(key))
    return Condition(entries)
