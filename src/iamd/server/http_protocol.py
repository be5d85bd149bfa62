"""uvicorn's httptools protocol with every read bounded in time.

uvicorn closes an idle keep-alive connection (`timeout_keep_alive`) but has no bound on
reading a request: a client that sends its headers, or its body, a byte at a time holds a
connection (and a file descriptor) for as long as it likes. Here a connection that has not
sent a whole header block within `header_timeout` seconds of connecting (or of the first
byte of a later request; idle time between requests is uvicorn's keep-alive bound) is closed, and so is one whose body has not arrived within `body_timeout` seconds
of its headers. The bounds come from the server's settings (`iamd serve --header-timeout`,
`--body-timeout`).
"""

from functools import cache

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .settings import Settings


@cache
def _bounds() -> tuple[float, float]:
    settings = Settings.from_env()
    return settings.header_timeout, settings.body_timeout


class BoundedHttpProtocol(HttpToolsProtocol):
    _read_timer = None

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

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._read_timer is None:  # a later request on a kept-alive connection: from its first byte
            self._arm(_bounds()[0])
