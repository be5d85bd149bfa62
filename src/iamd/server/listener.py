"""The listening socket and the TLS certificate, settled before anything is created.

`iamd serve` binds its port before it touches the data dir or the database, so a port in
use fails at once with nothing made; the bound socket is handed to uvicorn (and shared by
its workers). A certificate and key are loaded once here so that a bad pair is one line at
start rather than a traceback in every worker.
"""

import socket
import ssl

from .bootstrap import BootError


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT only; a listener still conflicts
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise BootError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def check_tls(cert: str, key: str) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
        raise BootError(f"cannot use --tls-cert {cert} with --tls-key {key}: {reason}") from None
