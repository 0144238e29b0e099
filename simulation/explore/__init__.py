"""`python run.py explore`: an interactive explorer of a scenario in the browser (Solara).

The page's logic lives in modules that do not import Solara, so it is tested without a browser:

- :mod:`.controls`: the controls, generated from the parameter schema (`simulation.parameters`).
- :mod:`.state`: what the page shows as a command line (`run.py run` or `run.py compare`), checked
  by the command line's own parser and loader, so a bad value gets the command line's message.
- :mod:`.workers`: warm worker processes that run a batch of paired replications, with progress and
  cancellation (the compiled loops hold the GIL: threads would block the page).
- :mod:`.figures`: the run figures of :mod:`simulation.plots` as PNG bytes for the page, the
  complainant's neighbourhood at any step, the paired difference of two strategies.
- :mod:`.folder`: the figures and tables of a finished run or experiment folder.
- :mod:`.assets`: the page's scripts (which Solara takes from a CDN) fetched with npm, for a
  machine without the internet.

:mod:`.app` is the Solara page itself; `simulation.explore_cli` the command.
"""
