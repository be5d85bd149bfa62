"""GetHumanReadableSummary of a delegation request, written by iamd's own policy code.

AWS generates the summary with a large language model; iamd writes a deterministic English
summary from the request's rendered policy as the policy engine compiles it (each valid
statement's effect, actions, resources and conditions, in document order), so the same
request always reads the same. Only English is written: another locale answers
SummaryState NOT_SUPPORTED. Who may read a summary is who may read the request.
"""

import re

from ..policy.compiled import compile_policy
from ..protocol.errors import invalid_input
from .delegation import visible
from .delegation_policy import statements
from .registry import operation

_ARN = re.compile(r"arn:aws:iam::(\d{12})?:delegation-request/([\w-]{16,128})")
_OPERATORS = {
    "stringequals": "is", "stringnotequals": "is not", "stringequalsignorecase": "is (ignoring case)",
    "stringlike": "matches", "stringnotlike": "does not match", "arnequals": "is", "arnlike": "matches",
    "arnnotequals": "is not", "arnnotlike": "does not match", "numericequals": "equals",
    "numericlessthan": "is less than", "numericlessthanequals": "is at most",
    "numericgreaterthan": "is greater than", "numericgreaterthanequals": "is at least",
    "datelessthan": "is before", "dategreaterthan": "is after", "bool": "is", "ipaddress": "is in",
    "notipaddress": "is not in", "null": "is absent:",
}


@operation("GetHumanReadableSummary")
def get_human_readable_summary(ctx, p):
    m = _ARN.fullmatch(p["EntityArn"])
    if m is None:
        raise invalid_input("The entity type is not supported: only delegation-request ARNs can be summarized.")
    row = visible(ctx, m.group(2))
    locale = p.get("Locale") or "en"
    if not locale.lower().startswith("en"):
        return {"SummaryContent": "", "Locale": locale, "SummaryState": "NOT_SUPPORTED"}
    return {"SummaryContent": summary(row), "Locale": locale, "SummaryState": "AVAILABLE"}


def summary(row) -> str:
    owner = f"account {row.target_account_id}" if row.target_account_id else "the account that accepts it"
    lines = [f"Account {row.requestor_account_id} requests temporary access to {owner} "
             f"for {_duration(row.session_duration)}."]
    raw = statements(row.policy)
    allow, deny = [], []
    for st in compile_policy(row.policy).statements:
        if not st.valid or st.index >= len(raw):
            continue
        (allow if st.effect == "Allow" else deny).append(_statement(raw[st.index], st))
    if allow:
        lines.append("It would allow:")
        lines.extend(f"- {line}" for line in allow)
    if deny:
        lines.append("It would deny:")
        lines.extend(f"- {line}" for line in deny)
    if not allow:
        lines.append("It grants no permissions.")
    return "\n".join(lines)


def _statement(raw: dict, st) -> str:
    not_action = st.not_action
    actions = _strings(raw.get("NotAction" if not_action else "Action"))
    words = ("every action except " if not_action else "") + _list(actions)
    res_key = "NotResource" if st.not_resource else "Resource"
    resources = _strings(raw.get(res_key, "*"))
    target = "every resource" if resources == ["*"] else \
        ("every resource except " if st.not_resource else "") + _list(resources)
    text = f"{words} on {target}"
    conditions = raw.get("Condition") or {}
    clauses = []
    for operator, entries in conditions.items():
        base = operator.split(":")[-1].removesuffix("IfExists").lower()
        phrase = _OPERATORS.get(base, operator)
        for key, values in (entries.items() if isinstance(entries, dict) else ()):
            clauses.append(f"{key} {phrase} {_list(_strings(values), 'or')}")
    if clauses:
        text += ", only when " + "; and ".join(clauses)
    return text + "."


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    parts = ([f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []) + \
        ([f"{minutes} minute{'s' if minutes != 1 else ''}"] if minutes else [])
    return " ".join(parts) or f"{seconds} seconds"


def _list(items: list, conj: str = "and") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {conj} {items[-1]}"


def _strings(value) -> list:
    if isinstance(value, bool):
        return [str(value).lower()]
    if isinstance(value, (str, int, float)):
        return [str(value)]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in value or ()] or ["nothing"]
