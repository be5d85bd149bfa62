"""Serialize outputs and errors to the Query protocol's XML, as botocore parses it.

Handlers return plain data shaped like the operation's output shape; timestamps may be
epoch seconds or datetimes, blobs bytes. Members with no value are left out, except
required lists, which botocore's callers index without checking (always emitted).
"""

import base64
from datetime import datetime, timezone
from time import gmtime, strftime
from urllib.parse import quote
from xml.sax.saxutils import escape

from botocore.model import Shape

from .quirks import URL_ENCODE_SAFE, URL_ENCODED_SHAPES

_XML_ESCAPES = {'"': "&quot;", "\r": "&#xD;"}


def iso8601(value) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.timestamp()
    return strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(value))


def _scalar(shape: Shape, value) -> str:
    t = shape.type_name
    if t == "string":
        if shape.name in URL_ENCODED_SHAPES:
            return quote(value, safe=URL_ENCODE_SAFE)
        return escape(value, _XML_ESCAPES)
    if t == "boolean":
        return "true" if value else "false"
    if t == "timestamp":
        return iso8601(value)
    if t == "blob":
        if isinstance(value, str):
            value = value.encode()
        return base64.b64encode(value).decode()
    if t in ("float", "double"):
        return repr(float(value))
    return str(value)


def _write(out: list, shape: Shape, value) -> None:
    t = shape.type_name
    if t == "structure":
        for name, member in shape.members.items():
            v = value.get(name)
            if v is None:
                if member.type_name == "list" and name in shape.required_members:
                    tag = member.serialization.get("name", name)
                    out.append(f"<{tag}/>")
                continue
            tag = member.serialization.get("name", name)
            if member.type_name == "list" and member.serialization.get("flattened"):
                for item in v:
                    out.append(f"<{tag}>")
                    _write(out, member.member, item)
                    out.append(f"</{tag}>")
                continue
            out.append(f"<{tag}>")
            _write(out, member, v)
            out.append(f"</{tag}>")
    elif t == "list":
        tag = shape.member.serialization.get("name", "member")
        for item in value:
            out.append(f"<{tag}>")
            _write(out, shape.member, item)
            out.append(f"</{tag}>")
    elif t == "map":
        ktag = shape.key.serialization.get("name", "key")
        vtag = shape.value.serialization.get("name", "value")
        for k, v in value.items():
            out.append(f"<entry><{ktag}>{_scalar(shape.key, k)}</{ktag}><{vtag}>")
            _write(out, shape.value, v)
            out.append(f"</{vtag}></entry>")
    else:
        out.append(_scalar(shape, value))


def serialize_response(op, data: dict | None, request_id: str) -> bytes:
    out = [f'<{op.name}Response xmlns="{op.namespace}">']
    if op.output_shape is not None:
        wrapper = op.result_wrapper or f"{op.name}Result"
        out.append(f"<{wrapper}>")
        _write(out, op.output_shape, data or {})
        out.append(f"</{wrapper}>")
    out.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
               f"</{op.name}Response>")
    return "".join(out).encode()


def serialize_error(code: str, message: str, request_id: str, sender: bool = True) -> bytes:
    kind = "Sender" if sender else "Receiver"
    return (f"<ErrorResponse><Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(message, _XML_ESCAPES)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode()
