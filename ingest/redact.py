"""What the quarantine keeps of a rejected row: an allow-list, never the row itself.

A row that parses as a JSON object (or a table row) keeps only its source's allow-listed fields — ids,
timestamps, model and provider, token counts, cost, status — and of those only scalars (numbers, booleans,
strings of at most MAX_TEXT characters), flat by dotted path.  Prompt and response text, user, key and IP
fields, and every field the list does not name are never kept.  An identifier kept for diagnosis (Bedrock's
identity.arn) is the salted hash raw_requests stores for it.

Anything else — a truncated line, one that is not JSON or not an object, one that is not UTF-8 — keeps a
summary, never its text (``summary``): its length in bytes, a salted SHA-256 of its bytes, and the values of
a few allow-listed top-level keys read from the well-formed start of the line (``{"key": scalar, ...`` up to
the first nested value, escape or cut), each only if it is a short plain token.

sql/ingest/litellm_payload.sql (_kept_raw) applies the same rules, with the same patterns, in DuckDB."""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Iterable

from tokenomics.config import hash_salt
from tokenomics.records import hash_identifier

MAX_TEXT = 128  # a kept string is at most this long: ids, names, timestamps, never text
_WS = r"[ \t\r\n]*"
# the well-formed start of a line: '{' then "key": scalar pairs, no escapes, no nested value
HEAD = re.compile(r'^[ \t]*\{(' + _WS + r'"[^"\\]*"' + _WS + ":" + _WS
                  + r'("[^"\\]*"|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?|true|false|null)' + _WS + r"[,}])*")
# a value read from that start is kept only if it is a short plain token (no '@', quotes or spaces at its ends)
TOKEN = re.compile(r"[A-Za-z0-9_.:+/ -]{1,%d}" % MAX_TEXT)
NOT_KEPT = "not kept"
LOOK_AT = 4096  # characters of a line the head is read from
# the top-level keys a LiteLLM line that does not parse keeps (litellm_payload.sql's _kept_raw reads the same)
LINE_KEYS = ("id", "call_type", "startTime", "endTime", "model", "custom_llm_provider", "status")


def shown(value) -> str:
    """A value quoted in a reason: a short plain scalar as it is, anything else only by its length (as the
    SQL sources' _shown does) — a reason must not carry a prompt or an e-mail put in the wrong field."""
    text = repr(value) if not isinstance(value, str) else value
    return text if re.fullmatch(r"[A-Za-z0-9_.:+ -]{1,40}", text) else f"{len(text)} characters, not shown"


def line_hash(data: bytes | str) -> str:
    """Salted SHA-256 of a line's bytes (without its line ending), 32 hex digits: finds the line in its
    file for someone who holds the salt; tells nothing of its content to anyone else."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    return hashlib.sha256(hash_salt().encode() + raw).hexdigest()[:32]


def summary(data: bytes | str, keys: Iterable[str]) -> dict:
    """A line that is not a JSON object: the allowed top-level keys' values from its well-formed start,
    then its size and salted hash — never its text."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    raw = raw.rstrip(b"\r\n")
    text = raw[:LOOK_AT * 4].decode("utf-8", "replace")[:LOOK_AT]
    head = HEAD.match(text)
    found = head_values(head.group(0) if head else "", keys)
    return found | {"text": NOT_KEPT, "bytes": len(raw), "sha256": line_hash(raw)}


def head_values(head: str, keys: Iterable[str]) -> dict:
    """Each allowed key's first value in a well-formed head, if it is a short plain token."""
    out = {}
    for key in keys:
        match = re.search(r"[{,]" + _WS + '"' + re.escape(key) + '"' + _WS + ":" + _WS
                          + r'("[^"\\]*"|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)' + _WS + "[,}]", head)
        value = match.group(1).strip('"') if match else ""
        if TOKEN.fullmatch(value):
            out[key] = value
    return out


def _scalar(value):
    """The value if it may be kept (a number, boolean or short string; a time as ISO text), else None."""
    if isinstance(value, (bool, int)) or (isinstance(value, float) and math.isfinite(value)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, str) and len(value) <= MAX_TEXT:
        return value
    return None


def _at(doc, path: str):
    """The value at a dotted path through objects; '-1' steps into a list's last element."""
    value = doc
    for part in path.split("."):
        if part == "-1" and isinstance(value, list) and value:
            value = value[-1]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def allowed(doc: dict, paths: Iterable[str], hashed: Iterable[str] = ()) -> dict:
    """Of a parsed row, only the allow-listed paths holding scalars (flat, by path); ``hashed`` paths are
    kept as their salted hash (tokenomics.records.hash_identifier), never in the clear."""
    out = {}
    for path in paths:
        value = _scalar(_at(doc, path))
        if value is not None:
            out[path] = value
    for path in hashed:
        value = _at(doc, path)
        if isinstance(value, str) and value:
            out[path] = hash_identifier(value, hash_salt())
    return out


def dumps(kept: dict) -> str:
    return json.dumps(kept, separators=(",", ":"), ensure_ascii=False, default=str)
