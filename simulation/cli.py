"""The command line: `python run.py [COMMAND] ...` (see `python run.py --help`).

Bad input ends with one line on stderr naming the file, the key and what is allowed, and a
non-zero exit status; no traceback and no results folder are left behind.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from importlib import import_module
from pathlib import Path

from .actions import ACTIONS
from .executor import clear_stop, request_stop
from .experiment_folder import FolderError
from .metrics import METRICS, WINDOW_METRIC
from .network import NetworkError
from .parameters import Scenario, describe
from .scenario import (
    SCENARIO_DIR,
    ScenarioError,
    blame,
    find_scenario,
    load_scenario,
    override_origins,
    parse_assignments,
    parse_names,
    read_toml,
    strategy_overrides,
    to_toml,
)
from .series_table import ExportError
from .strategies import PRESETS, STRATEGY_NAMES, describe_strategy
from .text import clock_text, horizon_text, window_text

DEFAULT_SCENARIO = SCENARIO_DIR / "default.toml"
# Commands that live in modules of their own: each has COMMAND (its name), add_parser(sub, integer,
# allow_large) adding its options, and run(args) -> exit status.
COMMAND_MODULES = ("sensitivity_cli", "mentions_cli", "calibrate_cli", "forecast_cli", "explore_cli")
EXIT_BAD_INPUT, EXIT_INTERRUPTED = 2, 130


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (the usage is one `--help` away)."""

    def error(self, message: str):
        print(f"error: {self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


def _integer(minimum: int):
    """An argparse type: an integer of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below {minimum}; allowed: an integer >= {minimum}")
        return value

    return parse


def address(text: str) -> str:
    """An argparse type: a Dask scheduler's address, or 'local' (not empty)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty; give a scheduler's address (tcp://HOST:PORT) or 'local'")
    return text.strip()


MAX_OUT_NAME = 200  # bytes of a name in an --out path: file systems take 255, and the partial folder adds ~20


def out_folder(text: str) -> Path:
    """An argparse type: a results folder to create (not empty; no name in it too long to create)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty; give a folder to create")
    path = Path(text)
    longest = max((len(os.fsencode(part)) for part in path.parts), default=0)
    if longest > MAX_OUT_NAME:
        raise argparse.ArgumentTypeError(f"a name in it has {longest} bytes; allowed: at most {MAX_OUT_NAME}")
    return path


def _scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario file, or the name of one in scenarios/")
    p.add_argument("--strategy", help="brand strategy (overrides brand.strategy)")
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key (dotted, TOML value), repeatable",
    )
    p.add_argument("--seed", type=_integer(0), help="root seed (overrides seed)")
    p.add_argument("--out", type=out_folder, help="results folder (default results/<scenario>/<timestamp>)")
    _allow_large(p)


def pdf_option(p: argparse.ArgumentParser) -> None:
    """`--pdf`, the option of every command that writes figures (PNG always; a PDF costs about a figure's drawing)."""
    p.add_argument("--pdf", action="store_true", help="also write every figure as PDF (vector, fonts embedded)")


def figure_formats(args, recorded: str = "") -> tuple[str, ...]:
    """The formats of the command's figures: PNG, and PDF with `--pdf`.

    `recorded`: the command a resumed folder was started with (its reproduce command). A resume
    keeps the choice made when it started, so its figures are those of the original command; `--pdf`
    given with the resume adds PDF, as it does to any command.
    """
    pdf = bool(getattr(args, "pdf", False)) or _asked_pdf(recorded)
    return ("png", "pdf") if pdf else ("png",)


def _asked_pdf(command: str) -> bool:
    """Whether a recorded `python run.py ...` command asked for PDF figures (read by the parser, as typed)."""
    import contextlib
    import io
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        return False
    if words[:2] != ["python", "run.py"] or len(words) < 3:
        return False
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # a command this version no longer reads: no PDF, no message
            return bool(getattr(parser().parse_args(words[2:]), "pdf", False))
    except SystemExit:
        return False


def _allow_large(p: argparse.ArgumentParser) -> None:
    from .limits import MAX_CONDITIONS, MAX_EDGES, MAX_RUNS, MAX_STEPS, MAX_VALUES, MAX_WORKERS

    p.add_argument(
        "--allow-large",
        action="store_true",
        help=f"lift the size limits: {MAX_STEPS:,} steps per run, {MAX_VALUES:,} values per --vary, "
        f"{MAX_CONDITIONS:,} conditions, {MAX_RUNS:,} runs, {MAX_WORKERS:,} workers, {MAX_EDGES:,} network edges, "
        "and the memory a run needs (times the worker processes) against the memory available",
    )


def parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    p = _Parser(
        prog="run.py",
        description="buzzsim: bad buzz and a brand's response. Without a command, runs scenarios/default.toml.",
    )
    sub = p.add_subparsers(dest="command")
    r = sub.add_parser("run", help="run a scenario (R replications) into a results folder")
    _scenario_args(r)
    r.add_argument("--replications", type=_integer(1), help="number of replications (overrides replications)")
    r.add_argument("--no-figures", action="store_true", help="skip the figures (the CSVs and meta.json only)")
    pdf_option(r)
    lst = sub.add_parser("list", help="scenarios and strategies, one line each")
    lst.add_argument("scenario", nargs="?", help="also list this scenario's own strategies ([strategies.NAME])")
    v = sub.add_parser("validate", help="check scenario files (exit 0 if all are valid, 1 otherwise)")
    v.add_argument("scenarios", nargs="+")
    for name, text in (
        ("compare", "compare strategies over paired replications"),
        ("sweep", "sweep response timing (and any key) for strategies, full factorial"),
    ):
        e = sub.add_parser(name, help=text)
        e.add_argument("scenario", nargs="?", help="scenario file or name (not needed with --resume)")
        e.add_argument(
            "--strategies",
            default="ignore,quick_fix" if name == "sweep" else "ignore,delay,quick_fix,lawyers",
            help="comma-separated strategies",
        )
        if name == "sweep":
            e.add_argument(
                "--window-metric",
                default=WINDOW_METRIC,
                help=f"the metric of the critical window (default {WINDOW_METRIC})",
            )
            e.add_argument(
                "--window-key",
                default="brand.delay_hours",
                help="the swept time of the critical window (default brand.delay_hours; or, e.g., a named "
                "strategy's strategies.NAME.schedule.0.at_hours)",
            )
            e.add_argument(
                "--vary",
                action="append",
                default=[],
                metavar="KEY=V1,V2|START:STOP:STEP",
                help="a key and its values, repeatable (full factorial)",
            )
        e.add_argument(
            "--resolve",
            type=float,
            metavar="DELTA",
            help="the difference of the main metric to resolve: the report says how many paired replications "
            "would (default: 10%% of the baseline's mean)",
        )
        if name == "sweep":
            e.add_argument(
                "--horizon-check",
                action="store_true",
                help="rerun every condition at twice the horizon (same seeds; at most 366 days) and report how far "
                "the critical window moves",
            )
        e.add_argument("--baseline", default="ignore", help="strategy the others are compared with (default ignore)")
        e.add_argument("--replications", type=_integer(2), default=None, help="replications per condition (>= 2)")
        e.add_argument("--seed", type=_integer(0), help="root seed (overrides seed)")
        e.add_argument(
            "--set",
            dest="sets",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a scenario key for every condition",
        )
        e.add_argument(
            "--workers",
            type=_integer(1),
            default=None,
            help="processes (default: one per core, fewer if the memory available holds fewer runs at once)",
        )
        e.add_argument(
            "--dask", type=address, metavar="ADDRESS", help="a Dask scheduler address, or 'local' to start one"
        )
        e.add_argument(
            "--out", type=out_folder, help="experiment folder (default results/<scenario>/<timestamp>-<kind>)"
        )
        _allow_large(e)
        e.add_argument("--resume", type=Path, metavar="DIR", help="finish an interrupted experiment in DIR")
        e.add_argument("--no-figures", action="store_true", help="skip figures and report")
        pdf_option(e)
        e.add_argument(
            "--slice",
            dest="slices",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="sweeps: the over-time figures hold this swept key at this value (default: its first)",
        )
        e.add_argument(
            "--series",
            choices=("all", "none"),
            default="all",
            help="per-run series kept: all (timeseries.parquet, the default) or none (metrics and quantiles only)",
        )
    c = sub.add_parser(
        "check-model", help="run the validation: known results and stylised facts (exit 0 if all pass, 1 otherwise)"
    )
    c.add_argument(
        "--out",
        type=out_folder,
        help="folder for the figures and checks.csv/json (default results/validation/<timestamp>-check-model)",
    )
    c.add_argument("--quick", action="store_true", help="fewer replications (a smoke run; less conclusive)")
    _allow_large(c)
    c.add_argument("--workers", type=_integer(1), default=None, help="processes (default: up to 2)")
    pdf_option(c)
    c.add_argument(
        "--update-docs",
        action="store_true",
        help="record the results in docs/validation.json and regenerate the tables of the README and docs/cases.md "
        "(a full run only)",
    )
    c.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="KEY",
        help="run only this check (a key of the table: 1-9, 8a, 8b, a case name, dt:NAME), repeatable",
    )
    x = sub.add_parser("export", help="write a results folder's tables as CSV or as Parquet, beside the originals")
    x.add_argument("folder", type=Path, help="a run or experiment folder")
    x.add_argument("--format", required=True, choices=("csv", "parquet"), help="the format to write")
    for name in COMMAND_MODULES:
        import_module(f".{name}", __package__).add_parser(sub, _integer, _allow_large)
    k = sub.add_parser("keys", help="every scenario key: unit, default, allowed values, meaning")
    k.add_argument("--markdown", action="store_true", help="as the Markdown table of scenarios/README.md")
    return p


def overrides_from_args(args) -> tuple[dict, dict]:
    """The scenario keys the options set (--set, --strategy, --seed, --replications), and the option each came from.

    The second dict names each key's option as a message shows it (`--set spread.visibility=7`), so that
    a bad value given on the command line is blamed on the option, not on the scenario file.
    """
    overrides, origins = parse_assignments(args.sets), override_origins(args.sets)
    if getattr(args, "strategy", None) is not None:
        overrides.update(strategy_overrides(args.strategy))
        origins.update(dict.fromkeys(strategy_overrides(args.strategy), f"--strategy {args.strategy}"))
    for option in ("seed", "replications"):
        if getattr(args, option, None) is not None:
            overrides[option] = getattr(args, option)
            origins[option] = f"--{option} {overrides[option]}"
    return overrides, origins


def load_from_args(args) -> Scenario:
    """The scenario named on the command line, with --set, --strategy, --seed, --replications."""
    overrides, origins = overrides_from_args(args)
    return load_scenario(find_scenario(args.scenario), overrides, origins=origins)


def note_unused(sc: Scenario) -> None:
    """A line on stdout for keys given a value that the scenario does not use (`scenario.unused_keys`)."""
    from .scenario import unused_keys

    for key, why in unused_keys(sc):
        print(f"note: {key} is not used: {why}")


def check_sizes(sc: Scenario, args, processes: int = 0, replications_held: int = 1) -> None:
    """The resource limits (`simulation.limits`) of the scenario named on the command line, before anything runs.

    Steps per run and the network's edges always; the memory of `processes` runs at once when
    `processes` > 0. A limit that an option's value crosses names the option (`--set
    simulation.dt_hours=1e-6`), else the scenario file.
    """
    from .limits import check_memory, check_network, check_steps

    where = str(find_scenario(args.scenario))
    overrides, origins = overrides_from_args(args)
    try:
        check_steps(sc.steps, where, args.allow_large)
        check_network(sc, where, args.allow_large)
        if processes:
            check_memory(sc, where, processes, args.allow_large, replications_held=replications_held)
    except ScenarioError as exc:
        raise blame(exc, where, overrides, origins) from None


def print_network_notes(rep: dict) -> None:
    """What a user should know about the network read: the header decision, what was dropped."""
    if "header" in rep:
        print(f"network {rep.get('path', '')}: {rep['header']}")
    dropped = {k: rep.get(k, 0) for k in ("self_loops_removed", "duplicate_edges_removed", "isolated_nodes")}
    if any(dropped.values()):
        print("network: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in dropped.items()))


def cmd_run(args) -> int:
    """`run`: R replications of a scenario into a results folder."""
    from . import plots
    from .limits import check_runs
    from .results import atomic_folder, default_folder, file_sha256, write_csv, write_meta, write_text
    from .runner import run, snapshot

    sc = load_from_args(args)
    note_unused(sc)
    try:
        check_runs(sc.replications, str(find_scenario(args.scenario)), "replications", args.allow_large)
    except ScenarioError as exc:
        raise blame(exc, exc.source, *overrides_from_args(args)) from None
    check_sizes(sc, args, processes=1, replications_held=sc.replications)  # one process holds every series
    out = args.out or default_folder("", sc.name)
    t0 = time.perf_counter()
    with atomic_folder(out) as tmp:
        res = run(sc, progress=True)
        strategy = sc.brand.strategy
        for df in (res.timeseries, res.summary):
            df.insert(0, "strategy", strategy)
            df.insert(0, "run", sc.name)
        write_text(tmp / "scenario.toml", to_toml(sc))
        write_csv(res.timeseries, tmp / "timeseries.csv")
        write_csv(res.summary, tmp / "summary.csv")
        if args.no_figures:
            from .model import BuzzModel
            from .randomness import replication_seed

            network = BuzzModel(sc, rng=replication_seed(sc.seed, 0)).network  # replication 0's, for meta.json
        else:
            snap = snapshot(sc, sc.seed)
            network = snap.network
            figs = tmp / "figures"
            figs.mkdir()
            words = "" if strategy in PRESETS else f"\n{describe_strategy(strategy, sc)}"
            plots.run_figures(
                res.timeseries,
                sc.simulation.dt_hours,
                figs,
                title=f"{sc.name}: {strategy}{words}",
                network=snap.network,
                centre_nodes=snap.centre,
                stance_at_peak=snap.stance_at_peak,
                stance_at_end=snap.stance_at_end,
                peak_hours=snap.peak_hours,
                end_hours=snap.end_hours,
                seed=sc.seed,
                formats=figure_formats(args),
            )
        extra = {}
        if sc.network.kind == "file":
            from .scenario import resolve_network_path

            extra["network_sha256"] = file_sha256(resolve_network_path(sc, None))
        write_meta(
            tmp / "meta.json",
            scenario=sc.name,
            seed=sc.seed,
            replications=sc.replications,
            strategy=strategy,
            wall_seconds=round(time.perf_counter() - t0, 3),
            network=network.report,
            **extra,
        )
    s = res.summary
    print_network_notes(network.report)
    not_fired = int(s.actions_not_fired.sum())
    if not_fired:
        print(f"note: {not_fired} scheduled action(s) never fired (no detection, or past the horizon)")
    print(
        f"crisis in {int(s.crisis.sum())}/{len(s)} runs; final reputation {s.final_reputation.mean():.3f} "
        f"(start {res.timeseries.reputation.iloc[0]:.3f}); reach {s.reach.mean():.1%}"
    )
    print(f"results: {out}")
    return 0


# Options that change where and how fast an experiment runs, not what it finds.
PLACE_OPTIONS = {"--out": 1, "--workers": 1, "--dask": 1, "--no-figures": 0}


def reproduce_command(argv: list[str]) -> str:
    """The command that reproduces an experiment: its arguments without where and how fast it ran.

    Paths inside the current folder are written relative to it (the report says to run it from there).
    """
    import shlex

    words, skip = [], 0
    for word in argv:
        if skip:
            skip -= 1
            continue
        name = word.split("=", 1)[0]
        if name in PLACE_OPTIONS:
            skip = PLACE_OPTIONS[name] if "=" not in word else 0
            continue
        path = Path(word)
        if path.is_absolute() and path.exists():
            try:
                word = str(path.relative_to(Path.cwd()))
            except ValueError:
                pass
        words.append(word)
    return shlex.join(["python", "run.py", *words])


def _check_resume_arguments(args, plan) -> None:
    """Arguments given with --resume must be the plan's own: a resume never silently changes an experiment."""
    from .experiments import parse_vary

    default = vars(parser().parse_args([args.command]))  # this command's defaults (its scenario is optional)

    def given(name: str) -> bool:
        return getattr(args, name, None) != default.get(name)

    checks = [
        ("--replications", given("replications"), args.replications, plan.replications),
        ("--seed", given("seed"), args.seed, plan.seed),
        ("--baseline", given("baseline"), args.baseline, plan.baseline),
        ("--series", given("series"), args.series, plan.series),
        ("--resolve", given("resolve"), args.resolve, plan.resolve),
    ]
    if given("strategies"):
        names = parse_names(args.strategies, "--strategies")
        names = names if plan.baseline in names else [plan.baseline, *names]
        checks.append(("--strategies", True, ",".join(names), ",".join(plan.strategies)))
    if args.command == "sweep":
        checks += [
            ("--vary", bool(args.vary), parse_vary(args.vary, True) if args.vary else None, plan.vary),
            ("--window-metric", given("window_metric"), args.window_metric, plan.window_metric),
            ("--window-key", given("window_key"), args.window_key, plan.window_key),
            ("--horizon-check", given("horizon_check"), args.horizon_check, plan.horizon_check),
        ]
    if args.scenario or args.sets:
        if not args.scenario:
            raise ScenarioError("--resume", str(args.resume), "--set without the scenario: leave --set out to resume")
        overrides, origins = overrides_from_args(argparse.Namespace(sets=args.sets, seed=args.seed))
        typed = to_toml(load_scenario(find_scenario(args.scenario), overrides, origins=origins))
        checks.append(("the scenario (with --set)", True, typed, to_toml(plan.base)))
    for option, was_given, value, planned in checks:
        if was_given and value != planned:
            shown = "differs" if option.startswith("the scenario") else f"is {value!r}, the experiment's {planned!r}"
            raise ScenarioError(
                "--resume", str(args.resume), f"{option} {shown}; leave it out, or start a new experiment"
            )


MEMORY_KEYS = ("population.size", "simulation.days", "simulation.dt_hours", "network.")  # what a run's size follows


def choose_workers(args, scenarios: list) -> None:
    """`--workers` as given; else one per core, fewer when the memory available holds fewer runs at once (said)."""
    from .limits import fitting_workers

    if args.workers is not None:
        return
    args.workers = cores = os.cpu_count() or 1
    if args.allow_large or (args.dask and args.dask != "local"):
        return
    fit = fitting_workers(scenarios, cores)
    if fit < cores:
        print(
            f"note: {fit} worker(s) rather than one per core ({cores}): the memory available holds {fit} runs at once"
        )
        args.workers = fit


def _check_experiment_memory(plan, args) -> None:
    """Refuse an experiment whose worker processes together need more memory than is available.

    The largest condition counts (each condition's scenario when a swept key changes a run's size,
    else the base's); a remote Dask cluster's memory is its workers', not this machine's: not checked.
    Without --workers, as many workers as the memory holds (`choose_workers`).
    """
    from .limits import check_memory

    sized = any(k.startswith(MEMORY_KEYS) for k in plan.vary)
    scenarios = [plan.scenario_for(c) for c in plan.conditions] if sized else [plan.base]
    choose_workers(args, scenarios)
    if args.dask and args.dask != "local":
        return
    processes = min(args.workers, len(plan.conditions) * plan.replications)
    if sized:
        for sc in scenarios:
            check_memory(sc, "--vary", processes, args.allow_large)
    elif args.resume:
        check_memory(plan.base, str(args.resume), processes, args.allow_large)
    else:
        check_sizes(plan.base, args, processes=processes)


def cmd_experiment(args) -> int:
    """`compare` and `sweep`: run (or resume) an experiment, then its figures and report."""
    from .experiments import Plan, compare_plan, parse_vary, run_experiment, sweep_plan
    from .limits import check_workers
    from .results import default_folder

    if args.workers is not None:
        check_workers(args.workers, args.allow_large)
    if args.resume:
        if args.out:
            raise ScenarioError("--out", str(args.out), "a resume finishes the folder it is given: leave --out out")
        plan, folder = Plan.from_folder(args.resume, args.allow_large, kind=args.command), args.resume
        _check_resume_arguments(args, plan)
    else:
        if not args.scenario:
            raise ScenarioError(args.command, "scenario", "give a scenario file or name (or --resume DIR)")
        scenario_args = argparse.Namespace(
            scenario=args.scenario, sets=args.sets, seed=args.seed, allow_large=args.allow_large
        )
        overrides, origins = overrides_from_args(scenario_args)
        base = load_scenario(find_scenario(args.scenario), overrides, origins=origins)
        note_unused(base)
        check_sizes(base, scenario_args)
        strategies = parse_names(args.strategies, "--strategies")
        reps = args.replications if args.replications is not None else max(base.replications, 20)
        command = reproduce_command(args.argv)
        if args.command == "compare":
            plan = compare_plan(
                base,
                strategies,
                reps,
                base.seed,
                args.baseline,
                command,
                series=args.series,
                resolve=args.resolve,
                allow_large=args.allow_large,
            )
        else:
            vary = parse_vary(args.vary, args.allow_large)
            if not vary:
                raise ScenarioError("--vary", "vary", "sweep needs at least one --vary KEY=V1,V2,...")
            plan = sweep_plan(
                base,
                strategies,
                vary,
                reps,
                base.seed,
                args.baseline,
                command,
                series=args.series,
                window_metric=args.window_metric,
                window_key=args.window_key,
                resolve=args.resolve,
                horizon_check=args.horizon_check,
                allow_large=args.allow_large,
            )
        folder = args.out or default_folder(args.command, base.name)
    if args.dask:
        from .executor import check_dask

        problem = check_dask(args.dask)
        if problem:
            raise ScenarioError("--dask", args.dask, f"{problem}; give a scheduler's address or 'local'")
    hold = parse_assignments(args.slices, source="--slice")
    for key, value in hold.items():  # checked before running: a slice that cannot be drawn is refused now
        if key not in plan.vary or not any(str(value) == str(v) or value == v for v in plan.vary[key]):
            allowed = ", ".join(f"{k}={'|'.join(map(str, v))}" for k, v in plan.vary.items()) or "nothing is swept"
            raise ScenarioError("--slice", f"{key}={value}", f"not a swept key and value; allowed: {allowed}")
    _check_experiment_memory(plan, args)
    runs = len(plan.conditions) * plan.replications
    if plan.base.network.kind == "file":
        from .experiments import file_network

        print_network_notes(file_network(plan.base).report)
    print(
        f"{plan.kind}: {len(plan.conditions)} conditions x {plan.replications} replications = {runs} runs "
        f"({'Dask ' + args.dask if args.dask else str(args.workers) + ' worker(s)'})"
    )
    try:
        out = run_experiment(plan, folder, workers=args.workers, dask=args.dask, resume=bool(args.resume))
        if not args.no_figures:
            from .experiment_plots import all_figures
            from .report import write_report

            all_figures(folder, hold, figure_formats(args, plan.command if args.resume else ""))
            write_report(folder)
    except KeyboardInterrupt:
        print(f"interrupted: {kept(plan.kind, folder)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # a full disk, a folder made read-only meanwhile
        if isinstance(exc, FileExistsError):  # an --out that is taken: bad input, one line from main
            raise
        if interrupted():
            print(f"interrupted: {kept(plan.kind, folder)}", file=sys.stderr)
            return EXIT_INTERRUPTED
        print(f"error: {os_error_text(exc, folder)}; {kept(plan.kind, folder)}", file=sys.stderr)
        return 1
    except Exception:  # an interruption that a library turned into its own error
        if not interrupted():
            raise
        print(f"interrupted: {kept(plan.kind, folder)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if out["failed"] and out["failed"] >= runs:
        first = str(out["summary"]["error"].iloc[0])
        print(f"error: every run failed ({first}); the errors are in {folder / 'summary.csv'}", file=sys.stderr)
        return 1
    if out["failed"]:
        print(f"note: {out['failed']} run(s) failed; see the error column of summary.csv")
    for _, w in out["windows"].iterrows():
        text = window_text(w).replace("\n", " ")
        print(f"{w.strategy}, {clock_text(w.clock)}, on the {METRICS[w.metric].label}: {text}")
    if plan.horizon_check:
        import pandas as pd

        from .experiment_folder import HORIZON_CSV

        for _, h in pd.read_csv(Path(folder) / HORIZON_CSV).iterrows():
            print(f"horizon check ({h.strategy}): {horizon_text(h)}")
    print(f"results: {folder}")
    return 0


def cmd_check_model(args) -> int:
    """Run the checks, print the table, write figures and checks.csv/json; 0 if all pass, else 1."""
    import importlib.util

    from .results import atomic_folder, default_folder, write_meta
    from .validation import CHECKS, run_all, table, write_outputs

    keys = [k for k, _ in CHECKS]
    only = args.only or None
    if importlib.util.find_spec("EoN") is None and (not only or "8b" in only):
        raise ScenarioError("check-model", "", 'compares with EoN (a test dependency): pip install -e ".[test]"')
    unknown = [k for k in only or [] if k not in keys]
    if unknown:
        raise ScenarioError("--only", "", f"unknown check {', '.join(unknown)}; allowed: {', '.join(keys)}")
    if args.update_docs and (only or args.quick):
        raise ScenarioError("--update-docs", "", "records a full run only: drop --quick and --only")
    if args.workers:
        from .limits import check_workers

        check_workers(args.workers, args.allow_large)
    if not args.allow_large:  # the largest of the shipped scenarios the checks run, on each worker
        from .limits import check_memory
        from .validation.common import VALIDATION_DIR, default_workers

        for path in sorted(SCENARIO_DIR.glob("*.toml")) + sorted(VALIDATION_DIR.glob("*.toml")):
            check_memory(load_scenario(path), str(path), args.workers or default_workers())
    out = args.out or default_folder("check-model", "validation")
    t0 = time.perf_counter()
    with atomic_folder(out) as tmp:
        checks = run_all(
            out=tmp / "figures",
            quick=args.quick,
            workers=args.workers,
            only=only,
            progress=lambda s: print(s, flush=True),
            formats=figure_formats(args),
        )
        for c in checks:  # figures as they will be once the folder is in place
            c.figures = [Path(out) / Path(p).relative_to(tmp) for p in c.figures]
        write_outputs(checks, tmp)
        write_meta(
            tmp / "meta.json",
            quick=bool(args.quick),
            checks=len(checks),
            passed=sum(c.passed for c in checks),
            wall_seconds=round(time.perf_counter() - t0, 1),
        )
    print()
    print(table(checks))
    passed = sum(c.passed for c in checks)
    print(f"\n{passed}/{len(checks)} checks pass; figures and checks.csv in {out}")
    if args.update_docs:
        from .docs import record_validation

        for path in record_validation(checks, wall_seconds=time.perf_counter() - t0):
            print(f"updated {path}")
    return 0 if passed == len(checks) else 1


def cmd_list(args) -> int:
    """`list`: the scenarios, strategies and actions, one line each."""
    print("scenarios:")
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        try:
            desc = str(read_toml(path).get("description", "")).strip().splitlines()
        except ScenarioError:
            desc = ["(unreadable)"]
        print(f"  {path.stem:22s} {desc[0] if desc else ''}")
    sc = load_scenario(args.scenario) if args.scenario else None
    if sc is not None and sc.strategies:
        print(f"strategies of {sc.name}:")
        for name, strategy in sc.strategies.items():
            about = f"{strategy.description.strip()}: " if strategy.description.strip() else ""
            print(f"  {name:22s} {about}{describe_strategy(name, sc)}")
    print("strategies:" if sc is None or not sc.strategies else "presets:")
    for name in STRATEGY_NAMES:
        print(f"  {name:22s} {describe_strategy(name, sc)}")
    print("actions (for brand.schedule):")
    for name, action in ACTIONS.items():
        print(f"  {name:22s} {action.description}")
    return 0


def cmd_validate(args) -> int:
    """`validate`: check scenario files; exit 0 if all are valid, 1 otherwise.

    Each file gets a line on stdout (`ok` or `invalid` and why); when any is invalid, one line on
    stderr says how many and why the first is, so a script sees the failure where errors go.
    """
    bad = []
    for name in args.scenarios:
        path = find_scenario(name)
        try:
            load_scenario(path)
            print(f"ok      {path}")
        except (ScenarioError, NetworkError) as exc:
            bad.append(exc)
            print(f"invalid {exc}")
    if bad:
        print(f"error: {len(bad)} of {len(args.scenarios)} scenario file(s) invalid; first: {bad[0]}", file=sys.stderr)
    return 1 if bad else 0


def cmd_export(args) -> int:
    """`export`: every table of a results folder in the other format."""
    from .series_table import export_folder

    for path in export_folder(args.folder, args.format):
        print(f"wrote {path}")
    return 0


def cmd_keys(args) -> int:
    """`keys`: every scenario key with its unit, default, allowed values and meaning."""
    if args.markdown:
        from .docs import parameters_table

        print(parameters_table(), end="")
        return 0
    for row in describe():
        print(f"{row['key']:45s} {row['unit']:10s} {str(row['default']):>12s}  {row['allowed']}  {row['meaning']}")
    return 0


def os_error_text(exc: OSError, folder=None) -> str:
    """What the system refused, where: 'results/x/summary.csv: No space left on device' (`folder` if no file named)."""
    where = exc.filename or folder
    return f"{str(where) + ': ' if where else ''}{exc.strerror or exc.__class__.__name__}"


def kept(kind: str, folder) -> str:
    """The end of a message about an interrupted experiment: its finished runs are kept, and how to resume."""
    return f"finished runs are kept; resume with: python run.py {kind} --resume {folder}"


_signalled: list[int] = []  # the signals that interrupted this command (Ctrl-C, `kill`)


def _interrupt(signum, frame) -> None:
    """Ctrl-C or `kill`: remembered, then raised as KeyboardInterrupt.

    Remembered because a library interrupted inside (numba compiling a kernel, Dask shutting its
    workers) may turn the KeyboardInterrupt into an error of its own; the command still ends as
    interrupted, not with that error's traceback.
    """
    _signalled.append(signum)
    request_stop()
    raise KeyboardInterrupt


def _unraisable(hook_args) -> None:
    """Python's hook for exceptions it must ignore: an interruption is not printed (it is remembered and acted on)."""
    if issubclass(hook_args.exc_type, KeyboardInterrupt) and interrupted():
        return
    sys.__unraisablehook__(hook_args)


def interrupted() -> bool:
    """Whether Ctrl-C or `kill` interrupted the command running."""
    return bool(_signalled)


def main(argv: list[str] | None = None) -> int:
    """Run one command; bad input ends with one line on stderr and exit status 2."""
    _signalled.clear()
    clear_stop()
    # signal handlers belong to the main thread: a command run from another one keeps the process's
    handled = (signal.SIGTERM, signal.SIGINT) if threading.current_thread() is threading.main_thread() else ()
    before = {sig: signal.getsignal(sig) for sig in handled}, sys.unraisablehook
    for sig in handled:  # `kill` ends like Ctrl-C: workers shut down, the resume line
        signal.signal(sig, _interrupt)
    sys.unraisablehook = _unraisable
    try:
        return _main(argv)
    finally:  # a command called from Python (a test, a notebook) leaves the handlers and the stop flag as they were
        for sig, handler in before[0].items():
            signal.signal(sig, handler)
        sys.unraisablehook = before[1]
        clear_stop()


def check_values(argv: list[str]) -> None:
    """Every option given has a value: argparse reads `--budget=--` as an empty list, which would pass for none.

    Raises:
        ScenarioError: naming the option.
    """
    for word in argv:
        if word == "--":  # what follows is positional
            return
        if word.startswith("--") and word.endswith("=--"):
            option = word[: -len("=--")]
            raise ScenarioError(option, "--", f"not a value; give {option} a value")


def _main(argv: list[str] | None) -> int:
    """`main` once its signal handlers are in place."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        argv = ["run", str(DEFAULT_SCENARIO)]
    args = None
    try:  # from the start: Ctrl-C while the modules load is an interruption too
        check_values(argv)
        args = parser().parse_args(argv)
        args.argv = list(argv)  # the command as typed, for the experiment's reproduce command
        commands = {
            "run": cmd_run,
            "list": cmd_list,
            "validate": cmd_validate,
            "keys": cmd_keys,
            "compare": cmd_experiment,
            "sweep": cmd_experiment,
            "check-model": cmd_check_model,
            "export": cmd_export,
        }
        for name in COMMAND_MODULES:
            module = import_module(f".{name}", __package__)
            commands[module.COMMAND] = module.run
        if args.command is None:
            parser().print_help()
            return EXIT_BAD_INPUT
        return commands[args.command](args)
    except (ScenarioError, NetworkError, FileExistsError, ExportError, FolderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except OSError as exc:  # the system refused a read or a write (a full disk, a read-only folder)
        print(f"error: {os_error_text(exc, getattr(args, 'out', None))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: nothing was written for unfinished work", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception:
        if not interrupted():
            raise
        print("interrupted: nothing was written for unfinished work", file=sys.stderr)
        return EXIT_INTERRUPTED
