"""Regenerate the golden baseline: `python -m tests.baseline [NAME ...]` (all entries by default)."""

import sys

from tests.baseline import entries, write

names = sys.argv[1:] or list(entries())
unknown = [n for n in names if n not in entries()]
if unknown:
    sys.exit(f"error: unknown baseline entry {', '.join(unknown)}; allowed: {', '.join(entries())}")
for name in names:
    for path in write(name):
        print(f"wrote {path}")
