"""Documentation that is generated must match the code."""

from simulation.docs import DOCUMENTS, stale
from tests.conftest import ROOT


def test_generated_tables_of_the_docs_are_the_codes():
    for path in DOCUMENTS:
        assert not stale(path), (
            f"{path.name}: stale generated tables {stale(path)}; regenerate: python -m simulation.docs"
        )


def test_parameter_tables_are_in_the_key_reference_and_the_odd():
    from simulation.docs import blocks

    for path in (ROOT / "scenarios" / "README.md", ROOT / "docs" / "ODD.md"):
        assert "parameters" in dict(blocks(path.read_text())), path


def test_readme_starts_with_the_two_setup_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert lines[3].endswith(".venv/bin/python run.py")
    assert lines[4].endswith(".venv/bin/python -m pytest -q")
    assert "ruff check . && .venv/bin/ruff format --check ." in lines[4]
    # CI runs the README's test command as written, with the interpreter it found
    assert lines[4].replace("python3 -m venv", '"$PY" -m venv') in (ROOT / ".ci" / "run").read_text()


def test_odd_parameter_table_lists_every_parameter_once():
    import re

    from simulation.docs import blocks
    from simulation.parameters import describe

    block = dict(blocks((ROOT / "docs" / "ODD.md").read_text()))["parameters"]
    keys = re.findall(r"^\| `([^`]+)` \|", block, flags=re.M)
    assert len(keys) == len(set(keys)), "a key appears twice in the ODD table"
    assert keys == [r["key"] for r in describe()]


def test_the_readme_api_example_runs_from_another_folder(tmp_path):
    """The README's Python example, as written, run from a folder outside the project."""
    import re
    import subprocess
    import sys

    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python API") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    code += "\nassert len(res.summary) == 10 and model.metrics()['reach'] >= 0\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


def test_no_file_refers_to_the_teams_private_notes():
    """The product speaks in its own words: no tracked file points at the team's design notes."""
    import re
    import subprocess

    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    private = re.compile(r"\b(DESIGN|CASES|NOTES)\.md\b|\.\./shared\b|\bshared/")
    found = []
    for name in files:
        path = ROOT / name
        if path.suffix in {".png", ".pdf", ".gz", ".zip"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        found += [f"{name}:{i}" for i, line in enumerate(text.splitlines(), 1) if private.search(line)]
    assert not found, found


def test_the_readme_timing_command_is_the_one_its_figure_comes_from():
    import importlib.util
    import re
    import shlex

    spec = importlib.util.spec_from_file_location("make_figures", ROOT / "docs" / "make_figures.py")
    make_figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_figures)
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(python run\.py sweep porsche_991 [^`]*?)\n```", readme).group(1)
    assert shlex.split(block.replace("\\\n", " "))[2:] == make_figures.TIMING
