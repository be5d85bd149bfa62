"""Marker/MaxItems pagination pushed down into SQL, and over short lists in memory.

A marker is the opaque, base64-encoded sort key of the last item returned; the next page
is `WHERE sort_key > marker ORDER BY sort_key LIMIT max_items + 1`, so pages never drop
or repeat an item while other rows come and go between calls.

Lists that are short by quota (a user's two access keys, a policy's five versions, an
entity's fifty tags) are read whole and sliced by `offset_page`; their marker is the offset.
"""

import base64
import json

from sqlalchemy import tuple_

from ..protocol.errors import AWSError

DEFAULT_MAX_ITEMS = 100


def invalid_marker() -> AWSError:
    """A marker iamd did not issue (AWS answers ValidationError, not InvalidInput)."""
    return AWSError("ValidationError", "Invalid Marker.")


def encode_marker(key) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_marker(marker: str):
    try:
        return json.loads(base64.urlsafe_b64decode(marker.encode()))
    except (ValueError, UnicodeDecodeError):
        raise invalid_marker() from None


def _after(marker: str, cols) -> list:
    """The decoded sort key, checked against the columns' types: a forged marker must be
    refused here, not by the database."""
    after = decode_marker(marker)
    if not isinstance(after, list) or len(after) != len(cols):
        raise invalid_marker()
    for value, col in zip(after, cols):
        try:
            want = col.type.python_type
        except NotImplementedError:
            want = str
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) if want in (int, float) \
            else isinstance(value, want)
        if not ok:
            raise invalid_marker()
    return after


def page(tx, stmt, sort_cols, marker: str | None, max_items: int | None, key_of=None):
    """Run `stmt` ordered by `sort_cols` from after `marker`; return (rows, next_marker).

    `key_of(row)` gives the sort key of a row as a list (default: the sort columns' values).
    """
    limit = max_items or DEFAULT_MAX_ITEMS
    if marker:
        after = _after(marker, sort_cols)
        if len(sort_cols) == 1:
            stmt = stmt.where(sort_cols[0] > after[0])
        else:
            stmt = stmt.where(tuple_(*sort_cols) > tuple_(*after))
    rows = tx.execute(stmt.order_by(*sort_cols).limit(limit + 1)).all()
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    key = key_of(last) if key_of else [getattr(last, c.key) for c in sort_cols]
    return rows, encode_marker(key)


def offset_page(items: list, marker: str | None, max_items: int | None):
    """(the page of `items` after `marker`, next marker or None) for a list read whole."""
    start = 0
    if marker:
        if not (marker.isascii() and marker.isdigit()):
            raise invalid_marker()
        start = int(marker)
    end = start + (max_items or DEFAULT_MAX_ITEMS)
    return items[start:end], (str(end) if end < len(items) else None)


def listing(items: list, next_marker: str | None, field: str) -> dict:
    """The output members every List* shares."""
    out = {field: items, "IsTruncated": next_marker is not None}
    if next_marker:
        out["Marker"] = next_marker
    return out


_PAGED: dict = {}


def page_query(tx, base_stmt, params: dict, sort_keys: tuple[str, ...], marker: str | None,
               max_items: int | None):
    """`page()` for a statement with named bindparams, run as a compiled fastq.Query.

    `base_stmt` must be a module-level constant (its compiled variants are cached by id).
    """
    from sqlalchemy import bindparam

    from .fastq import Query

    limit = max_items or DEFAULT_MAX_ITEMS
    variant = (id(base_stmt), bool(marker))
    query = _PAGED.get(variant)
    if query is None:
        cols = [base_stmt.selected_columns[k] for k in sort_keys]
        stmt = base_stmt
        if marker:
            stmt = stmt.where(cols[0] > bindparam("_after0")) if len(cols) == 1 else \
                stmt.where(tuple_(*cols) > tuple_(*(bindparam(f"_after{i}") for i in range(len(cols)))))
        query = _PAGED[variant] = Query(stmt.order_by(*cols).limit(bindparam("_limit")))
    params = {**params, "_limit": limit + 1}
    if marker:
        after = _after(marker, [base_stmt.selected_columns[k] for k in sort_keys])
        for i, v in enumerate(after):
            params[f"_after{i}"] = v
    rows = query.all(tx, **params)
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_marker([getattr(rows[-1], k) for k in sort_keys])
