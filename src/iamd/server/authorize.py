"""The seam where an authenticated caller is authorized for an operation.

Today every authenticated caller of this account is allowed: policy evaluation (identity
policies, boundaries, explicit denies) plugs in here, with the caller, the operation and
its parsed input, and raises `AccessDenied` in AWS's wording when it refuses. What the
connection says about the request (`aws:SecureTransport`, `aws:SourceIp`) arrives as
`context`, the global condition keys that come from the request rather than the caller.
"""

from ..auth.principal import Principal
from ..protocol.errors import AWSError
from ..protocol.quirks import ALWAYS_ALLOWED


def request_context(scope) -> dict[str, str]:
    """Condition keys read from the ASGI scope: HTTPS (`iamd serve --tls-cert`) or not, and
    the client's address."""
    client = scope.get("client")
    return {"aws:SecureTransport": "true" if scope.get("scheme") == "https" else "false",
            "aws:SourceIp": client[0] if client else ""}


def authorize(caller: Principal, account_id: str, operation: str, params: dict,
              context: dict[str, str] | None = None) -> None:
    if operation in ALWAYS_ALLOWED:
        return
    if caller.account_id != account_id:
        raise AWSError("AccessDenied", f"User: {caller.arn} is not authorized to perform: "
                                       f"iam:{operation} because no identity-based policy allows the "
                                       f"iam:{operation} action")
