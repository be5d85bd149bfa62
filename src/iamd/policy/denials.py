"""AccessDenied texts in AWS's forms (reference §6.9).

`User: <caller> is not authorized to perform: <action> on resource: <resource> because no
identity-based policy allows the <action> action`, its permissions-boundary, session-policy
and resource-based variants, and `… with an explicit deny in <policy type>`. Only one policy
type is named, the one the decision says decided. The resource part is left out when the
action has no resource (`*` or empty), as AWS does.
"""

from .evaluate import EXPLICIT_DENY, Decision

_NO_ALLOW = {
    "identity": "no identity-based policy",
    "boundary": "no permissions boundary",
    "session": "no session policy",
    "resource": "no resource-based policy",
    "trust": "no role trust policy",
}
_EXPLICIT = {
    "identity": "an identity-based policy",
    "boundary": "a permissions boundary",
    "session": "a sessions policy",          # (sic) AWS's wording
    "resource": "a resource-based policy",
    "trust": "the role trust policy",
}


def access_denied_message(caller_arn: str, action: str, resource: str, d: Decision, *,
                          trust: bool = False) -> str:
    """`trust`: the resource policy is a role trust policy (sts:AssumeRole*)."""
    head = f"User: {caller_arn} is not authorized to perform: {action}"
    if resource and resource != "*":
        head += f" on resource: {resource}"
    by = d.denied_by or "identity"
    if by == "resource" and trust:
        by = "trust"
    if d.decision == EXPLICIT_DENY:
        return f"{head} with an explicit deny in {_EXPLICIT[by]}"
    return f"{head} because {_NO_ALLOW[by]} allows the {action} action"
