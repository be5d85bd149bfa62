"""Service-specific credentials: Git/Keyspaces passwords and Bedrock/CloudWatch Logs API keys.

At most two per user per service. CodeCommit and Keyspaces credentials are a generated
user name (`<user>-at-<account>`, `<user>+1-at-<account>` for the second) and password;
Bedrock and CloudWatch Logs ones are API keys: a public alias and a secret, optionally
expiring after CredentialAgeDays. The secret is shown on Create and on Reset only.
"""

import base64
import os

from ..protocol.errors import AWSError, limit_exceeded, no_such_entity
from ..store.paging import listing
from ..store.service_credentials import ServiceCredentialRepo
from . import ids
from .dependents import blocks_delete
from .registry import operation
from .users import require_user, target_user

PASSWORD_SERVICES = frozenset({"codecommit.amazonaws.com", "cassandra.amazonaws.com"})
# API-key services and the prefix their keys carry (Bedrock's keys start with ABSK).
API_KEY_SERVICES = {"bedrock.amazonaws.com": "ABSK", "logs.amazonaws.com": "ACWL"}
PER_SERVICE = 2
DAY = 86400.0


def _supported(service: str) -> str:
    if service not in PASSWORD_SERVICES and service not in API_KEY_SERVICES:
        raise no_such_entity(f"No such service {service} is supported for Service Specific Credentials")
    return service


def _require(ctx, user, credential_id: str):
    row = ServiceCredentialRepo(ctx.tx, ctx.account_id).get(user.user_id, credential_id)
    if row is None:
        raise no_such_entity(f"No such credential {credential_id} exists")
    return row


def _secret(service: str, alias: str) -> str:
    raw = base64.b64encode(os.urandom(32)).decode()
    if service in API_KEY_SERVICES:
        # An API key carries its alias, so the service can find the credential from the key alone.
        return API_KEY_SERVICES[service] + base64.b64encode(f"{alias}:{raw}".encode()).decode()
    return raw


def _status(ctx, row) -> str:
    if row.expires_at is not None and row.expires_at <= ctx.now:
        return "Expired"
    return row.status


def _shape(ctx, row, user_name: str, secret: str | None = None) -> dict:
    out = {"UserName": user_name, "Status": _status(ctx, row), "CreateDate": row.created_at,
           "ServiceSpecificCredentialId": row.credential_id, "ServiceName": row.service_name}
    api_key = row.service_name in API_KEY_SERVICES
    out["ServiceCredentialAlias" if api_key else "ServiceUserName"] = row.service_user_name
    if secret is not None:
        out["ServiceCredentialSecret" if api_key else "ServicePassword"] = secret
    if row.expires_at is not None:
        out["ExpirationDate"] = row.expires_at
    return out


@operation("CreateServiceSpecificCredential")
def create_service_specific_credential(ctx, p):
    user = require_user(ctx, p["UserName"], lock=True)
    service = _supported(p["ServiceName"])
    days = p.get("CredentialAgeDays")
    if days is not None and service not in API_KEY_SERVICES:
        raise AWSError("InvalidInput", "CredentialAgeDays is only valid for Bedrock and CloudWatch Logs API keys.")
    repo = ServiceCredentialRepo(ctx.tx, ctx.account_id)
    existing = repo.for_service(user.user_id, service)
    if len(existing) >= PER_SERVICE:
        raise limit_exceeded(f"Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: {PER_SERVICE}")
    taken = {r.service_user_name for r in existing}
    suffix = f"-at-{ctx.account_id}"
    alias = next(n for n in (user.name + suffix, f"{user.name}+1{suffix}") if n not in taken)
    secret = _secret(service, alias)
    credential_id = ids.unique_id("ACCA")
    repo.create(credential_id, user.user_id, service, alias, ctx.app.box.encrypt(secret), ctx.now,
                ctx.now + days * DAY if days else None)
    return {"ServiceSpecificCredential": _shape(ctx, repo.get(user.user_id, credential_id), user.name, secret)}


@operation("ListServiceSpecificCredentials")
def list_service_specific_credentials(ctx, p):
    service = _supported(p["ServiceName"]) if "ServiceName" in p else None
    if p.get("AllUsers"):
        if "UserName" in p:
            raise AWSError("InvalidInput", "AllUsers and UserName cannot be specified together.")
        user_id = None
    else:
        user_id = target_user(ctx, p).user_id
    rows, marker = ServiceCredentialRepo(ctx.tx, ctx.account_id).list(
        user_id, service, p.get("Marker"), p.get("MaxItems"))
    return listing([_shape(ctx, r, r.user_name) for r in rows], marker, "ServiceSpecificCredentials")


@operation("UpdateServiceSpecificCredential")
def update_service_specific_credential(ctx, p):
    user = target_user(ctx, p)
    row = _require(ctx, user, p["ServiceSpecificCredentialId"])
    ServiceCredentialRepo(ctx.tx, ctx.account_id).update(row.credential_id, status=p["Status"])


@operation("ResetServiceSpecificCredential")
def reset_service_specific_credential(ctx, p):
    user = target_user(ctx, p)
    row = _require(ctx, user, p["ServiceSpecificCredentialId"])
    secret = _secret(row.service_name, row.service_user_name)
    repo = ServiceCredentialRepo(ctx.tx, ctx.account_id)
    repo.update(row.credential_id, password=ctx.app.box.encrypt(secret))
    return {"ServiceSpecificCredential": _shape(ctx, row, user.name, secret)}


@operation("DeleteServiceSpecificCredential")
def delete_service_specific_credential(ctx, p):
    user = target_user(ctx, p)
    row = _require(ctx, user, p["ServiceSpecificCredentialId"])
    ServiceCredentialRepo(ctx.tx, ctx.account_id).delete(row.credential_id)


@blocks_delete("user", "remove referenced objects")
def _user_service_credentials(ctx, user_row):
    return ServiceCredentialRepo(ctx.tx, ctx.account_id).count_for_user(user_row.user_id)
