"""The account's pages: dashboard (id, alias, recommendations, summary against quotas), the
password policy, the credential report and the policy simulator."""

import time
from datetime import datetime, timezone

from ...cli.account.findings import find, parse_report
from .routes import Denied, route

SUMMARY_ROWS = ("Users", "Groups", "Roles", "Policies", "ServerCertificates", "InstanceProfiles", "MFADevices",
                "Providers", "AccessKeysPerUser", "GroupsPerUser", "AttachedPoliciesPerUserQuota")
POLICY_FLAGS = (("RequireUppercaseCharacters", "Require at least one uppercase letter (A-Z)"),
                ("RequireLowercaseCharacters", "Require at least one lowercase letter (a-z)"),
                ("RequireNumbers", "Require at least one number (0-9)"),
                ("RequireSymbols", "Require at least one symbol (! @ # $ % ^ & * ( ) _ + - = [ ] { } | ')"),
                ("AllowUsersToChangePassword", "Allow users to change their own password"),
                ("HardExpiry", "Prevent password reuse after expiry (an administrator must reset it)"))
POLICY_NUMBERS = (("MinimumPasswordLength", "Minimum password length"),
                  ("MaxPasswordAge", "Expire passwords after (days)"),
                  ("PasswordReusePrevention", "Remember this many previous passwords"))
SHOWN_FINDINGS = 25


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
    total = 0
    if report:
        report_at = report.get("GeneratedTime")
        found = find(parse_report(report["Content"]), datetime.now(timezone.utc))
        total = len(found)
        recommendations += [(f.severity, f.user, f.detail) for f in found
                            if f.check not in ("root-no-mfa", "root-access-key-present")][:SHOWN_FINDINGS]
    alias = (aliases["AccountAliases"] or [None])[0] if aliases else None
    return page.render("dashboard.html", alias=alias,
                       alias_error=alias_error, summary_rows=rows, summary_error=summary_error,
                       recommendations=recommendations, findings_error=findings_error, findings_total=total,
                       report_at=report_at, shown=SHOWN_FINDINGS)


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
        return page.render("error.html", 400, status=400, message=str(err))
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
    rows = parse_report(report["Content"]) if report else []
    return page.render("credential_report.html", rows=rows[:500], total=len(rows),
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
