"""Failed console sign-ins, counted per user (account + name) and per source address.

After LIMIT failures within WINDOW seconds from one address for one user, or ADDRESS_LIMIT
from one address for any users, further attempts are refused until the oldest failure
leaves the window, whatever the password. Counts live in the worker's memory (each worker
of `--workers N` counts its own); a success clears the user's count from that address.
"""

import threading
from collections import deque

LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = 900.0


class Throttle:
    def __init__(self, limit: int = LIMIT, address_limit: int = ADDRESS_LIMIT, window: float = WINDOW,
                 max_keys: int = 100_000):
        self.limit, self.address_limit, self.window, self.max_keys = limit, address_limit, window, max_keys
        self._failures: dict[tuple, deque] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple, now: float) -> deque:
        q = self._failures.get(key)
        if q is None:
            return deque()
        while q and q[0] <= now - self.window:
            q.popleft()
        if not q:
            del self._failures[key]
        return q

    def retry_after(self, account: str, user: str, ip: str | None, now: float) -> float:
        """Seconds until this user may try again from this address (0: now)."""
        with self._lock:
            waits = []
            for key, limit in (((account, user.lower(), ip), self.limit), (("ip", ip), self.address_limit)):
                q = self._recent(key, now)
                if len(q) >= limit:
                    waits.append(q[len(q) - limit] + self.window - now)
            return max(waits, default=0.0)

    def failed(self, account: str, user: str, ip: str | None, now: float) -> None:
        with self._lock:
            if len(self._failures) >= self.max_keys:
                self._failures.clear()  # bounded memory under a flood of names
            for key in ((account, user.lower(), ip), ("ip", ip)):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, account: str, user: str, ip: str | None) -> None:
        with self._lock:
            self._failures.pop((account, user.lower(), ip), None)
