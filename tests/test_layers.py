"""Layers that import one way (pyproject's [tool.importlinter]): the domain never imports the engine, the engine
never the pages or the CLI, and no two modules of a package import each other (a cycle).  One namespace: the
card's top-level folders app/, ingest/ and pricing/ are tokenomics.app, tokenomics.ingest and tokenomics.pricing
(tokenomics/ links to them), so the contracts see every module and nothing is importable under two names."""

import ast
import os
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


# --- imports inside functions -------------------------------------------------------------------------------
# Our own modules and the standard library are imported at module top: an import written inside a function hides a
# dependency from the reader (import-linter sees it, a person does not) and was often a cycle-breaker whose cycle is
# long gone.  Exempt: the CLI (tokenomics/cli.py, tokenomics/cli_*.py), whose subcommands import what they run
# lazily so that `tokenomics --help` and each command start fast.  Anything else is listed here, with the reason.
LAZY_IMPORTS = {
    ("tokenomics/exports.py", "botocore.exceptions"): "boto3/botocore are heavy and only S3 destinations need them",
    ("tokenomics/objectstore.py", "boto3"): "boto3 is heavy (~0.3 s) and only s3:// locations need a client",
    ("tokenomics/objectstore.py", "botocore.config"): "comes with boto3: only s3:// locations need a client",
    ("tokenomics/models.py", "sqlglot"): "sqlglot is heavy (~0.12 s) and only parsing a model's SQL needs it; "
                                         "models is imported by the warehouse, i.e. by nearly every command",
    ("tokenomics/statements.py", "fpdf"): "fpdf is optional for the module: only the PDF statement needs it",
    ("tokenomics/warehouse.py", "tokenomics.pricing.perf.fleet"): "CLI start-up: it loads polars, numpy and the "
        "what-if model; at top, `tokenomics migrate` took 0.69 s instead of 0.35 s and `ingest --no-build` 1.35 s "
        "instead of 1.12 s, and a build needs it only when the deployments or the perf model changed",
    ("ingest/aws_pricing/__init__.py", "boto3"): "boto3 is heavy and only an awspricing:// pull needs it",
    ("ingest/aws_pricing/__init__.py", "botocore.config"): "comes with boto3: only an awspricing:// pull needs it",
    ("ingest/litellm_spendlogs/__init__.py", "sqlalchemy"): "sqlalchemy is heavy and only a postgresql:// pull "
                                                            "needs it (the source is registered on every ingest)",
    ("ingest/runner.py", "pyarrow"): "the runner needs pyarrow only to store quarantined rows",
    ("pricing/perf/fit.py", "scipy.optimize"): "scipy is heavy (slow to import) and only fitting needs it; the "
                                               "what-if model imports fit for its keys",
    ("tokenomics/spark_build.py", "pyspark.sql"): "pyspark is an optional extra ('.[spark]') and starts a JVM "
                                                  "client: only a Spark build needs it",
}


def _sources() -> list[Path]:
    """Every module: tokenomics/ without following its links (the folders are walked as themselves)."""
    paths = [Path(top) / name for top, _, names in os.walk(ROOT / "tokenomics") for name in names]
    paths += [p for folder in FOLDERS for p in (ROOT / folder).rglob("*")]
    return sorted(p for p in paths if p.suffix == ".py")


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import names: `from tokenomics import lake` is tokenomics.lake, `from a.b import c` is a.b."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = "." * node.level + (node.module or "")
    found = []
    for a in node.names:
        full = ROOT.joinpath(*f"{base}.{a.name}".split("."))
        is_module = base.startswith("tokenomics") and (full.with_suffix(".py").exists() or (full / "__init__.py").exists())
        found.append(f"{base}.{a.name}" if is_module else base)
    return found


def _imports_inside_functions(path: Path) -> list[tuple[int, str]]:
    found = []

    class Visitor(ast.NodeVisitor):
        depth = 0

        def visit_FunctionDef(self, node):
            self.depth += 1
            self.generic_visit(node)
            self.depth -= 1

        visit_AsyncFunctionDef = visit_FunctionDef

        def visit_Import(self, node):
            if self.depth:
                found.extend((node.lineno, name) for name in dict.fromkeys(_imported(node)))

        visit_ImportFrom = visit_Import

    Visitor().visit(ast.parse(path.read_text(), str(path)))
    return found


def _lazy_imports() -> dict[tuple[str, str], list[int]]:
    lazy = {}
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        if re.fullmatch(r"tokenomics/cli(_\w+)?\.py", rel):  # the CLI's subcommands import what they run, lazily
            continue
        for line, name in _imports_inside_functions(path):
            lazy.setdefault((rel, name), []).append(line)
    return lazy


def test_imports_inside_functions_are_only_the_allowed_lazy_ones():
    """An import inside a function is either the CLI's or listed in LAZY_IMPORTS with why it cannot be at the top
    (heavy or optional third-party code, CLI start-up).  Anything else: move it to the top of the module."""
    lazy = _lazy_imports()
    assert len(_sources()) > 50 and lazy  # the walk saw the modules
    stray = [f"{rel}:{line}: {name}" for (rel, name), lines in sorted(lazy.items()) for line in lines
             if (rel, name) not in LAZY_IMPORTS]
    assert not stray, "imports inside functions (move them to the module's top, or allow-list them with a " \
                      "reason in LAZY_IMPORTS):\n" + "\n".join(stray)


def test_the_lazy_import_allow_list_names_only_imports_that_exist():
    """An entry whose import moved to the top (or went away) is removed from LAZY_IMPORTS: the list stays the truth."""
    stale = sorted(set(LAZY_IMPORTS) - set(_lazy_imports()))
    assert not stale, stale
