"""HTTP/1.1 as clients speak it, over raw sockets: most requests take the protocol's fast
path (server/http_protocol.py: read whole, answered without an ASGI task), the rest go
through ASGI; either way keep-alive, pipelining, HTTP/1.0, `Connection: close`, HEAD,
chunked bodies, `Expect: 100-continue` and bodies past the fast path's buffer behave as
HTTP says."""

import socket

import pytest

CALLER = b"Action=GetCallerIdentity&Version=2011-06-15"


def _request(server, body: bytes = CALLER, version: str = "1.1", extra: dict | None = None,
             method: str = "POST") -> bytes:
    _, headers, _ = server.sign(body, headers=extra)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() != "content-length")
    length = f"Content-Length: {len(body)}\r\n" if "Transfer-Encoding" not in (extra or {}) else ""
    return f"{method} / HTTP/{version}\r\n{head}{length}\r\n".encode()


def _responses(sock: socket.socket, count: int) -> list[tuple[bytes, bytes]]:
    """`count` responses read off the socket: (head, body) each, by Content-Length."""
    buf, out = b"", []
    while len(out) < count:
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed after {len(out)} responses"
            buf += chunk
        head, _, buf = buf.partition(b"\r\n\r\n")
        length = next(int(l.split(b":", 1)[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:"))
        while len(buf) < length:
            chunk = sock.recv(65536)
            assert chunk, "connection closed mid-body"
            buf += chunk
        out.append((head, buf[:length]))
        buf = buf[length:]
    return out


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(5)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


@pytest.fixture
def conn(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    yield sock
    sock.close()


def test_pipelined_requests_are_answered_in_order_on_one_connection(server, conn):
    bodies = [CALLER, b"Action=GetUser&Version=2010-05-08&UserName=no-such-user-pipelined", CALLER]
    conn.sendall(b"".join(_request(server, b) + b for b in bodies))
    answers = _responses(conn, 3)
    assert [h.split(b"\r\n", 1)[0] for h, _ in answers] == [b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found",
                                                            b"HTTP/1.1 200 OK"]
    assert b"<GetCallerIdentityResponse" in answers[0][1] and b"NoSuchEntity" in answers[1][1]
    rids = [next(l for l in h.split(b"\r\n") if l.lower().startswith(b"x-amzn-requestid")) for h, _ in answers]
    assert len(set(rids)) == 3
    conn.sendall(_request(server) + CALLER)  # the connection is still good
    assert _responses(conn, 1)[0][0].startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize("version, extra", [("1.0", None), ("1.1", {"Connection": "close"})])
def test_a_request_that_ends_the_connection_is_answered_then_closed(server, conn, version, extra):
    conn.sendall(_request(server, version=version, extra=extra) + CALLER)
    head, body = _responses(conn, 1)[0]
    assert head.split(b" ", 2)[1] == b"200" and b"<Arn>" in body
    assert _closed(conn)


def test_a_body_sent_in_pieces_is_waited_for(server, conn):
    request = _request(server) + CALLER
    conn.sendall(request[:-10])
    conn.sendall(request[-10:])
    assert _responses(conn, 1)[0][0].startswith(b"HTTP/1.1 200 ")


def test_a_chunked_body_goes_through_asgi(server, conn):
    conn.sendall(_request(server, extra={"Transfer-Encoding": "chunked"})
                 + b"%x\r\n%s\r\n0\r\n\r\n" % (len(CALLER), CALLER))
    head, body = _responses(conn, 1)[0]
    assert head.startswith(b"HTTP/1.1 200 ") and b"<Arn>" in body


def test_expect_100_continue_gets_its_interim_answer(server, conn):
    conn.sendall(_request(server, extra={"Expect": "100-continue"}))
    interim = conn.recv(64)
    assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
    conn.sendall(CALLER)
    head, body = _responses(conn, 1)[0]
    assert head.startswith(b"HTTP/1.1 200 ") and b"<Arn>" in body


def test_a_body_past_the_fast_paths_buffer_is_still_read_whole(server, conn):
    body = CALLER + b"&Padding=" + b"x" * 200_000  # > 64 KiB, < 1 MiB
    conn.sendall(_request(server, body) + body)
    head, answer = _responses(conn, 1)[0]
    status = int(head.split(b" ", 2)[1])
    assert status < 500 and b"<RequestId>" in answer, (head, answer[:300])


def test_head_is_answered_without_a_body(server, conn):
    conn.sendall(b"HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n")
    conn.settimeout(5)
    head = conn.recv(65536)
    assert head.startswith(b"HTTP/1.1 ") and head.endswith(b"\r\n\r\n"), head
