"""The XML serializer on the values handlers really produce: text XML cannot carry,
policy documents, missing required lists, null entries, timestamps, recursive shapes."""

import calendar
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

import pytest
from botocore.model import ServiceModel
from botocore.parsers import QueryParser
from botocore.utils import parse_timestamp

from iamd.protocol.model import catalog
from iamd.protocol.serializer import serialize_error, serialize_response, writer_for, xml_text


def _epoch(text: str) -> int:
    return calendar.timegm(parse_timestamp(text).utctimetuple())


def round_trip(action: str, data: dict) -> dict:
    op = catalog().by_name[action]
    body = serialize_response(op, data, "rid")
    parsed = QueryParser(timestamp_parser=_epoch).parse(
        {"body": body, "headers": {}, "status_code": 200, "context": {}}, op.output_shape)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "rid"
    return parsed


def user(**extra):
    return {"Path": "/", "UserName": "u", "UserId": "AIDAEXAMPLE1234567890", "Arn": "arn:aws:iam::1:user/u",
            "CreateDate": 1422172800, **extra}


@pytest.mark.parametrize("text,seen", [
    ("a & b < c > d", "a & b < c > d"),
    ("line\r\nbreak\rand\ttab\n", "line\r\nbreak\rand\ttab\n"),
    ("nul\x00bell\x07esc\x1b", "nul\ufffdbell\ufffdesc\ufffd"),
    ("\ufffe\uffff\ud800", "\ufffd\ufffd\ufffd"),
    ("\x7f\x85\u2028 are fine", "\x7f\x85\u2028 are fine"),
    ("]]>", "]]>"),
    ("emoji \U0001F600", "emoji \U0001F600"),
])
def test_text_survives_or_is_replaced(text, seen):
    assert round_trip("GetUser", {"User": user(UserName=text)})["User"]["UserName"] == seen


def test_plain_text_is_returned_as_is():
    text = "arn:aws:iam::123456789012:user/alice"
    assert xml_text(text) is text


def test_policy_documents_are_percent_encoded_rfc3986():
    doc = '{"Statement": [{"Action": "s3:*", "Note": "a+b ü\n\ud800"}]}'
    op = catalog().by_name["GetUserPolicy"]
    body = serialize_response(op, {"UserName": "u", "PolicyName": "p", "PolicyDocument": doc}, "rid").decode()
    encoded = body.split("<PolicyDocument>")[1].split("</PolicyDocument>")[0]
    assert "%20" in encoded and "%2B" in encoded and "+" not in encoded and "%C3%BC" in encoded
    parsed = round_trip("GetUserPolicy", {"UserName": "u", "PolicyName": "p", "PolicyDocument": doc})
    assert unquote(parsed["PolicyDocument"]) == doc.replace("\ud800", "\ufffd")


def test_required_lists_are_always_present():
    assert round_trip("ListUsers", {"IsTruncated": False}) == {"Users": [], "IsTruncated": False}
    assert round_trip("ListUsers", {"Users": [], "IsTruncated": False}) == {"Users": [], "IsTruncated": False}


def test_null_list_items_and_map_values_are_skipped():
    parsed = round_trip("GetAccountSummary", {"SummaryMap": {"Users": 3, "Groups": None}})
    assert parsed == {"SummaryMap": {"Users": 3}}
    parsed = round_trip("ListUserTags", {"Tags": [None, {"Key": "k", "Value": "v"}], "IsTruncated": False})
    assert parsed["Tags"] == [{"Key": "k", "Value": "v"}]


@pytest.mark.parametrize("value", [
    1422172800, 1422172800.999, datetime(2015, 1, 25, 8, 0, 0, 999999),
    datetime(2015, 1, 25, 9, 0, tzinfo=timezone(timedelta(hours=1)))])
def test_timestamps_go_out_at_second_precision(value):
    assert round_trip("GetUser", {"User": user(CreateDate=value)})["User"]["CreateDate"] == 1422172800


def test_blobs_from_bytes_or_text():
    op_data = {"Content": b"\x00\xffcsv", "ReportFormat": "text/csv", "GeneratedTime": 0}
    assert round_trip("GetCredentialReport", op_data)["Content"] == b"\x00\xffcsv"
    assert round_trip("GetCredentialReport", {"Content": "csv"})["Content"] == b"csv"


def test_empty_string_and_empty_structure():
    parsed = round_trip("GetUser", {"User": user(Path="", PermissionsBoundary={})})
    assert parsed["User"]["Path"] == "" and parsed["User"]["PermissionsBoundary"] == {}


def test_error_envelope_with_hostile_message():
    body = serialize_error("ValidationError", "Value 'a\x00<b>' is bad", "rid")
    parsed = QueryParser().parse({"body": body, "headers": {}, "status_code": 400, "context": {}}, None)
    assert parsed["Error"] == {"Type": "Sender", "Code": "ValidationError", "Message": "Value 'a\ufffd<b>' is bad"}
    assert parsed["ResponseMetadata"]["RequestId"] == "rid"


def test_receiver_fault():
    body = serialize_error("InternalFailure", "boom", "rid", sender=False)
    assert b"<Type>Receiver</Type>" in body


_RECURSIVE = ServiceModel({
    "metadata": {"protocol": "query", "apiVersion": "2014-01-01", "xmlNamespace": "urn:x"},
    "operations": {"Op": {"name": "Op", "output": {"shape": "Out", "resultWrapper": "OpResult"}}},
    "shapes": {
        "Out": {"type": "structure", "members": {"Node": {"shape": "Node"}}},
        "Node": {"type": "structure", "members": {"Name": {"shape": "Str"}, "Kids": {"shape": "Nodes"},
                                                  "ByName": {"shape": "NodeMap"}}},
        "Nodes": {"type": "list", "member": {"shape": "Node"}},
        "NodeMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Node"}},
        "Str": {"type": "string"}}})


class _Op:
    name, namespace, result_wrapper = "Op", "urn:x", "OpResult"
    output_shape = _RECURSIVE.operation_model("Op").output_shape


def test_recursive_output_shape():
    tree = {"Node": {"Name": "root", "Kids": [{"Name": "a", "Kids": [{"Name": "a1"}]}],
                     "ByName": {"b": {"Name": "b", "ByName": {"c": {"Name": "c"}}}}}}
    body = serialize_response(_Op, tree, "rid")
    parsed = QueryParser().parse({"body": body, "headers": {}, "status_code": 200, "context": {}},
                                 _Op.output_shape)
    parsed.pop("ResponseMetadata")
    assert parsed == tree


def test_plans_are_compiled_once_per_shape():
    shape = catalog().by_name["GetUser"].output_shape
    assert writer_for(shape) is writer_for(shape)


_FLOATS = ServiceModel({
    "metadata": {"protocol": "query", "apiVersion": "2014-01-01"},
    "operations": {"Op": {"name": "Op", "output": {"shape": "Out", "resultWrapper": "OpResult"}}},
    "shapes": {"Out": {"type": "structure", "members": {"D": {"shape": "D"}}}, "D": {"type": "double"}}})


class _FloatOp:
    name, namespace, result_wrapper = "Op", None, "OpResult"
    output_shape = _FLOATS.operation_model("Op").output_shape


@pytest.mark.parametrize("value,text", [(1.3, "1.3"), (1e16, "1e+16"), (0.1 + 0.2, "0.30000000000000004"),
                                        (float("inf"), "Infinity"), (float("-inf"), "-Infinity"), (7, "7.0")])
def test_doubles_read_back_exactly(value, text):
    body = serialize_response(_FloatOp, {"D": value}, "rid")
    assert f"<D>{text}</D>".encode() in body
    parsed = QueryParser().parse({"body": body, "headers": {}, "status_code": 200, "context": {}},
                                 _FloatOp.output_shape)
    assert parsed["D"] == value
