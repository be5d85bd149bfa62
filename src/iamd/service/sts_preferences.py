"""SetSecurityTokenServicePreferences: which token version the global STS endpoint issues.

iamd has one endpoint, so the preference changes no token; it is kept and reported as
GetAccountSummary's `GlobalEndpointTokenVersion` (1 for v1Token, 2 for v2Token), as AWS does.
"""

from .quotas import set_quotas
from .registry import operation

VERSIONS = {"v1Token": 1, "v2Token": 2}


@operation("SetSecurityTokenServicePreferences")
def set_security_token_service_preferences(ctx, p):
    set_quotas(ctx.tx, ctx.account_id, {"GlobalEndpointTokenVersion": VERSIONS[p["GlobalEndpointTokenVersion"]]})
    ctx.extra.pop("quotas", None)
