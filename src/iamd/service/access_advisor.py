"""The access advisor: service last accessed reports and the policies granting a service.

GenerateServiceLastAccessedDetails checks the ARN (a user, group, role or managed policy
of the account, or an AWS managed policy: else InvalidInput, or NoSuchEntity when it names
nothing), stores a job IN_PROGRESS and, once that commits, hands it to a generator thread
(GENERATORS per process). The generator waits until SETTLE seconds after the job's
creation (so that the calls every worker queued for the audit trail are written: AWS
says recent activity appears within hours), computes the report
(`service/access_report.py`) and marks the job COMPLETED, or FAILED when the entity was
deleted meanwhile. A job still in progress after STALE_AFTER seconds (its worker died,
or the database was away) is started again by the next Get. A job is read by the
principal that generated it (AWS: "must be used by the same role within a session, or by
the same user"); others, and unknown ids, get NoSuchEntity. Jobs are kept KEEP_FOR seconds.

ListPoliciesGrantingServiceAccess lists, for each namespace asked, the permissions
policies of a user (and its groups), group or role that grant it; boundaries are not
permissions policies and are left out, as AWS does.
"""

import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from ..policy.service_grants import grants_namespace
from ..protocol.errors import invalid_input, no_such_entity
from ..store import access_advisor as advisor
from ..store.faults import DatabaseUnavailable
from ..store.paging import listing, offset_page
from .access_report import EntityGone, compute, entity_details, service_names
from .arns import arn as entity_arn
from .groups import require_group
from .policies import require_policy
from .registry import operation
from .roles import require_role
from .users import require_user

SETTLE = 1.0
STALE_AFTER = 60.0
KEEP_FOR = 30 * 86400
GENERATORS = 4
GONE = ("NoSuchEntity", "The entity the report was generated for no longer exists.")  # [unc]
BROKEN = ("ServiceFailure", "The report could not be generated.")  # [unc]

log = logging.getLogger("iamd")
_REQUIRE = {"user": (require_user, "user_id"), "group": (require_group, "group_id"),
            "role": (require_role, "role_id")}


def subject(ctx, arn: str, policies: bool = True) -> tuple[str, str, str]:
    """(kind, id, name) of the user, group, role (or managed policy) an ARN names."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or parts[3] or not parts[5]:
        raise invalid_input(f"ARN {arn} is not valid.")
    kind, _, rest = parts[5].partition("/")
    if kind == "policy" and policies:
        row = require_policy(ctx, arn)
        return "policy", row.policy_id, row.name
    name = rest.rsplit("/", 1)[-1]
    if kind not in _REQUIRE or parts[4] != ctx.account_id or not name:
        raise invalid_input(f"ARN {arn} is not valid.")
    require, id_col = _REQUIRE[kind]
    row = require(ctx, name)
    if entity_arn(ctx.account_id, kind, row.path, row.name) != arn:  # the right name on another path
        raise no_such_entity(f"The {kind} with name {name} cannot be found.")
    return kind, getattr(row, id_col), row.name


def generate(store, account_id: str, job_id: str, not_before: float) -> None:
    """A generator's body: settle, compute, record the outcome."""
    time.sleep(max(0.0, not_before - time.time()))
    try:
        job = store.run(lambda tx: advisor.JobRepo(tx, account_id).get(job_id), write=False)
        if job is None or job.status != "IN_PROGRESS":
            return
        try:
            report = store.run(lambda tx: compute(tx, account_id, job.entity_kind, job.entity_id,
                                                  job.granularity, time.time()), write=False)
            outcome = {"report": report}
        except EntityGone:
            outcome = {"error": GONE}
        except DatabaseUnavailable:
            raise
        except Exception:  # noqa: BLE001 - a bug: the job fails rather than being retried forever
            log.exception("access advisor job %s failed", job_id)
            outcome = {"error": BROKEN}
        store.run(lambda tx: advisor.JobRepo(tx, account_id).finish(job_id, time.time(), **outcome))
    except DatabaseUnavailable as exc:  # the next Get of the stale job starts it again
        log.error("access advisor job %s: database unavailable: %s", job_id, exc)


_pool: list = []  # the process's generators, made on first use (each worker process its own)


def _launch(store, account_id: str, job_id: str, created_at: float) -> None:
    if not _pool:
        # At most GENERATORS at once however many jobs a burst starts; the interpreter
        # waits for them at exit, so a graceful shutdown lets running jobs record themselves.
        _pool.append(ThreadPoolExecutor(GENERATORS, thread_name_prefix="iamd-access-advisor"))
    _pool[0].submit(generate, store, account_id, job_id, created_at + SETTLE)


@operation("GenerateServiceLastAccessedDetails")
def generate_service_last_accessed_details(ctx, p):
    kind, entity_id, _ = subject(ctx, p["Arn"])
    job_id = str(uuid.uuid4())
    advisor.JobRepo(ctx.tx, ctx.account_id).add(job_id, ctx.caller.arn, p["Arn"], kind, entity_id,
                                              p.get("Granularity") or "SERVICE_LEVEL", ctx.now, KEEP_FOR)
    store, account_id, now = ctx.app.store, ctx.account_id, ctx.now
    ctx.tx.after_commit.append(lambda: _launch(store, account_id, job_id, now))
    return {"JobId": job_id}


def _job(ctx, job_id: str):
    """The caller's job; one left IN_PROGRESS by a dead worker is started again."""
    job = advisor.JobRepo(ctx.tx, ctx.account_id).get(job_id)
    if job is None or job.owner_arn != ctx.caller.arn:
        raise no_such_entity(f"Job {job_id} does not exist.")  # [unc]
    if job.status == "IN_PROGRESS" and ctx.now - job.created_at > STALE_AFTER:
        store, account_id, now = ctx.app.store, ctx.account_id, ctx.now
        ctx.tx.after_commit.append(lambda: _launch(store, account_id, job_id, now))
    return job


def _status(job) -> dict:
    out = {"JobStatus": job.status, "JobCreationDate": job.created_at}
    if job.completed_at is not None:
        out["JobCompletionDate"] = job.completed_at
    if job.status == "FAILED":
        out["Error"] = {"Code": job.error_code, "Message": job.error_message}
    return out


def _report(job) -> dict | None:
    return json.loads(job.report) if job.status == "COMPLETED" else None


@operation("GetServiceLastAccessedDetails")
def get_service_last_accessed_details(ctx, p):
    job = _job(ctx, p["JobId"])
    report = _report(job)
    items, marker = offset_page(report["services"] if report else [], p.get("Marker"), p.get("MaxItems"))
    return {**_status(job), "JobType": job.granularity, **listing(items, marker, "ServicesLastAccessed")}


@operation("GetServiceLastAccessedDetailsWithEntities")
def get_service_last_accessed_details_with_entities(ctx, p):
    job = _job(ctx, p["JobId"])
    namespace = p["ServiceNamespace"]
    if namespace not in service_names():
        raise invalid_input(f"Service namespace {namespace} is not valid.")  # [unc]
    report = _report(job)
    items, marker = offset_page(entity_details(report, namespace) if report else [], p.get("Marker"),
                                p.get("MaxItems"))
    return {**_status(job), **listing(items, marker, "EntityDetailsList")}


@operation("ListPoliciesGrantingServiceAccess")
def list_policies_granting_service_access(ctx, p):
    kind, entity_id, name = subject(ctx, p["Arn"], policies=False)
    owners = [(kind, entity_id)]
    if kind == "user":
        owners += [("group", g) for g in advisor.group_ids_of_user(ctx.tx, entity_id)]
    rows = advisor.entity_policies(ctx.tx, owners)
    owner_names = {(kind, entity_id): name}
    if len(owners) > 1:
        owner_names.update(advisor.group_names(ctx.tx, [g for _, g in owners[1:]]))
    entries = []
    for namespace in p["ServiceNamespaces"]:
        policies = []
        for r in rows:
            if not grants_namespace(r.document, namespace):
                continue
            if r.arn is None:
                policies.append({"PolicyName": r.name, "PolicyType": "INLINE", "EntityType": r.owner_kind.upper(),
                                 "EntityName": owner_names[(r.owner_kind, r.owner_id)]})
            else:
                policies.append({"PolicyName": r.name, "PolicyType": "MANAGED", "PolicyArn": r.arn})
        entries.append({"ServiceNamespace": namespace, "Policies": policies})
    items, marker = offset_page(entries, p.get("Marker"), None)
    return listing(items, marker, "PoliciesGrantingServiceAccess")
