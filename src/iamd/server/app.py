"""The ASGI application: the whole request pipeline, in order, in `handle`.

The event loop reads each request and writes its answer; `handle` runs on a thread of a
bounded pool (`offload.Pool`), so that a database that stalls holds threads, never the
loop: /health answers meanwhile, and every request ends within the store's timeout
(then 503 ServiceUnavailable, as for every fault of the database; see `store/faults.py`).
Most requests arrive whole through `fast` (the protocol of `http_protocol.py` reads them
and writes the answer without an ASGI task); the rest through ASGI (`__call__`); both
run the same `handle`.

1. routes that are not API calls (/health and /health/ready on the loop, /moto-api/reset,
   /moto-api/reset-auth, the outbound OIDC issuers' discovery documents and JWKS under
   /issuer/<id>/.well-known/, and the web console under /console/, whose actions re-enter
   at 5-6 through `invoke`: see console/)
2. decode the form (POST body and query string)
3. find the operation by Action and Version
4. authenticate (SigV4) unless the operation arrives unsigned
5. parse and validate the input against the model
6. in one transaction: authorize (the seam in `authorize.py`), then run the handler
7. serialize the output, or the error, and log one line
"""

import asyncio
import functools
import gc
import json
import logging
import os
import sys
import time
import traceback

from ..auth.sigv4 import credential_hint
from ..protocol.cloudtrail import console_agent
from ..protocol.cloudtrail import event_id as _request_id  # x-amzn-RequestId: a random UUID, as AWS's
from ..protocol.errors import COMMON_STATUS, AWSError
from ..protocol.model import catalog
from ..protocol.parser import parse_form, parse_input
from ..protocol.quirks import READ_ONLY_PREFIXES, READS_DESPITE_NAME, UNSIGNED_OPERATIONS, WRITES_DESPITE_NAME
from ..protocol.serializer import serialize_error, serialize_response
from ..protocol.validate import validate_input
from ..service.registry import Context, load_handlers
from ..store.faults import DatabaseUnavailable, describe
from ..store import group_commit
from .access_log import AccessLog
from .audit import AuditTrail, Call
from .authorize import Peer
from .offload import Pool
from .settings import Settings
from .state import AppState

MAX_BODY = 1 << 20
PARSED_PARAMS = 8  # inputs of at most this many parameters (Action and Version included) are remembered
PARSED_KEPT = 4096  # remembered inputs per process, forgotten all at once past it
PIPELINE_THREADS = 8  # requests in the pipeline at once, per worker process
GRACE = 1.0  # seconds past its deadline before the loop answers for a request's thread
PROBE_TIMEOUT = 2.0  # the readiness probe's bound
FAULT_MEMORY = 10.0  # seconds a lasting database fault keeps /health/ready at 503
HEALTH = ("/health", "/health/ready")
CONSOLE = "/console"
UNAVAILABLE = "Service is unavailable. Please try again later."
log = logging.getLogger("iamd")


class Response:
    __slots__ = ("status", "body", "content_type", "request_id", "log", "fault", "headers")

    def __init__(self, status: int, body: bytes, content_type: str, request_id: str, headers=()):
        self.status, self.body, self.content_type, self.request_id = status, body, content_type, request_id
        self.headers = headers  # further (name, value) byte pairs: the console's cookies and security headers
        # Written on the loop as the answer goes out, so that a request whose thread is
        # still busy when the loop answers for it gets one line of each, not two:
        self.log = None  # (action, caller ARN, ms) for the access log
        self.fault = None  # what is wrong with the database, for the error log


class IamApp:
    def __init__(self, state: AppState):
        self.state = state
        self.catalog = catalog()
        self.handlers = load_handlers()
        self._parsed: dict = {}  # `parse`'s remembered flat inputs
        self.access_log = AccessLog() if state.settings.access_log else None
        self.timeout = state.settings.db_timeout
        self.pool = Pool(PIPELINE_THREADS)
        self.prober = Pool(1, "iamd-ready")  # apart, so that a full pool does not delay it
        self.fault: tuple[float, str] | None = None  # (when, what) of the last lasting fault
        self.durable = group_commit.enable(state.store)  # None: each commit is durable itself
        s = state.settings
        self.audit = AuditTrail(state.store, s.audit_dir, s.audit_retention_days) if s.audit else None
        if self.audit is not None:
            self.audit.start()
        self.console = None
        if state.settings.console:
            from ..console.routes import Console
            self.console = Console(self)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if scope["type"] != "http":
            return
        body, too_big = b"", False
        more = True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return  # the client left, or was cut off by a read timeout, before its request was whole
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
            if len(body) > MAX_BODY:
                too_big = True
                break
        rid = _request_id()
        start = time.perf_counter()
        if too_big:
            err = AWSError("RequestEntityTooLarge", "Request body exceeds 1 MiB.")
            if self.audit is not None:
                self.audit.note(self._call(time.time(), scope, None, None, None, "-", None, "us-east-1", None,
                                           err, rid))
            resp = self.logged(self.error(err, rid), "-", "-", start)
        elif scope["path"] in HEALTH and scope["method"] == "GET":
            resp = await self.health(scope["path"], rid, start)
        else:
            resp = await self.offloaded(scope, body, rid, start)
        if self.durable is not None and not await self.durable.settle():
            resp = self.not_durable(rid)
        await send({"type": "http.response.start", "status": resp.status, "headers": self.closing(resp)})
        await send({"type": "http.response.body", "body": resp.body})

    def fast(self, scope, body: bytes, done) -> None:
        """The pipeline for a request the protocol has read whole (server/http_protocol.py):
        what `__call__` does, without an ASGI task, a future or a coroutine per request;
        done(status, head, body) is called on the loop with the answer (head: its header
        lines, `head`)."""
        rid = _request_id()
        start = time.perf_counter()
        deadline = time.monotonic() + self.timeout
        self.pool.submit(self.timeout + GRACE, lambda resp, error: self._fast_done(resp, error, rid, start, done),
                         self._on_thread, scope, body, rid, start, deadline)

    def _fast_done(self, resp: "Response | None", error, rid: str, start: float, done) -> None:
        if isinstance(error, TimeoutError):
            resp = self.too_late(rid, start)
        elif error is not None:  # `handle` answers every failure itself: a bug beyond it
            log.error("request %s failed:", rid, exc_info=error)
            resp = self.logged(self.error(_internal_failure(), rid), "-", "-", start)
        if self.durable is not None and not self.durable.settled():  # wait for the fsync (writes)
            asyncio.get_running_loop().create_task(self._settle_then(resp, rid, done))
            return
        done(resp.status, self.head(resp), resp.body)

    async def _settle_then(self, resp: "Response", rid: str, done) -> None:
        if not await self.durable.settle():
            resp = self.not_durable(rid)
        done(resp.status, self.head(resp), resp.body)

    def too_late(self, rid: str, start: float) -> "Response":
        """The answer the loop gives for a request its thread has not answered in time."""
        return self.logged(self.unavailable(self.state.store.timed_out(), rid), "-", "-", start)

    def not_durable(self, rid: str) -> "Response":
        """The answer when the fsync that would make a commit durable failed."""
        return self.error(AWSError("ServiceUnavailable", UNAVAILABLE, 503, sender=False), rid)

    def closing(self, resp: "Response") -> list:
        """The answer's log lines (a database fault, the access log) and its headers."""
        self._log(resp)
        return [(b"content-type", resp.content_type.encode()), (b"content-length", str(len(resp.body)).encode()),
                (b"x-amzn-requestid", resp.request_id.encode()), *resp.headers]

    def head(self, resp: "Response") -> bytes:
        """`closing`, with the headers as they go on the wire (the protocol's fast requests)."""
        self._log(resp)
        head = b"%scontent-length: %d\r\nx-amzn-requestid: %s\r\n" % (_type_line(resp.content_type), len(resp.body),
                                                                     resp.request_id.encode())
        for name, value in resp.headers:
            head += b"%s: %s\r\n" % (name, value)
        return head

    def _log(self, resp: "Response") -> None:
        if resp.fault is not None:
            log.error("request %s: database unavailable: %s", resp.request_id, resp.fault)
        if self.access_log is not None and resp.log is not None:
            action, caller_arn, ms = resp.log
            self.access_log.write(resp.request_id, action, caller_arn, resp.status, ms)

    async def _lifespan(self, receive, send):
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                if self.access_log is not None:
                    self.access_log.flush()
                self.pool.close()
                self.prober.close()
                if self.audit is not None:
                    self.audit.close()
                self.state.store.dispose()
                if self.durable is not None:
                    self.durable.close()  # after the store's connections: the checkpoint can copy all
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- off the loop: the pipeline on a pool thread, health on the loop ----------------------

    async def offloaded(self, scope, body: bytes, rid: str, start: float) -> Response:
        """`handle` on a pool thread, within the request's deadline (its wait for a thread
        included); the loop answers 503 itself if the thread has not by then."""
        deadline = time.monotonic() + self.timeout
        try:
            return await self.pool.run(self.timeout + GRACE, self._on_thread, scope, body, rid, start, deadline)
        except TimeoutError:
            return self.too_late(rid, start)

    def _on_thread(self, scope, body: bytes, rid: str, start: float, deadline: float) -> Response:
        store = self.state.store
        store.set_deadline(deadline)
        try:
            return self.handle(scope, body, rid, start)
        finally:
            store.set_deadline(None)

    async def health(self, path: str, rid: str, start: float) -> Response:
        """/health: liveness (the process answers); /health/ready: readiness (the database
        answers a quick read, and no lasting fault was seen lately), 503 when not ready."""
        if path == "/health":
            return self.logged(Response(200, b'{"status":"ok"}', "application/json", rid), "health", "-", start)
        try:
            problem = await self.prober.run(PROBE_TIMEOUT + GRACE, self._probe)
        except TimeoutError:
            problem = f"the database did not answer within {PROBE_TIMEOUT:g} s"
        fault = self.fault
        if problem is None and fault is not None and time.monotonic() - fault[0] < FAULT_MEMORY:
            problem = fault[1]
        answer = {"status": "ready", "database": "ok"} if problem is None else \
            {"status": "unavailable", "database": problem}
        return self.logged(Response(200 if problem is None else 503, json.dumps(answer).encode(),
                                    "application/json", rid), "health/ready", "-", start)

    def _probe(self) -> str | None:
        store = self.state.store
        store.set_deadline(time.monotonic() + PROBE_TIMEOUT)
        try:
            return store.probe(self.state.account_id)
        finally:
            store.set_deadline(None)

    # -- the pipeline -------------------------------------------------------------------

    def handle(self, scope, body: bytes, rid: str, start: float) -> Response:
        method, path = scope["method"], scope["path"]
        action, caller_arn = "-", "-"
        audit = self.audit
        op = caller = data = error = headers = params = resp = out = peer = None
        region, recorded, at = "us-east-1", False, time.time()
        try:
            if path == "/moto-api/reset" and method == "POST":
                return self.logged(self.reset(rid), "moto-api/reset", "-", start)
            if path == "/moto-api/reset-auth" and method == "POST":
                return self.logged(self.reset_auth(body, rid), "moto-api/reset-auth", "-", start)
            if path.startswith("/issuer/") and method == "GET":
                return self.logged(self.issuer_document(path, rid), "issuer", "-", start)
            headers = _headers(scope)
            if self.console is not None and (path == CONSOLE or path.startswith(CONSOLE + "/")):
                action = f"console {method} {path}"[:120]
                resp, caller_arn = self.console.handle(scope, headers, body, rid)
                return self.logged(resp, action, caller_arn, start)
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
            peer = Peer.of(scope, headers)
            data = self.parse(op, params)
            record = None
            if audit is not None and _writes(op):  # a write's record goes in the write's transaction
                def record(tx, result, op=op, action=action, caller=caller, region=region):
                    audit.within(tx, Call(at, op, action, op.service, caller, None, region, data, result, None,
                                          peer.ip, peer.user_agent, rid, caller.account_id if caller else
                                          st.account_id))
            out = self.run_operation(op, data, caller, region, rid, peer, record)
            recorded = record is not None
            resp = Response(200, serialize_response(op, out, rid), "text/xml", rid)
        except AWSError as err:
            error = err
        except UnicodeDecodeError:
            error = AWSError("MalformedQueryString", "The request body is not valid UTF-8.")
        except Exception as exc:
            fault = describe(exc)  # the database is down, stalled, full or corrupt: 503
            if fault is not None:
                resp = self.unavailable(fault, rid)
                error = AWSError("ServiceUnavailable", UNAVAILABLE, 503, sender=False)
            else:  # a bug: answer 500 in the AWS envelope, keep the traceback in the log
                log.error("request %s failed:\n%s", rid, traceback.format_exc())
                error = _internal_failure()
        if resp is None:
            resp = self.error(error, rid)
        if audit is not None and not recorded and (
                error is not None or caller is None or peer is None
                or not audit.note_read(op, caller, peer.ip, peer.user_agent, region, data, at, rid)):
            audit.note(self._call(at, scope, headers, params, op, action, caller, region, data, error, rid, out))
        return self.logged(resp, action, caller_arn, start)

    def invoke(self, op, params: dict, caller, region: str, rid: str, peer: Peer, session=None):
        """Steps 5 and 6 for the web console's signed-in principal: parse and validate the
        input, then authorize and run the handler in one transaction, as for the API (one
        authorization path for both). The audit trail records the call as CloudTrail records
        a console's: `sessionCredentialFromConsole`, the console's userAgent, the browser's
        address, and the console session's (creation time, MFA used) as its sessionContext; a
        write's record in the write's transaction, any other after it."""
        audit, at, data = self.audit, time.time(), None
        record = None
        if audit is not None and _writes(op):
            def record(tx, result):
                audit.within(tx, console_call(at, op, caller, region, data, result, None, rid, peer, session))
        try:
            data = self.parse(op, params)
            out = self.run_operation(op, data, caller, region, rid, peer, record)
        except AWSError as err:
            self.note_console_call(at, op, caller, region, data, err, rid, peer, session)
            raise
        if record is None:
            self.note_console_call(at, op, caller, region, data, None, rid, peer, session)
        return out

    def note_console_call(self, at: float, op, caller, region: str, data, error: AWSError | None, rid: str,
                          peer: Peer, session=None) -> None:
        """Queue the record of a console call that is not a successful write (a read, a failure)."""
        if self.audit is not None:
            self.audit.note(console_call(at, op, caller, region, data, None,
                                         (error.code, error.message) if error else None, rid, peer, session))

    def parse(self, op, params: dict) -> dict:
        """Step 5: the input parsed and validated against the model. A flat input (no list
        or map: no dotted name) that passed is remembered by its parameters, which name the
        operation too (a call repeated with the same parameters is parsed once); each caller
        gets a copy of its own."""
        key = None
        if len(params) <= PARSED_PARAMS:
            try:
                key = tuple(params.items())
                known = self._parsed.get(key)
            except TypeError:  # the console's values may be lists
                key = known = None
            if known is not None:
                return dict(known)
        data, type_errors = parse_input(op.input_shape, params)
        validate_input(op.input_shape, data, type_errors)
        if op.name not in self.handlers:
            raise AWSError("NotImplemented", f"The operation {op.name} is not implemented by iamd yet.",
                           sender=False)
        if key is not None and not any("." in name for name, _ in key):
            if len(self._parsed) >= PARSED_KEPT:
                self._parsed.clear()
            self._parsed[key] = data
            return dict(data)
        return data

    def run_operation(self, op, data: dict, caller, region: str, rid: str, peer: Peer, record=None):
        """Step 6: authorize, then the handler, in one transaction; `record(tx, result)`
        (the audit trail's, for writes) runs in the same transaction."""
        st = self.state
        handler = self.handlers[op.name]
        account = caller.account_id if caller is not None else st.account_id  # the signer's account

        def run(tx):
            ctx = Context(tx, caller, account, region, rid, time.time(), st)
            st.authorize(ctx, op.name, data, peer)
            result = handler(ctx, data)
            if record is not None:
                record(tx, result)
            return result
        return st.store.run(run, write=_writes(op))

    def _call(self, at, scope, headers, params, op, action, caller, region, data, error, rid, out=None) -> Call:
        """The audit trail's view of a call it records after the fact (reads and failures)."""
        headers = headers if headers is not None else _headers(scope)
        client = scope.get("client")
        hint = None
        if caller is None and params is not None:
            hint = credential_hint(headers, params)
        service = op.service if op is not None else (
            "sts" if params and params.get("Version") == "2011-06-15" else "iam")
        return Call(at, op, action[:128] if action != "-" else "Unknown", service, caller, hint and hint[0], region,
                    data, out, (error.code, error.message) if error is not None else None,
                    client[0] if client else None, headers.get("user-agent"), rid,
                    caller.account_id if caller is not None else self.state.account_id)

    def logged(self, resp: Response, action: str, caller_arn: str, start: float) -> Response:
        """Note the request's access-log line (written on the loop); nothing secret goes in it."""
        resp.log = (action, caller_arn, round((time.perf_counter() - start) * 1000, 2))
        return resp

    def unavailable(self, fault: DatabaseUnavailable, rid: str) -> Response:
        """503 ServiceUnavailable (SDKs retry it), and one log line saying what is wrong."""
        if fault.lasting:
            self.fault = (time.monotonic(), fault.reason)
        resp = self.error(AWSError("ServiceUnavailable", UNAVAILABLE, 503, sender=False), rid)
        resp.fault = fault.reason
        return resp

    def error(self, err: AWSError, rid: str) -> Response:
        status = err.status or self.catalog.error_status.get(err.code) or COMMON_STATUS.get(err.code, 400)
        return Response(status, serialize_error(err.code, err.message, rid, err.sender), "text/xml", rid)

    def issuer_document(self, path: str, rid: str) -> Response:
        """An outbound issuer's discovery document or JWKS: public, unauthenticated."""
        from ..service.outbound_federation import public_document
        doc = self.state.store.run(lambda tx: public_document(tx, self.state, path), write=False)
        if doc is None:
            return Response(404, b'{"error":"not found"}', "application/json", rid)
        return Response(200, json.dumps(doc).encode(), "application/json", rid)

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


def console_call(at, op, caller, region, data, out, error, rid, peer, session=None) -> Call:
    """The audit trail's view of a call the web console made for its signed-in principal;
    `session`: the console session's (creation time, MFA used), when known."""
    return Call(at, op, op.name, op.service, caller, None, region, data, out, error, peer.ip,
                console_agent(caller), rid, caller.account_id, session or ())


@functools.cache
def _type_line(content_type: str) -> bytes:
    """The Content-Type header line (`IamApp.head`)."""
    return b"content-type: %s\r\n" % content_type.encode()


def _writes(op) -> bool:
    """Whether the operation runs in a write transaction (Get*/List*/... read, but for the
    few named like reads that write, and the few that only read though not so named)."""
    return _writes_named(op.name)


@functools.cache
def _writes_named(name: str) -> bool:
    return (not name.startswith(READ_ONLY_PREFIXES) or name in WRITES_DESPITE_NAME) and name not in READS_DESPITE_NAME


def _headers(scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in scope["headers"]:
        name = k.decode("latin-1").lower()
        if name in out:
            out[name] = f"{out[name]},{v.decode('latin-1')}"
        else:
            out[name] = v.decode("latin-1")
    return out


def _internal_failure() -> AWSError:
    """500 in AWS's words, for a bug (the traceback goes to the log, never to the caller)."""
    return AWSError("InternalFailure", "The request processing has failed because of an unknown error, "
                    "exception or failure.", 500, sender=False)


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
