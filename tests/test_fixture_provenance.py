"""Every genuine sample says where it came from (tests/fixtures/real/README.md), and the corpus is broad."""

import re
from pathlib import Path

REAL = Path(__file__).parent / "fixtures" / "real"


def _lines() -> dict[str, str]:
    """file name -> its provenance line ('- <file> — <where>; <what>')."""
    out = {}
    for line in (REAL / "README.md").read_text().splitlines():
        m = re.match(r"- (\S+) — (.+)", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def test_every_sample_has_a_provenance_line_naming_its_source():
    lines = _lines()
    files = [p for p in REAL.rglob("*") if p.is_file() and p.name != "README.md"]
    missing = [str(p.relative_to(REAL)) for p in files if p.name not in lines]
    assert not missing, missing
    for name, where in lines.items():
        # a repository with path and commit, a package with its digest, a docs page, or records above concatenated
        assert re.search(r"repo \S+|PyPI|docs|https?://|issue|PR #|built here by concatenating", where), (name, where)


def test_the_corpus_has_at_least_25_files_from_8_sources():
    lines = _lines()
    files = [p for p in REAL.rglob("*") if p.is_file() and p.name != "README.md"]
    assert len(files) >= 25
    sources = {m.group(1) for where in lines.values() for m in [re.search(r"repo ([\w.-]+/[\w.-]+)", where)] if m}
    sources |= {"PyPI litellm" for where in lines.values() if "PyPI" in where}
    sources |= {m.group(0) for where in lines.values() for m in [re.search(r"docs\.[\w.]+", where)] if m}
    assert len(sources) >= 8, sources
