"""The ASGI application: the whole request pipeline, in order, in `handle`.

1. routes that are not API calls (/health, /moto-api/reset, /moto-api/reset-auth)
2. decode the form (POST body and query string)
3. find the operation by Action and Version
4. authenticate (SigV4) unless the operation arrives unsigned
5. parse and validate the input against the model
6. in one transaction: authorize (the seam in `authorize.py`), then run the handler, then
   (a successful write) insert its audit record (`audit.py`)
7. serialize the output, or the error, and log one line
8. any call whose record is not yet stored (reads, failures, denials, calls that failed
   authentication) is queued for the audit trail's background writer
"""

import gc
import json
import logging
import os
import sys
import time
import traceback

from sqlalchemy.exc import OperationalError

from ..auth.sigv4 import credential_hint
from ..protocol.errors import COMMON_STATUS, AWSError
from ..protocol.model import catalog
from ..protocol.parser import parse_form, parse_input
from ..protocol.quirks import READ_ONLY_PREFIXES, UNSIGNED_OPERATIONS
from ..protocol.serializer import serialize_error, serialize_response
from ..protocol.validate import validate_input
from ..service.registry import Context, load_handlers
from .access_log import AccessLog
from .audit import AuditTrail, Call
from .authorize import Peer
from .settings import Settings
from .state import AppState

MAX_BODY = 1 << 20
log = logging.getLogger("iamd")


class Response:
    __slots__ = ("status", "body", "content_type", "request_id")

    def __init__(self, status: int, body: bytes, content_type: str, request_id: str):
        self.status, self.body, self.content_type, self.request_id = status, body, content_type, request_id


class IamApp:
    def __init__(self, state: AppState):
        self.state = state
        self.catalog = catalog()
        self.handlers = load_handlers()
        self.access_log = AccessLog() if state.settings.access_log else None
        s = state.settings
        self.audit = AuditTrail(state.store, s.audit_dir, s.audit_retention_days) if s.audit else None
        if self.audit is not None:
            self.audit.start()
        dbapi = state.store.engine.dialect.dbapi  # the fast path raises the driver's own errors
        self.db_down = (OperationalError, dbapi.OperationalError, dbapi.InterfaceError)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if scope["type"] != "http":
            return
        body, too_big = b"", False
        more = True
        while more:
            msg = await receive()
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
            if len(body) > MAX_BODY:
                too_big = True
                break
        rid = _request_id()
        if too_big:
            err = AWSError("RequestEntityTooLarge", "Request body exceeds 1 MiB.")
            if self.audit is not None:
                self.audit.note(self._call(time.time(), scope, None, None, None, "-", None, "us-east-1", None,
                                           err, rid))
            resp = self.logged(self.error(err, rid), "-", "-", time.perf_counter())
        else:
            resp = self.handle(scope, body, rid)
        await send({"type": "http.response.start", "status": resp.status, "headers": [
            (b"content-type", resp.content_type.encode()),
            (b"content-length", str(len(resp.body)).encode()),
            (b"x-amzn-requestid", rid.encode())]})
        await send({"type": "http.response.body", "body": resp.body})

    async def _lifespan(self, receive, send):
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                if self.access_log is not None:
                    self.access_log.flush()
                if self.audit is not None:
                    self.audit.close()
                self.state.store.dispose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- the pipeline -------------------------------------------------------------------

    def handle(self, scope, body: bytes, rid: str) -> Response:
        start = time.perf_counter()
        method, path = scope["method"], scope["path"]
        action, caller_arn = "-", "-"
        audit = self.audit
        op = caller = data = out = error = headers = params = None
        region, recorded, at = "us-east-1", False, time.time()
        try:
            if path == "/health" and method == "GET":
                return self.logged(Response(200, b'{"status":"ok"}', "application/json", rid),
                                   "health", "-", start)
            if path == "/moto-api/reset" and method == "POST":
                return self.logged(self.reset(rid), "moto-api/reset", "-", start)
            if path == "/moto-api/reset-auth" and method == "POST":
                return self.logged(self.reset_auth(body, rid), "moto-api/reset-auth", "-", start)
            headers = _headers(scope)
            raw_query = scope["query_string"].decode("latin-1")
            params = parse_form(raw_query) if raw_query else {}
            if method == "POST" and body:
                form = parse_form(body.decode("utf-8", errors="strict"))
                for k, v in form.items():
                    if k in params:
                        raise AWSError("InvalidParameterValue", f"The parameter {k} appears more than once.")
                    params[k] = v
            if not params.get("Action"):
                raise AWSError("MissingAction", "Missing Action")
            action = params["Action"]
            op = self.catalog.find(action, params.get("Version"))
            if op is None:
                raise AWSError("InvalidAction", f"Could not find operation {action} for version "
                                                f"{params.get('Version', '2010-05-08')}")
            st = self.state
            if op.name in UNSIGNED_OPERATIONS and "authorization" not in headers:
                caller, region = None, "us-east-1"
            else:
                caller, region = st.authenticator.authenticate(
                    method, (scope.get("raw_path") or b"/").decode("latin-1"), raw_query, params,
                    headers, body, op.service)
                caller_arn = caller.arn
            data, type_errors = parse_input(op.input_shape, params)
            validate_input(op.input_shape, data, type_errors)
            handler = self.handlers.get(op.name)
            if handler is None:
                raise AWSError("NotImplemented", f"The operation {op.name} is not implemented by iamd yet.",
                               sender=False)
            write = not op.name.startswith(READ_ONLY_PREFIXES)
            peer = Peer.of(scope, headers)

            def run(tx):
                ctx = Context(tx, caller, st.account_id, region, rid, time.time(), st,
                              {"account_created": st.account_created})
                st.authorize(ctx, op.name, data, peer)
                result = handler(ctx, data)
                if write and audit is not None:
                    audit.within(tx, Call(at, op, action, op.service, caller, None, region, data, result, None,
                                          peer.ip, peer.user_agent, rid, caller.account_id if caller else
                                          st.account_id))
                return result
            out = st.store.run(run, write=write)
            recorded = write
            resp = Response(200, serialize_response(op, out, rid), "text/xml", rid)
        except AWSError as err:
            error = err
        except UnicodeDecodeError:
            error = AWSError("MalformedQueryString", "The request body is not valid UTF-8.")
        except self.db_down:  # the database is down or locked out: 503, which SDKs retry
            log.error("request %s: database unavailable:\n%s", rid, traceback.format_exc())
            error = AWSError("ServiceUnavailable", "Service is unavailable. Please try again later.", 503,
                             sender=False)
        except Exception:  # a bug: answer 500 in the AWS envelope, keep the traceback in the log
            log.error("request %s failed:\n%s", rid, traceback.format_exc())
            error = AWSError("InternalFailure", "The request processing has failed because of "
                             "an unknown error, exception or failure.", 500, sender=False)
        if error is not None:
            resp = self.error(error, rid)
        if audit is not None and not recorded:
            audit.note(self._call(at, scope, headers, params, op, action, caller, region, data, error, rid))
        return self.logged(resp, action, caller_arn, start)

    def _call(self, at, scope, headers, params, op, action, caller, region, data, error, rid) -> Call:
        """The audit trail's view of a call it records after the fact (reads and failures)."""
        headers = headers if headers is not None else _headers(scope)
        client = scope.get("client")
        hint = None
        if caller is None and params is not None:
            hint = credential_hint(headers, params)
        service = op.service if op is not None else (
            "sts" if params and params.get("Version") == "2011-06-15" else "iam")
        return Call(at, op, action[:128] if action != "-" else "Unknown", service, caller, hint and hint[0], region,
                    data, None, (error.code, error.message) if error is not None else None,
                    client[0] if client else None, headers.get("user-agent"), rid,
                    caller.account_id if caller is not None else self.state.account_id)

    def logged(self, resp: Response, action: str, caller_arn: str, start: float) -> Response:
        """One access-log line per request; nothing secret goes in it."""
        if self.access_log is not None:
            self.access_log.write(resp.request_id, action, caller_arn, resp.status,
                                  round((time.perf_counter() - start) * 1000, 2))
        return resp

    def error(self, err: AWSError, rid: str) -> Response:
        status = err.status or self.catalog.error_status.get(err.code) or COMMON_STATUS.get(err.code, 400)
        return Response(status, serialize_error(err.code, err.message, rid, err.sender), "text/xml", rid)

    def reset(self, rid: str) -> Response:
        if self.state.settings.enforce:
            return self.error(AWSError("AccessDenied", "Reset is only available with --auth off."), rid)
        self.state.store.reset()
        self.state.resolver.clear()
        self.state.authorize.cache.clear()
        return Response(200, b'{"status":"ok"}', "application/json", rid)

    def reset_auth(self, body: bytes, rid: str) -> Response:
        """moto's hook: check signatures and policies after N more API calls."""
        if self.state.settings.enforce:
            return self.error(AWSError("AccessDenied", "Reset is only available with --auth off."), rid)
        try:
            count = float(body.decode().strip())
        except (UnicodeDecodeError, ValueError):
            return Response(400, b'{"Error":"The body must be a number of API calls."}', "application/json", rid)
        previous = self.state.authenticator.arm(count)
        return Response(200, json.dumps({"status": "ok", "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT": str(previous)})
                        .encode(), "application/json", rid)


def _headers(scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in scope["headers"]:
        name = k.decode("latin-1").lower()
        if name in out:
            out[name] = f"{out[name]},{v.decode('latin-1')}"
        else:
            out[name] = v.decode("latin-1")
    return out


def _request_id() -> str:
    """A random (version 4) UUID in its canonical text form; `str(uuid.uuid4())` builds a
    UUID object only to print it, a few microseconds of a cheap request."""
    b = bytearray(os.urandom(16))
    b[6] = b[6] & 0x0F | 0x40  # version 4
    b[8] = b[8] & 0x3F | 0x80  # RFC 4122 variant
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _die_with_supervisor() -> None:
    """A worker of `--workers N` exits with its supervisor, even one killed by SIGKILL,
    instead of lingering on the port (Linux; a no-op elsewhere and in a single process)."""
    import multiprocessing
    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent.pid:  # it died before the line above
        os.kill(os.getpid(), signal.SIGTERM)


def create_app() -> IamApp:
    """Factory used by each worker process; settings arrive through the environment."""
    settings = Settings.from_env()
    _die_with_supervisor()
    app = IamApp(AppState.open(settings))
    # Everything built so far (botocore's models, the schema, compiled statements) lives as
    # long as the process: keep it out of the collector's generations, or every full
    # collection walks it while a request waits.
    gc.collect()
    gc.freeze()
    return app
