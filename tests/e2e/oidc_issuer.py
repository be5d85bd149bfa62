"""A real OpenID Connect issuer on loopback for the web-identity tests: discovery documents
and JWKS served over HTTP by a thread, tokens signed with RS256 or ES256 keys it holds.

One server holds several issuers, each at its own path (`http://127.0.0.1:PORT/<path>`).
`rotate(path)` adds a new key and makes it the one tokens are signed with.
"""

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm


class _Key:
    def __init__(self, alg: str):
        self.alg, self.kid = alg, secrets.token_hex(8)
        self.private = (rsa.generate_private_key(public_exponent=65537, key_size=2048) if alg.startswith("RS")
                        else ec.generate_private_key(ec.SECP256R1()))

    def jwk(self) -> dict:
        algo = RSAAlgorithm if self.alg.startswith("RS") else ECAlgorithm
        out = json.loads(algo.to_jwk(self.private.public_key()))
        out.update(kid=self.kid, alg=self.alg, use="sig")
        return out


class LoopbackIssuer:
    def __init__(self):
        self.keys: dict[str, list[_Key]] = {}  # issuer path -> keys (newest last)
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                owner.requests.append(self.path)
                body = owner._answer(self.path)
                self.send_response(200 if body is not None else 404)
                data = json.dumps(body or {"error": "not found"}).encode()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add(self, path: str) -> str:
        """A new issuer at `path` with an RS256 and an ES256 key; its URL."""
        self.keys[path] = [_Key("RS256"), _Key("ES256")]
        return self.url(path)

    def url(self, path: str) -> str:
        return f"{self.base}/{path}"

    def rotate(self, path: str, alg: str = "RS256") -> None:
        self.keys[path].append(_Key(alg))

    def _answer(self, request_path: str):
        for path, keys in self.keys.items():
            if request_path == f"/{path}/.well-known/openid-configuration":
                return {"issuer": self.url(path), "jwks_uri": f"{self.url(path)}/keys",
                        "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256", "ES256"]}
            if request_path == f"/{path}/keys":
                return {"keys": [k.jwk() for k in keys]}
        return None

    def token(self, path: str, claims: dict, alg: str = "RS256", *, key: _Key | None = None,
              lifetime: int = 300, **headers) -> str:
        """A token of issuer `path` signed with its newest `alg` key (or `key`)."""
        key = key or [k for k in self.keys[path] if k.alg == alg][-1]
        now = int(time.time())
        body = {"iss": self.url(path), "iat": now, "nbf": now, "exp": now + lifetime, **claims}
        return jwt.encode({k: v for k, v in body.items() if v is not None}, key.private, algorithm=key.alg,
                          headers={"kid": key.kid, **headers})

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
