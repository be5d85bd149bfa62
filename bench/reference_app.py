"""The ceiling of a Python HTTP server here: a bare ASGI app that verifies the SigV4
signature (with iamd's own verifier) and answers a fixed GetUser body.

Run under the same server as iamd: `uvicorn bench.reference_app:app --loop uvloop --http httptools`.
"""

import os
import time
from urllib.parse import parse_qsl

from iamd.auth import sigv4

SECRET = os.environ.get("REF_SECRET", "x" * 40)
BODY = (b'<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult><User>'
        b'<Path>/</Path><UserName>bench</UserName><UserId>AIDAAAAAAAAAAAAAAAAAA</UserId>'
        b'<Arn>arn:aws:iam::123456789012:user/bench</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>'
        b'</User></GetUserResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000'
        b'</RequestId></ResponseMetadata></GetUserResponse>')


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        msg = await receive()
        body += msg.get("body", b"")
        more = msg.get("more_body", False)
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    params = dict(parse_qsl(body.decode()))
    sr = sigv4.extract(headers, {})
    sigv4.check_clock(sr, time.time())
    sigv4.verify(sr, SECRET, scope["method"], scope["path"], "", headers, body)
    _ = params["Action"]
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/xml"), (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})
