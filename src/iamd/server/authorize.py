"""The seam where an authenticated caller is authorized for an operation.

Today every authenticated caller of this account is allowed: policy evaluation (identity
policies, boundaries, explicit denies) plugs in here, with the caller, the operation and
its parsed input, and raises `AccessDenied` in AWS's wording when it refuses.
"""

from ..auth.principal import Principal
from ..protocol.errors import AWSError
from ..protocol.quirks import ALWAYS_ALLOWED


def authorize(caller: Principal, account_id: str, operation: str, params: dict) -> None:
    if operation in ALWAYS_ALLOWED:
        return
    if caller.account_id != account_id:
        raise AWSError("AccessDenied", f"User: {caller.arn} is not authorized to perform: "
                                       f"iam:{operation} because no identity-based policy allows the "
                                       f"iam:{operation} action")
