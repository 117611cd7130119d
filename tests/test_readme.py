"""The README's two commands are real: CI runs the test one verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text(), re.S)
    demo, tests = blocks[0], blocks[1]
    assert demo.endswith("tokenomics demo") and "pytest" in tests
    assert tests in (ROOT / ".ci" / "run").read_text()
