"""The access log: one JSON line per request on stderr, written in batches.

A line per request through `logging` and an unbuffered stderr costs as much as the rest
of a cheap request; lines are collected and written with one `os.write` when 256 have
accumulated or 50 ms after the first of a batch, and at shutdown. Nothing secret is
logged: request id, action, caller ARN, status, duration and worker pid.
"""

import asyncio
import os
from json.encoder import encode_basestring_ascii as _str

FLUSH_AFTER = 0.05
FLUSH_LINES = 256


class AccessLog:
    def __init__(self, fd: int = 2):
        self.fd = fd
        self.pid = os.getpid()
        self._lines: list[str] = []
        self._scheduled = False

    def write(self, rid: str, action: str, caller: str, status: int, ms: float) -> None:
        # The line json.dumps would write for this dict, without its generic walk.
        self._lines.append(f'{{"rid": {_str(rid)}, "action": {_str(action)}, "caller": {_str(caller)}, '
                           f'"status": {int(status)!r}, "ms": {float(ms)!r}, "pid": {self.pid}}}')
        if len(self._lines) >= FLUSH_LINES:
            self.flush()
        elif not self._scheduled:
            try:
                asyncio.get_running_loop().call_later(FLUSH_AFTER, self.flush)
                self._scheduled = True
            except RuntimeError:  # no event loop (called in-process by tests): write now
                self.flush()

    def flush(self) -> None:
        self._scheduled = False
        if not self._lines:
            return
        data = ("\n".join(self._lines) + "\n").encode()
        self._lines.clear()
        while data:
            written = os.write(self.fd, data)
            data = data[written:]
