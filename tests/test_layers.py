"""Layers that import one way (pyproject's [tool.importlinter]): the domain never imports the engine, the engine
never the pages or the CLI, and no two modules of a package import each other (a cycle)."""

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
