"""Turn an HTTP request into the calling Principal, or the AWS error that refuses it.

Order of checks follows AWS: no signature, malformed signature, clock window, unknown
key, signature mismatch. With `--auth off` no signature is checked: a known access key
acts as its owner and anything else as the account's root (a drop-in test double).
"""

import hashlib
import time

from ..protocol.errors import AWSError
from . import sigv4
from .credentials import CredentialResolver
from .principal import Principal, root_principal


class Authenticator:
    def __init__(self, resolver: CredentialResolver, account_id: str, enforce: bool = True):
        self.resolver = resolver
        self.account_id = account_id
        self.enforce = enforce

    def authenticate(self, method: str, path: str, raw_query: str, query: dict,
                     headers: dict, body: bytes, service: str) -> tuple[Principal, str]:
        """Return the principal and the region the request was signed for."""
        if not self.enforce:
            return self._lenient(headers, query)
        if "authorization" not in headers and "X-Amz-Signature" not in query \
                and "X-Amz-Algorithm" not in query:
            raise AWSError("MissingAuthenticationToken", "Request is missing Authentication Token")
        sr = sigv4.extract(headers, query)
        now = time.time()
        sigv4.check_clock(sr, now)
        if sr.service not in ("iam", "sts"):
            raise AWSError("SignatureDoesNotMatch",
                           f"Credential should be scoped to correct service: '{service}'. ")
        if sr.security_token is not None:
            # No temporary credentials are issued yet: any session token is unknown.
            raise AWSError("InvalidClientTokenId", "The security token included in the request is invalid")
        content_hash = headers.get("x-amz-content-sha256")
        if content_hash and content_hash != "UNSIGNED-PAYLOAD" \
                and content_hash != hashlib.sha256(body).hexdigest():
            raise AWSError("XAmzContentSHA256Mismatch",
                           "The provided 'x-amz-content-sha256' header does not match what was computed.",
                           status=400)
        cred = self.resolver.resolve(sr.access_key_id, now)
        sigv4.verify(sr, cred.secret, method, path, raw_query, headers, body)
        self.resolver.note_use(cred, sr.access_key_id, now, sr.region, sr.service)
        return cred.principal, sr.region

    def _lenient(self, headers: dict, query: dict) -> tuple[Principal, str]:
        key_id, region = None, "us-east-1"
        try:
            sr = sigv4.extract(headers, query)
            key_id, region = sr.access_key_id, sr.region
        except AWSError:
            pass
        if key_id:
            try:
                return self.resolver.resolve(key_id, time.time()).principal, region
            except AWSError:
                pass
        return root_principal(self.account_id), region
