"""Fuzz the real ASGI app in-process: hostile form bodies never get a 5xx or a hang.

The app is built as `iamd serve --auth off` builds it (bootstrap, AppState, IamApp) on a
private SQLite store, and called directly through the ASGI interface. Each request runs
under a wall-clock alarm so that an unbounded loop fails the test instead of stalling
the suite.
"""

import asyncio
import signal
import time
from contextlib import contextmanager

import pytest
from hypothesis import given
from model_strategies import budget
from wire import check_answer, encode, hostile_request, random_request

from iamd.protocol.parser import MAX_LIST_ITEMS
from iamd.server.app import IamApp
from iamd.server.bootstrap import bootstrap
from iamd.server.settings import Settings
from iamd.server.state import AppState
from iamd.store.crypto import SecretBox
from iamd.store.engine import Store

# Generous for two shared cores; a request takes milliseconds.
TIME_LIMIT = 5.0


@contextmanager
def deadline(seconds: float):
    def expired(signum, frame):
        raise TimeoutError(f"request still running after {seconds} s")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    data = tmp_path_factory.mktemp("iamd-fuzz")
    settings = Settings(data_dir=str(data), auth="off", access_log=False)
    store = Store(None, settings.data_path)
    info = bootstrap(store, SecretBox.load(settings.data_path), None, settings.data_path)
    store.dispose()
    settings.account_id = info.account_id
    state = AppState.open(settings)
    yield IamApp(state)
    state.store.dispose()


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


async def _asgi(app, method: str, body: bytes, query: bytes):
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": "/", "raw_path": b"/", "query_string": query,
             "headers": [(b"host", b"localhost"),
                         (b"content-type", b"application/x-www-form-urlencoded; charset=utf-8")],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}
    sent = []

    async def send(message):
        sent.append(message)
    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def call(app, loop, method: str = "POST", body: bytes = b"", query: bytes = b""):
    start = time.perf_counter()
    with deadline(TIME_LIMIT):
        status, answer = loop.run_until_complete(_asgi(app, method, body, query))
    assert time.perf_counter() - start < TIME_LIMIT
    return status, answer


@budget(30)
@given(request=hostile_request())
def test_mutated_client_requests(app, loop, request):
    method, body, query, _ = request
    check_answer(*call(app, loop, method, body, query))


@budget(15)
@given(request=random_request())
def test_random_requests(app, loop, request):
    method, body, query, _ = request
    check_answer(*call(app, loop, method, body, query))


def _form(*pairs) -> bytes:
    return encode(pairs)


# Never created by the fuzzers above (they draw names from the model's patterns, and
# this one is longer than their strings get when it matters little).
NOBODY = "nobody-edge-7f3a9c2e1b"

# Hand-picked hostile requests: each (id, method, body, query, expected error code).
EDGES = [
    ("missing-action", _form(("Version", "2010-05-08")), "MissingAction"),
    ("empty-body", b"", "MissingAction"),
    ("unknown-action", _form(("Action", "Frobnicate"), ("Version", "2010-05-08")), "InvalidAction"),
    ("unknown-version", _form(("Action", "ListUsers"), ("Version", "1999-01-01")), "InvalidAction"),
    ("sts-version-on-iam-action", _form(("Action", "ListUsers"), ("Version", "2011-06-15")), "InvalidAction"),
    ("duplicate-param", b"Action=ListUsers&Version=2010-05-08&MaxItems=1&MaxItems=2", "InvalidParameterValue"),
    ("invalid-utf8", b"Action=ListUsers&Version=2010-05-08&PathPrefix=/\xff/", "MalformedQueryString"),
    ("percent-invalid-utf8", b"Action=ListUsers&Version=2010-05-08&PathPrefix=%2F%FF%2F", "MalformedQueryString"),
    ("percent-surrogate", b"Action=ListUsers&Version=2010-05-08&PathPrefix=%ED%A0%80", "MalformedQueryString"),
    ("integer-garbage", _form(("Action", "ListUsers"), ("Version", "2010-05-08"), ("MaxItems", "1_0")),
     "ValidationError"),
    ("integer-unicode-digits", _form(("Action", "ListUsers"), ("Version", "2010-05-08"), ("MaxItems", "١٢")),
     "ValidationError"),
    ("integer-overflow", _form(("Action", "ListUsers"), ("Version", "2010-05-08"), ("MaxItems", "9" * 5000)),
     "ValidationError"),
    ("list-given-a-scalar", _form(("Action", "UntagUser"), ("Version", "2010-05-08"), ("UserName", NOBODY),
                                  ("TagKeys", "k")), "ValidationError"),
    ("list-item-only-subkeys", _form(("Action", "UntagUser"), ("Version", "2010-05-08"), ("UserName", NOBODY),
                                     ("TagKeys.member.1.Oops", "k")), "ValidationError"),
    ("deep-nesting", _form(("Action", "TagUser"), ("Version", "2010-05-08"), ("UserName", NOBODY),
                           ("Tags" + ".member.1" * 50000 + ".Key", "k")), "ValidationError"),
    ("huge-index", _form(("Action", "TagUser"), ("Version", "2010-05-08"), ("UserName", NOBODY),
                         ("Tags.member.999999999.Key", "k"), ("Tags.member.999999999.Value", "v")),
     "NoSuchEntity"),
    ("index-beyond-nine-digits", _form(("Action", "TagUser"), ("Version", "2010-05-08"), ("UserName", NOBODY),
                                       ("Tags.member.4294967297.Key", "k"), ("Tags.member.4294967297.Value", "v")),
     "ValidationError"),
    ("too-many-items", _form(("Action", "UntagUser"), ("Version", "2010-05-08"), ("UserName", NOBODY),
                             *((f"TagKeys.member.{i}", "k") for i in range(1, MAX_LIST_ITEMS + 2))),
     "ValidationError"),
    ("control-chars-echoed-in-error", _form(("Action", "GetUser"), ("Version", "2010-05-08"),
                                            ("UserName", "a\x00\x01\x1b\ud7ff\r")), "ValidationError"),
    ("body-too-large", b"Action=ListUsers&Version=2010-05-08&Marker=" + b"a" * (1 << 20), "RequestEntityTooLarge"),
]


@pytest.mark.parametrize("body,code", [pytest.param(b, c, id=i) for i, b, c in EDGES])
def test_edge_requests(app, loop, body, code):
    assert check_answer(*call(app, loop, "POST", body)) == code


def test_get_with_query_string(app, loop):
    assert check_answer(*call(app, loop, "GET", b"", b"Action=GetUser&Version=2010-05-08&UserName=%00")) \
        == "ValidationError"
