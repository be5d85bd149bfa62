"""Every IAM and STS operation, both directions, against botocore's own (de)serializers.

Inputs: hypothesis draws a valid input from the operation's input shape, botocore's
QuerySerializer writes the form body a real client sends, and our parser must hand back
exactly that input, which our validator must accept. Outputs: hypothesis draws output
data, our serializer writes the XML and botocore's QueryParser must read back exactly
that data (modulo what the wire cannot carry: see `expected_output`).
"""

import calendar
import math
from datetime import datetime, timezone
from urllib.parse import unquote

import pytest
from botocore.parsers import QueryParser
from botocore.serialize import create_serializer
from botocore.utils import parse_timestamp as botocore_timestamp
from botocore.utils import percent_encode_sequence
from hypothesis import given
from model_strategies import any_output, budget, operations, valid_input

from iamd.protocol.parser import parse_form, parse_input
from iamd.protocol.quirks import URL_ENCODED_SHAPES
from iamd.protocol.serializer import serialize_response
from iamd.protocol.validate import validate_input

OPS = operations()
_serializer = create_serializer("query")


def client_body(op, params: dict) -> str:
    """The form body botocore sends for these params."""
    return percent_encode_sequence(_serializer.serialize_to_request(params, op.model)["body"])


def test_every_operation_is_covered():
    assert len(OPS) == 187


@pytest.mark.parametrize("op", OPS, ids=lambda op: f"{op.service}.{op.name}")
def test_input_round_trip(op):
    @budget()
    @given(params=valid_input(op.input_shape))
    def check(params):
        form = parse_form(client_body(op, params))
        assert form.pop("Action") == op.name and form.pop("Version") == op.version
        parsed, errors = parse_input(op.input_shape, form)
        assert errors == []
        assert parsed == params
        validate_input(op.input_shape, parsed)
    check()


# -- outputs ----------------------------------------------------------------------------

_XML_ILLEGAL = set(range(0x00, 0x09)) | {0x0B, 0x0C} | set(range(0x0E, 0x20)) \
    | set(range(0xD800, 0xE000)) | {0xFFFE, 0xFFFF}


def _xml_safe(text: str) -> str:
    return "".join("\ufffd" if ord(c) in _XML_ILLEGAL else c for c in text)


def _url_safe(text: str) -> str:
    return "".join("\ufffd" if 0xD800 <= ord(c) < 0xE000 else c for c in text)


def _floor_epoch(value) -> int:
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
    return math.floor(value)


def expected_output(shape, value):
    """What botocore must read back: characters XML 1.0 cannot carry become U+FFFD,
    timestamps are whole seconds, and a required list left out arrives empty."""
    t = shape.type_name
    if t == "structure":
        out = {k: expected_output(shape.members[k], v) for k, v in value.items() if v is not None}
        for name in shape.required_members:
            if name not in out and shape.members[name].type_name == "list":
                out[name] = []
        return out
    if t == "list":
        return [expected_output(shape.member, v) for v in value]
    if t == "map":
        return {expected_output(shape.key, k): expected_output(shape.value, v) for k, v in value.items()}
    if t == "string":
        return _url_safe(value) if shape.name in URL_ENCODED_SHAPES else _xml_safe(value)
    if t == "timestamp":
        return _floor_epoch(value)
    return value


def decoded(shape, value):
    """Undo the URL-encoding of policy documents, as botocore's json_decode_policies
    handler would (the raw parser leaves it)."""
    t = shape.type_name
    if t == "structure":
        return {k: decoded(shape.members[k], v) for k, v in value.items()}
    if t == "list":
        return [decoded(shape.member, v) for v in value]
    if t == "map":
        return {k: decoded(shape.value, v) for k, v in value.items()}
    if t == "string" and shape.name in URL_ENCODED_SHAPES:
        return unquote(value)
    return value


def _epoch(text: str) -> int:
    return calendar.timegm(botocore_timestamp(text).utctimetuple())


_parser = QueryParser(timestamp_parser=_epoch)


@pytest.mark.parametrize("op", [op for op in OPS if op.output_shape is not None],
                         ids=lambda op: f"{op.service}.{op.name}")
def test_output_round_trip(op):
    @budget()
    @given(data=any_output(op.output_shape))
    def check(data):
        body = serialize_response(op, data, "16fc956c-311e-4199-bee1-1680236e9698")
        parsed = _parser.parse({"body": body, "headers": {}, "status_code": 200, "context": {}},
                               op.output_shape)
        assert parsed.pop("ResponseMetadata")["RequestId"] == "16fc956c-311e-4199-bee1-1680236e9698"
        assert decoded(op.output_shape, parsed) == expected_output(op.output_shape, data)
    check()


@pytest.mark.parametrize("op", [op for op in OPS if op.output_shape is None],
                         ids=lambda op: f"{op.service}.{op.name}")
def test_output_without_shape(op):
    body = serialize_response(op, None, "rid")
    parsed = _parser.parse({"body": body, "headers": {}, "status_code": 200, "context": {}}, None)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "rid"
    assert parsed == {}
