"""Turn an HTTP request into the calling Principal, or the AWS error that refuses it.

Order of checks follows AWS (reference §5.5): no signature, malformed signature, clock
window, scope, unknown key, signature mismatch. With `--auth off` no signature is checked:
a known access key acts as its owner and anything else as the account's root (a drop-in
test double), and the principal is marked `unchecked` so no policy is enforced either.
moto's `POST /moto-api/reset-auth` (`arm`) turns both on after N more calls, as moto
counts them: per process.
"""

import dataclasses
import time

from ..protocol.errors import AWSError
from . import sigv4
from .credentials import INVALID_TOKEN, CredentialResolver
from .principal import Principal, root_principal
from .session_tokens import OpenSessions


class Authenticator:
    def __init__(self, resolver: CredentialResolver, account_id: str, enforce: bool = True):
        self.resolver = resolver
        self.sessions = OpenSessions(resolver.box)
        self.account_id = account_id
        self.enforce = enforce
        self.free_calls = float("inf")  # `--auth off`: calls left before checks start
        self.calls = 0

    def arm(self, free_calls: float) -> float:
        """Check signatures and policies after `free_calls` more calls (moto's
        INITIAL_NO_AUTH_ACTION_COUNT); return the previous setting."""
        previous, self.free_calls, self.calls = self.free_calls, free_calls, 0
        return previous

    def authenticate(self, method: str, path: str, raw_query: str, query: dict,
                     headers: dict, body: bytes, service: str) -> tuple[Principal, str]:
        """Return the principal and the region the request was signed for.

        `service` is the one the operation belongs to (`iam` or `sts`); `path` is the raw
        (still percent-encoded) request path.
        """
        if not self.enforce:
            if self.calls < self.free_calls:
                self.calls += 1
                return self._lenient(headers, query)
        if "authorization" not in headers and "X-Amz-Signature" not in query \
                and "X-Amz-Algorithm" not in query:
            raise AWSError("MissingAuthenticationToken", "Request is missing Authentication Token")
        sr = sigv4.extract(headers, query)
        now = time.time()
        sigv4.check_clock(sr, now)
        if sr.service != service:
            # One endpoint serves both services; the scope must name the operation's own.
            raise AWSError("SignatureDoesNotMatch",
                           f"Credential should be scoped to correct service: '{service}'. ")
        if sr.security_token is not None:
            # An STS session: the token holds the secret and the principal (no store read).
            principal, secret = self.sessions.open(sr.security_token, sr.access_key_id, now)
            sigv4.verify(sr, secret, method, path, raw_query, headers, body)
            return principal, sr.region
        if sr.access_key_id.startswith("ASIA"):  # temporary keys need their token
            raise AWSError("InvalidClientTokenId", INVALID_TOKEN)
        cred = self.resolver.resolve(sr.access_key_id, now)
        sigv4.verify(sr, cred.secret, method, path, raw_query, headers, body)
        self.resolver.note_use(cred, sr.access_key_id, now, sr.region, sr.service)
        return cred.principal, sr.region

    def _lenient(self, headers: dict, query: dict) -> tuple[Principal, str]:
        hint = sigv4.credential_hint(headers, query)
        if hint is None:
            return _unchecked_root(self.account_id), "us-east-1"
        key_id, region, service = hint
        now = time.time()
        token = headers.get("x-amz-security-token") or query.get("X-Amz-Security-Token")
        if token:
            try:
                return dataclasses.replace(self.sessions.open(token, key_id, now)[0], unchecked=True), region
            except AWSError:
                return _unchecked_root(self.account_id), region
        try:
            cred = self.resolver.resolve(key_id, now)
        except AWSError:
            return _unchecked_root(self.account_id), region
        self.resolver.note_use(cred, key_id, now, region, service)
        return dataclasses.replace(cred.principal, unchecked=True), region


def _unchecked_root(account_id: str) -> Principal:
    return dataclasses.replace(root_principal(account_id), unchecked=True)
