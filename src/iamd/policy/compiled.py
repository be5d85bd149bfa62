"""A policy document compiled once into statements that answer requests quickly.

`compile_policy(text)` is cached by text (LRU), so every principal sharing a managed policy
shares its compiled form. Each `Statement` knows its position in the text (SimulatePolicy's
StartPosition/EndPosition: AWS reports, for the documented one-line example, the column
just after each brace of the statement object; lines and columns are 1-based) and keeps a
per-action memo of whether its Action/NotAction matches, so the hot path is a dict lookup.

Pure: no I/O. `grammar.check_document` validates at save time; this module assumes nothing
beyond JSON and treats what it cannot read as AWS does (it matches nothing).
"""

import json
from functools import lru_cache
from typing import Mapping

from . import matching, variables
from .conditions import Condition, compile_condition
from .matching import Principals

VARIABLES_VERSION = "2012-10-17"
_MEMO_LIMIT = 4096


class Statement:
    __slots__ = ("sid", "effect", "index", "start", "end", "actions", "not_action",
                 "resources", "not_resource", "condition", "principals", "not_principal",
                 "_memo", "valid")

    def __init__(self, raw, index: int, span, variables_on: bool):
        self.index = index
        self.start, self.end = span
        self._memo: dict[str, bool] = {}
        raw = raw if isinstance(raw, dict) else {}
        sid = raw.get("Sid")
        self.sid = sid if isinstance(sid, str) else None
        effect = raw.get("Effect")
        self.effect = effect if effect in ("Allow", "Deny") else "Invalid"
        self.not_action = "Action" not in raw and "NotAction" in raw
        action = raw.get("NotAction" if self.not_action else "Action", [])
        self.actions = matching.action_patterns(action)
        self.not_resource = "Resource" not in raw and "NotResource" in raw
        res = raw.get("NotResource" if self.not_resource else "Resource")
        # A statement without Resource (trust policies) applies to any resource.
        self.resources = (matching.resource_patterns("*" if res is None else res, variables_on))
        self.condition: Condition | None = compile_condition(raw.get("Condition"), variables_on)
        self.not_principal = "Principal" not in raw and "NotPrincipal" in raw
        p = raw.get("NotPrincipal" if self.not_principal else "Principal")
        self.principals: Principals | None = None if p is None else Principals(p)
        self.valid = (self.effect != "Invalid" and ("Action" in raw or "NotAction" in raw)
                      and matching.well_formed(action) and (res is None or matching.well_formed(res)))

    def __repr__(self) -> str:
        return f"<Statement {self.index} {self.effect} sid={self.sid!r}>"

    # -- matching -----------------------------------------------------------------------
    def action_matches(self, action_lower: str) -> bool:
        hit = self._memo.get(action_lower)
        if hit is None:
            hit = self.valid and (self.actions.matches(action_lower) != self.not_action)
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[action_lower] = hit
        return hit

    def resource_matches(self, resource: str, context: Mapping, missing: list | None) -> bool:
        return self.resources.matches(resource, context, missing) != self.not_resource

    def conditions_hold(self, context: Mapping, missing: list | None = None, full: bool = False) -> bool:
        return self.condition is None or self.condition.test(context, missing, full)

    def applies(self, req, missing: list | None = None, full: bool = False) -> bool:
        """Action, resource and condition all match (the principal is not checked)."""
        return (self.action_matches(req.action.lower())
                and self.resource_matches(req.resource, req.context, missing)
                and self.conditions_hold(req.context, missing, full))

    def context_keys(self) -> list[str]:
        """Keys the statement refers to, as written: its condition keys, then the keys of
        the policy variables in its Resource/NotResource and condition values."""
        keys: list[str] = []
        entries = self.condition.entries if self.condition is not None else ()
        keys.extend(e.written for e in entries if e.written)
        for d in self.resources.dynamic:
            keys.extend(variables.keys(d.template))
        for e in entries:
            for t in getattr(e, "dynamic", ()):
                keys.extend(variables.keys(t))
        return keys

    def principal_matches(self, caller, has_boundary: bool = False) -> bool | None:
        """None: the statement has no Principal/NotPrincipal."""
        if self.principals is None:
            return None
        if self.not_principal:
            return not self.principals.excludes(caller, has_boundary)
        return self.principals.match(caller) is not None

    def principal_kind(self, caller, has_boundary: bool = False) -> str | None:
        """How the statement names the caller: matching.DIRECT / ROLE / ACCOUNT, or None.
        A statement without Principal names nobody; NotPrincipal counts as DIRECT."""
        if self.principals is None:
            return None
        if self.not_principal:
            return None if self.principals.excludes(caller, has_boundary) else matching.DIRECT
        return self.principals.match(caller)


class CompiledPolicy:
    __slots__ = ("statements", "version", "text", "_by_action")

    def __init__(self, text: str, statements: tuple, version):
        self.text = text
        self.statements = statements
        self.version = version
        self._by_action: dict[str, tuple] = {}

    def for_action(self, action_lower: str) -> tuple:
        """The statements whose Action/NotAction matches (memoised per action)."""
        hit = self._by_action.get(action_lower)
        if hit is None:
            hit = tuple(s for s in self.statements if s.action_matches(action_lower))
            if len(self._by_action) >= _MEMO_LIMIT:
                self._by_action.clear()
            self._by_action[action_lower] = hit
        return hit

    def __repr__(self) -> str:
        return f"<CompiledPolicy {len(self.statements)} statements>"


@lru_cache(maxsize=8192)
def compile_policy(text: str) -> CompiledPolicy:
    """Compile a policy document; ValueError if the text is not a JSON object."""
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, TypeError) as err:
        raise ValueError(f"not JSON: {err}") from None
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    version = doc.get("Version") if isinstance(doc.get("Version"), str) else None
    variables_on = version == VARIABLES_VERSION
    raw = doc.get("Statement", [])
    raws = raw if isinstance(raw, list) else [raw]
    spans = statement_spans(text)
    if len(spans) != len(raws):
        spans = [((1, 1), (1, 1))] * len(raws)
    return CompiledPolicy(text, tuple(Statement(r, i, spans[i], variables_on)
                                      for i, r in enumerate(raws)), version)


# --- positions ---------------------------------------------------------------------------

def _position(text: str, index: int) -> tuple[int, int]:
    """(line, column) of the character just after `index`, 1-based, as AWS reports them."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 2
    return line, column


def statement_spans(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Start and end positions of the statement objects of the top-level "Statement"
    element (the last one if repeated), in document order."""
    spans: list = []
    current: list = []
    stack: list[str] = []
    key = None
    expect_key = False
    opened = None            # offset of the open brace of the statement being read
    in_array = False         # inside "Statement": [ ... ]
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if len(stack) == 1 and expect_key:
                key = text[i + 1:j]
            i = j + 1
            continue
        if ch in "{[":
            if len(stack) == 1 and key == "Statement" and not expect_key:
                current = []
                if ch == "{":
                    opened = i
                else:
                    in_array = True
            elif len(stack) == 2 and in_array and ch == "{":
                opened = i
            stack.append(ch)
            expect_key = ch == "{"
        elif ch in "}]":
            if stack:
                stack.pop()
            if opened is not None and ch == "}" and len(stack) == (2 if in_array else 1):
                current.append((_position(text, opened), _position(text, i)))
                opened = None
                if not in_array:
                    spans = current
            elif in_array and ch == "]" and len(stack) == 1:
                in_array = False
                spans = current
            expect_key = False
        elif ch == ",":
            expect_key = bool(stack) and stack[-1] == "{"
        elif ch == ":":
            expect_key = False
        i += 1
    return spans
