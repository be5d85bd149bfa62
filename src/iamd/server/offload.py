"""A bounded pool of threads that runs each API request's pipeline off the event loop.

The pipeline waits on the database; run on the event loop, one stalled query would hold
every connection of the worker, /health included. Here the loop only reads requests and
writes responses, and at most `size` threads run the pipelines (the store holds one
connection per thread, so a thread starts only when a job finds every other one busy).
`run` never waits past the bound it is given: a job still queued then is dropped unrun,
one still running is left to its thread (whose database wait the store's watchdog ends)
and the caller answers without it.

Lighter than `loop.run_in_executor`: a job is a tuple on a SimpleQueue and its result comes
back with one `call_soon_threadsafe`: about 3 µs of CPU a hop here, against 14-21 µs for
`run_in_executor`'s concurrent.futures machinery.
"""

import asyncio
import queue
import threading

SWEEP_EVERY = 0.25  # seconds: how late `submit` may answer for a job past its bound


class Pool:
    def __init__(self, size: int, name: str = "iamd-pipeline"):
        self.size, self.name = size, name
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._submitted: set = set()  # jobs given and not yet answered
        self._sweep = None  # the timer that expires them

    async def run(self, timeout: float, fn, *args):
        """fn(*args) on a pool thread; raise TimeoutError after `timeout` seconds."""
        fut = asyncio.get_running_loop().create_future()
        self.submit(timeout, lambda result, error: _settle(fut, result, error), fn, *args)
        return await fut

    def submit(self, timeout: float, done, fn, *args) -> None:
        """fn(*args) on a pool thread, then done(result, error) on the loop: with the result,
        or with the exception it raised, or with TimeoutError once `timeout` seconds have
        passed (found by a sweep every SWEEP_EVERY seconds, not a timer per job). No future
        and no task: the protocol's fast requests (server/http_protocol.py) come this way."""
        if len(self._submitted) >= len(self._threads) < self.size:
            self._add_thread()  # every thread has a job
        loop = asyncio.get_running_loop()
        job = _Job(self, done, loop.time() + timeout)
        self._submitted.add(job)
        if self._sweep is None:  # one timer for every submitted job, not one each
            self._sweep = loop.call_later(SWEEP_EVERY, self._expire_late, loop)
        self._jobs.put((fn, args, job, loop))

    def _expire_late(self, loop) -> None:
        now = loop.time()
        for job in [j for j in self._submitted if j.expires <= now]:
            job.set_exception(TimeoutError())
        self._sweep = loop.call_later(SWEEP_EVERY, self._expire_late, loop) if self._submitted else None

    def _add_thread(self) -> None:
        t = threading.Thread(target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True)
        t.start()
        self._threads.append(t)

    def _work(self) -> None:
        jobs = self._jobs
        while True:
            job = jobs.get()
            if job is None:
                return
            fn, args, fut, loop = job
            if fut.done():  # its caller stopped waiting while it was queued
                continue
            try:
                result, error = fn(*args), None
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting caller
                result, error = None, exc
            loop.call_soon_threadsafe(_settle, fut, result, error)

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        self._threads.clear()


def _settle(fut: asyncio.Future, result, error) -> None:
    if fut.done():
        return
    if error is not None:
        fut.set_exception(error)
    else:
        fut.set_result(result)


class _Job:
    """What `submit` hands a thread: settled like a future (by the thread through `_settle`,
    or by the sweep with TimeoutError), once."""

    __slots__ = ("pool", "callback", "expires", "finished")

    def __init__(self, pool: Pool, callback, expires: float):
        self.pool, self.callback, self.expires, self.finished = pool, callback, expires, False

    def done(self) -> bool:
        return self.finished

    def _finish(self, result, error) -> None:
        self.finished = True
        self.pool._submitted.discard(self)
        self.callback(result, error)

    def set_result(self, result) -> None:
        self._finish(result, None)

    def set_exception(self, error: BaseException) -> None:
        self._finish(None, error)
