"""Where the SQL models are and in what order they build: read by the build engine, the warehouse and the
dialect printer alike (one module below all of them, so none imports another to find its SQL)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from tokenomics.config import sql_dir


def macro_files() -> list[Path]:
    """The SQL macro files (sql/macros), in load order; part of the build fingerprint."""
    return sorted((sql_dir() / "macros").glob("*.sql"))


def model_files(layer: str) -> list[Path]:
    """SQL model files of one layer in build order: a relation after the relations of its layer it reads.

    Dependencies are found by name (a file's stem is its relation), so adding a model needs no registry.
    """
    files = {p.stem: p for p in sorted((sql_dir() / layer).glob("*.sql"))}
    deps = references({name: path.read_text() for name, path in files.items()})
    ordered: list[Path] = []
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...] = ()) -> None:
        if name in done:
            return
        if name in trail:
            raise ValueError(f"circular model dependency: {' -> '.join((*trail, name))}")
        for dep in sorted(deps[name]):
            visit(dep, (*trail, name))
        done.add(name)
        ordered.append(files[name])

    for name in files:
        visit(name)
    return ordered


def references(texts: dict[str, str]) -> dict[str, set[str]]:
    """Which of these relations each one's SQL reads (its FROM/JOIN tables, CTEs aside): its dependencies."""
    return {name: (_tables(text) & set(texts)) - {name} for name, text in texts.items()}


def reads(texts: dict[str, str]) -> dict[str, set[str]]:
    """Every table each relation's SQL reads (models, facts, reference data), CTEs aside."""
    return {name: set(_tables(text)) - {name} for name, text in texts.items()}


def external_tables() -> set[str]:
    """Tables the models read that no model builds: raw facts, reference data and the engine's own."""
    texts = {p.stem: p.read_text() for layer in LAYERS for p in model_files(layer)}
    return set().union(*(_tables(t) for t in texts.values())) - set(texts)


LAYERS = ("staging", "intermediate", "marts")


@lru_cache(maxsize=1024)
def _tables(text: str) -> frozenset[str]:
    """Tables a model's SQL reads, parsed with sqlglot (DuckDB dialect): not a name that merely appears in it."""
    import sqlglot
    from sqlglot import exp

    trees = [t for t in sqlglot.parse(text, read="duckdb") if t is not None]
    ctes = {c.alias for t in trees for c in t.find_all(exp.CTE)}
    return frozenset(t.name for tree in trees for t in tree.find_all(exp.Table)) - ctes


def code_digest() -> str:
    """A digest of every model's and macro's SQL: what the built tables' columns and meaning follow from.  A
    warehouse built from other SQL (an older or newer Tokenomics) has tables this version's readers do not expect."""
    files = [*macro_files(), *(p for layer in LAYERS for p in sorted((sql_dir() / layer).glob("*.sql")))]
    return _digest(tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files))


@lru_cache(maxsize=8)
def _digest(stamp: tuple[tuple[str, int, int], ...]) -> str:
    h = hashlib.sha256()
    for path, _, _ in stamp:
        h.update(Path(path).name.encode() + b"\0" + Path(path).read_bytes() + b"\0")
    return h.hexdigest()[:16]
