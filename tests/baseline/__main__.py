"""Regenerate the golden baseline: `python -m tests.baseline [NAME ...]` (all entries by default).

`python -m tests.baseline equivalence` records the distribution of the equivalence fixture instead:
run it *before* a change that may move the baseline without changing any distribution.
"""

import sys

from tests.baseline import EQUIVALENCE, entries, write, write_equivalence

names = sys.argv[1:] or list(entries())
if names == [EQUIVALENCE]:
    print(f"wrote {write_equivalence()}")
    sys.exit(0)
unknown = [n for n in names if n not in entries()]
if unknown:
    sys.exit(f"error: unknown baseline entry {', '.join(unknown)}; allowed: {', '.join(entries())}")
for name in names:
    for path in write(name):
        print(f"wrote {path}")
