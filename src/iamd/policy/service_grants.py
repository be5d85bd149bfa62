"""Which services a set of permissions policies grants: the access advisor's view.

AWS's service last accessed data "only applies permissions policy logic": a service is
granted when some Allow statement's Action names one of its actions (`s3:Get*`, `s3:*`,
`*`), or its NotAction leaves one out (`NotAction: iam:*` grants every service but IAM;
`NotAction: iam:Get*` still grants IAM). Resources and conditions are not evaluated, nor
Deny statements, boundaries or resource policies. Pure: documents in, namespaces out.
"""

import json
import re
from functools import lru_cache

from .compiled import compile_policy


@lru_cache(maxsize=4096)
def _glob(pattern: str) -> re.Pattern:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern))


def _may_name(pattern: str, namespace: str) -> bool:
    """An Action pattern matches some action of the namespace."""
    service, colon, action = pattern.partition(":")
    if not colon:  # `*` (or `s3*`) runs over the colon
        return "*" in service and _glob(service).fullmatch(namespace + ":x") is not None
    return bool(action) and _glob(service).fullmatch(namespace) is not None


def _covers(pattern: str, namespace: str) -> bool:
    """A NotAction pattern matches every action of the namespace."""
    service, colon, action = pattern.partition(":")
    if not colon:
        return service.endswith("*") and _glob(service).fullmatch(namespace + ":") is not None
    return action != "" and set(action) == {"*"} and _glob(service).fullmatch(namespace) is not None


@lru_cache(maxsize=4096)
def _allow_statements(text: str) -> tuple[tuple[bool, tuple[str, ...]], ...]:
    """(NotAction?, lower-cased patterns) of each Allow statement of a document."""
    try:
        doc = json.loads(text)
    except (ValueError, TypeError):
        return ()
    raw = doc.get("Statement", []) if isinstance(doc, dict) else []
    out = []
    for s in raw if isinstance(raw, list) else [raw]:
        if not isinstance(s, dict) or s.get("Effect") != "Allow":
            continue
        negated = "Action" not in s and "NotAction" in s
        patterns = s.get("NotAction" if negated else "Action", [])
        patterns = patterns if isinstance(patterns, list) else [patterns]
        out.append((negated, tuple(p.lower() for p in patterns if isinstance(p, str))))
    return tuple(out)


def grants_namespace(text: str, namespace: str) -> bool:
    """Some Allow statement of the document grants an action of the namespace."""
    ns = namespace.lower()
    for negated, patterns in _allow_statements(text):
        if negated:
            if not any(_covers(p, ns) for p in patterns):
                return True
        elif any(_may_name(p, ns) for p in patterns):
            return True
    return False


def _named(patterns, namespaces: frozenset, test) -> set[str]:
    """The namespaces `test(pattern, ns)` holds for, some pattern each; a pattern naming one
    service without wildcards is looked up rather than tested against every namespace."""
    out = set()
    for p in patterns:
        service, colon, _ = p.partition(":")
        if colon and "*" not in service and "?" not in service:
            if service in namespaces and test(p, service):
                out.add(service)
        else:
            out.update(ns for ns in namespaces if test(p, ns))
    return out


def granted_namespaces(texts, namespaces) -> set[str]:
    """The namespaces (lower-case, of those given) that any of the documents grants."""
    namespaces = frozenset(namespaces)
    out: set[str] = set()
    for text in texts:
        for negated, patterns in _allow_statements(text):
            if negated:
                out |= namespaces - _named(patterns, namespaces, _covers)
            else:
                out |= _named(patterns, namespaces, _may_name)
    return out


def allows_action(texts, action: str) -> bool:
    """Some Allow statement's Action/NotAction matches `service:Action` (the engine's matcher)."""
    action = action.lower()
    for text in texts:
        try:
            policy = compile_policy(text)
        except ValueError:
            continue
        if any(s.effect == "Allow" for s in policy.for_action(action)):
            return True
    return False
