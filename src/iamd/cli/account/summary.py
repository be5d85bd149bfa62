"""`iamd account summary`: GetAccountSummary as usage against quota, with bars.

The SummaryMap mixes three kinds of keys: counts that have an account-wide quota (shown as
usage), per-entity limits (`GroupsPerUserQuota`, …) and root-user flags. Each gets its own
table; anything using more than the warning threshold of its quota is also said on stderr.
"""

import click
from rich.table import Table
from rich.text import Text

from .common import common_options, iam_client, output_format, warn
from .output import console, emit_structured

# (count key, quota key, label) in the order an administrator reads them.
USAGE = [
    ("Users", "UsersQuota", "Users"),
    ("Groups", "GroupsQuota", "Groups"),
    ("Roles", "RolesQuota", "Roles"),
    ("Policies", "PoliciesQuota", "Customer managed policies"),
    ("PolicyVersionsInUse", "PolicyVersionsInUseQuota", "Policy attachments"),
    ("InstanceProfiles", "InstanceProfilesQuota", "Instance profiles"),
    ("ServerCertificates", "ServerCertificatesQuota", "Server certificates"),
]
FLAGS = [
    ("AccountMFAEnabled", "Root user has MFA"),
    ("AccountAccessKeysPresent", "Root user has access keys"),
    ("AccountSigningCertificatesPresent", "Root user has signing certificates"),
    ("AccountPasswordPresent", "Root user has a password"),
]
COUNTS = [
    ("MFADevices", "MFA devices"),
    ("MFADevicesInUse", "MFA devices in use"),
    ("Providers", "Identity providers"),
    ("GlobalEndpointTokenVersion", "Global STS endpoint token version"),
]
BAR_WIDTH = 24


def usage_rows(summary: dict) -> list[dict]:
    rows = []
    for count, quota, label in USAGE:
        if count in summary and summary.get(quota):
            used, limit = summary[count], summary[quota]
            rows.append({"resource": label, "key": count, "used": used, "quota": limit,
                         "fraction": used / limit})
    return rows


def over_threshold(rows: list[dict], threshold: float) -> list[dict]:
    return [r for r in rows if r["fraction"] > threshold]


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A text bar: full blocks, one partial eighth, then light shade for what is free."""
    fraction = max(0.0, min(1.0, fraction))
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part].strip() if part else ""
    return ("█" * full + partial).ljust(width, "░")


def usage_table(rows: list[dict], threshold: float) -> Table:
    table = Table(title="Usage against quota", title_justify="left")
    table.add_column("resource", no_wrap=True)
    table.add_column("used", justify="right")
    table.add_column("quota", justify="right")
    table.add_column("", no_wrap=True)
    table.add_column("%", justify="right")
    for r in rows:
        style = "bold red" if r["fraction"] > threshold else ("yellow" if r["fraction"] > threshold / 2 else "green")
        mark = " !" if r["fraction"] > threshold else ""
        table.add_row(r["resource"], str(r["used"]), str(r["quota"]), Text(bar(r["fraction"]), style=style),
                      Text(f"{r['fraction'] * 100:.0f}%{mark}", style=style if mark else ""))
    return table


def limits_table(summary: dict) -> Table:
    used_keys = {q for _, q, _ in USAGE}
    table = Table(title="Limits", title_justify="left")
    table.add_column("quota", no_wrap=True)
    table.add_column("value", justify="right")
    for key in sorted(k for k in summary if k.endswith("Quota") and k not in used_keys):
        table.add_row(key, str(summary[key]))
    return table


def account_table(summary: dict) -> Table:
    table = Table(title="Account", title_justify="left")
    table.add_column("item", no_wrap=True)
    table.add_column("value", justify="right")
    for key, label in FLAGS:
        if key in summary:
            yes = bool(summary[key])
            bad = (key == "AccountMFAEnabled" and not yes) or (key == "AccountAccessKeysPresent" and yes)
            table.add_row(label, Text("yes" if yes else "no", style="red" if bad else ""))
    for key, label in COUNTS:
        if key in summary:
            table.add_row(label, str(summary[key]))
    return table


@click.command("summary")
@click.option("--warn-at", type=click.IntRange(1, 100), default=80, show_default=True, metavar="PERCENT",
              help="Warn about anything using more than this share of its quota.")
@common_options()
def summary(warn_at):
    """Show usage against quota with bars; warn about anything above --warn-at %."""
    summary_map = iam_client().get_account_summary()["SummaryMap"]
    threshold = warn_at / 100
    rows = usage_rows(summary_map)
    hot = over_threshold(rows, threshold)
    fmt = output_format()
    obj = {"SummaryMap": dict(sorted(summary_map.items())),
           "Usage": [{**r, "fraction": round(r["fraction"], 4)} for r in rows],
           "Warnings": [r["key"] for r in hot]}
    csv_rows = [{"key": k, "value": v} for k, v in sorted(summary_map.items())]
    if not emit_structured(fmt, obj, ["key", "value"], csv_rows):
        out = console()
        out.print(usage_table(rows, threshold))
        out.print(limits_table(summary_map))
        out.print(account_table(summary_map))
    for r in hot:
        warn(f"{r['resource']} at {r['fraction'] * 100:.0f}% of quota ({r['used']} of {r['quota']})")
