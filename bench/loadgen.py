"""A lean HTTP/1.1 load generator that replays pre-built, pre-signed requests.

SigV4 signatures stay valid for 15 minutes, so every request is signed before the run and
the hot loop only writes bytes and reads responses over keep-alive connections. Each
connection sends one request at a time; latency is measured per request. `run` replays a
pool for a time; `run_each` sends every request of a list exactly once (seeding: a create
sent twice would fail, one never sent would leave a gap).
"""

import asyncio
import time
from dataclasses import dataclass


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies: list
    cpu_us: float = 0.0  # the server's CPU time per request (user + system), when measured

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(len(data) * p))] * 1000


async def _read_response(reader) -> tuple[int, bool]:
    """(status, whether the server keeps the connection open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    low = head.lower()
    i = low.find(b"content-length:")
    if i >= 0:
        length = int(head[i + 15:head.index(b"\r\n", i)])
        if length:
            await reader.readexactly(length)
    else:  # no length: the body runs to the end of the connection
        await reader.read()
        return status, False
    keep = head.startswith(b"HTTP/1.1") and b"connection: close" not in low
    return status, keep


async def _worker(host, port, requests, start_index, step, deadline, max_requests, counter, lat, errs,
                  once=False):
    i = start_index
    n = len(requests)
    writer = None
    try:
        while time.perf_counter() < deadline and counter[0] < max_requests:
            if once:  # the next request nobody has sent yet
                req = requests[counter[0]]
            else:
                req = requests[i % n]
                i += step
            counter[0] += 1
            t0 = time.perf_counter()
            if writer is None:  # servers that close after each response pay for reconnecting
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(req)
            try:
                status, keep = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                writer = None
                errs[0] += 1
                continue
            lat.append(time.perf_counter() - t0)
            if status >= 400:
                errs[0] += 1
            if not keep:
                writer.close()
                writer = None
    finally:
        if writer is not None:
            writer.close()


async def _run(host, port, requests, seconds, connections, max_requests, once=False):
    lat, errs, counter = [], [0], [0]
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(
        _worker(host, port, requests, c, connections, deadline, max_requests, counter, lat, errs, once)
        for c in range(connections)))
    return Result(len(lat), errs[0], time.perf_counter() - start, lat)


def _loop_run(coro):
    try:
        import uvloop
        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


def run(host: str, port: int, requests: list[bytes], seconds: float, connections: int = 32,
        max_requests: int = 10**9) -> Result:
    return _loop_run(_run(host, port, requests, seconds, connections, max_requests))


def run_each(host: str, port: int, requests: list[bytes], connections: int = 8) -> Result:
    """Send every request once, `connections` at a time, however long it takes."""
    return _loop_run(_run(host, port, requests, float("inf"), connections, len(requests), once=True))
