"""Shared pieces of the fuzz tests: hostile form bodies, and what every answer must be.

A body is drawn as a list of (key, value) pairs so that it can be mutated the way a
broken or malicious client would (drop, duplicate, retype, renumber, nest, garble), then
encoded, then optionally corrupted at the byte level. `check_answer` states the contract:
whatever arrives, iamd answers well-formed Query XML, 200 or 4xx (501 for an operation
not implemented yet), with the status the model gives the error code; never a 5xx.
"""

import xml.etree.ElementTree as ET
from urllib.parse import quote

from botocore.parsers import QueryParser
from botocore.serialize import create_serializer
from hypothesis import strategies as st
from model_strategies import operations, valid_input

from iamd.protocol.errors import COMMON_STATUS
from iamd.protocol.model import catalog

OPS = operations()
VERSIONS = ["2010-05-08", "2011-06-15"]
_serializer = create_serializer("query")


def _member_names() -> list[str]:
    names = set()

    def walk(shape, seen):
        if shape.type_name == "structure" and shape.name not in seen:
            for name, member in shape.members.items():
                names.add(member.serialization.get("name", name))
                walk(member, seen | {shape.name})
        elif shape.type_name == "list":
            walk(shape.member, seen)
    for op in OPS:
        if op.input_shape is not None:
            walk(op.input_shape, frozenset())
    return sorted(names)


MEMBER_NAMES = _member_names()
INDEXES = ["0", "1", "2", "3", "01", "-1", "1.5", "2147483648", "4294967297", "9" * 40,
           "99999999999999999999", "١", "1e3", ""]
SEGMENTS = st.one_of(st.sampled_from(MEMBER_NAMES), st.sampled_from(["member", "entry", "key", "value"]),
                     st.sampled_from(INDEXES), st.text(max_size=6))
GARBAGE_VALUES = st.one_of(
    st.text(max_size=40), st.sampled_from(["", "true", "FALSE", "1", "-1", "0x10", "1e309", "NaN", "1_000",
                                           "١٢", " 5", "2147483648", "9" * 5000, "AAAA====", "%", "&", "="]),
    st.integers().map(str), st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000))


def client_pairs(op, params) -> list[tuple[str, str]]:
    body = _serializer.serialize_to_request(params, op.model)["body"]
    return [(k, str(v)) for k, v in body.items()]


def encode(pairs) -> bytes:
    return "&".join(f"{quote(k, safe='.-_~')}={quote(v, safe='.-_~')}" for k, v in pairs).encode()


@st.composite
def _mutate(draw, pairs: list):
    pairs = list(pairs)
    kind = draw(st.integers(0, 9))
    i = draw(st.integers(0, max(0, len(pairs) - 1)))
    if not pairs:
        kind = 5
    if kind == 0:  # drop one (Action, Version or a required member, often)
        del pairs[i]
    elif kind == 1:  # send one twice
        pairs.insert(i, pairs[i])
    elif kind == 2:  # wrong type / hostile value
        pairs[i] = (pairs[i][0], draw(GARBAGE_VALUES))
    elif kind == 3:  # renumber a list index (gaps, zero, huge, non-canonical)
        key = pairs[i][0]
        parts = key.split(".")
        digits = [j for j, p in enumerate(parts) if p.isdigit()]
        if digits:
            parts[draw(st.sampled_from(digits))] = draw(st.sampled_from(INDEXES))
        pairs[i] = (".".join(parts), pairs[i][1])
    elif kind == 4:  # nest deeper
        depth = draw(st.sampled_from([1, 3, 50, 2000]))
        pairs[i] = (pairs[i][0] + ".member.1" * depth, pairs[i][1])
    elif kind == 5:  # a key made of model words
        key = ".".join(draw(st.lists(SEGMENTS, min_size=1, max_size=6)))
        pairs.insert(i, (key, draw(GARBAGE_VALUES)))
    elif kind == 6:  # another action, or none we know
        pairs = [(k, v) for k, v in pairs if k != "Action"]
        pairs.insert(0, ("Action", draw(st.one_of(st.sampled_from([op.name for op in OPS]), st.text(max_size=20)))))
    elif kind == 7:  # unknown or other service's version
        pairs = [(k, v) for k, v in pairs if k != "Version"]
        pairs.append(("Version", draw(st.one_of(st.sampled_from(VERSIONS), st.text(max_size=12)))))
    elif kind == 8:  # a very long list
        key = pairs[i][0]
        n = draw(st.sampled_from([60, 1000, 12000]))
        pairs.extend((f"{key}.member.{j}", "x") for j in range(1, n + 1))
    else:  # empty-list form for a key
        pairs[i] = (pairs[i][0], "")
    return pairs


@st.composite
def _corrupt(draw, body: bytes) -> bytes:
    """Byte-level damage: invalid UTF-8, stray or broken percent escapes, separators."""
    junk = draw(st.sampled_from([b"\xff", b"\xc3", b"%", b"%zz", b"%C3", b"%ED%A0%80", b"%FF", b"&&",
                                 b"=", b"==", b"+", b";", b"\x00", b"%00", b"\r\n", b"&Action=ListUsers"]))
    at = draw(st.integers(0, len(body)))
    return body[:at] + junk + body[at:]


@st.composite
def hostile_request(draw):
    """(method, body, query string, the operation the body started from)."""
    op = draw(st.sampled_from(OPS))
    pairs = client_pairs(op, draw(valid_input(op.input_shape)))
    for _ in range(draw(st.integers(0, 4))):
        pairs = draw(_mutate(pairs))
    body = encode(pairs)
    if draw(st.integers(0, 3)) == 0:  # mostly intact, so that most requests get past decoding
        body = draw(_corrupt(body))
    if draw(st.integers(0, 5)) == 0:
        return "GET", b"", body, op
    return "POST", body, b"", op


@st.composite
def random_request(draw):
    """Keys built from the model's vocabulary, no valid request underneath."""
    pairs = [(".".join(draw(st.lists(SEGMENTS, min_size=1, max_size=8))), draw(GARBAGE_VALUES))
             for _ in range(draw(st.integers(0, 12)))]
    if draw(st.booleans()):
        pairs.insert(0, ("Action", draw(st.sampled_from([op.name for op in OPS]))))
    if draw(st.booleans()):
        pairs.insert(draw(st.integers(0, len(pairs))), ("Version", draw(st.sampled_from(VERSIONS))))
    return "POST", encode(pairs), b"", None


_parser = QueryParser()


def check_answer(status: int, body: bytes, action: str | None = None) -> str:
    """Assert the contract; return the error code ('' for a success)."""
    assert status < 500 or status == 501, f"HTTP {status}: {body[:2000]!r}"
    root = ET.fromstring(body)  # well-formed, or this raises
    tag = root.tag.split("}")[-1]
    if status == 200:
        op = catalog().by_name.get(tag[:-len("Response")]) if tag.endswith("Response") else None
        assert op is not None, body[:500]
        if action is not None:
            assert op.name == action
        parsed = _parser.parse({"body": body, "headers": {}, "status_code": 200, "context": {}}, op.output_shape)
        assert parsed["ResponseMetadata"]["RequestId"]
        return ""
    assert tag == "ErrorResponse", body[:500]
    children = {child.tag.split("}")[-1]: child for child in root}
    error = {child.tag.split("}")[-1]: child.text for child in children["Error"]}
    assert error["Type"] == ("Sender" if status < 500 else "Receiver")
    assert error["Code"] and "Message" in error
    assert children["RequestId"].text
    if status == 501:
        assert error["Code"] == "NotImplemented"
    modelled = catalog().error_status.get(error["Code"]) or COMMON_STATUS.get(error["Code"])
    if modelled is not None:
        assert status == modelled, f"{error['Code']} answered with HTTP {status}, model says {modelled}"
    return error["Code"]
