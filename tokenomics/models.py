"""Where the SQL models are and in what order they build: read by the build engine, the warehouse and the
dialect printer alike (one module below all of them, so none imports another to find its SQL)."""

from __future__ import annotations

import re
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
    """Which of these relations each one's SQL (comments aside) names: a model's dependencies, by name."""
    bare = {name: re.sub(r"--[^\n]*", "", text) for name, text in texts.items()}
    return {name: {o for o in texts if o != name and re.search(rf"\b{re.escape(o)}\b", bare[name])}
            for name in texts}
