"""Failed console sign-ins, counted per user (account + name) and per source address.

After LIMIT failures within WINDOW seconds from one address for one user, or ADDRESS_LIMIT
from one address for any users, further attempts are refused until the oldest failure
leaves the window, whatever the password. The counts are rows in the database
(store/console.SigninFailureRepo, table `console_signin_failures`), read and written in
the sign-in's own transaction, so every worker of `--workers N` counts the same failures;
a success clears the user's count from that address. Rows older than the window are
purged at each failure, so the table holds one window's failures at most.
"""

import hashlib

from ..store.casefold import fold
from ..store.console import SigninFailureRepo

LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = 900.0


def _key(*parts) -> str:
    return hashlib.sha256("\x00".join(str(p) for p in parts).encode()).hexdigest()


class Throttle:
    def __init__(self, limit: int = LIMIT, address_limit: int = ADDRESS_LIMIT, window: float = WINDOW):
        self.limit, self.address_limit, self.window = limit, address_limit, window

    def _keys(self, account: str, user: str, ip: str | None) -> tuple[str, str]:
        return _key("user", account, fold(user), ip), _key("ip", ip)

    def retry_after(self, tx, account: str, user: str, ip: str | None, now: float) -> float:
        """Seconds until this user may try again from this address (0: now)."""
        repo, waits = SigninFailureRepo(tx), []
        for key, limit in zip(self._keys(account, user, ip), (self.limit, self.address_limit)):
            times = repo.recent(key, now - self.window, limit)
            if len(times) >= limit:
                waits.append(times[-1] + self.window - now)  # when the oldest of the last `limit` leaves
        return max(waits, default=0.0)

    def failed(self, tx, account: str, user: str, ip: str | None, now: float) -> None:
        repo = SigninFailureRepo(tx)
        repo.purge(now - self.window)
        repo.add(list(self._keys(account, user, ip)), now)

    def succeeded(self, tx, account: str, user: str, ip: str | None) -> None:
        SigninFailureRepo(tx).clear(self._keys(account, user, ip)[0])
