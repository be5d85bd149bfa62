"""The audit trail: every API call becomes one CloudTrail record (protocol/cloudtrail.py).

Calls the web console makes for its signed-in principal are recorded like any other
(`IamApp.invoke`), marked `sessionCredentialFromConsole`; each console sign-in becomes a
ConsoleLogin record (`signin`).

A successful write's record is inserted in the write's own transaction (`within`), so an
acknowledged change and its record are durable together. Every other call (reads,
failures, denials, calls that fail authentication) is queued (`note`) and written in
batches by a background thread every FLUSH_EVERY seconds: a read pays no database write of
its own. A read like earlier ones (the same caller reading the same thing again: `Like`)
is queued as its time and request id alone, and a run of them in a batch is one row
(store/audit.py). The queue is bounded: past MAX_PENDING the request that finds it full
writes the batch itself. The same thread delivers records as CloudTrail files
(server/audit_delivery.py) when `--audit-dir` is set and purges records older than
`--audit-retention-days`.

Beside each record, the latest authenticated call of each user and role to each action is
kept (store/access_advisor.py, `access_last_used`: one upsert per distinct entity and
action of a batch, writes' calls included; a role session counts for its role) for the
access advisor, for AWS's tracking period whatever the records' retention.
"""

import logging
import threading
import time
from collections import deque
from typing import NamedTuple

from ..protocol import cloudtrail
from ..protocol.quirks import READ_ONLY_PREFIXES
from ..store import access_advisor
from ..store import audit as rows
from ..store.faults import describe
from .audit_delivery import deliver

log = logging.getLogger("iamd.audit")

FLUSH_EVERY = 0.2
DELIVER_EVERY = 1.0
PURGE_EVERY = 600.0
MAX_PENDING = 20_000
BATCH = 2_000
CACHE = 10_000


class Call(NamedTuple):
    """What a record is built from, captured on the request path without building it (a
    tuple: the cheapest object to make once per request)."""

    at: float
    op: object  # protocol.model.Operation, None for an unknown action
    action: str
    service: str
    caller: object  # auth.principal.Principal, None when authentication failed
    key_hint: str | None  # the access key id a failed call was signed with
    region: str
    data: dict | None
    out: dict | None
    error: tuple[str, str] | None
    ip: str | None
    user_agent: str | None
    rid: str
    recipient: str
    # Made by the web console for its signed-in principal: its session's (creation time, MFA
    # used), or () when not known; None: an API call.
    console: tuple | None = None


class Prebuilt(NamedTuple):
    """A record built on the request path (a console sign-in: not an API call), queued as is."""

    row: tuple


# STS calls that mint credentials: their records keep responseElements (with no secret).
_CREDENTIAL_READS = frozenset({"GetSessionToken", "GetFederationToken"})


def read_only(op) -> bool:
    """CloudTrail's readOnly: reads, and every STS call."""
    return op is not None and (op.service == "sts" or op.name.startswith(READ_ONLY_PREFIXES))


def entity_of(caller) -> str | None:
    """The IAM entity a call is counted for: a user (its long-term keys or its sessions) or,
    for a role session, its role; None for the root user and federated users."""
    if caller.kind == "user":
        return caller.arn
    if caller.kind == "assumed-role":
        return (caller.session or {}).get("ra")
    return None


def last_used(calls) -> dict:
    """{(account, entity ARN, action): (latest time, region)} of the authenticated calls
    (allowed or denied: AWS reports attempts) of users and roles to known operations;
    `calls` holds Calls and queued like reads (`AuditTrail.note_read`)."""
    out: dict = {}
    for c in calls:
        if type(c) is tuple:  # (Like, time, request id)
            used, at = c[0].used, c[1]
        else:
            used, at = _use(c), c.at
        if used is None:
            continue
        key, region = used
        seen = out.get(key)
        if seen is None or at > seen[0]:
            out[key] = (at, region)
    return out


def _use(call) -> tuple | None:
    """((account, entity ARN, action), region) a call counts as the last use of, or None."""
    caller = call.caller
    entity = None if caller is None or call.op is None else entity_of(caller)
    if entity is None:
        return None
    return (caller.account_id, entity, call.action), cloudtrail.IAM_REGION if call.service == "iam" else call.region


class Like:
    """What the records of like reads share (`AuditTrail.like_reads`): their columns, their
    template (cloudtrail.template), and their caller's last-used key and region."""

    __slots__ = ("columns", "parts", "used")

    def __init__(self, columns: tuple, parts: tuple, used: tuple | None):
        self.columns, self.parts, self.used = columns, parts, used

    def row(self, at: float, rid: str, delivered: bool) -> tuple:
        """One call's row (store.audit.COLUMNS)."""
        eid = cloudtrail.event_id()
        account, action, arn, user, ro = self.columns
        return (eid, account, at, action, arn, user, None, ro, delivered, cloudtrail.filled(self.parts, at, rid, eid))


def _like_key(op_name: str, caller, ip, user_agent, region: str, recipient: str, data) -> tuple:
    """What makes reads alike: the operation and its parameters, the caller (its session
    included), where it called from and with what, the region and the account."""
    return (op_name, caller.arn, caller.access_key_id, caller.user_id, ip, user_agent, region, recipient,
            *(data.items() if data else ()))


def keeps_response(op) -> bool:
    """Records of reads carry no responseElements; those of writes and of STS's grants do."""
    return not op.name.startswith(READ_ONLY_PREFIXES) or op.name in _CREDENTIAL_READS


# cloudtrail.record's arguments that repeat from call to call, in the order `row` gives them.
_FIELDS = ("service", "event_name", "read_only", "identity", "region", "source_ip", "user_agent", "request",
           "response", "error", "recipient", "from_console")


class AuditTrail:
    def __init__(self, store, audit_dir: str | None, retention_days: int):
        self.store = store
        self.audit_dir = audit_dir
        self.retention_days = retention_days
        self.pending: deque = deque()
        self.written: deque = deque()  # writes whose records are in, their last use not yet noted
        self._identities: dict = {}
        self._requests: dict = {}
        self._reads: dict = {}  # `like_reads`: a read's parameters and caller -> its columns and template
        self._lock = threading.Lock()  # one flush at a time (the thread, or a request when full)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the request path -------------------------------------------------------------------

    def within(self, tx, call: Call) -> None:
        """Insert the record of a successful write in its own transaction; its last use is
        noted with the next batch (a write pays for its record only)."""
        rows.add(tx, [self.row(call)])
        self.written.append(call)  # never flushed here: this transaction holds the write lock
        if len(self.written) > MAX_PENDING:
            self.written.popleft()

    def note(self, call: Call) -> None:
        """Queue the record of any other call for the background writer."""
        self.pending.append(call)
        if len(self.pending) >= MAX_PENDING:
            self.flush()

    # -- building ---------------------------------------------------------------------------

    def identity(self, call: Call) -> str:
        """userIdentity as JSON text, cached per principal."""
        caller = call.caller
        if caller is None:
            return cloudtrail.dumps(cloudtrail.user_identity(None, call.key_hint, call.op.name if call.op else "",
                                                             call.data))
        # Keyed by strings (hashes cached, compared by identity): hashing and comparing the
        # frozen Principal itself walks all its fields. A session's key id is its own.
        key = (caller.arn, caller.access_key_id, caller.user_id, call.console)
        ident = self._identities.get(key)
        if ident is None:
            if len(self._identities) > CACHE:
                self._identities.clear()
            ident = cloudtrail.user_identity(caller)
            if call.console:
                ident = cloudtrail.console_identity(ident, *call.console)
            ident = self._identities[key] = cloudtrail.dumps(ident)
        return ident

    def request(self, op, data) -> str:
        """requestParameters as JSON text; small flat inputs (a GetUser's UserName) are cached."""
        if not data:
            return "null"
        key = None
        if len(data) <= 4:
            key = (op.name, *data.items())
            try:
                text = self._requests.get(key)
            except TypeError:  # a list or map among the values
                key = text = None
            if text is not None:
                return text
        text = cloudtrail.dumps(cloudtrail.parameters(op.input_shape, data))
        if key is not None:
            if len(self._requests) > CACHE:
                self._requests.clear()
            self._requests[key] = text
        return text

    def row(self, call: Call) -> tuple:
        """The call's row (store.audit.COLUMNS)."""
        like = self.like_reads(call)
        if like is not None:  # a read like many others: its template joined around three values
            return like.row(call.at, call.rid, self.audit_dir is None)
        op = call.op
        ro = read_only(op)
        request = response = "null"
        if op is not None:
            try:
                request = self.request(op, call.data)
                if call.error is None and keeps_response(op):
                    response = cloudtrail.dumps(cloudtrail.parameters(op.output_shape, call.out))
            except (TypeError, ValueError, AttributeError) as exc:  # never fail a call over its record
                # the type only: a value in the message could be anything the caller sent
                log.error("audit: cannot render the parameters of %s (%s)", op.name, type(exc).__name__)
        eid = cloudtrail.event_id()
        values = (call.service, call.action, ro, self.identity(call), call.region, call.ip, call.user_agent, request,
                  response, call.error, call.recipient, call.console is not None)
        text = cloudtrail.record(time_text=cloudtrail.event_time(call.at), request_id=call.rid, eid=eid,
                                 **dict(zip(_FIELDS, values)))
        caller = call.caller
        return (eid, call.recipient, call.at, call.action[:128], caller.arn if caller else None,
                caller.name if caller else None, call.error[0][:128] if call.error else None, ro,
                self.audit_dir is None, text)  # store.audit.COLUMNS

    def note_read(self, op, caller, ip, user_agent, region: str, data, at: float, rid: str) -> bool:
        """Queue a successful API read already known to be like earlier ones (`like_reads`)
        as its time and request id alone; False when it is not known so (the caller then
        queues its Call)."""
        try:
            like = self._reads.get(_like_key(op.name, caller, ip, user_agent, region, caller.account_id, data))
        except TypeError:  # a list or map among the parameters
            return False
        if like is None:
            return False
        self.pending.append((like, at, rid))
        if len(self.pending) >= MAX_PENDING:
            self.flush()
        return True

    def like_reads(self, call: Call) -> Like | None:
        """What the records of calls like this one share, when it is a successful read
        through the API (whose record is its template joined around its event time, request
        id and event id), found by the call's parameters and caller; None for any other call."""
        op, caller = call.op, call.caller
        if call.error is not None or op is None or caller is None or call.console is not None:
            return None
        data = call.data
        try:
            key = _like_key(op.name, caller, call.ip, call.user_agent, call.region, call.recipient, data)
            like = self._reads.get(key)
        except TypeError:  # a list or map among the parameters
            return None
        if like is None:
            if keeps_response(op):
                return None
            try:
                request = self.request(op, data)
            except (TypeError, ValueError, AttributeError):
                return None  # `row` says so in the log
            values = (call.service, call.action, read_only(op), self.identity(call), call.region, call.ip,
                      call.user_agent, request, "null", None, call.recipient, False)
            if len(self._reads) > CACHE:
                self._reads.clear()
            like = self._reads[key] = Like((call.recipient, call.action[:128], caller.arn, caller.name, values[2]),
                                           cloudtrail.template(**dict(zip(_FIELDS, values))), _use(call))
        return like

    def _runs(self, batch: list) -> list:
        """The batch in order, as (None, rows) of whole rows and (Like, [(time, request id),
        ...]) of runs of like reads."""
        runs: list = []
        for c in batch:
            kind = type(c)
            if kind is tuple:  # queued by note_read
                like, at, rid = c
            else:
                like = None if kind is Prebuilt else self.like_reads(c)
                if like is not None:
                    at, rid = c.at, c.rid
            if like is not None:
                if runs and runs[-1][0] is like and at - runs[-1][1][0][0] <= rows.RUN_SPAN:
                    runs[-1][1].append((at, rid))
                else:
                    runs.append((like, [(at, rid)]))
                continue
            row = c.row if kind is Prebuilt else self.row(c)
            if runs and runs[-1][0] is None:
                runs[-1][1].append(row)
            else:
                runs.append((None, [row]))
        return runs

    def _write(self, tx, runs: list, used: dict) -> None:
        delivered = self.audit_dir is None
        for like, items in runs:
            if like is None:
                rows.add(tx, items)
            elif len(items) == 1:
                rows.add(tx, [like.row(*items[0], delivered)])
            else:
                rows.add_run(tx, like.columns, like.parts, cloudtrail.event_id_seed(), items, delivered)
        access_advisor.record_calls(tx, used)

    def signin(self, at: float, account_id: str, identity: dict, ip: str | None, user_agent: str | None,
               success: bool, mfa_used: bool, login_to: str) -> None:
        """Queue the ConsoleLogin record of a console sign-in, allowed or refused."""
        eid = cloudtrail.event_id()
        text = cloudtrail.console_login(time_text=cloudtrail.event_time(at), identity=identity, source_ip=ip,
                                        user_agent=user_agent, success=success, mfa_used=mfa_used,
                                        login_to=login_to, recipient=account_id, eid=eid)
        self.note(Prebuilt((eid, account_id, at, "ConsoleLogin", identity.get("arn"), identity.get("userName"),
                            None if success else cloudtrail.FAILED_SIGNIN, False, self.audit_dir is None, text)))

    # -- the background thread ----------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="iamd-audit", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread; write what is queued and deliver it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
        self.flush()
        self._deliver()

    def flush(self) -> None:
        with self._lock:
            pending, written = self.pending, self.written
            while pending or written:
                batch, noted = [], []
                while pending and len(batch) < BATCH:
                    batch.append(pending.popleft())
                while written and len(noted) < BATCH:
                    noted.append(written.popleft())
                try:
                    runs = self._runs(batch)
                    used = last_used([c for c in batch if type(c) is not Prebuilt] + noted)
                    # Not awaited: no answer waits for the fsync of a batch (a write's own
                    # record is in the write's transaction, which answers wait for).
                    self.store.run(lambda tx: self._write(tx, runs, used), awaited=False)
                except Exception as exc:  # noqa: BLE001 - the database is down: keep the calls for later
                    fault = describe(exc)  # a fault of the database is one line; a bug keeps its traceback
                    log.error("audit: cannot write %d records; will retry: %s", len(batch),
                              fault.reason if fault is not None else exc, exc_info=fault is None)
                    pending.extendleft(reversed(batch))
                    written.extendleft(reversed(noted))
                    for queue in (pending, written):
                        while len(queue) > MAX_PENDING:  # bounded even while the database is away
                            queue.popleft()
                    return

    def _deliver(self) -> None:
        if self.audit_dir is None:
            return
        try:
            deliver(self.store, self.audit_dir)
        except Exception:  # noqa: BLE001 - the next round tries again
            log.error("audit: delivery failed; will retry", exc_info=True)

    def _purge(self) -> None:
        now = time.time()
        try:
            self.store.run(lambda tx: access_advisor.forget_calls(tx, now - access_advisor.TRACKING_PERIOD))
            if self.retention_days > 0:
                cutoff = now - self.retention_days * 86400
                self.store.run(lambda tx: rows.purge(tx, cutoff, self.audit_dir is not None))
        except Exception:  # noqa: BLE001
            log.error("audit: purge failed; will retry", exc_info=True)

    def _loop(self) -> None:
        if self.store.dialect == "sqlite":
            # This thread's connection writes only the trail: a commit need not wait for the
            # disk (WAL survives a crash of the process; only power loss could drop the last
            # batch of reads' records). Writes' records commit with their writes, fully synced.
            self.store._connection().connection.driver_connection.execute("PRAGMA synchronous=NORMAL")
        next_delivery = time.monotonic() + DELIVER_EVERY
        next_purge = time.monotonic()
        while not self._stop.wait(FLUSH_EVERY):
            self.flush()
            now = time.monotonic()
            if now >= next_delivery:
                self._deliver()
                next_delivery = now + DELIVER_EVERY
            if now >= next_purge:
                self._purge()
                next_purge = now + PURGE_EVERY
