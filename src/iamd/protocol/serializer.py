"""Serialize outputs and errors to the Query protocol's XML, as botocore parses it.

Handlers return plain data shaped like the operation's output shape; timestamps may be
epoch seconds or datetimes, blobs bytes. Members with no value are left out, except
required lists, which botocore's callers index without checking (always emitted).

Each output shape is compiled once into a writer (tags pre-built, one formatting
function per scalar), so a response costs a walk over the data and nothing else; this
is the hot path of every call.
"""

import base64
import re
from datetime import datetime, timezone
from email.utils import formatdate
from time import gmtime, strftime
from urllib.parse import quote

from botocore.model import Shape

from .quirks import URL_ENCODE_SAFE, URL_ENCODED_SHAPES

# XML 1.0 cannot carry these at all, not even as character references: they are
# replaced by U+FFFD so that the document stays well-formed. `\r` would be normalised
# away by any XML parser unless written as a reference.
_NEEDS_WORK = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord("\r"): "&#xD;"}
_ESCAPES.update({c: "\ufffd" for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20),
                                       *range(0xD800, 0xE000), 0xFFFE, 0xFFFF]})
_SURROGATES = re.compile("[\ud800-\udfff]")


def xml_text(value: str) -> str:
    """Escape text for element content; most strings need nothing and pay one scan."""
    if _NEEDS_WORK.search(value) is None:
        return value
    return value.translate(_ESCAPES)


# quote() of each ASCII character: an ASCII document (nearly all of them) is encoded by
# one str.translate instead of quote's Python loop over its bytes.
_URL_ASCII = {c: quote(chr(c), safe=URL_ENCODE_SAFE) for c in range(128)}
# Documents repeat (most roles trust the same service or two): an account-wide listing
# encodes each once. Bounded: 1,024 documents of up to 4,096 characters.
_URL_CACHE: dict[str, str] = {}


def url_encoded(value: str) -> str:
    found = _URL_CACHE.get(value)
    if found is not None:
        return found
    found = _url_encoded(value)
    if len(value) <= 4096:
        if len(_URL_CACHE) >= 1024:
            _URL_CACHE.clear()
        _URL_CACHE[value] = found
    return found


def _url_encoded(value: str) -> str:
    if value.isascii():
        return value.translate(_URL_ASCII)
    # A lone surrogate has no UTF-8 form; it goes the way it goes in plain text.
    if _SURROGATES.search(value) is not None:
        value = _SURROGATES.sub("\ufffd", value)
    return quote(value, safe=URL_ENCODE_SAFE)


def _epoch(value) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    return value


_ISO_SECONDS: dict[int, str] = {}  # entities made in bulk share their seconds


def iso8601(value) -> str:
    # Second precision, as IAM answers; gmtime floors the fraction.
    second = int(_epoch(value) // 1)
    text = _ISO_SECONDS.get(second)
    if text is None:
        if len(_ISO_SECONDS) >= 65536:
            _ISO_SECONDS.clear()
        text = _ISO_SECONDS[second] = strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(second))
    return text


def _unix(value) -> str:
    return str(int(_epoch(value) // 1))


def _rfc822(value) -> str:
    return formatdate(_epoch(value) // 1, usegmt=True)


_TIMESTAMP = {"iso8601": iso8601, "unixTimestamp": _unix, "rfc822": _rfc822}


def _blob(value) -> str:
    if isinstance(value, str):
        value = value.encode()
    return base64.b64encode(value).decode()


def _boolean(value) -> str:
    return "true" if value else "false"


def _integer(value) -> str:
    return "%d" % value


_NON_FINITE = {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}


def _float(value) -> str:
    # Shortest text that reads back to the same double; non-finite values spelled so
    # that both Java's Double.parseDouble and Python's float() accept them.
    text = repr(float(value))
    return _NON_FINITE.get(text, text)


def _formatter(shape: Shape):
    t = shape.type_name
    if t == "string" or t == "character":
        return url_encoded if shape.name in URL_ENCODED_SHAPES else xml_text
    if t == "boolean":
        return _boolean
    if t == "integer" or t == "long":
        return _integer
    if t == "float" or t == "double":
        return _float
    if t == "timestamp":
        return _TIMESTAMP.get(shape.serialization.get("timestampFormat", "iso8601"), iso8601)
    if t == "blob":
        return _blob
    return lambda value: xml_text(str(value))


class _Compiler:
    """Builds writers `write(out: list[str], value)` for the shapes under one root.

    Writers are memoised per shape name and serialization traits (botocore hands out a
    fresh Shape object at every level), which also closes the loop of a recursive shape:
    its writer is looked up when called, not when built.
    """

    def __init__(self):
        self.writers: dict[tuple, object] = {}

    def writer(self, shape: Shape):
        key = (shape.name, tuple(sorted(shape.serialization.items())))
        found = self.writers.get(key)
        if found is not None:
            return found
        if shape.type_name not in ("structure", "list", "map"):
            fmt = _formatter(shape)

            def write_scalar(out, value):
                out.append(fmt(value))
            self.writers[key] = write_scalar
            return write_scalar
        cell = []

        def deferred(out, value):
            cell[0](out, value)
        self.writers[key] = deferred
        build = {"structure": self._structure, "list": self._list, "map": self._map}[shape.type_name]
        cell.append(build(shape))
        self.writers[key] = cell[0]
        return cell[0]

    def _member(self, name: str, member: Shape, required: bool):
        """(name, kind, a, b, c, empty) for one structure member; see _structure."""
        tag = member.serialization.get("name", name)
        empty = f"<{tag}/>" if required and member.type_name == "list" else None
        if member.type_name == "list" and member.serialization.get("flattened"):
            # botocore looks flattened items up by the list member's name first; an
            # empty flattened list is no element at all (`<tag/>` would read as one item).
            item_tag = member.member.serialization.get("name", tag)
            return (name, 2, f"<{item_tag}>", f"</{item_tag}>", self.writer(member.member), None)
        if member.type_name == "map" and member.serialization.get("flattened"):
            return (name, 3, f"<{tag}>", f"</{tag}>", self._map_entries(member), empty)
        if member.type_name in ("structure", "list", "map"):
            return (name, 1, f"<{tag}>", f"</{tag}>", self.writer(member), empty)
        return (name, 0, f"<{tag}>", f"</{tag}>", _formatter(member), empty)

    def _structure(self, shape: Shape):
        """A writer made for this structure: straight-line code, one block per member
        (an account-wide listing runs it for every entity, so no loop over a field table
        and no branch on each member's kind at run time)."""
        required = set(shape.required_members)
        fields = tuple(self._member(name, member, name in required)
                       for name, member in shape.members.items())
        env: dict = {}
        lines = ["def write_structure(out, value):", "    get = value.get", "    append = out.append"]
        for i, (name, kind, open_, close, how, empty) in enumerate(fields):
            env[f"how{i}"] = how
            lines.append(f"    v = get({name!r})")
            lines.append("    if v is not None:")
            if kind == 0:
                lines.append(f"        append({open_!r} + how{i}(v) + {close!r})")
            elif kind == 1:
                lines += [f"        append({open_!r})", f"        how{i}(out, v)", f"        append({close!r})"]
            elif kind == 2:
                lines += ["        for item in v:", "            if item is not None:",
                          f"                append({open_!r})", f"                how{i}(out, item)",
                          f"                append({close!r})"]
            else:
                lines.append(f"        how{i}(out, v, {open_!r}, {close!r})")
            if empty is not None:
                lines += ["    else:", f"        append({empty!r})"]
        if not fields:
            lines.append("    pass")
        exec(compile("\n".join(lines), f"<writer {shape.name}>", "exec"), env)  # noqa: S102 - our own text
        return env["write_structure"]

    def _list(self, shape: Shape):
        tag = shape.member.serialization.get("name", "member")
        open_, close = f"<{tag}>", f"</{tag}>"
        if shape.member.type_name not in ("structure", "list", "map"):
            fmt = _formatter(shape.member)

            def write_scalars(out, value):
                out.extend(f"{open_}{fmt(item)}{close}" for item in value if item is not None)
            return write_scalars
        item_writer = self.writer(shape.member)

        def write_list(out, value):
            append = out.append
            for item in value:
                if item is not None:
                    append(open_)
                    item_writer(out, item)
                    append(close)
        return write_list

    def _map_entries(self, shape: Shape):
        ktag = shape.key.serialization.get("name", "key")
        vtag = shape.value.serialization.get("name", "value")
        kfmt = _formatter(shape.key)
        kopen, vopen, vclose = f"<{ktag}>", f"</{ktag}><{vtag}>", f"</{vtag}>"
        value_writer = self.writer(shape.value)

        def write_entries(out, value, open_, close):
            for k, v in value.items():
                if k is None or v is None:  # nothing botocore could read back
                    continue
                out.append(f"{open_}{kopen}{kfmt(k)}{vopen}")
                value_writer(out, v)
                out.append(f"{vclose}{close}")
        return write_entries

    def _map(self, shape: Shape):
        entries = self._map_entries(shape)

        def write_map(out, value):
            entries(out, value, "<entry>", "</entry>")
        return write_map


# Compiled writers by output shape object: the catalog's shapes live as long as the
# process, and a shape built elsewhere (tests, another model) gets its own entry.
_PLANS: dict[int, tuple[Shape, object]] = {}


def writer_for(shape: Shape):
    plan = _PLANS.get(id(shape))
    if plan is None or plan[0] is not shape:
        plan = _PLANS[id(shape)] = (shape, _Compiler().writer(shape))
    return plan[1]


def serialize_response(op, data: dict | None, request_id: str) -> bytes:
    """`op` needs `name`, `namespace`, `output_shape` and `result_wrapper`."""
    out = [f'<{op.name}Response xmlns="{op.namespace}">' if op.namespace else f"<{op.name}Response>"]
    shape = op.output_shape
    if shape is not None:
        # Without a resultWrapper botocore reads the members straight under the root.
        wrapper = op.result_wrapper
        if wrapper:
            out.append(f"<{wrapper}>")
        writer_for(shape)(out, data or {})
        if wrapper:
            out.append(f"</{wrapper}>")
    out.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
               f"</{op.name}Response>")
    return "".join(out).encode()


def serialize_error(code: str, message: str, request_id: str, sender: bool = True,
                    shape: Shape | None = None, fields: dict | None = None) -> bytes:
    """The ErrorResponse envelope; `shape`/`fields` add a modelled error's own members."""
    kind = "Sender" if sender else "Receiver"
    out = [f"<ErrorResponse><Error><Type>{kind}</Type><Code>{xml_text(code)}</Code>"
           f"<Message>{xml_text(message)}</Message>"]
    if shape is not None and fields:
        envelope = {"Type", "Code", "Message", "message"}
        writer_for(shape)(out, {k: v for k, v in fields.items() if k not in envelope})
    out.append(f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>")
    return "".join(out).encode()
