"""GetAccountSummary: live entity counts beside the account's effective quotas.

The keys are exactly the model's summaryKeyType enum. Counts come from one statement
(store.reports.summary_counts); quotas from service.quotas, so per-account overrides and
GlobalEndpointTokenVersion show up as set. The Account* flags describe the root user.
"""

from functools import lru_cache

from ..protocol.model import catalog
from ..store.reports import summary_counts
from .quotas import account_quotas
from .registry import operation


@lru_cache(maxsize=1)
def summary_keys() -> tuple[str, ...]:
    return tuple(catalog().services["iam"].shape_for("summaryKeyType").enum)


@operation("GetAccountSummary")
def get_account_summary(ctx, p):
    values = {**account_quotas(ctx.tx, ctx.account_id), **summary_counts(ctx.tx, ctx.account_id)}
    # The root user has no console password in iamd: it signs in with access keys only.
    values["AccountPasswordPresent"] = 0
    return {"SummaryMap": {k: values[k] for k in summary_keys()}}
