"""Documentation that is generated must match the code."""

from simulation.parameters import markdown_table
from tests.conftest import ROOT


def test_scenarios_readme_lists_every_key_as_the_code_does():
    text = (ROOT / "scenarios" / "README.md").read_text()
    assert text.endswith(markdown_table()), "regenerate with: python run.py keys --markdown"


def test_readme_starts_with_the_two_setup_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert lines[3].endswith(".venv/bin/python run.py")
    assert lines[4].endswith(".venv/bin/python -m pytest -q")
    assert lines[4].split("&& ")[-1] in (ROOT / ".ci" / "run").read_text()
