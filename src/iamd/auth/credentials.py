"""Access-key lookup for authentication, cached briefly, and last-used tracking.

A cached key is re-read from the store after `TTL` seconds, so a deleted or deactivated
key is refused by every worker within a second. Last use is written at most once per
`LAST_USED_SPAN` per key (AWS records the first use in any 15-minute span), so a hot key
does not turn every read into a write.
"""

import threading
from dataclasses import dataclass

from ..protocol.errors import AWSError
from ..store.keys import lookup_key, record_use
from .principal import Principal, root_principal, user_principal

TTL = 0.5
MAX_CACHED = 10_000
LAST_USED_SPAN = 15 * 60
INVALID_TOKEN = "The security token included in the request is invalid"


@dataclass(slots=True)
class Credential:
    secret: str | None
    principal: Principal | None  # None: no such key, or not Active (cached like a hit)
    fetched: float
    last_used: float | None


class CredentialResolver:
    def __init__(self, store, box):
        self.store, self.box = store, box
        self._cache: dict[str, Credential] = {}
        self._lock = threading.Lock()

    def resolve(self, key_id: str, now: float) -> Credential:
        cred = self._cache.get(key_id)
        if cred is None and not (key_id.isascii() and key_id.isalnum() and len(key_id) <= 128):
            raise AWSError("InvalidClientTokenId", INVALID_TOKEN)  # cannot name a key: no query
        if cred is None or now - cred.fetched >= TTL:
            cred = self._fetch(key_id, now, cred)
        if cred.principal is None:
            raise AWSError("InvalidClientTokenId", INVALID_TOKEN)
        return cred

    def _fetch(self, key_id: str, now: float, old: Credential | None) -> Credential:
        row = self.store.run(lambda tx: lookup_key(tx, key_id), write=False)
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()  # a flood of made-up key ids must not grow memory
        if row is None or row.status != "Active":
            # Unknown keys are remembered too, so a client with made-up credentials (as
            # with `--auth off`) costs no query per request.
            cred = Credential(None, None, now, None)
        else:
            if row.user_id is None:
                principal = root_principal(row.account_id, key_id)
            else:
                principal = user_principal(row.account_id, row.user_id, row.path, row.name, key_id)
            secret = old.secret if old is not None and old.secret else self.box.decrypt(row.secret)
            last = row.last_used_at
            if old is not None and old.last_used and (last is None or old.last_used > last):
                last = old.last_used
            cred = Credential(secret, principal, now, last)
        self._cache[key_id] = cred
        return cred

    def forget(self, key_id: str) -> None:
        self._cache.pop(key_id, None)

    def clear(self) -> None:
        self._cache.clear()

    def note_use(self, cred: Credential, key_id: str, now: float, region: str, service: str) -> None:
        if cred.last_used is not None and now - cred.last_used < LAST_USED_SPAN:
            return
        with self._lock:
            if cred.last_used is not None and now - cred.last_used < LAST_USED_SPAN:
                return
            cred.last_used = now
        # the scope's region is whatever the client says; the column holds 64 characters
        self.store.run(lambda tx: record_use(tx, key_id, now, region[:64], service[:64]))
