#!/usr/bin/env python3
"""buzzsim's command line: `python run.py` runs scenarios/default.toml; `python run.py --help`."""

import sys

from simulation.cli import main

if __name__ == "__main__":
    sys.exit(main())
