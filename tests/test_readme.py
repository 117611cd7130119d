"""The README's two commands are real: CI runs the test one verbatim."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text(), re.S)
    demo, tests = blocks[0], blocks[1]
    assert demo.endswith("tokenomics demo") and "pytest" in tests
    assert tests in (ROOT / ".ci" / "run").read_text()


def test_readme_is_short_and_its_layout_names_every_top_level_folder():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 120  # details live in docs/ and bench/README.md
    layout = text[text.index("## Layout"):]
    # the repository's folders (what git tracks), not what a run left beside them (data/, a spark-warehouse/)
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    folders = {Path(f).parts[0] for f in tracked.splitlines() if len(Path(f).parts) > 1
               and not Path(f).parts[0].startswith(".")}
    assert folders and all(f"`{name}/`" in layout for name in folders), folders
    for link in re.findall(r"\]\(([^)#]+)", text):  # every linked document exists
        assert (ROOT / link).exists(), link
