"""Temporary delegation: a partner's account asks a customer's account for temporary,
limited permissions, and the customer associates, forwards, accepts or rejects the request
and releases a trade-in token the partner exchanges (STS GetDelegatedAccessToken) for
credentials. Both accounts are hosted on this server.

The life cycle is AWS's (IAM User Guide, "Building your integration"): UNASSIGNED →
ASSIGNED (AssociateDelegationRequest) → PENDING_APPROVAL (UpdateDelegationRequest) →
ACCEPTED → FINALIZED (SendDelegationToken); REJECTED from ASSIGNED, PENDING_APPROVAL or
ACCEPTED; a request left alone expires (UNASSIGNED after a day, every other state seven
days after its last transition). FINALIZED, REJECTED and EXPIRED are final. `TRANSITIONS`
holds the rules as data; a call in a state it does not leave answers InvalidInput.

Who sees a request (others get NoSuchEntity, as for any entity they cannot name): its
requestor's account; any account while it names no owner account; else the owner account.
Only the owner account's identities act on it as customer. Notifications AWS publishes to
the partner's SNS topic are kept in `delegation_notifications` (`iamd delegation-outbox`
prints them), the trade-in token among them.
"""

import hashlib
import json
import secrets
import uuid

from ..protocol.errors import AWSError, invalid_input
from ..store.delegation import DelegationRepo
from ..store.account import AccountRepo
from .delegation_policy import boundary_arns, render
from .registry import operation

DAY = 86400
EXPIRY = {"UNASSIGNED": DAY}  # seconds a request may stay in a state; every other state: a week
WEEK = 7 * DAY
ROOT_MAX_DURATION = 4 * 3600  # root users may approve at most four hours (IAM User Guide)
FINAL = frozenset({"FINALIZED", "REJECTED", "EXPIRED"})
# operation -> (states it leaves, state it reaches)
TRANSITIONS = {
    "AssociateDelegationRequest": (frozenset({"UNASSIGNED"}), "ASSIGNED"),
    "UpdateDelegationRequest": (frozenset({"ASSIGNED", "PENDING_APPROVAL"}), "PENDING_APPROVAL"),
    "AcceptDelegationRequest": (frozenset({"ASSIGNED", "PENDING_APPROVAL"}), "ACCEPTED"),
    "RejectDelegationRequest": (frozenset({"ASSIGNED", "PENDING_APPROVAL", "ACCEPTED"}), "REJECTED"),
    "SendDelegationToken": (frozenset({"ACCEPTED"}), "FINALIZED"),
}
CONSOLE = "https://console.aws.amazon.com/iam/home#/delegation-requests/{}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def state_of(row, now: float) -> str:
    return "EXPIRED" if row.state != "EXPIRED" and now >= row.expires_at else row.state


def not_found(request_id: str) -> AWSError:
    return AWSError("NoSuchEntity", f"The delegation request with id {request_id} cannot be found.")


def visible(ctx, request_id: str, lock: bool = False):
    """The request as the caller may see it (else NoSuchEntity)."""
    row = DelegationRepo(ctx.tx).get(request_id, lock=lock)
    account = ctx.account_id  # the signer's
    if row is None or not (row.requestor_account_id == account or row.target_account_id in (None, account)):
        raise not_found(request_id)
    return row


def _transition(ctx, op: str, request_id: str, **values):
    """Move the request along `op`'s transition as its customer; the row before."""
    row = visible(ctx, request_id, lock=True)
    account = ctx.account_id  # the signer's
    if row.target_account_id not in (None, account):
        raise not_found(request_id)
    sources, target = TRANSITIONS[op]
    state = state_of(row, ctx.now)
    if state not in sources:
        raise invalid_input(f"The delegation request {request_id} is in state {state}: "
                            f"{op} applies only to a request in state {' or '.join(sorted(sources))}.")
    message = values.pop("_message", {})
    repo = DelegationRepo(ctx.tx)
    repo.set(request_id, state=target, updated_at=ctx.now, expires_at=ctx.now + EXPIRY.get(target, WEEK), **values)
    repo.notify(row.notification_channel, request_id,
                {"DelegationRequestId": request_id, "RequestorWorkflowId": row.requestor_workflow_id,
                 "State": target, **message}, ctx.now)
    return row


def describe(row, now: float, requestor_name: str | None) -> dict:
    out = {"DelegationRequestId": row.request_id, "Description": row.description,
           "Permissions": json.loads(row.permissions), "PermissionPolicy": row.policy,
           "State": state_of(row, now), "ExpirationTime": row.expires_at, "RequestorId": row.requestor_account_id,
           "CreateDate": row.created_at, "SessionDuration": row.session_duration,
           "OnlySendByOwner": bool(row.only_send_by_owner), "UpdatedTime": row.updated_at}
    optional = {"OwnerAccountId": row.target_account_id, "RequestMessage": row.request_message,
                "OwnerId": row.owner_id, "ApproverId": row.approver_id, "RedirectUrl": row.redirect_url,
                "Notes": row.notes, "RejectionReason": row.rejection_reason, "RequestorName": requestor_name}
    out.update({k: v for k, v in optional.items() if v is not None})
    arns = boundary_arns(row.policy)
    if arns:
        out["RolePermissionRestrictionArns"] = arns
    return out


def _requestor_name(ctx, row) -> str | None:
    account = AccountRepo(ctx.tx, row.requestor_account_id).get()
    return account.alias[:30] if account is not None and account.alias else None


@operation("CreateDelegationRequest")
def create_delegation_request(ctx, p):
    account = ctx.account_id  # the signer's
    repo = DelegationRepo(ctx.tx)
    perms = p["Permissions"]
    arn = perms.get("PolicyTemplateArn")
    template = repo.template(arn) if arn else None
    if template is None or template.account_id != account:
        raise invalid_input(f"The policy template {arn} does not exist or is not registered for this account."
                            if arn else "Permissions must name a PolicyTemplateArn.")
    policy = render(template.document, perms.get("Parameters") or [])
    request_id = str(uuid.uuid4())
    created = repo.create(
        request_id=request_id, requestor_account_id=account, requestor_workflow_id=p["RequestorWorkflowId"],
        target_account_id=p.get("OwnerAccountId"), state="UNASSIGNED", description=p["Description"],
        request_message=p.get("RequestMessage"), permissions=json.dumps(perms), policy=policy,
        redirect_url=p.get("RedirectUrl"), notification_channel=p["NotificationChannel"],
        session_duration=p["SessionDuration"], only_send_by_owner=bool(p.get("OnlySendByOwner")),
        created_at=ctx.now, updated_at=ctx.now, expires_at=ctx.now + EXPIRY["UNASSIGNED"], token_used=False)
    if not created:
        raise AWSError("EntityAlreadyExists",
                       f"A delegation request with requestor workflow id {p['RequestorWorkflowId']} already exists.")
    return {"ConsoleDeepLink": CONSOLE.format(request_id), "DelegationRequestId": request_id}


@operation("GetDelegationRequest")
def get_delegation_request(ctx, p):
    row = visible(ctx, p["DelegationRequestId"])
    out = {"DelegationRequest": describe(row, ctx.now, _requestor_name(ctx, row))}
    if p.get("DelegationPermissionCheck"):
        from .delegation_check import permission_check
        out["PermissionCheckStatus"] = "COMPLETE"
        out["PermissionCheckResult"] = permission_check(ctx, row.policy)
    return out


@operation("ListDelegationRequests")
def list_delegation_requests(ctx, p):
    account = ctx.account_id  # the signer's
    rows, marker = DelegationRepo(ctx.tx).listed(account, p.get("OwnerId"), p.get("Marker"), p.get("MaxItems"))
    out = {"DelegationRequests": [describe(r, ctx.now, _requestor_name(ctx, r)) for r in rows],
           "isTruncated": marker is not None}
    if marker:
        out["Marker"] = marker
    return out


@operation("AssociateDelegationRequest")
def associate_delegation_request(ctx, p):
    _transition(ctx, "AssociateDelegationRequest", p["DelegationRequestId"],
                owner_id=ctx.caller.arn, target_account_id=ctx.caller.account_id)


@operation("UpdateDelegationRequest")
def update_delegation_request(ctx, p):
    values = {"notes": p["Notes"]} if p.get("Notes") is not None else {}
    _transition(ctx, "UpdateDelegationRequest", p["DelegationRequestId"], **values)


@operation("AcceptDelegationRequest")
def accept_delegation_request(ctx, p):
    c = ctx.caller
    row = visible(ctx, p["DelegationRequestId"])
    if c.is_root and row.session_duration > ROOT_MAX_DURATION:
        raise invalid_input("The root user can only approve delegation requests with a session duration "
                            f"of {ROOT_MAX_DURATION} seconds or less.")
    approver = {"kind": c.kind, "arn": c.arn, "entity_id": c.entity_id,
                "role_arn": (c.session or {}).get("ra"), "session_name": (c.session or {}).get("sn")}
    _transition(ctx, "AcceptDelegationRequest", p["DelegationRequestId"],
                approver_id=c.arn, approver=json.dumps(approver))


@operation("RejectDelegationRequest")
def reject_delegation_request(ctx, p):
    values = {"rejection_reason": p["Notes"]} if p.get("Notes") is not None else {}
    _transition(ctx, "RejectDelegationRequest", p["DelegationRequestId"], **values)


@operation("SendDelegationToken")
def send_delegation_token(ctx, p):
    request_id = p["DelegationRequestId"]
    row = visible(ctx, request_id)
    if row.only_send_by_owner and ctx.caller.arn != row.owner_id:
        raise invalid_input(f"Only the owner of delegation request {request_id} can send its delegation token.")
    token = "dtk-" + secrets.token_urlsafe(48)
    _transition(ctx, "SendDelegationToken", request_id, token_hash=token_hash(token),
                token_expires_at=ctx.now + row.session_duration, _message={"TradeInToken": token})
