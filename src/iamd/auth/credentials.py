"""Access-key lookup for authentication, cached briefly, and last-used tracking.

A cached key is re-read from the store after `TTL` seconds, so a deleted or deactivated
key is refused by every worker within a second. Last use is written at most once per
`LAST_USED_SPAN` per key (AWS records the first use in any 15-minute span), so a hot key
does not turn every read into a write.
"""

import threading
import time
from dataclasses import dataclass

from ..protocol.errors import AWSError
from ..store.keys import lookup_key, record_use
from .principal import Principal, root_principal, user_principal

TTL = 0.5
LAST_USED_SPAN = 15 * 60
INVALID_TOKEN = "The security token included in the request is invalid"


@dataclass(slots=True)
class Credential:
    secret: str
    principal: Principal
    fetched: float
    last_used: float | None


class CredentialResolver:
    def __init__(self, store, box):
        self.store, self.box = store, box
        self._cache: dict[str, Credential] = {}
        self._lock = threading.Lock()

    def resolve(self, key_id: str, now: float) -> Credential:
        cred = self._cache.get(key_id)
        if cred is not None and now - cred.fetched < TTL:
            return cred
        row = self.store.run(lambda tx: lookup_key(tx, key_id), write=False)
        if row is None or row.status != "Active":
            self._cache.pop(key_id, None)
            raise AWSError("InvalidClientTokenId", INVALID_TOKEN)
        if row.user_id is None:
            principal = root_principal(row.account_id, key_id)
        else:
            principal = user_principal(row.account_id, row.user_id, row.path, row.name, key_id)
        secret = cred.secret if cred is not None else self.box.decrypt(row.secret)
        last = row.last_used_at
        if cred is not None and cred.last_used and (last is None or cred.last_used > last):
            last = cred.last_used
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
        self.store.run(lambda tx: record_use(tx, key_id, now, region, service))
