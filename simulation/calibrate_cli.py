"""`python run.py calibrate`: its options and the command (the calibration itself: `simulation.calibrate`)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .calibrate import DEFAULT_BUDGET, DEFAULT_CAPTURE, DEFAULT_PARTICLES, MIN_PARTICLES
from .scenario import ScenarioError

COMMAND = "calibrate"
FIXED_BY_RESUME = ("scenario", "data", "fits", "sets", "strategy")  # a resume uses the calibration's own
COMPARED_ON_RESUME = ("budget", "particles", "seed", "capture")  # given with --resume: must equal the calibration's


def add_parser(sub, integer, allow_large) -> None:
    """The `calibrate` command's options (`integer` and `allow_large` are the command line's own helpers)."""
    c = sub.add_parser(
        COMMAND,
        help="fit a scenario's parameters to an observed buzz (ABC-SMC): posterior, fit, calibrated scenario",
    )
    c.add_argument("scenario", nargs="?", help="scenario file or name (not needed with --resume)")
    c.add_argument("--data", type=Path, help="observed counts per bin (python run.py import-mentions writes them)")
    fit_options(c, integer)
    c.add_argument("--resume", type=Path, metavar="DIR", help="finish an interrupted calibration in DIR")
    allow_large(c)


def fit_options(c, integer) -> None:
    """The options of a fit, shared by `calibrate` and `forecast`: keys and priors, budget, the run's settings."""
    c.add_argument(
        "--fit",
        dest="fits",
        action="append",
        default=[],
        metavar="KEY=LO:HI[:log]",
        help="a scenario key to fit and its prior range (uniform; on a log scale with :log), repeatable",
    )
    lo, hi = DEFAULT_CAPTURE
    c.add_argument(
        "--capture",
        metavar="LO:HI",
        help=f"prior range of the capture fraction, observed mentions per simulated post (log-uniform; "
        f"default {lo:g}:{hi:g})",
    )
    c.add_argument(
        "--budget",
        type=integer(2 * MIN_PARTICLES),
        help=f"total number of simulations (default {DEFAULT_BUDGET})",
    )
    c.add_argument(
        "--particles",
        type=integer(MIN_PARTICLES),
        help=f"particles per generation (default {DEFAULT_PARTICLES})",
    )
    c.add_argument("--strategy", help="the brand's strategy during the observed period (overrides brand.strategy)")
    c.add_argument(
        "--set", dest="sets", action="append", default=[], metavar="KEY=VALUE", help="override a scenario key"
    )
    c.add_argument("--seed", type=integer(0), help="root seed (overrides seed)")
    w = c.add_mutually_exclusive_group()
    w.add_argument("--workers", type=integer(1), default=1, help="worker processes (default 1)")
    w.add_argument("--dask", metavar="ADDRESS", help="a Dask scheduler's address, or 'local'")
    c.add_argument("--out", type=Path, help="results folder (default results/<scenario>/<timestamp>-<command>)")
    c.add_argument("--no-figures", action="store_true", help="the tables only")
    from .cli import pdf_option

    pdf_option(c)


def check_where(args, base, source: str, settings=None, shape=None) -> None:
    """Before anything is written: the runs within the limits, a Dask scheduler that answers (one line if not).

    The limits (steps, network edges, memory) hold at each end of the fitted ranges, where a fitted
    population or degree can cross what the scenario alone does not; local workers' memory must suffice.
    """
    if settings is not None and shape is not None:
        check_fit_sizes(args, base, settings, shape)
    if args.dask:
        from .executor import check_dask

        problem = check_dask(args.dask)
        if problem:
            raise ScenarioError("--dask", args.dask, f"{problem}; give a scheduler's address or 'local'")
    if not (args.dask and args.dask != "local"):
        from .limits import check_memory

        check_memory(base, source, args.workers, args.allow_large)


def check_fit_sizes(args, base, settings, shape) -> None:
    """The limits of `simulation.limits` at each end of every fitted range, and at all lows and all highs at once."""
    from . import cli
    from .limits import check_memory, check_network, check_steps
    from .scenario import with_changes

    if getattr(args, "scenario", None):  # the scenario as given first: a limit its --set crosses names the --set
        cli.check_sizes(with_changes(base, {"simulation.days": shape["days"]}, source=args.scenario), args)
    ends = [[(f, end)] for f in settings.factors for end in (0, 1)]
    ends += [[(f, end) for f in settings.factors] for end in (0, 1)] if len(settings.factors) > 1 else []
    local = not (args.dask and args.dask != "local")
    for trial in ends:
        changes = {f.key: (int(round(v)) if f.integer else v) for f, end in trial for v in [(f.lo, f.hi)[end]]}
        where = "--fit " + ", ".join(f"{k}={v}" if isinstance(v, int) else f"{k}={v:g}" for k, v in changes.items())
        sc = with_changes(base, {**changes, "simulation.days": shape["days"]}, source=where)
        check_steps(sc.steps, where, args.allow_large)
        check_network(sc, where, args.allow_large)
        if local:
            check_memory(sc, where, args.workers, args.allow_large)


def _given(args, name: str) -> bool:
    value = getattr(args, name)
    return bool(value) if isinstance(value, list) else value is not None


def _check_resume(args, settings) -> None:
    """With --resume, the calibration's own settings hold: others given are refused, in one line naming them."""
    from .calibrate import parse_capture

    if args.out is not None:
        raise ScenarioError("--out", str(args.out), "a resume finishes the folder it is given: leave --out out")
    for name in FIXED_BY_RESUME:
        if _given(args, name):
            option = "SCENARIO" if name == "scenario" else "--" + {"fits": "fit", "sets": "set"}.get(name, name)
            raise ScenarioError("--resume", str(args.resume), f"{option} is the calibration's own; give it no {option}")
    stored = {
        "budget": settings.budget,
        "particles": settings.particles,
        "seed": settings.seed,
        "capture": settings.capture,
    }
    for name in COMPARED_ON_RESUME:
        if _given(args, name):
            value = parse_capture(args.capture) if name == "capture" else getattr(args, name)
            if tuple(np.atleast_1d(value)) != tuple(np.atleast_1d(stored[name])):
                raise ScenarioError(
                    "--resume", str(args.resume), f"--{name} {getattr(args, name)} differs from the calibration's"
                )


def settings_from_args(args, base, data_sha256: str):
    """The calibration's settings from the command line (checked: one line naming the option if not)."""
    from .calibrate import Settings, parse_capture, parse_fit
    from .limits import check_runs

    if not args.fits:
        raise ScenarioError("--fit", "(none)", "no parameter to fit: give --fit KEY=LO:HI[:log], repeatable")
    fitted = {text.partition("=")[0].strip() for text in args.fits}
    for item in args.sets:
        key = item.partition("=")[0].strip()
        if key in fitted:
            raise ScenarioError("--set", item, f"{key} is also fitted (--fit): give it one or the other")
    if args.budget:
        check_runs(args.budget, "--budget", str(args.budget), args.allow_large)
    return Settings(
        factors=[parse_fit(text) for text in args.fits],
        capture=parse_capture(args.capture) if args.capture else DEFAULT_CAPTURE,
        particles=args.particles or DEFAULT_PARTICLES,
        budget=args.budget or DEFAULT_BUDGET,
        seed=base.seed,
        data_sha256=data_sha256,
    )


INSTALL = 'pip install -e ".[calibrate]"'


def require_pyabc(command: str) -> None:
    """The `calibrate` extra is installed (pyabc's kernels and weighted statistics), or one line says how to."""
    import importlib.util

    if importlib.util.find_spec("pyabc") is None:
        raise ScenarioError(command, "", f"needs pyabc, an optional extra: {INSTALL}")


def run(args) -> int:
    """Run (or resume) a calibration, then its tables, figures and report."""
    from . import cli
    from .calibrate import check_fit, open_folder, read_origin, run_calibration, write_outputs
    from .mentions import read_observed
    from .results import check_destination, default_folder, file_sha256

    require_pyabc(COMMAND)
    if args.resume:
        settings, base, observed = open_folder(args.resume)
        _check_resume(args, settings)
        folder, origin = args.resume, None
        recorded = read_origin(folder).get("reproduce", "")  # its figures as the command that started it asked
    else:
        if not args.scenario:
            raise ScenarioError("calibrate", "scenario", "give a scenario file or name (or --resume DIR)")
        if args.data is None:
            raise ScenarioError(
                "calibrate", "--data", "give the observed file (python run.py import-mentions writes it)"
            )
        overrides, origins = cli.overrides_from_args(args)
        base = cli.load_scenario(cli.find_scenario(args.scenario), overrides, origins=origins)
        observed = read_observed(args.data)
        settings = settings_from_args(args, base, file_sha256(args.data))
        folder = args.out or default_folder("calibrate", base.name)
        check_destination(Path(folder))
        origin, recorded = origin_of(args, base, observed), ""
    shape = check_fit(settings, base, observed, "--data")
    check_where(args, base, args.scenario or str(args.resume), settings, shape)
    where = f"Dask {args.dask}" if args.dask else f"{args.workers} worker(s)"
    print(
        f"calibrate {base.name}: {_count(len(settings.factors), 'key')} and the capture fraction to "
        f"{observed.source} ({_count(observed.bins, 'bin')} of {observed.bin_hours:g} h); {settings.particles} "
        f"particles, at most {settings.budget} simulations ({where})"
    )
    try:
        result = run_calibration(
            settings,
            base,
            observed,
            folder,
            workers=args.workers,
            dask=args.dask,
            resume=bool(args.resume),
            origin=origin,
        )
        meta = {"simulations": result["diagnostics"]["simulations"], "workers": args.workers, "dask": args.dask or ""}
        tables = write_outputs(folder, settings, base, result, meta)
        if not args.no_figures:
            from .calibrate_report import all_figures, write_report

            all_figures(folder, cli.figure_formats(args, recorded))
            write_report(folder)
    except KeyboardInterrupt:
        print(
            f"interrupted: complete generations are kept; resume with: python run.py calibrate --resume {folder}",
            file=sys.stderr,
        )
        return cli.EXIT_INTERRUPTED
    for line in summary_lines(tables["summary"]):
        print(line)
    if result["errors"]:
        print(f"note: {len(result['errors'])} simulation(s) failed and were rejected (first: {result['errors'][0]})")
    print(f"stopped: {result['diagnostics']['stopped']}")
    print(f"results: {folder}")
    return 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def origin_of(args, base, observed) -> dict:
    """Where a calibration comes from (origin.json): its data file, the command reproducing it, what was followed."""
    from . import cli

    return {
        "data": str(args.data),
        "reproduce": cli.reproduce_command(args.argv),
        "skipped_bins": observed.skipped,
        "strategy": base.brand.strategy,
    }


def summary_lines(summary) -> list[str]:
    """What the command prints at the end: each parameter's median, 90% interval, and whether the data informed it."""
    lines = []
    for _, r in summary.iterrows():
        note = "" if r.informed else "  (not informed by the data: close to the prior)"
        lines.append(f"{r.key}: {r['median']:.4g} (90% interval {r.q05:.4g} to {r.q95:.4g}){note}")
    return lines


__all__ = ["COMMAND", "add_parser", "run"]
