"""Check parsed input against the model's constraints, in AWS's (Coral) wording.

Patterns in the models are Java regular expressions matched against the whole value;
`javaregex.translate` gives them their Java meaning (ASCII `\\w`, Unicode `\\p{L}`).
Lengths count code points, as Smithy's length trait defines them. A message repeats the
offending value except for members the model marks sensitive and for whole lists, where
AWS's messages leave it out.
"""

import re
from functools import lru_cache

from botocore.model import Shape

from .errors import AWSError, value_at
from .javaregex import translate
from .parser import lower_first


@lru_cache(maxsize=None)
def _pattern(pattern: str):
    try:
        return re.compile(translate(pattern))
    except (re.error, ValueError):
        return None


# Patterns the service checks itself, once the model's other constraints hold, answering
# its own message instead of the pattern's (shape name -> message).
SERVICE_PATTERNS = {
    "pathType": ("The specified value for path is invalid. It must begin and end with / and "
                 "contain only alphanumeric characters and/or / characters."),
}


class _Faults:
    __slots__ = ("errors", "late")

    def __init__(self, errors: list[str]):
        self.errors = errors   # Coral's constraint messages, all reported together
        self.late: list[str] = []  # the service's own checks, reported when those pass


def _check(shape: Shape, value, path: str, found: _Faults) -> None:
    meta = shape.metadata
    t = shape.type_name
    errors = found.errors
    if t == "structure":
        required = shape.required_members
        for name, member in shape.members.items():
            v = value.get(name)
            if v is None and name not in required:
                continue
            sub = f"{path}.{lower_first(name)}" if path else lower_first(name)
            if v is not None:
                _check(member, v, sub, found)
            else:
                errors.append(f"Value null at '{sub}' failed to satisfy constraint: Member must not be null")
        return
    if t == "list":
        _length(meta, len(value), value_at(None, path, shown=False), errors)
        for i, item in enumerate(value, 1):
            if item is not None:
                _check(shape.member, item, f"{path}.{i}.member", found)
        return
    if t == "map":
        _length(meta, len(value), value_at(None, path, shown=False), errors)
        for i, (k, v) in enumerate(value.items(), 1):
            if k is not None:
                _check(shape.key, k, f"{path}.{i}.key", found)
            if v is not None:
                _check(shape.value, v, f"{path}.{i}.value", found)
        return
    subject = value_at("(binary)" if t == "blob" else value, path, shown=not meta.get("sensitive"))
    if t == "string":
        _length(meta, len(value), subject, errors)
        enum = meta.get("enum")
        if enum and value not in enum:
            errors.append(f"{subject} failed to satisfy constraint: "
                          f"Member must satisfy enum value set: [{', '.join(enum)}]")
        pattern = meta.get("pattern")
        rx = _pattern(pattern) if pattern else None
        if rx is not None and rx.fullmatch(value) is None:
            if shape.name in SERVICE_PATTERNS:
                found.late.append(SERVICE_PATTERNS[shape.name])
            else:
                errors.append(f"{subject} failed to satisfy constraint: "
                              f"Member must satisfy regular expression pattern: {pattern}")
        elif "\x00" in value:
            # No model pattern admits U+0000, and PostgreSQL cannot store it: refused for
            # the unpatterned strings too, so that both engines answer alike.
            errors.append(f"{subject} failed to satisfy constraint: "
                          f"Member must not contain the NUL character")
        return
    if t in ("integer", "long", "float", "double"):
        if "min" in meta and value < meta["min"]:
            errors.append(f"{subject} failed to satisfy constraint: "
                          f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            errors.append(f"{subject} failed to satisfy constraint: "
                          f"Member must have value less than or equal to {meta['max']}")
        return
    if t == "blob":
        _length(meta, len(value), subject, errors)


def _length(meta: dict, n: int, subject: str, errors: list[str]) -> None:
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None and n < lo:
        errors.append(f"{subject} failed to satisfy constraint: "
                      f"Member must have length greater than or equal to {lo}")
    if hi is not None and n > hi:
        errors.append(f"{subject} failed to satisfy constraint: "
                      f"Member must have length less than or equal to {hi}")


def validation_message(errors: list[str]) -> str:
    n = len(errors)
    head = "1 validation error detected: " if n == 1 else f"{n} validation errors detected: "
    return head + "; ".join(errors)


def validate_input(shape: Shape | None, value: dict, prior: list[str] = ()) -> None:
    """Raise ValidationError listing every violated constraint."""
    found = _Faults(list(prior))
    if shape is not None:
        _check(shape, value, "", found)
    if found.errors:
        raise AWSError("ValidationError", validation_message(found.errors))
    if found.late:
        raise AWSError("ValidationError", found.late[0])
