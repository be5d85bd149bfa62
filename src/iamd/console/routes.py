"""The console's URL table and what each request carries through it.

`Console.handle` runs on the pipeline's thread (server/app.py step 1): it serves the static
files, checks the Origin of every POST and the CSRF token of every POST made in a session,
loads the session and its principal, and calls the page. A page reads and writes only
through `Page.call`, which is the API's own steps 5 and 6 (`IamApp.invoke`) with the
signed-in principal as caller.
"""

import re
import time
from pathlib import Path
from urllib.parse import quote, unquote

import jinja2

from ..auth.principal import Principal, root_principal, user_principal
from ..protocol.errors import AWSError
from ..service.registry import Context
from ..store.faults import describe
from ..server.authorize import Peer
from . import sessions
from .throttle import Throttle
from .web import PRESIGN_COOKIE, SESSION_COOKIE, Request, html, raw, redirect

PREFIX = "/console"
HERE = Path(__file__).parent
STATIC = {p.name: p for p in (HERE / "static").iterdir() if p.suffix in (".css", ".js")}
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
PUBLIC = "public"  # routes open without a session (sign-in and its steps)
ROUTES: list[tuple[str, re.Pattern, object, str]] = []


def route(method: str, pattern: str, access: str = "signed-in"):
    def register(fn):
        ROUTES.append((method, re.compile(f"^{pattern}$"), fn, access))
        return fn
    return register


class Denied(Exception):
    """An API error met by a page: shown on the page in AWS's words."""

    def __init__(self, err: AWSError):
        super().__init__(err.message)
        self.code, self.message = err.code, err.message

    def __str__(self):
        return f"{self.code}: {self.message}"


def flat(params: dict) -> dict:
    """Keyword arguments as the Query API's form fields (lists as .member.N)."""
    out = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value, 1):
                if isinstance(item, dict):
                    for sub, v in item.items():
                        out[f"{key}.member.{i}.{sub}"] = str(v)
                else:
                    out[f"{key}.member.{i}"] = str(item)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


class Page:
    """One request's view of the console: the request, its session and principal, and
    `call` to run an operation as that principal."""

    def __init__(self, console: "Console", req: Request, session, principal: Principal | None):
        self.console, self.req, self.session, self.principal = console, req, session, principal
        self.app = console.app
        self.pending = self.pending_principal = None  # set by the dispatcher for a sign-in in progress

    @property
    def form(self) -> dict:
        return self.req.form

    def call(self, operation: str, **params) -> dict:
        """Run `operation` as the signed-in principal; AWS's error becomes Denied."""
        op = self.app.catalog.find(operation, None)
        peer = Peer(self.req.source_ip, self.req.secure, self.req.headers.get("user-agent"))
        try:
            return _present(self.app.invoke(op, flat(params), self.principal, "us-east-1", self.req.rid, peer,
                                            self.audit_context))
        except AWSError as err:
            raise Denied(err) from None

    @property
    def audit_context(self) -> tuple[float, bool] | None:
        """What the audit trail records of this console session (sessions.Session.audit_context)."""
        s = self.session or self.pending
        return s.audit_context if s is not None else None

    def attempt(self, operation: str, **params) -> tuple[dict | None, Denied | None]:
        try:
            return self.call(operation, **params), None
        except Denied as err:
            return None, err

    def render(self, template: str, status: int = 200, **values):
        values.setdefault("error", None)
        tpl = self.console.env.get_template(template)
        account_id = (self.principal or self.pending_principal or self.app.state).account_id
        body = tpl.render(principal=self.principal, session=self.session, account_id=account_id,
                          csrf=self.session.csrf if self.session else self.req.cookies.get(PRESIGN_COOKIE, ""),
                          notice=NOTICES.get(self.req.query.get("done", "")), **values)
        return html(self.req, body, status)

    def redirect(self, path: str, done: str | None = None):
        return redirect(self.req, PREFIX + path + (f"{'&' if '?' in path else '?'}done={done}" if done else ""))

    def read_as(self, operation: str, fn):
        """fn(ctx) in one transaction after authorizing `operation` for the signed-in principal
        at the seam: for a read the API answers only in pages (the console's name search,
        authorized as ListUsers)."""
        st, at = self.app.state, time.time()
        peer = Peer(self.req.source_ip, self.req.secure, self.req.headers.get("user-agent"))

        def run(tx):
            account = self.principal.account_id
            ctx = Context(tx, self.principal, account, "us-east-1", self.req.rid, time.time(), st)
            st.authorize(ctx, operation, {}, peer)
            return fn(ctx)
        op = self.app.catalog.find(operation, None)  # recorded as the operation it was authorized as
        try:
            out = st.store.run(run, write=False)
        except AWSError as err:
            self.app.note_console_call(at, op, self.principal, "us-east-1", {}, err, self.req.rid, peer,
                                       self.audit_context)
            raise Denied(err) from None
        self.app.note_console_call(at, op, self.principal, "us-east-1", {}, None, self.req.rid, peer,
                                   self.audit_context)
        return out

    def run(self, fn):
        """fn(tx) in a transaction of the store (the console's own tables)."""
        return self.app.state.store.run(fn)


# What a redirect after a change says on the next page (fixed texts: nothing from the URL).
NOTICES = {
    "created": "Created.", "updated": "Saved.", "deleted": "Deleted.", "attached": "Policy attached.",
    "detached": "Policy detached.", "added": "Added.", "removed": "Removed.", "password": "Password changed.",
    "mfa": "MFA device assigned.", "generated": "Report generation started.", "signedout": "You signed out.",
}


def _present(value):
    """A handler's output as the wire carries it: members without a value left out."""
    if isinstance(value, dict):
        return {k: _present(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_present(v) for v in value]
    return value


def _seg(value) -> str:
    return quote(str(value), safe="")


class Console:
    def __init__(self, app):
        from . import (pages_account, pages_entities, pages_graph, pages_policies,  # noqa: F401
                       pages_providers, pages_signin, pages_users)
        self.app = app
        self.throttle = Throttle()
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")),
                                      autoescape=True, trim_blocks=True, lstrip_blocks=True,
                                      undefined=jinja2.StrictUndefined)
        self.env.filters["seg"] = _seg
        self.env.filters["when"] = _when
        self.static = {name: path.read_bytes() for name, path in STATIC.items()}

    def handle(self, scope, headers: dict, body: bytes, rid: str):
        """(Response, caller ARN for the access log) for a request under /console."""
        try:
            req = Request.of(scope, headers, body, rid, PREFIX)
        except UnicodeDecodeError:
            return self._plain_error(rid, 400, "The request body is not valid UTF-8."), "-"
        if req.path.startswith("/static/") and req.method == "GET":
            name = req.path[len("/static/"):]
            if name in self.static:
                return raw(req, self.static[name], STATIC_TYPES[Path(name).suffix], cache=True), "-"
            return self._page_error(req, 404, "Not found."), "-"
        for method, pattern, fn, access in ROUTES:
            m = pattern.match(req.path)
            if m is None or method != req.method:
                continue
            try:
                return self._dispatch(req, fn, access, {k: unquote(v) for k, v in m.groupdict().items()})
            except Exception as exc:  # noqa: BLE001
                if describe(exc) is not None:
                    return self._page_error(req, 503, "The database is unavailable. Please try again later."), "-"
                raise
        if any(p.match(req.path) for _, p, _, _ in ROUTES):
            return self._page_error(req, 405, "Method not allowed."), "-"
        return self._page_error(req, 404, "Not found."), "-"

    def _dispatch(self, req: Request, fn, access: str, args: dict):
        if req.method == "POST" and not _same_origin(req):
            return self._page_error(req, 403, "Cross-site request refused."), "-"
        now = time.time()
        session, principal = self.app.state.store.run(lambda tx: self._session(tx, req, now))
        if req.method == "POST":
            given = req.form.get("csrf") or req.headers.get("x-csrf-token")
            expected = session.csrf if session is not None else req.cookies.get(PRESIGN_COOKIE)
            if not sessions.csrf_ok(expected, given):
                return self._page_error(req, 403, "The form expired or did not come from this console "
                                                  "(CSRF token missing or wrong). Reload the page and try again."), "-"
        active = session is not None and session.active
        if access != PUBLIC and not active:
            if req.method == "GET":
                return redirect(req, f"{PREFIX}/signin"), "-"
            return self._page_error(req, 401, "Your session has ended. Sign in again."), "-"
        page = Page(self, req, session, principal if active else None)
        # a sign-in that still owes a step (MFA code, new password): its session and principal
        page.pending, page.pending_principal = (None, None) if active else (session, principal)
        return fn(page, **args), principal.arn if principal else "-"

    def _session(self, tx, req: Request, now: float):
        session = sessions.load(tx, req.cookies.get(SESSION_COOKIE), now)
        if session is None:
            return None, None
        if session.kind == "root":
            return session, root_principal(session.account_id)
        from ..store.users import UserRepo
        user = UserRepo(tx, session.account_id).get_by_id(session.user_id)
        if user is None:  # deleted since: the session ends with it
            sessions.end(tx, session)
            return None, None
        return session, user_principal(session.account_id, user.user_id, user.path, user.name)

    def _page_error(self, req: Request, status: int, message: str):
        tpl = self.env.get_template("error.html")
        return html(req, tpl.render(message=message, heading=status, principal=None, session=None,
                                    csrf="", notice=None, error=None), status)

    @staticmethod
    def _plain_error(rid: str, status: int, message: str):
        from ..server.app import Response
        from .web import SECURITY_HEADERS
        return Response(status, message.encode(), "text/plain; charset=utf-8", rid, SECURITY_HEADERS)


def _same_origin(req: Request) -> bool:
    """A POST's Origin (or, without one, its Referer) names this host, when sent at all."""
    origin = req.headers.get("origin") or req.headers.get("referer")
    if not origin:
        return True  # not sent (older clients); the CSRF token still has to match
    host = req.headers.get("host", "")
    m = re.match(r"^https?://([^/]+)", origin)
    return m is not None and m.group(1) == host


def _when(epoch) -> str:
    if epoch is None or epoch == "":
        return "-"
    if isinstance(epoch, str):
        return epoch
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(float(epoch)))
