"""uvicorn's httptools protocol with every read bounded in time.

uvicorn closes an idle keep-alive connection (`timeout_keep_alive`) but has no bound on
reading a request: a client that sends its headers, or its body, a byte at a time holds a
connection (and a file descriptor) for as long as it likes. Here a connection that has not
sent a whole header block within `header_timeout` seconds of connecting (or of the first
byte of a later request; idle time between requests is uvicorn's keep-alive bound) is closed, and so is one whose body has not arrived within `body_timeout` seconds
of its headers. The bounds come from the server's settings (`iamd serve --header-timeout`,
`--body-timeout`).

A request the app can take whole (`IamApp.fast`: a GET or POST with a Content-Length body
that fits the read buffer, no `Expect: 100-continue`, not a health check) skips uvicorn's
ASGI task: once its body is in, the app runs it on its pool and hands back the answer,
which is written here in one piece (an ASGI cycle with its task, events and coroutines
cost about as much as a third of a cheap request). Everything else, and HEAD, chunked
and large bodies, goes through ASGI as before. Keep-alive, pipelining (requests answered
in order), graceful shutdown and uvicorn's default headers work as for ASGI requests.
"""

from functools import cache

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


class BoundedHttpProtocol(HttpToolsProtocol):
    _read_timer = None
    _waiting = None  # a fast request's cycle whose body is still arriving

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(seconds, self._read_timed_out)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if not self.transport.is_closing():
            self.transport.close()  # the app, if it waits for the body, sees a disconnect

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm(_bounds()[0])

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(_bounds()[1])

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()
        cycle = self._waiting
        if cycle is not None and not cycle.more_body:
            self._waiting = None
            self._dispatch(cycle, self.app)

    # -- fast requests ------------------------------------------------------------------

    def _start_asgi_task(self, cycle, app) -> None:
        fast = getattr(app, "fast", None)
        if fast is None or not _whole(cycle):
            return super()._start_asgi_task(cycle, app)
        if cycle.more_body:
            self._waiting = cycle  # on_message_complete dispatches it
        else:
            self._dispatch(cycle, app)

    def _dispatch(self, cycle, app) -> None:
        running = _Running(self)
        self.tasks.add(running)
        app.fast(cycle.scope, bytes(cycle.body),
                 lambda status, headers, body: self._answer(cycle, running, status, headers, body))

    def _answer(self, cycle, running, status: int, headers: list, body: bytes) -> None:
        """Write a fast request's answer, then go on as uvicorn does after a response."""
        self.tasks.discard(running)
        cycle.response_started = cycle.response_complete = True
        if cycle.disconnected or self.transport.is_closing():
            return
        content = [STATUS_LINE[status]]
        for name, value in (*self.server_state.default_headers, *headers):
            content += (name, b": ", value, b"\r\n")
        if not cycle.keep_alive:
            content.append(b"connection: close\r\n")
        content += (b"\r\n", body)
        self.transport.write(b"".join(content))
        if not cycle.keep_alive:
            self.transport.close()
        cycle.on_response()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._read_timer is None:  # a later request on a kept-alive connection: from its first byte
            self._arm(_bounds()[0])


def _whole(cycle) -> bool:
    """Whether a request may take the fast path: its body is read whole into uvicorn's
    buffer without a pause (a Content-Length within the buffer's high-water mark, not a
    chunked body) and nothing but the app's own pipeline answers it."""
    scope = cycle.scope
    if scope["method"] not in _FAST_METHODS or cycle.waiting_for_100_continue or scope["path"] in _SLOW_PATHS:
        return False
    length = None
    for name, value in scope["headers"]:
        if name == b"content-length":
            length = value
        elif name == b"transfer-encoding":
            return False
    if length is None:
        return not cycle.more_body or scope["method"] == "GET"
    return length.isdigit() and int(length) <= HIGH_WATER_LIMIT
