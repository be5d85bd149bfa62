"""HTTP for the console: the parsed request, HTML/redirect/download responses, cookies and
the headers every answer carries (no framing, a strict Content-Security-Policy, nosniff)."""

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote

from ..server.app import Response

SECURITY_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; "
                                 b"img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                                 b"frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)
SESSION_COOKIE = "iamd_console"
PRESIGN_COOKIE = "iamd_console_signin"  # the sign-in form's CSRF token, before any session


@dataclass
class Request:
    method: str
    path: str  # below /console
    query: dict
    form: dict
    cookies: dict
    headers: dict
    secure: bool
    source_ip: str | None
    rid: str
    json_body: bytes | None = None
    set_cookies: list = field(default_factory=list)

    @classmethod
    def of(cls, scope, headers: dict, body: bytes, rid: str, prefix: str) -> "Request":
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        form, json_body = {}, None
        ctype = headers.get("content-type", "")
        if scope["method"] == "POST":
            if ctype.startswith("application/x-www-form-urlencoded"):
                for k, v in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
                    if k.endswith("[]"):  # a list of values (checkboxes, several selected)
                        form.setdefault(k, []).append(v)
                    else:
                        form.setdefault(k, v)
            else:
                json_body = body
        cookies = {}
        for part in headers.get("cookie", "").split(";"):
            name, eq, value = part.strip().partition("=")
            if eq:
                cookies.setdefault(name, value)
        client = scope.get("client")
        return cls(scope["method"], scope["path"][len(prefix):] or "/", query, form, cookies, headers,
                   scope.get("scheme") == "https", client[0] if client else None, rid, json_body)

    def cookie(self, name: str, value: str, max_age: int | None) -> None:
        """Queue a Set-Cookie: HttpOnly, SameSite=Strict, Path=/console, Secure under TLS."""
        parts = [f"{name}={value}", "Path=/console", "HttpOnly", "SameSite=Strict"]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if self.secure:
            parts.append("Secure")
        self.set_cookies.append("; ".join(parts))


def _headers(req: Request, extra=()) -> tuple:
    return (*SECURITY_HEADERS, *((b"set-cookie", c.encode()) for c in req.set_cookies), *extra)


def html(req: Request, body: str, status: int = 200) -> Response:
    return Response(status, body.encode(), "text/html; charset=utf-8", req.rid, _headers(req))


def redirect(req: Request, location: str) -> Response:
    """303 See Other to a console path (never to another site)."""
    if not location.startswith("/console"):
        location = "/console/"
    return Response(303, b"", "text/plain", req.rid, _headers(req, ((b"location", location.encode()),)))


def download(req: Request, body: bytes, filename: str, content_type: str = "text/csv") -> Response:
    disposition = f"attachment; filename=\"{quote(filename)}\"".encode()
    return Response(200, body, content_type, req.rid, _headers(req, ((b"content-disposition", disposition),)))


def raw(req: Request, body: bytes, content_type: str, status: int = 200, cache: bool = False) -> Response:
    resp = Response(status, body, content_type, req.rid, _headers(req))
    if cache:
        resp.headers = tuple(h for h in resp.headers if h[0] != b"cache-control") + \
            ((b"cache-control", b"max-age=3600"),)
    return resp
