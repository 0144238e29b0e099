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
