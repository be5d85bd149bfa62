"""The credential report: generated off the request path, kept one per account.

Life cycle (the credential_reports row is both the report and the lock):

* GenerateCredentialReport with no report, or with one older than four hours, moves the
  row to STARTED and, once that transaction commits, starts a generator thread; it
  answers STARTED. While a generation runs it answers INPROGRESS; with a report younger
  than four hours it answers COMPLETE and generates nothing (AWS's once-per-four-hours rule).
* The generator claims the row (STARTED -> INPROGRESS) under a row lock, reads a snapshot
  in its own transaction and writes the CSV back only if the row still carries its token,
  so racing workers and superseded generators never clobber each other. A generation
  that has not finished after STALE_AFTER seconds (its worker died) is started anew.
* GetCredentialReport: ReportNotPresent (410) before any report, ReportInProgress (404)
  while one is being generated, ReportExpired (410) once the report is four hours old.
  Expiry rule: a report expires when it is no longer fresh enough to be returned instead
  of regenerated, i.e. four hours after its GeneratedTime; GenerateCredentialReport then
  starts a new one.
"""

import logging
import threading
from functools import lru_cache
import time

from ..auth.principal import user_arn
from ..protocol.errors import AWSError
from ..store.reports import CredentialReportRow, credential_data
from .registry import operation

FRESH_FOR = 4 * 3600
EXPIRES_AFTER = FRESH_FOR
STALE_AFTER = 120
DAY = 86400

HEADER = ("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
          "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
          "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
          "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
          "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
          "cert_1_last_rotated,cert_2_active,cert_2_last_rotated").split(",")

log = logging.getLogger("iamd")


def stamp(epoch: float | None, missing: str = "N/A") -> str:
    """The report's timestamp form: second precision with a `+00:00` offset."""
    if epoch is None:
        return missing
    return _stamp(int(epoch // 1))


@lru_cache(maxsize=65536)
def _stamp(second: int) -> str:
    # Accounts made by scripts share a handful of seconds: format each once.
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(second))


def _field(value: str) -> str:
    """RFC 4180 quoting, only where needed (user names may hold commas)."""
    if "," in value or '"' in value or "\n" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _key_columns(keys: list) -> list[str]:
    out = []
    for slot in range(2):
        k = keys[slot] if slot < len(keys) else None
        if k is None:
            out += ["false", "N/A", "N/A", "N/A", "N/A"]
            continue
        used = k.last_used_at is not None
        out += [_flag(k.status == "Active"), stamp(k.created_at), stamp(k.last_used_at),
                (k.last_used_region or "N/A") if used else "N/A",
                (k.last_used_service or "N/A") if used else "N/A"]
    return out


def _cert_columns(certs: list) -> list[str]:
    out = []
    for slot in range(2):
        c = certs[slot] if slot < len(certs) else None
        out += ["false", "N/A"] if c is None else [_flag(c.status == "Active"), stamp(c.uploaded_at)]
    return out


def build_csv(data: dict, account_id: str) -> bytes:
    """The report's bytes: header, the root row, then one row per user by name.

    Values are bare as in AWS's files; a field holding a comma or quote is quoted
    RFC 4180-style so the file stays parseable.
    """
    lines = [",".join(HEADER), ",".join([
        "<root_account>", f"arn:aws:iam::{account_id}:root", stamp(data["account_created"]),
        "not_supported", "no_information", "not_supported", "not_supported",
        _flag(None in data["mfa_owners"]),
        *_key_columns(data["keys"].get(None, [])), *_cert_columns(data["certs"].get(None, []))])]
    max_age = data["max_age"]
    passwords, mfa_owners, keys, certs = data["passwords"], data["mfa_owners"], data["keys"], data["certs"]
    no_keys = _key_columns([])
    no_certs = _cert_columns([])
    for u in data["users"]:  # already in name order
        changed = passwords.get(u.user_id)
        if changed is not None:
            password = ["true", stamp(u.password_last_used, "no_information"), stamp(changed),
                        stamp(changed + max_age * DAY) if max_age else "N/A"]
        else:
            password = ["false", "N/A", "N/A", "N/A"]
        user_keys, user_certs = keys.get(u.user_id), certs.get(u.user_id)
        lines.append(",".join([
            _field(u.name), _field(user_arn(account_id, u.path, u.name)), stamp(u.created_at),
            *password, "true" if u.user_id in mfa_owners else "false",
            *(_key_columns(user_keys) if user_keys else no_keys),
            *(_cert_columns(user_certs) if user_certs else no_certs)]))
    return "\n".join(lines).encode()


def generate(store, account_id: str, token: float) -> None:
    """Run one generation to its end (the generator thread's body)."""
    if not store.run(lambda tx: CredentialReportRow(tx, account_id).claim(token)):
        return
    try:
        at = time.time()
        data = store.run(lambda tx: credential_data(tx, account_id), write=False)
        content = build_csv(data, account_id)
        store.run(lambda tx: CredentialReportRow(tx, account_id).finish(token, at, content))
    except Exception:
        log.exception("credential report generation for %s failed", account_id)
        store.run(lambda tx: CredentialReportRow(tx, account_id).abandon(token))


def _launch(store, account_id: str, token: float) -> None:
    # Not a daemon: a graceful shutdown lets a running generation finish and record itself.
    threading.Thread(target=generate, args=(store, account_id, token),
                     name=f"credential-report-{account_id}").start()


def _start(ctx, now: float, description: str) -> dict:
    store, account_id = ctx.app.store, ctx.account_id
    ctx.tx.after_commit.append(lambda: _launch(store, account_id, now))
    return {"State": "STARTED", "Description": description}


@operation("GenerateCredentialReport")
def generate_credential_report(ctx, p):
    repo = CredentialReportRow(ctx.tx, ctx.account_id)
    now = ctx.now
    row = repo.get(lock=True)
    if row is None:
        if repo.insert_started(now):
            return _start(ctx, now, "No report exists. Starting a new report generation task")
        row = repo.get(lock=True)  # a concurrent request created it a moment ago
    if row.state in ("STARTED", "INPROGRESS"):
        if now - row.started_at < STALE_AFTER:
            return {"State": "INPROGRESS", "Description": "Report generation in progress."}
        repo.restart(now)
        return _start(ctx, now, "The previous report generation did not finish. "
                                "Starting a new report generation task")
    if now - row.generated_at < FRESH_FOR:
        return {"State": "COMPLETE"}
    repo.restart(now)
    return _start(ctx, now, "The existing report is older than four hours. "
                            "Starting a new report generation task")


@operation("GetCredentialReport")
def get_credential_report(ctx, p):
    row = CredentialReportRow(ctx.tx, ctx.account_id).get()
    if row is None:
        raise AWSError("ReportNotPresent", "The credential report does not exist. To generate a "
                                           "credential report, use GenerateCredentialReport.")
    if row.state != "COMPLETE":
        raise AWSError("ReportInProgress", "The credential report is still being generated.")
    if ctx.now - row.generated_at >= EXPIRES_AFTER:
        raise AWSError("ReportExpired", "The most recent credential report has expired. To generate "
                                        "a new credential report, use GenerateCredentialReport.")
    return {"Content": bytes(row.content), "ReportFormat": "text/csv", "GeneratedTime": row.generated_at}
