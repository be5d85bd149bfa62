"""The account's pages: dashboard (id, alias, recommendations, summary against quotas), the
password policy, the credential report and the policy simulator."""

import csv
import time
from datetime import datetime, timezone

from ..analysis.findings import ROOT, SEVERITY_ORDER, row_findings
from .routes import Denied, route

SUMMARY_ROWS = ("Users", "Groups", "Roles", "Policies", "ServerCertificates", "InstanceProfiles", "MFADevices",
                "Providers", "AccessKeysPerUser", "GroupsPerUser", "AttachedPoliciesPerUserQuota")
POLICY_FLAGS = (("RequireUppercaseCharacters", "Require at least one uppercase letter (A-Z)"),
                ("RequireLowercaseCharacters", "Require at least one lowercase letter (a-z)"),
                ("RequireNumbers", "Require at least one number (0-9)"),
                ("RequireSymbols", "Require at least one symbol (! @ # $ % ^ & * ( ) _ + - = [ ] { } | ')"),
                ("AllowUsersToChangePassword", "Allow users to change their own password"),
                ("HardExpiry", "Expired passwords need an administrator reset (hard expiry)"))
POLICY_NUMBERS = (("MinimumPasswordLength", "Minimum password length"),
                  ("MaxPasswordAge", "Expire passwords after (days)"),
                  ("PasswordReusePrevention", "Remember this many previous passwords"))
SHOWN_FINDINGS = 25
REPORT_ROWS_SHOWN = 500
# Columns without which a user's row has no finding (the root's come from the summary).
CREDENTIALS = ("password_enabled", "access_key_1_active", "access_key_2_active")


def report_rows(content: bytes, limit: int | None = None):
    """The credential report's header and its user rows as dicts, lazily (the first
    `limit`): a page never parses 10,000 rows to show 500."""
    lines = content.decode("utf-8").strip("\n").split("\n")
    header = next(csv.reader(lines[:1]))
    for n, row in enumerate(csv.reader(lines[1:])):
        if limit is not None and n >= limit:
            return
        yield dict(zip(header, row))


def first_findings(content: bytes, limit: int) -> tuple[list, bool]:
    """The findings of the first users that have any, up to `limit` (most severe first),
    and whether that is all of them. Rows holding no "true" (no password, no active key)
    are skipped unparsed, and the scan stops at `limit`: the dashboard stays fast for
    10,000 users; the credential report page has the rest."""
    now = datetime.now(timezone.utc)
    lines = content.decode("utf-8").strip("\n").split("\n")
    header = next(csv.reader(lines[:1]))
    found, complete = [], True
    for line in lines[1:]:
        if "true" not in line:
            continue
        row = dict(zip(header, next(csv.reader([line]))))
        if row.get("user") == ROOT or not any(row.get(c) == "true" for c in CREDENTIALS):
            continue
        found += row_findings(row, now, 90, 90, None)
        if len(found) >= limit:
            complete = False
            break
    found.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.user, f.check))
    return found[:limit], complete


@route("GET", "/dashboard")
def dashboard(page):
    aliases, alias_error = page.attempt("ListAccountAliases")
    summary, summary_error = page.attempt("GetAccountSummary")
    rows, recommendations, findings_error, report_at = [], [], None, None
    if summary:
        smap = summary["SummaryMap"]
        for key in sorted(smap):
            if key.endswith("Quota") and key[:-5] in smap:
                rows.append((key[:-5], smap[key[:-5]], smap[key]))
        if not smap.get("AccountMFAEnabled"):
            recommendations.append(("high", "<root_account>", "The root user has no MFA device."))
        if smap.get("AccountAccessKeysPresent"):
            recommendations.append(("high", "<root_account>", "The root user has an access key."))
    report, findings_error = page.attempt("GetCredentialReport")
    complete = True
    if report:
        report_at = report.get("GeneratedTime")
        found, complete = first_findings(report["Content"], SHOWN_FINDINGS)
        recommendations += [(f.severity, f.user, f.detail) for f in found]
    alias = (aliases["AccountAliases"] or [None])[0] if aliases else None
    return page.render("dashboard.html", alias=alias,
                       alias_error=alias_error, summary_rows=rows, summary_error=summary_error,
                       recommendations=recommendations, findings_error=findings_error, complete=complete,
                       report_at=report_at)


@route("POST", "/account/alias")
def set_alias(page):
    alias = page.form.get("alias", "").strip()
    try:
        if alias:
            page.call("CreateAccountAlias", AccountAlias=alias)
        else:
            current = page.call("ListAccountAliases")["AccountAliases"]
            if current:
                page.call("DeleteAccountAlias", AccountAlias=current[0])
    except Denied as err:
        return page.render("error.html", 400, heading=400, message=str(err))
    return page.redirect("/dashboard", "updated")


@route("GET", "/password-policy")
def password_policy(page, error=None, status=200):
    out, denied = page.attempt("GetAccountPasswordPolicy")
    policy = out["PasswordPolicy"] if out else {}
    none = denied is not None and denied.code == "NoSuchEntity"
    return page.render("password_policy.html", status, policy=policy, flags=POLICY_FLAGS, numbers=POLICY_NUMBERS,
                       error=error or (None if none else denied), none=none)


@route("POST", "/password-policy")
def password_policy_save(page):
    f = page.form
    try:
        if f.get("delete"):
            page.call("DeleteAccountPasswordPolicy")
        else:
            params = {name: bool(f.get(name)) for name, _ in POLICY_FLAGS}
            params.update({name: f[name].strip() for name, _ in POLICY_NUMBERS if f.get(name, "").strip()})
            page.call("UpdateAccountPasswordPolicy", **params)
    except Denied as err:
        return password_policy(page, error=err, status=400)
    return page.redirect("/password-policy", "deleted" if f.get("delete") else "updated")


@route("GET", "/credential-report")
def credential_report(page):
    report, denied = page.attempt("GetCredentialReport")
    rows = list(report_rows(report["Content"], REPORT_ROWS_SHOWN)) if report else []
    total = report["Content"].strip(b"\n").count(b"\n") if report else 0  # rows after the header
    return page.render("credential_report.html", rows=rows, total=total,
                       generated=report.get("GeneratedTime") if report else None, error=denied)


@route("POST", "/credential-report")
def credential_report_generate(page):
    try:
        page.call("GenerateCredentialReport")
    except Denied as err:
        return page.render("credential_report.html", 400, rows=[], total=0, generated=None, error=err)
    for _ in range(50):  # generation runs in the background: wait briefly for a small account
        out, denied = page.attempt("GenerateCredentialReport")
        if out is None or out.get("State") == "COMPLETE":
            break
        time.sleep(0.1)
    return page.redirect("/credential-report", "generated")


@route("GET", "/credential-report.csv")
def credential_report_csv(page):
    from .web import download
    report, denied = page.attempt("GetCredentialReport")
    if denied:
        return page.render("credential_report.html", 400, rows=[], total=0, generated=None, error=denied)
    return download(page.req, report["Content"], "credential_report.csv")


@route("GET", "/simulator")
def simulator(page):
    return page.render("simulator.html", results=None, source=page.req.query.get("source", ""),
                       actions="", resources="*")


@route("POST", "/simulator")
def simulator_run(page):
    f = page.form
    source = f.get("source", "").strip()
    actions = [a.strip() for a in f.get("actions", "").replace(",", " ").split() if a.strip()]
    resources = [r.strip() for r in f.get("resources", "").split() if r.strip()] or ["*"]
    results, error = None, None
    try:
        out = page.call("SimulatePrincipalPolicy", PolicySourceArn=source, ActionNames=actions,
                        ResourceArns=resources)
        results = out.get("EvaluationResults", [])
    except Denied as err:
        error = err
    return page.render("simulator.html", 200 if error is None else 400, results=results, source=source,
                       actions=" ".join(actions), resources=" ".join(resources), error=error)
