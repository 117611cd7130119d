"""Shared path for small structured sources (JSON/YAML): validate each record with its pydantic model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, Iterable

import duckdb
from pydantic import BaseModel, ValidationError

from tokenomics.ingest.runner import Counts, LoadContext, quarantine_rows


@dataclass(frozen=True)
class Candidate:
    """One input record: where it was, its raw text, and a thunk that builds canonical models."""

    line_no: int | None
    raw: object
    build: Callable[[], list[BaseModel]]


def reason_of(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors())
    return f"{type(exc).__name__}: {exc}"


def validate(candidates: Iterable[Candidate], ctx: LoadContext, con: duckdb.DuckDBPyConnection
             ) -> tuple[list[tuple[Candidate, list[BaseModel]]], Counts]:
    """Build each candidate; failures are quarantined with the validator's message."""
    good, bad, counts = [], [], Counts()
    for cand in candidates:
        counts.read += 1
        try:
            good.append((cand, cand.build()))
        except (ValidationError, ValueError, TypeError, KeyError, ArithmeticError) as exc:
            bad.append((cand.line_no, json.dumps(cand.raw, default=str), reason_of(exc)))
    counts.quarantined += quarantine_rows(con, ctx, bad)
    return good, counts
