"""Policy variables: `${aws:username}`, defaults and the `${*}` `${?}` `${$}` escapes.

A text that may hold variables is parsed once into a `Template`, a tuple of parts:
`("lit", text)` (wildcards still active), `("esc", text)` (a literal that is never a
wildcard: an escape, or later a resolved variable) and `("var", key, written, default)`.
Variables exist only in documents with `"Version": "2012-10-17"`; elsewhere `${…}` is
literal text (AWS's rule), so the caller says whether they are enabled.

Resolution is per request: a variable takes the request's single-valued context value, or
its default; a missing key without default (or a multi-valued key) cannot be resolved and
the whole text then matches nothing (reference §6.4).
"""

import re
from typing import Mapping

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_INNER = re.compile(r"\s*([^\s,']+)\s*(?:,\s*'([^']*)'\s*)?")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}

Part = tuple
Template = tuple[Part, ...]


def has_variables(text: str) -> bool:
    return "${" in text


def parse(text: str, enabled: bool = True) -> Template:
    """Split `text` into literal parts and variables (all literal when not `enabled`)."""
    if not enabled or "${" not in text:
        return (("lit", text),)
    parts: list[Part] = []
    pos = 0
    for m in _VARIABLE.finditer(text):
        inner = m.group(1)
        if inner in _ESCAPES:
            part: Part = ("esc", _ESCAPES[inner])
        else:
            v = _INNER.fullmatch(inner)
            if v is None:           # not a variable's shape: literal text, as written
                continue
            part = ("var", v.group(1).lower(), v.group(1), v.group(2))
        if m.start() > pos:
            parts.append(("lit", text[pos:m.start()]))
        parts.append(part)
        pos = m.end()
    if pos < len(text):
        parts.append(("lit", text[pos:]))
    return tuple(parts)


def is_static(template: Template) -> bool:
    return all(p[0] != "var" for p in template)


def keys(template: Template) -> list[str]:
    """The context keys the template's variables refer to, as written."""
    return [p[2] for p in template if p[0] == "var"]


def resolve(template: Template, context: Mapping, missing: list | None = None) -> Template | None:
    """The template with every variable replaced by a literal part; None if one cannot be
    resolved (its key, as written, is then added to `missing`)."""
    out: list[Part] = []
    for p in template:
        if p[0] != "var":
            out.append(p)
            continue
        value = context.get(p[1])
        if isinstance(value, str):
            out.append(("esc", value))
        elif p[3] is not None:
            out.append(("esc", p[3]))
        else:
            if missing is not None:
                missing.append(p[2])
            return None
    return tuple(out)


def text(template: Template) -> str:
    """The literal text of a resolved template (wildcards kept as characters)."""
    return "".join(p[1] for p in template)


def renderer(template: Template):
    """A function (context, missing) -> the template's text with variables replaced, or
    None when one cannot be resolved: the fast form of `text(resolve(...))`."""
    steps = tuple((p[1], None, None, None) if p[0] != "var" else (None, p[1], p[2], p[3])
                  for p in template)

    def render(context: Mapping, missing: list | None = None) -> str | None:
        out = []
        for literal, key, written, default in steps:
            if literal is not None:
                out.append(literal)
                continue
            value = context.get(key)
            if value.__class__ is not str:
                if default is None:
                    if missing is not None:
                        missing.append(written)
                    return None
                value = default
            out.append(value)
        return "".join(out)
    return render
