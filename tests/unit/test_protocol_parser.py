"""The Query form parser on what botocore never sends: gaps, odd indexes, hostile sizes,
strict scalar syntax. (What botocore does send is proven in tests/fuzz.)"""

import time

import pytest
from botocore.model import ServiceModel

from iamd.protocol.errors import AWSError
from iamd.protocol.model import catalog
from iamd.protocol.parser import MAX_DEPTH, MAX_LIST_ITEMS, parse_form, parse_input, parse_timestamp

_MODEL = ServiceModel({
    "metadata": {"protocol": "query", "apiVersion": "2014-01-01"},
    "operations": {"Op": {"name": "Op", "input": {"shape": "In"}}},
    "shapes": {
        "In": {"type": "structure", "members": {
            "L": {"shape": "Strings"}, "I": {"shape": "Int"}, "Lg": {"shape": "Long"}, "B": {"shape": "Bool"},
            "T": {"shape": "Time"}, "Bl": {"shape": "Blob"}, "D": {"shape": "Double"}, "M": {"shape": "Map"},
            "S": {"shape": "Struct"}, "R": {"shape": "Rec"}}},
        "Strings": {"type": "list", "member": {"shape": "Str"}},
        "Map": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}},
        "Struct": {"type": "structure", "members": {"A": {"shape": "Str"}}},
        "Rec": {"type": "structure", "members": {"R": {"shape": "Rec"}, "V": {"shape": "Str"}}},
        "Str": {"type": "string"}, "Int": {"type": "integer"}, "Long": {"type": "long"},
        "Bool": {"type": "boolean"}, "Time": {"type": "timestamp"}, "Blob": {"type": "blob"},
        "Double": {"type": "double"}}})
SHAPE = _MODEL.operation_model("Op").input_shape


def parse(**params):
    return parse_input(SHAPE, {k.replace("__", "."): v for k, v in params.items()})


def parse_raw(params: dict):
    return parse_input(SHAPE, params)


def test_list_gaps_close_up_in_index_order():
    assert parse_raw({"L.member.3": "c", "L.member.1": "a", "L.member.7": "g"}) == ({"L": ["a", "c", "g"]}, [])


@pytest.mark.parametrize("index", ["0", "01", "-1", "1e3", "1.0", "", "١", "1234567890", "9" * 5000])
def test_non_canonical_indexes_are_unknown_parameters(index):
    assert parse_raw({f"L.member.{index}": "x", "L.member.2": "b"}) == ({"L": ["b"]}, [])


def test_huge_index_costs_nothing():
    start = time.perf_counter()
    assert parse_raw({"L.member.999999999": "z"}) == ({"L": ["z"]}, [])
    assert time.perf_counter() - start < 0.1


def test_too_many_items_is_refused():
    params = {f"L.member.{i}": "x" for i in range(1, MAX_LIST_ITEMS + 2)}
    with pytest.raises(AWSError) as e:
        parse_raw(params)
    assert e.value.code == "ValidationError"


def test_empty_forms():
    assert parse_raw({"L": "", "M": "", "S": ""}) == ({"L": [], "M": {}, "S": {}}, [])


def test_subkeys_naming_nothing_known_are_absent():
    assert parse_raw({"L.member.1.Foo": "x", "S.Nope": "1", "M.entry.x.key": "k"}) == ({}, [])


def test_scalar_for_a_container_is_a_type_error():
    data, errors = parse_raw({"L": "x"})
    assert data == {} and errors == ["Value 'x' at 'l' failed to satisfy constraint: Member must be a list"]


def test_map_entries_in_index_order_and_value_optional():
    data, errors = parse_raw({"M.entry.2.key": "b", "M.entry.2.value": "2", "M.entry.1.key": "a"})
    assert data == {"M": {"a": None, "b": "2"}} and errors == []


def test_deep_keys_cost_what_the_shape_reaches():
    start = time.perf_counter()
    data, errors = parse_raw({"S" + ".A" * 200_000: "x", "L.member.1" + ".member.1" * 50_000: "y"})
    assert time.perf_counter() - start < 0.5
    assert data == {} and errors == []


def test_recursive_shape_depth_is_bounded():
    ok = "R" + ".R" * (MAX_DEPTH - 3) + ".V"
    assert parse_raw({ok: "v"})[1] == []
    with pytest.raises(AWSError) as e:
        parse_raw({"R" + ".R" * (MAX_DEPTH + 5) + ".V": "v"})
    assert e.value.code == "ValidationError"


@pytest.mark.parametrize("raw,value", [("0", 0), ("-5", -5), ("+7", 7), ("2147483647", 2147483647),
                                       ("-2147483648", -2147483648)])
def test_integer_accepted(raw, value):
    assert parse(I=raw) == ({"I": value}, [])


@pytest.mark.parametrize("raw", ["", " 5", "5 ", "1_0", "١٢", "0x10", "1.0", "1e3", "2147483648", "9" * 5000])
def test_integer_refused(raw):
    data, errors = parse(I=raw)
    assert data == {} and errors == [f"Value '{raw}' at 'i' failed to satisfy constraint: Member must be a number"]


def test_long_range():
    assert parse(Lg="9223372036854775807") == ({"Lg": 9223372036854775807}, [])
    assert parse(Lg="9223372036854775808")[1]


@pytest.mark.parametrize("raw,value", [("true", True), ("false", False), ("TRUE", True), ("False", False)])
def test_boolean_accepted(raw, value):
    assert parse(B=raw) == ({"B": value}, [])


@pytest.mark.parametrize("raw", ["1", "0", "yes", "", "truee"])
def test_boolean_refused(raw):
    assert parse(B=raw)[1] == [f"Value '{raw}' at 'b' failed to satisfy constraint: Member must be a boolean"]


@pytest.mark.parametrize("raw,value", [
    ("0", 0.0),  # falsy, and still a timestamp
    ("1422172800", 1422172800.0), ("1422172800.5", 1422172800.5),
    ("2015-01-25T08:00:00Z", 1422172800.0), ("2015-01-25T08:00:00.250Z", 1422172800.25),
    ("2015-01-25T09:00:00+01:00", 1422172800.0), ("2015-01-25T08:00:00", 1422172800.0)])
def test_timestamp_accepted(raw, value):
    assert parse(T=raw) == ({"T": value}, [])
    assert parse_timestamp(raw) == value


@pytest.mark.parametrize("raw", ["", "yesterday", "1e10", "-1", "99999999999999", "10000-01-01T00:00:00Z",
                                 "2015-13-01T00:00:00Z", "NaN", "١٤٢٢١٧٢٨٠٠"])
def test_timestamp_refused(raw):
    assert parse(T=raw)[1] == [f"Value '{raw}' at 't' failed to satisfy constraint: Member must be a timestamp"]


def test_blob():
    assert parse(Bl="Zm9v") == ({"Bl": b"foo"}, [])
    assert parse(Bl="") == ({"Bl": b""}, [])
    assert parse(Bl="Zm9v!")[1]


@pytest.mark.parametrize("raw,value", [("1.5", 1.5), ("-2", -2.0), (".5", 0.5), ("1e3", 1000.0)])
def test_double_accepted(raw, value):
    assert parse(D=raw) == ({"D": value}, [])


@pytest.mark.parametrize("raw", ["nan", "inf", "-Infinity", "1_0.5", " 1", "1e99999", "1e9999", "0x1p3"])
def test_double_refused(raw):
    assert parse(D=raw)[1]


def test_parse_form_refuses_duplicates_and_bad_utf8():
    assert parse_form("A=1&B=%20x+y&C=") == {"A": "1", "B": " x y", "C": ""}
    with pytest.raises(AWSError) as e:
        parse_form("A=1&A=1")
    assert e.value.code == "InvalidParameterValue"
    with pytest.raises(AWSError) as e:
        parse_form("A=%FF")
    assert e.value.code == "MalformedQueryString"
    # The same parameter spelled two ways is still the same parameter.
    with pytest.raises(AWSError):
        parse_form("UserName=a&User%4Eame=b")


def test_real_operation_with_gap_keeps_every_tag():
    op = catalog().by_name["TagUser"]
    data, errors = parse_input(op.input_shape, {
        "UserName": "alice", "Tags.member.1.Key": "a", "Tags.member.1.Value": "1",
        "Tags.member.3.Key": "c", "Tags.member.3.Value": "3"})
    assert errors == []
    assert data == {"UserName": "alice", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "c", "Value": "3"}]}
