"""`python run.py forecast`: its options and the command (the forecast itself: `simulation.forecast`)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from .forecast import DEFAULT_DRAWS, DEFAULT_REPLICATIONS
from .scenario import ScenarioError

COMMAND = "forecast"


def add_parser(sub, integer, allow_large) -> None:
    """The `forecast` command's options (`integer` and `allow_large` are the command line's own helpers)."""
    from .calibrate_cli import fit_options

    f = sub.add_parser(
        COMMAND,
        help="from the first hours of a buzz, what each response (now, later, never) would do next",
    )
    f.add_argument("scenario", help="scenario file or name (its strategy is the one followed so far)")
    f.add_argument("--data", type=Path, required=True, help="observed counts per bin (import-mentions writes them)")
    f.add_argument("--until", type=float, required=True, metavar="H", help="hours of data observed so far (now)")
    f.add_argument(
        "--strategies",
        required=True,
        metavar="A,B@H,...",
        help="the responses compared from now; a preset@H puts its decisive action H hours after now (quick_fix@0)",
    )
    f.add_argument("--posterior", type=Path, metavar="DIR", help="a calibrate folder fitted to these first hours")
    f.add_argument("--draws", type=integer(2), default=DEFAULT_DRAWS, help=f"posterior draws (default {DEFAULT_DRAWS})")
    f.add_argument(
        "--replications",
        type=integer(2),
        default=DEFAULT_REPLICATIONS,
        help=f"runs per draw (default {DEFAULT_REPLICATIONS})",
    )
    fit_options(f, integer)  # the calibration's, used when no --posterior is given
    allow_large(f)


def run(args) -> int:
    """Calibrate on the first hours (or reuse a posterior), branch into each strategy, write the forecast."""
    from . import cli
    from .calibrate import check_fit, posterior_frame, run_calibration
    from .calibrate import write_outputs as write_calibration
    from .calibrate_cli import check_where, origin_of, require_pyabc, settings_from_args
    from .forecast import (
        TRIES_PER_RUN,
        Forecast,
        check_branches,
        check_until,
        parse_branches,
        posterior_from,
        run_forecast,
        write_outputs,
    )
    from .limits import check_runs
    from .mentions import read_observed
    from .results import atomic_folder, check_destination, default_folder, file_sha256

    require_pyabc(COMMAND)
    overrides, origins = cli.overrides_from_args(args)
    base = cli.load_scenario(cli.find_scenario(args.scenario), overrides, origins=origins)
    observed = check_until(args.until, read_observed(args.data), base)
    branches = parse_branches(args.strategies, base)
    check_branches(branches, args.until, base)
    # at most: the tries of each draw to match the data, then each strategy's runs
    most = args.draws * args.replications * (TRIES_PER_RUN + len(branches))
    check_runs(most, "--draws", f"{args.draws} x --replications {args.replications}", args.allow_large)
    if args.posterior is not None:
        if args.fits:
            raise ScenarioError("--fit", args.fits[0], "not with --posterior (its keys were fitted there)")
        settings, posterior, epsilon = posterior_from(args.posterior, base, observed)
        source = f"the calibration in {args.posterior}"
    else:
        settings, posterior, epsilon = settings_from_args(args, base, file_sha256(args.data)), None, math.inf
        source = f"a calibration on the first {args.until:g} h, in calibration/"
    shape = check_fit(settings, base, observed, "--data")
    check_where(args, base, args.scenario, settings, shape)
    forecast = Forecast(
        until_h=args.until,
        branches=branches,
        draws=args.draws,
        replications=args.replications,
        seed=base.seed,
        followed=base.brand.strategy,
        posterior=str(args.posterior or "calibration"),
    )
    dest = args.out or default_folder("forecast", base.name)
    check_destination(Path(dest))
    print(
        f"forecast {base.name} from the first {args.until:g} h of {args.data}: {len(branches)} "
        f"strateg{'y' if len(branches) == 1 else 'ies'} x {args.draws} draws x {args.replications} runs, after "
        f"{base.brand.strategy} so far"
    )
    try:
        with atomic_folder(dest) as folder:
            if posterior is None:
                cal = folder / "calibration"
                origin = {**origin_of(args, base, observed), "reproduce": ""}
                result = run_calibration(
                    settings, base, observed, cal, workers=args.workers, dask=args.dask, origin=origin
                )
                write_calibration(cal, settings, base, result, {"simulations": result["diagnostics"]["simulations"]})
                posterior = posterior_frame(settings, result["generations"][-1])
                epsilon = result["generations"][-1].epsilon
            forecast.epsilon = epsilon
            out = run_forecast(forecast, settings, posterior, base, observed, workers=args.workers, dask=args.dask)
            meta = {
                "data": str(args.data),
                "posterior_source": source,
                "reproduce": cli.reproduce_command(args.argv),
                "runs_tried": out["tried"],
                "runs_kept": out["kept"],
                "draws_kept": out["draws_kept"],
            }
            write_outputs(folder, forecast, base, observed, out, meta)
            if not args.no_figures:
                from .forecast_report import all_figures, write_report

                all_figures(folder, cli.figure_formats(args))
                write_report(folder)
    except KeyboardInterrupt:
        print("interrupted: nothing was written (run calibrate first to keep a long fit resumable)", file=sys.stderr)
        return cli.EXIT_INTERRUPTED
    for line in summary_lines(forecast, out):
        print(line)
    print(f"results: {dest}")
    return 0


def summary_lines(forecast, out) -> list[str]:
    """What the command prints: runs kept, each strategy's main damage and P(firestorm), the lead pair's difference."""
    from .forecast import FIRESTORM
    from .forecast_report import key_pair, oriented, words
    from .metrics import METRICS
    from .text import fmt

    main = forecast.metrics[0]
    s = out["summary"]
    lines = [f"runs kept (their first {forecast.until_h:g} h close to the data): {out['kept']} of {out['tried']} tried"]
    if math.isinf(forecast.epsilon):
        lines.append("warning: the calibration completed only its prior sample: no run was selected on the data")
    for label in forecast.labels:
        r = s[(s.strategy == label) & (s.metric == main)].iloc[0]
        f = s[(s.strategy == label) & (s.metric == FIRESTORM)].iloc[0]
        lines.append(
            f"{words(label)}: {METRICS[main].label} {fmt(r['mean'])} [95% {fmt(r.mean_low)}, {fmt(r.mean_high)}], "
            f"P(firestorm) {f['mean']:.0%}"
        )
    pair = key_pair(forecast.labels)
    if pair:
        a, b = pair
        for _, d, lo, hi, p in oriented(out["differences"], a, b, [main]):
            lines.append(
                f"{words(a)} minus {words(b)}: {fmt(d)} [95% {fmt(lo)}, {fmt(hi)}], {words(a)} better in {p:.0%} of "
                "paired runs (ties half)"
            )
    return lines
