"""Remake the case figures of docs/cases.md from the tool's own runs: `python docs/make_case_figures.py`.

Each shipped case scenario is run as a user would (`python run.py run CASE`, its own seed and
replications) and its posts and reputation figures are copied to docs/figures/cases/.
"""

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.cli import main  # noqa: E402

CASES = ("porsche_991", "kia_deposit", "private_outlet", "lawyers_streisand", "press_latency")
OUT = ROOT / "docs" / "figures" / "cases"

if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for case in sys.argv[1:] or CASES:
        with tempfile.TemporaryDirectory() as tmp:
            if main(["run", case, "--out", str(Path(tmp) / case)]):
                sys.exit(f"error: the run of {case} failed")
            for fig in ("posts", "reputation"):
                shutil.copy(Path(tmp) / case / "figures" / f"{fig}.png", OUT / f"{case}_{fig}.png")
                print(f"wrote {OUT / f'{case}_{fig}.png'}")
