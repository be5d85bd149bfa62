"""Hypothesis strategies read off botocore shapes, shared by the round-trip and fuzz tests.

`valid_input(shape)` draws values a real client could send and AWS would accept: it
honours required members, enum, min/max and the model's (Java) patterns, read through
iamd's own translation so that generator and validator agree on `\\w` and `\\p{L}`.
`any_output(shape)` draws anything of the right types, including the characters XML
cannot carry, since handlers echo what users stored. Strategies are built once per shape.

Budgets: `budget(n)` gives hypothesis settings for n times the profile's base count. The
profile comes from IAMD_HYPOTHESIS_PROFILE: `ci` (default) keeps this directory well
under a minute on two shared cores, `deep` is for a long hunt after touching
src/iamd/protocol. Profiles are applied per test, never loaded globally, so other test
suites keep their own hypothesis defaults.
"""

import os
import re
from datetime import datetime, timezone

from botocore.model import Shape
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from iamd.protocol.javaregex import translate
from iamd.protocol.model import catalog

_COMMON = dict(deadline=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                      HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
settings.register_profile("iamd-ci", max_examples=10, **_COMMON)
settings.register_profile("iamd-deep", max_examples=200, **_COMMON)
PROFILE = settings.get_profile("iamd-" + os.environ.get("IAMD_HYPOTHESIS_PROFILE", "ci"))


def budget(times: float = 1) -> settings:
    return settings(PROFILE, max_examples=max(1, int(PROFILE.max_examples * times)))


INT_RANGE = {"integer": (-(1 << 31), (1 << 31) - 1), "long": (-(1 << 63), (1 << 63) - 1)}
# Generated strings stay short: long values test nothing the short ones do not.
EXTRA_LENGTH = 24
# Up to this length a string is also drawn at its model maximum.
MAX_GENERATED = 4096
# Timestamps the wire can carry at second precision (years 1970 to 9999).
MAX_EPOCH = 253402300798
MIN_DATETIME, MAX_DATETIME = datetime(1970, 1, 2), datetime(9999, 12, 30)

# A pattern that is one character class repeated: generate from the class directly (a
# filter on from_regex would throw most draws away when the model asks for 16+ chars).
_ONE_CLASS = re.compile(r"\^?(\[(?:\\.|[^\]\\])*\])([*+])\$?")


def operations():
    """Every IAM and STS operation, as the catalog holds them (stable order)."""
    ops = catalog().operations
    return [ops[key] for key in sorted(ops)]


def _key(shape: Shape) -> tuple:
    # IAM and STS reuse shape names with different constraints (userNameType): the
    # resolver tells the services apart, member traits the uses of one shape.
    return id(shape._shape_resolver), shape.name, tuple(sorted(shape.serialization.items()))


def _string(shape: Shape):
    meta = shape.metadata
    if meta.get("enum"):
        return st.sampled_from(meta["enum"])
    lo, hi = meta.get("min", 0), meta.get("max")
    cap = lo + EXTRA_LENGTH if hi is None else min(hi, lo + EXTRA_LENGTH)
    pattern = meta.get("pattern")
    if not pattern:
        alphabet = st.characters(codec="utf-8", exclude_characters="\x00")  # see validate.py
        return _sizes(alphabet, lo, cap, hi)
    python = translate(pattern)
    one = _ONE_CLASS.fullmatch(python)
    if one:
        cls, quantifier = one.groups()
        lo = max(lo, 1 if quantifier == "+" else 0)
        return _sizes(st.from_regex(cls, fullmatch=True), lo, max(cap, lo), hi)
    limit = hi if hi is not None else float("inf")
    return st.from_regex(python, fullmatch=True).filter(lambda s: lo <= len(s) <= limit)


def _sizes(alphabet, lo: int, cap: int, hi: int | None):
    """Mostly short text; now and then exactly the model's maximum, where storage limits
    (column sizes) would show. A long value repeats a short drawn one: drawing thousands
    of characters one by one would cost hypothesis seconds per example."""
    short = st.text(alphabet=alphabet, min_size=lo, max_size=cap)
    if hi is None or hi <= cap or hi > MAX_GENERATED:
        return short
    longest = st.text(alphabet=alphabet, min_size=1, max_size=8).map(lambda s: (s * (hi // len(s) + 1))[:hi])
    return st.one_of(short, longest)


class _Builder:
    """One strategy per shape, memoised; `st.deferred` closes recursive shapes."""

    def __init__(self, output: bool):
        self.output = output
        self.memo: dict = {}

    def __call__(self, shape: Shape, root: bool = False):
        key = (_key(shape), root)
        if key not in self.memo:
            self.memo[key] = st.deferred(lambda: self.build(shape, root))
        return self.memo[key]

    def build(self, shape: Shape, root: bool):
        t, meta = shape.type_name, shape.metadata
        if t == "structure":
            members = shape.members
            required = set(shape.required_members)
            if self.output:  # handlers may leave anything out, even required members
                strategy = st.fixed_dictionaries({}, optional={n: self(m) for n, m in members.items()})
            else:
                strategy = st.fixed_dictionaries(
                    {n: self(m) for n, m in members.items() if n in required},
                    optional={n: self(m) for n, m in members.items() if n not in required})
                if members and not root:
                    # An empty nested structure has no wire form in the Query protocol.
                    strategy = strategy.filter(bool)
            return strategy
        if t == "list":
            lo, hi = (0, 3) if self.output else (meta.get("min", 0), meta.get("max"))
            hi = lo + 3 if hi is None else min(hi, lo + 3)
            return st.lists(self(shape.member), min_size=lo, max_size=hi)
        if t == "map":
            lo = 0 if self.output else meta.get("min", 0)
            return st.dictionaries(self(shape.key), self(shape.value), min_size=lo, max_size=lo + 3)
        if t == "string":
            if self.output:
                return st.text(alphabet=st.characters(exclude_categories=()), max_size=EXTRA_LENGTH)
            return _string(shape)
        if t in INT_RANGE:
            lo, hi = INT_RANGE[t]
            if not self.output:
                lo, hi = meta.get("min", lo), meta.get("max", hi)
            return st.integers(lo, hi)
        if t == "boolean":
            return st.booleans()
        if t in ("float", "double"):
            return st.floats(allow_nan=False, allow_infinity=False)
        if t == "timestamp":
            if self.output:
                return st.one_of(st.integers(0, MAX_EPOCH), st.floats(0, MAX_EPOCH),
                                 st.datetimes(MIN_DATETIME, MAX_DATETIME,
                                              timezones=st.none() | st.just(timezone.utc)))
            return st.integers(0, MAX_EPOCH).map(float)
        if t == "blob":
            return st.binary(max_size=EXTRA_LENGTH)
        raise NotImplementedError(f"no strategy for shape type {t}")


_inputs, _outputs = _Builder(output=False), _Builder(output=True)


def valid_input(shape: Shape | None):
    return st.just({}) if shape is None else _inputs(shape, root=True)


def any_output(shape: Shape):
    return _outputs(shape, root=True)
