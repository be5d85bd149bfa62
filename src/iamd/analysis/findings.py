"""Security findings from a credential report: pure functions over its CSV rows.

No I/O and no clock: the caller passes the report, the time to judge against and the
limits, so every rule can be unit-tested on fixed CSV text. Column names and value tokens
(`N/A`, `no_information`, `not_supported`, lowercase `true`/`false`) are AWS's.
"""

import csv
import io
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

ROOT = "<root_account>"
NO_VALUE = {"", "N/A", "no_information", "not_supported"}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}

# check id -> (severity, one-line description), the catalogue documented in the user guide.
CHECKS = {
    "root-access-key-present": ("high", "the root user has an active access key"),
    "root-access-key-used": ("high", "the root user's access key has been used"),
    "root-no-mfa": ("high", "the root user has no MFA device"),
    "console-user-no-mfa": ("high", "a user who can sign in to the console has no MFA device"),
    "access-key-too-old": ("medium", "an active access key is older than --max-key-age days"),
    "access-key-never-used": ("low", "an active access key has never been used"),
    "credential-unused": ("medium", "a password or active access key unused for --max-unused days"),
    "password-too-old": ("medium", "a password older than the password policy allows"),
    "two-active-keys": ("low", "a user has two active access keys"),
}


@dataclass(frozen=True)
class Finding:
    user: str
    arn: str
    check: str
    severity: str
    detail: str
    path: tuple = ()              # escalation findings: the steps, as dicts
    conditional_on: tuple = ()    # context keys the finding depends on
    also: tuple = ()              # other resources the same step works on

    def as_dict(self) -> dict:
        d = asdict(self)
        for k in ("path", "conditional_on", "also"):
            if not d[k]:
                del d[k]
            else:
                d[k] = list(d[k])
        return d


def parse_report(content: bytes | str) -> list[dict]:
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    return [row for row in csv.DictReader(io.StringIO(text.strip("\n"))) if row.get("user")]


def parse_time(value: str | None) -> datetime | None:
    if value is None or value.strip() in NO_VALUE:
        return None
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def is_true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def age_days(then: datetime, now: datetime) -> float:
    return (now - then).total_seconds() / 86400


def _days(d: float) -> str:
    n = int(d)
    return "1 day" if n == 1 else f"{n} days"


def _stamp(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%d")


def find(rows: list[dict], now: datetime, max_key_age: int = 90, max_unused: int = 90,
         max_password_age: int | None = None) -> list[Finding]:
    """Every finding of every row, most severe first, then by user."""
    found: list[Finding] = []
    for row in rows:
        found += row_findings(row, now, max_key_age, max_unused, max_password_age)
    return sorted(found, key=lambda f: (SEVERITY_ORDER[f.severity], f.user != ROOT, f.user, f.check, f.detail))


def row_findings(row: dict, now: datetime, max_key_age: int, max_unused: int,
                 max_password_age: int | None) -> list[Finding]:
    user, arn = row.get("user", ""), row.get("arn", "")
    out: list[Finding] = []

    def add(check: str, detail: str) -> None:
        out.append(Finding(user, arn, check, CHECKS[check][0], detail))

    root = user == ROOT
    if root and not is_true(row.get("mfa_active")):
        add("root-no-mfa", "the root user has no MFA device")
    if not root and is_true(row.get("password_enabled")) and not is_true(row.get("mfa_active")):
        add("console-user-no-mfa", "console password enabled without MFA")
    if not root:
        _password_findings(row, now, max_unused, max_password_age, add)

    active = []
    for n in (1, 2):
        k = f"access_key_{n}_"
        is_active = is_true(row.get(k + "active"))
        used = parse_time(row.get(k + "last_used_date"))
        if root and (is_active or used):
            if is_active:
                add("root-access-key-present", f"root access key {n} is active")
            if used:
                where = ", ".join(v for v in (row.get(k + "last_used_service"), row.get(k + "last_used_region"))
                                  if v and v not in NO_VALUE)
                add("root-access-key-used", f"root access key {n} last used {_stamp(used)}"
                                            + (f" ({where})" if where else ""))
        if not is_active:
            continue
        # A root key is a finding in itself, and it is also judged like any other key: an
        # old or unused root key is one more reason to act, and one to mention.
        active.append(n)
        rotated = parse_time(row.get(k + "last_rotated"))
        if rotated and age_days(rotated, now) > max_key_age:
            add("access-key-too-old", f"access key {n} is {_days(age_days(rotated, now))} old "
                                      f"(limit {max_key_age})")
        if used is None:
            add("access-key-never-used", f"access key {n} has never been used")
        elif age_days(used, now) > max_unused:
            add("credential-unused", f"access key {n} last used {_stamp(used)}, "
                                     f"{_days(age_days(used, now))} ago (limit {max_unused})")
    if len(active) == 2:
        add("two-active-keys", "access keys 1 and 2 are both active")
    return out


def _password_findings(row, now, max_unused, max_password_age, add) -> None:
    if not is_true(row.get("password_enabled")):
        return
    changed = parse_time(row.get("password_last_changed"))
    used = parse_time(row.get("password_last_used"))
    if used is not None and age_days(used, now) > max_unused:
        add("credential-unused", f"password last used {_stamp(used)}, "
                                 f"{_days(age_days(used, now))} ago (limit {max_unused})")
    elif used is None and changed is not None and age_days(changed, now) > max_unused:
        add("credential-unused", f"password never used since it was set {_stamp(changed)} "
                                 f"(limit {max_unused})")
    next_rotation = parse_time(row.get("password_next_rotation"))
    if max_password_age and changed is not None and age_days(changed, now) > max_password_age:
        add("password-too-old", f"password set {_stamp(changed)}, {_days(age_days(changed, now))} ago "
                                f"(policy allows {max_password_age})")
    elif not max_password_age and next_rotation is not None and next_rotation < now:
        # No policy to hand (e.g. not allowed to read it): the report's own rotation date
        # still tells when the password expired.
        add("password-too-old", f"password was due for rotation on {_stamp(next_rotation)}")
