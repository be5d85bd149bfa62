"""uvicorn's httptools protocol with every read bounded in time.

uvicorn closes an idle keep-alive connection (`timeout_keep_alive`) but has no bound on
reading a request: a client that sends its headers, or its body, a byte at a time holds a
connection (and a file descriptor) for as long as it likes. Here a connection that has not
sent a whole header block within `header_timeout` seconds of connecting (or of the first
byte of a later request) is closed, and so is one whose body has not arrived within
`body_timeout` seconds of its headers, or one idle between requests past uvicorn's
`timeout_keep_alive`. The bounds come from the server's settings (`iamd serve
--header-timeout`, `--body-timeout`, `--keep-alive-timeout`). Each connection keeps the
time of its current bound (`close_at`), and one sweep per event loop closes those past it.

A request the app can take whole (`IamApp.fast`: a GET or POST with a Content-Length body
that fits the read buffer, no `Expect: 100-continue`, not a health check) skips uvicorn's
ASGI task: once its body is in, the app runs it on its pool and hands back the answer,
which is written here in one piece (an ASGI cycle with its task, events and coroutines
cost about as much as a third of a cheap request). Everything else, and HEAD, chunked
and large bodies, goes through ASGI as before. Keep-alive, pipelining (requests answered
in order), graceful shutdown and uvicorn's default headers work as for ASGI requests.
"""

import urllib.parse
from functools import cache

import httptools
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from .settings import Settings


@cache
def _bounds() -> tuple[float, float]:
    settings = Settings.from_env()
    return settings.header_timeout, settings.body_timeout


_FAST_METHODS = frozenset({"GET", "POST"})
_SLOW_PATHS = frozenset({"/health", "/health/ready"})  # answered on the loop itself


class _Running:
    """A fast request in uvicorn's set of running tasks, so that a graceful shutdown waits
    for its answer (and may `cancel` it: the answer is then dropped with the connection)."""

    __slots__ = ("protocol",)

    def __init__(self, protocol):
        self.protocol = protocol

    def cancel(self) -> None:
        self.protocol.transport.close()


SWEEP_EVERY = 0.25  # seconds: how late a connection past its bound may be closed


class _Sweeper:
    """One timer per event loop that closes every connection past its bound (a read, or
    keep-alive idleness), instead of a timer armed and cancelled per request (three of
    them, ~2 us each)."""

    def __init__(self, loop):
        self.loop = loop
        self.protocols: set = set()
        self.timer = None

    def add(self, protocol) -> None:
        self.protocols.add(protocol)
        if self.timer is None:
            self.timer = self.loop.call_later(SWEEP_EVERY, self.sweep)

    def sweep(self) -> None:
        now = self.loop.time()
        for p in [p for p in self.protocols if p.close_at is not None and p.close_at <= now]:
            p.close_at = None
            if not p.transport.is_closing():
                p.transport.close()  # the app, if it waits for the body, sees a disconnect
        self.timer = self.loop.call_later(SWEEP_EVERY, self.sweep) if self.protocols else None


_SWEEPERS: dict = {}  # event loop -> its _Sweeper


class BoundedHttpProtocol(HttpToolsProtocol):
    close_at = None  # loop time past which the connection is closed; None: no bound now
    _idle = False  # between requests: close_at is the keep-alive bound
    _waiting = None  # a fast request's cycle whose body is still arriving

    def _bound(self, seconds: float) -> None:
        self.close_at = self.loop.time() + seconds
        self._idle = False

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._takes_whole = getattr(self.app, "fast", None) is not None  # IamApp, not a wrapper
        sweeper = _SWEEPERS.get(self.loop)
        if sweeper is None:
            sweeper = _SWEEPERS[self.loop] = _Sweeper(self.loop)
        sweeper.add(self)
        self._bound(_bounds()[0])

    def connection_lost(self, exc) -> None:
        self.close_at = None
        sweeper = _SWEEPERS.get(self.loop)
        if sweeper is not None:
            sweeper.protocols.discard(self)
        super().connection_lost(exc)

    def _unset_keepalive_if_required(self) -> None:
        """Data arrived on an idle connection (uvicorn calls this first in data_received)."""
        if self._idle:
            self._idle = False
            self.close_at = None

    def on_response_complete(self) -> None:
        """uvicorn's, with the keep-alive bound kept as close_at rather than a timer."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._unset_keepalive_if_required()
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        else:
            self.close_at = self.loop.time() + self.timeout_keep_alive
            self._idle = True

    def on_header(self, name: bytes, value: bytes) -> None:
        """uvicorn's, but `Expect: 100-continue` is looked for once the headers are in
        (`_slow`): only a request that is not fast can carry it."""
        self.headers.append((name.lower(), value))

    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        if type(cycle) is _FastCycle:  # whole within the read buffer (`_whole`): no flow control
            cycle.body += body
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        cycle = self.cycle
        if type(cycle) is _FastCycle:
            cycle.more_body = False
        else:
            super().on_message_complete()
        self.close_at = None
        cycle = self._waiting
        if cycle is not None and not cycle.more_body:
            self._waiting = None
            self._dispatch(cycle)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.close_at is None:  # a later request on a kept-alive connection: from its first byte
            self._bound(_bounds()[0])

    # -- fast requests ------------------------------------------------------------------

    def on_headers_complete(self) -> None:
        """uvicorn's, but a request the app takes whole gets a light `_FastCycle` (no ASGI
        cycle, event or task); every other request is uvicorn's own."""
        self._bound(_bounds()[1])
        parser = self.parser
        if not self._takes_whole or parser.should_upgrade() or self.limit_concurrency is not None:
            return self._slow()
        method = parser.get_method().decode("ascii")
        parsed = httptools.parse_url(self.url)
        path = parsed.path.decode("ascii")
        if "%" in path:
            path = urllib.parse.unquote(path)
        raw_path = parsed.path
        if self.root_path:
            path, raw_path = self.root_path + path, self.root_path.encode("ascii") + raw_path
        if not _whole(method, path, self.headers):
            return self._slow()
        http_version = parser.get_http_version()
        scope = self.scope
        scope.update(method=method, path=path, raw_path=raw_path, query_string=parsed.query or b"")
        if http_version != "1.1":
            scope["http_version"] = http_version
        existing = self.cycle
        cycle = self.cycle = _FastCycle(scope, http_version != "1.0" and parser.should_keep_alive(),
                                        self.on_response_complete)
        if existing is None or existing.response_complete:
            self._start_fast(cycle)
        else:  # pipelined: answered in turn (on_response_complete starts it)
            self.flow.pause_reading()
            self.pipeline.appendleft((cycle, self.app))

    def _slow(self) -> None:
        """uvicorn's own cycle for the request, `Expect: 100-continue` noted as uvicorn's
        on_header would have."""
        for name, value in self.headers:
            if name == b"expect" and value.lower() == b"100-continue":
                self.expect_100_continue = True
        return super().on_headers_complete()

    def _start_asgi_task(self, cycle, app) -> None:
        if type(cycle) is _FastCycle:
            self._start_fast(cycle)
        else:
            super()._start_asgi_task(cycle, app)

    def _start_fast(self, cycle: "_FastCycle") -> None:
        if cycle.more_body:
            self._waiting = cycle  # on_message_complete dispatches it
        else:
            self._dispatch(cycle)

    def _dispatch(self, cycle) -> None:
        running = _Running(self)
        self.tasks.add(running)
        self.app.fast(cycle.scope, bytes(cycle.body),
                      lambda status, head, body: self._answer(cycle, running, status, head, body))

    def _answer(self, cycle, running, status: int, head: bytes, body: bytes) -> None:
        """Write a fast request's answer (`head`: its header lines), then go on as uvicorn
        does after a response."""
        self.tasks.discard(running)
        cycle.response_started = cycle.response_complete = True
        if cycle.disconnected or self.transport.is_closing():
            return
        self.transport.write(b"".join((STATUS_LINE[status], _default_headers(self.server_state.default_headers), head,
                                       b"\r\n" if cycle.keep_alive else b"connection: close\r\n\r\n", body)))
        if not cycle.keep_alive:
            self.transport.close()
        cycle.on_response()


class _NoEvent:
    """What uvicorn's callbacks `set` on a cycle: a fast request has nobody waiting."""

    @staticmethod
    def set() -> None:
        pass


class _FastCycle:
    """The state uvicorn's protocol keeps per request, for one the app takes whole."""

    __slots__ = ("scope", "body", "more_body", "keep_alive", "disconnected", "response_started",
                 "response_complete", "on_response")
    message_event = _NoEvent()
    waiting_for_100_continue = False

    def __init__(self, scope: dict, keep_alive: bool, on_response):
        self.scope, self.keep_alive, self.on_response = scope, keep_alive, on_response
        self.body = bytearray()
        self.more_body = True
        self.disconnected = self.response_started = self.response_complete = False


_DEFAULTS: tuple = (None, b"")  # uvicorn's default headers (a list it replaces every second), as written


def _default_headers(headers: list) -> bytes:
    global _DEFAULTS
    cached = _DEFAULTS
    if cached[0] is not headers:
        cached = _DEFAULTS = (headers, b"".join(b"%s: %s\r\n" % (n, v) for n, v in headers))
    return cached[1]


def _whole(method: str, path: str, headers: list) -> bool:
    """Whether a request may take the fast path: its body is read whole into uvicorn's
    buffer without a pause (a Content-Length within the buffer's high-water mark, not a
    chunked body, no `Expect`) and nothing but the app's own pipeline answers it (not a
    health check, not HEAD)."""
    if method not in _FAST_METHODS or path in _SLOW_PATHS:
        return False
    length = None
    for name, value in headers:
        if name == b"content-length":
            length = value
        elif name == b"transfer-encoding" or name == b"expect":
            return False
    if length is None:
        return method == "GET"  # a POST without a length: left to uvicorn
    return length.isdigit() and int(length) <= HIGH_WATER_LIMIT
