"""Layers that import one way (pyproject's [tool.importlinter]): the domain never imports the engine, the engine
never the pages or the CLI, and no two modules of a package import each other (a cycle).  One namespace: the
card's top-level folders app/, ingest/ and pricing/ are tokenomics.app, tokenomics.ingest and tokenomics.pricing
(tokenomics/ links to them), so the contracts see every module and nothing is importable under two names."""

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "0 broken" in run.stdout


def test_every_tokenomics_module_has_its_layer():
    """A new module must be placed: the layers name every module of tokenomics/ (so none escapes the rules)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    placed = {name.strip() for layer in layers for name in re.split(r"[|:]", layer)}
    modules = {f"tokenomics.{p.stem}" for p in (ROOT / "tokenomics").glob("*.py") if p.stem != "__init__"}
    modules |= {f"tokenomics.{p.name}" for p in (ROOT / "tokenomics").iterdir() if (p / "__init__.py").exists()}
    assert modules <= placed, sorted(modules - placed)


FOLDERS = ("app", "ingest", "pricing")  # the card's top-level folders, each a subpackage of tokenomics


def test_the_folders_are_subpackages_of_one_namespace():
    for folder in FOLDERS:
        link = ROOT / "tokenomics" / folder
        assert link.is_symlink() and link.resolve() == (ROOT / folder).resolve(), link
        assert (ROOT / folder / "__init__.py").exists()


def test_nothing_imports_a_folder_by_its_old_top_level_name():
    """`import ingest` beside `import tokenomics.ingest` would load every module twice, with two registries."""
    stray = []
    for package in ("tokenomics", *FOLDERS, "tests", "bench"):
        for path in (ROOT / package).rglob("*.py"):
            if "tokenomics" in path.relative_to(ROOT).parts[1:]:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
                stray += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in FOLDERS]
    assert not stray, stray
