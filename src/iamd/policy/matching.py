"""Matching of a statement's Action, Resource and Principal elements (reference §6.2).

Every pattern list is compiled once into the cheapest test that answers it: `"*"` is a
constant, patterns without wildcards a set lookup, the rest one combined regex. Actions
compare case-insensitively; ARNs segment by segment (partition, service, region,
account, resource: a wildcard never crosses a `:` before the resource segment, and inside
the resource segment `*` also covers `/` and `:`), case-sensitively.
Resource patterns holding policy variables are resolved per request (`variables.py`) and
their regexes cached by resolved text.
"""

import re
from functools import lru_cache
from typing import Mapping

from . import variables

_ARN_SEGMENT = ("[^:]*", "[^:]")   # `*`, `?` before the resource segment
_ANY = (".*", ".")                  # inside the resource segment or a plain glob


def _as_list(value) -> list:
    if isinstance(value, list):
        return value
    return [value]


def glob_regex(template: variables.Template, star: str = ".*", qmark: str = ".") -> str:
    """Regex source for a template whose `lit` parts carry `*`/`?` wildcards."""
    out = []
    for kind, value, *_ in template:
        if kind == "lit":
            for ch in value:
                out.append(star if ch == "*" else qmark if ch == "?" else re.escape(ch))
        else:
            out.append(re.escape(value))
    return "".join(out)


def _has_wildcard(template: variables.Template) -> bool:
    return any(p[0] == "lit" and ("*" in p[1] or "?" in p[1]) for p in template)


def arn_regex(template: variables.Template) -> str:
    """Regex source matching an ARN pattern segment by segment (a pattern that does not
    start with `arn:` is a plain glob)."""
    raw = "".join(p[1] if p[0] != "var" else "" for p in template)
    if raw.count(":") < 5:
        # An ARN cut short has no resource segment to line up: it matches nothing.
        return "(?!)" if raw.startswith("arn:") else glob_regex(template)
    # Split on the first five colons of the literal text; variables live in the resource
    # segment only (AWS's rule), so everything before it is literal parts.
    segments, rest, colons = [], [], 0
    for part in template:
        if colons >= 5 or part[0] != "lit":
            rest.append(part)
            continue
        value = part[1]
        while colons < 5 and ":" in value:
            before, value = value.split(":", 1)
            rest.append(("lit", before))
            segments.append(glob_regex(tuple(rest), *_ARN_SEGMENT))
            rest, colons = [], colons + 1
        if value:
            rest.append((part[0], value))
    return ":".join(segments) + ":" + glob_regex(tuple(rest))


@lru_cache(maxsize=16384)
def compiled_regex(source: str) -> re.Pattern:
    return re.compile(source, re.DOTALL)


class _Dynamic:
    """A pattern holding policy variables, resolved per request."""

    __slots__ = ("template", "wild", "kind", "render")

    def __init__(self, template: variables.Template, kind: str):
        self.template = template
        self.kind = kind
        self.wild = _has_wildcard(template)
        self.render = variables.renderer(template)

    def matches(self, value: str, context: Mapping, missing: list | None) -> bool:
        if not self.wild:
            text = self.render(context, missing)
            if text is None:                 # unresolvable: matches nothing
                return False
            return (text.lower() == value) if self.kind == "action" else text == value
        resolved = variables.resolve(self.template, context, missing)
        if resolved is None:
            return False
        source = arn_regex(resolved) if self.kind == "arn" else glob_regex(resolved)
        return compiled_regex(source).fullmatch(value) is not None


class PatternSet:
    """A list of patterns of one kind compiled into `matches(value) -> bool`.

    kind "action": case-insensitive glob over the whole name; "arn": ARN by segment;
    "glob": case-sensitive glob (StringLike). Templates holding variables are kept apart
    (`dynamic`) and resolved per request; the others are compiled once.
    """

    __slots__ = ("any", "exact", "regex", "dynamic", "kind", "_memo")

    def __init__(self, templates: list, kind: str):
        self.kind = kind
        self.any = False
        exact: set[str] = set()
        static_sources: list[str] = []
        dynamic = []
        for t in templates:
            if not variables.is_static(t):
                dynamic.append(_Dynamic(t, kind))
            elif t == (("lit", "*"),):
                self.any = True
            elif not _has_wildcard(t):
                literal = variables.text(t)
                exact.add(literal.lower() if kind == "action" else literal)
            else:
                static_sources.append(arn_regex(t) if kind == "arn" else glob_regex(t))
        self.dynamic = tuple(dynamic)
        self.exact = frozenset(exact)
        flags = re.DOTALL | (re.IGNORECASE if kind == "action" else 0)
        self.regex = (re.compile("|".join(f"(?:{s})" for s in static_sources), flags)
                      if static_sources else None)
        self._memo: dict[str, bool] = {}

    def static_matches(self, value: str) -> bool:
        """The patterns without variables (memoised per value)."""
        if self.any:
            return True
        hit = self._memo.get(value)
        if hit is None:
            hit = value in self.exact or (self.regex is not None and self.regex.fullmatch(value) is not None)
            if len(self._memo) >= 4096:
                self._memo.clear()
            self._memo[value] = hit
        return hit

    def matches(self, value: str, context: Mapping | None = None,
                missing: list | None = None) -> bool:
        """`value` must be lower-cased by the caller for kind "action"."""
        if self.static_matches(value):
            return True
        for d in self.dynamic:
            if d.matches(value, context or {}, missing):
                return True
        return False


def well_formed(value) -> bool:
    """A string or a non-empty list of strings: anything else cannot be evaluated, and a
    statement holding it never applies (even as NotAction/NotResource)."""
    items = _as_list(value)
    return bool(items) and all(isinstance(v, str) for v in items)


def action_patterns(value, enabled_variables: bool = False) -> PatternSet:
    """Action / NotAction: variables are never substituted in actions."""
    return PatternSet([variables.parse(v, False) for v in _as_list(value) if isinstance(v, str)],
                      "action")


def resource_patterns(value, enabled_variables: bool) -> PatternSet:
    return PatternSet([variables.parse(v, enabled_variables)
                       for v in _as_list(value) if isinstance(v, str)], "arn")


# --- principals -------------------------------------------------------------------------

_ACCOUNT = re.compile(r"\d{12}")
_ROOT = re.compile(r"arn:[\w-]+:iam::(\d{12}):root")
_ROLE = re.compile(r"arn:[\w-]+:iam::\d{12}:role/")

# How strongly a Principal entry names the caller (reference §6.7, same-account rules):
DIRECT, ROLE, ACCOUNT = "direct", "role", "account"
_RANK = {DIRECT: 3, ROLE: 2, ACCOUNT: 1}


class Principals:
    """A Principal / NotPrincipal element: `match(caller)` names how it matches the caller
    (DIRECT: the user, session, federated user, service, `*`; ROLE: the session's role;
    ACCOUNT: the caller's account) or None."""

    __slots__ = ("everyone", "accounts", "arns", "roles", "ids", "services", "federated",
                 "canonical")

    def __init__(self, value):
        self.everyone = False
        self.accounts: set[str] = set()
        self.arns: set[str] = set()
        self.roles: set[str] = set()
        self.ids: set[str] = set()
        self.services: set[str] = set()
        self.federated: set[str] = set()
        self.canonical: set[str] = set()
        if value == "*":
            self.everyone = True
            return
        if not isinstance(value, dict):
            return
        for ptype, entries in value.items():
            for entry in _as_list(entries):
                if isinstance(entry, str):
                    self._add(ptype, entry)

    def _add(self, ptype: str, entry: str) -> None:
        if ptype == "AWS":
            if entry == "*":
                self.everyone = True
            elif _ACCOUNT.fullmatch(entry):
                self.accounts.add(entry)
            elif m := _ROOT.fullmatch(entry):
                self.accounts.add(m.group(1))
            elif _ROLE.match(entry):
                self.roles.add(entry)
            elif entry.startswith("arn:"):
                self.arns.add(entry)
            else:                                  # a unique ID (AIDA…, AROA…)
                self.ids.add(entry)
        elif ptype == "Service":
            if entry == "*":
                self.everyone = True
            self.services.add(entry.lower())
        elif ptype == "Federated":
            self.federated.add(entry)
        elif ptype == "CanonicalUser":
            self.canonical.add(entry)

    def match(self, caller) -> str | None:
        found = None
        if self.everyone:
            return DIRECT
        if caller.arn in self.arns or (caller.service and caller.service.lower() in self.services) \
                or (caller.federated and caller.federated in self.federated) \
                or (getattr(caller, "canonical_user", None) in self.canonical):
            return DIRECT
        if caller.unique_id and caller.unique_id in self.ids:
            found = ROLE if caller.unique_id.startswith("AROA") else DIRECT
            if found == DIRECT:
                return DIRECT
        if caller.role_arn and caller.role_arn in self.roles:
            return ROLE
        if caller.arn in self.roles:   # the caller is named as a role ARN (a role itself)
            return DIRECT
        if found is None and caller.account_id in self.accounts:
            found = ACCOUNT
        return found

    def excludes(self, caller, has_boundary: bool = False) -> bool:
        """NotPrincipal: the caller escapes the statement only when each of its identities
        is listed — the account, the role for a session, and the user/session ARN (AWS
        checks account, then role, then session). A principal with a permissions boundary
        never escapes a NotPrincipal Deny (AWS's documented caveat)."""
        if has_boundary:
            return False
        if self.everyone:
            return True
        if caller.service:
            return caller.service.lower() in self.services
        if caller.account_id not in self.accounts:
            return False
        if caller.role_arn and caller.role_arn not in self.roles:
            return False
        if caller.arn.endswith(":root") and _ROOT.fullmatch(caller.arn):
            return True
        return (caller.arn in self.arns or caller.arn in self.roles
                or (caller.unique_id is not None and caller.unique_id in self.ids)
                or (caller.service is not None and caller.service.lower() in self.services)
                or (caller.federated is not None and caller.federated in self.federated))


def stronger(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if _RANK[a] >= _RANK[b] else b
