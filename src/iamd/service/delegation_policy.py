"""A delegation request's permissions: the partner's policy template rendered with the
request's parameters (AWS's policy-template syntax: `@{name}` placeholders), and the
boundaries a rendered policy requires of the roles it lets the partner create.

A `string` parameter replaces `@{name}` wherever it appears in a string; a `stringList`
parameter replaces a string that is exactly `@{name}` by its values (spliced into the
enclosing array). The rendered policy must be a valid identity policy of at most 2048
characters, as AWS requires. Template conditional statements are not supported.
"""

import json
import re

from ..policy.grammar import check_document
from ..protocol.errors import invalid_input

MAX_RENDERED = 2048
_PLACEHOLDER = re.compile(r"@\{([^}]*)\}")


def render(template: str, parameters: list) -> str:
    values = {}
    for param in parameters or ():
        if param["Name"] in values:
            raise invalid_input(f"Duplicate policy parameter: {param['Name']}.")
        kind = param.get("Type", "string")
        if kind == "string" and len(param.get("Values") or ()) != 1:
            raise invalid_input(f"Policy parameter {param['Name']} of type string must have exactly one value.")
        values[param["Name"]] = (kind, list(param.get("Values") or ()))
    rendered = json.dumps(_fill(json.loads(template), values), separators=(",", ":"))
    if len(rendered) > MAX_RENDERED:
        raise invalid_input(f"The rendered policy exceeds the maximum size of {MAX_RENDERED} characters.")
    check_document(rendered, "identity")
    return rendered


def _fill(node, values):
    if isinstance(node, dict):
        return {k: _fill(v, values) for k, v in node.items()}
    if isinstance(node, list):
        out = []
        for item in node:
            filled = _fill(item, values)
            out.extend(filled if isinstance(filled, list) and not isinstance(item, list) else [filled])
        return out
    if isinstance(node, str):
        whole = _PLACEHOLDER.fullmatch(node)
        if whole and _value(whole.group(1), values)[0] == "stringList":
            return _value(whole.group(1), values)[1]
        return _PLACEHOLDER.sub(lambda m: _scalar(m.group(1), values), node)
    return node


def _value(name: str, values: dict):
    if name not in values:
        raise invalid_input(f"Missing value for policy parameter {name}.")
    return values[name]


def _scalar(name: str, values: dict) -> str:
    kind, vals = _value(name, values)
    if kind != "string":
        raise invalid_input(f"Policy parameter {name} of type stringList must be a whole value.")
    return vals[0]


def boundary_arns(policy: str) -> list[str]:
    """The permissions boundaries the policy requires of roles it lets the partner create
    (the values of its `iam:PermissionsBoundary` conditions): RolePermissionRestrictionArns."""
    found = []
    for st in statements(policy):
        for entries in (st.get("Condition") or {}).values():
            for key, value in (entries.items() if isinstance(entries, dict) else ()):
                if key.lower() == "iam:permissionsboundary":
                    for arn in value if isinstance(value, list) else [value]:
                        if isinstance(arn, str) and arn not in found:
                            found.append(arn)
    return found


def statements(policy: str) -> list[dict]:
    """The rendered policy's statements as written, in document order (the compiled
    statements' `index` counts them)."""
    st = json.loads(policy).get("Statement", [])
    return [s if isinstance(s, dict) else {} for s in (st if isinstance(st, list) else [st])]
