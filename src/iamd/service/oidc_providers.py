"""OpenID Connect identity providers: create, read, client ids (audiences), thumbprints,
delete, list, tags.

A provider is identified by its issuer URL without the scheme (`host/path`, exactly as
given, so `https://h` and `https://h/` are two providers); that is both the ARN's
resource and the `Url` AWS returns. Thumbprints are stored lowercased. iamd never
contacts the IdP: without a ThumbprintList the provider simply has none.

Two observed AWS behaviours differ from the API reference and are followed here:
DeleteOpenIDConnectProvider of a missing provider fails with NoSuchEntity (the reference
calls it idempotent), and Delete/Tag/Untag word that error differently from the others.
"""

import json
import re

from ..protocol.errors import already_exists, invalid_input, no_such_entity, validation_error
from ..store.certificates import lock_account
from ..store.providers import OidcProviderRepo
from ..store.tags import TagRepo
from .arns import arn
from .quotas import within_quota
from .registry import operation
from .tags import add_tags, check_new_tags, tag_operations, with_tags

TAG_TYPE = "oidc-provider"
MAX_THUMBPRINTS = 5
_ARN = re.compile(r"arn:aws:iam::(\d{12}):oidc-provider/(\S+)")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://(.*)", re.DOTALL)
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*")


def issuer(url: str, http_allowed=()) -> str:
    """`host/path` of an https issuer URL (or of an http one `iamd serve
    --allow-http-issuer` names), or AWS's error for it."""
    m = _SCHEME.fullmatch(url)
    if m is None or not m.group(2) or m.group(2).startswith("/"):
        raise validation_error("Invalid Open ID Connect Provider URL")
    if m.group(1) != "https" and not (m.group(1) == "http" and plain_http(m.group(2), http_allowed)):
        raise invalid_input("Invalid Open ID Connect Provider URL. The URL must begin with https://.")
    rest = m.group(2)
    host = rest.split("/", 1)[0]
    if m.group(1) == "http":  # a named local issuer: its port is part of it
        host = host.rsplit(":", 1)[0] if re.fullmatch(r"[^:]+:\d{1,5}", host) else host
    # No user info, query, fragment or port; path characters printable and unspaced.
    if re.search(r"[?#@\s]", rest) or _HOST.fullmatch(host) is None:
        raise invalid_input("Invalid Open ID Connect Provider URL.")
    return rest


def plain_http(suffix: str, http_allowed) -> bool:
    """Whether the issuer `host/path` is one `--allow-http-issuer` names (trailing slash aside)."""
    return any(u.startswith("http://") and u[len("http://"):].rstrip("/") == suffix.rstrip("/")
               for u in http_allowed)


def _thumbprints(values: list[str]) -> list[str]:
    if len(values) > MAX_THUMBPRINTS:
        raise invalid_input(f"Thumbprint list must contain fewer than {MAX_THUMBPRINTS} entries.")
    return [t.lower() for t in values]


def _client_limit(ctx, n: int) -> None:
    within_quota(ctx, "OpenIdConnectClientIdsQuota", "ClientIdsPerOpenIdConnectProvider", n)


def require_provider(ctx, provider_arn: str, lock: bool = False, missing: str = "get"):
    if _ARN.fullmatch(provider_arn) is None:
        raise invalid_input(f"{provider_arn} is not a valid OpenID Connect provider ARN.")
    row = OidcProviderRepo(ctx.tx, ctx.account_id).get(provider_arn, lock=lock)
    if row is None:
        if missing == "delete":
            raise no_such_entity(f"OpenId connect Provider {provider_arn} cannot be found.")
        raise no_such_entity(f"OpenIDConnect Provider not found for arn {provider_arn}")
    return row


@operation("CreateOpenIDConnectProvider")
def create_open_id_connect_provider(ctx, p):
    tags = p.get("Tags", [])
    check_new_tags(tags)
    url = p["Url"]
    suffix = issuer(url, ctx.app.settings.allow_http_issuers if ctx.app else ())
    client_ids = list(dict.fromkeys(p.get("ClientIDList", [])))
    _client_limit(ctx, len(client_ids))
    thumbprints = _thumbprints(p.get("ThumbprintList", []))
    repo = OidcProviderRepo(ctx.tx, ctx.account_id)
    lock_account(ctx.tx, ctx.account_id)
    within_quota(ctx, "ProvidersQuota", "OpenIdConnectProvidersPerAccount", repo.count() + 1)
    provider_arn = arn(ctx.account_id, "oidc-provider", "/", suffix)
    if not repo.create(provider_arn, suffix, client_ids, thumbprints, ctx.now):
        raise already_exists(f"Provider with url {url} already exists.")
    add_tags(ctx, TAG_TYPE, provider_arn, tags)
    return with_tags(ctx, TAG_TYPE, provider_arn, {"OpenIDConnectProviderArn": provider_arn})


@operation("GetOpenIDConnectProvider")
def get_open_id_connect_provider(ctx, p):
    row = require_provider(ctx, p["OpenIDConnectProviderArn"])
    out = {"Url": row.url, "ClientIDList": json.loads(row.client_ids),
           "ThumbprintList": json.loads(row.thumbprints), "CreateDate": row.created_at}
    return with_tags(ctx, TAG_TYPE, row.arn, out, always=True)


@operation("ListOpenIDConnectProviders")
def list_open_id_connect_providers(ctx, p):
    rows = OidcProviderRepo(ctx.tx, ctx.account_id).list()
    return {"OpenIDConnectProviderList": [{"Arn": r.arn} for r in rows]}


@operation("AddClientIDToOpenIDConnectProvider")
def add_client_id(ctx, p):
    row = require_provider(ctx, p["OpenIDConnectProviderArn"], lock=True)
    client_ids = json.loads(row.client_ids)
    if p["ClientID"] in client_ids:
        return
    _client_limit(ctx, len(client_ids) + 1)
    OidcProviderRepo(ctx.tx, ctx.account_id).set_lists(row.arn, client_ids=[*client_ids, p["ClientID"]])


@operation("RemoveClientIDFromOpenIDConnectProvider")
def remove_client_id(ctx, p):
    row = require_provider(ctx, p["OpenIDConnectProviderArn"], lock=True)
    client_ids = json.loads(row.client_ids)
    if p["ClientID"] in client_ids:
        OidcProviderRepo(ctx.tx, ctx.account_id).set_lists(
            row.arn, client_ids=[c for c in client_ids if c != p["ClientID"]])


@operation("UpdateOpenIDConnectProviderThumbprint")
def update_thumbprint(ctx, p):
    row = require_provider(ctx, p["OpenIDConnectProviderArn"], lock=True)
    OidcProviderRepo(ctx.tx, ctx.account_id).set_lists(row.arn, thumbprints=_thumbprints(p["ThumbprintList"]))


@operation("DeleteOpenIDConnectProvider")
def delete_open_id_connect_provider(ctx, p):
    row = require_provider(ctx, p["OpenIDConnectProviderArn"], missing="delete")
    TagRepo(ctx.tx, ctx.account_id).remove_all(TAG_TYPE, row.arn)
    OidcProviderRepo(ctx.tx, ctx.account_id).delete(row.arn)


tag_operations("OpenIDConnectProvider", TAG_TYPE,
               lambda ctx, p: require_provider(ctx, p["OpenIDConnectProviderArn"], missing="delete").arn,
               lambda ctx, p: require_provider(ctx, p["OpenIDConnectProviderArn"]).arn)
