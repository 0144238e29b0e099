"""`python run.py sensitivity`: its options and the command (a study of `simulation.sensitivity`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .scenario import ScenarioError, find_scenario, load_scenario, parse_names
from .sensitivity import ASSUMPTIONS, DEFAULT_METRICS, METHODS

DEFAULT_N = {"morris": 10, "sobol": 64}  # Morris trajectories; Sobol' base samples (a power of two)
DEFAULT_REPLICATIONS = 5
COMMAND = "sensitivity"
RESUMED = ("method", "n", "replications", "seed", "strategies", "baseline", "metrics", "timing")


def add_parser(sub, integer, allow_large) -> None:
    """The `sensitivity` command's options (`integer` and `allow_large` are the command line's own helpers)."""
    s = sub.add_parser(
        "sensitivity",
        help="which parameters drive the damage and the value of a response (Morris or Sobol'), "
        "and which conclusions survive",
    )
    s.add_argument("scenario", nargs="?", help="scenario file or name (not needed with --resume)")
    s.add_argument("--method", choices=METHODS, default="morris", help="morris (screening, default) or sobol")
    s.add_argument(
        "--param",
        dest="params_given",
        action="append",
        default=[],
        metavar="KEY=LO:HI[:log]",
        help="a parameter and its range, repeatable (adds to or overrides --params)",
    )
    s.add_argument(
        "--params",
        choices=(ASSUMPTIONS,),
        help="'assumptions' (the default without --param): the assumed behavioural parameters over their plausible "
        "ranges (python run.py keys --markdown)",
    )
    s.add_argument(
        "--n",
        type=integer(1),
        default=None,
        help=f"Morris trajectories (default {DEFAULT_N['morris']}) or Sobol' base samples (a power of two, default "
        f"{DEFAULT_N['sobol']})",
    )
    s.add_argument(
        "--replications",
        type=integer(2),
        default=DEFAULT_REPLICATIONS,
        help=f"paired replications per point and option (default {DEFAULT_REPLICATIONS})",
    )
    s.add_argument("--strategies", help="comma-separated strategies (default: the scenario's own)")
    s.add_argument("--baseline", default="ignore", help="strategy the others are compared with (default ignore)")
    s.add_argument("--metrics", default=",".join(DEFAULT_METRICS), help="comma-separated metrics analysed")
    s.add_argument(
        "--timing", metavar="D1,D2", help="two delays (h): also the value of responding at D1 rather than at D2"
    )
    s.add_argument("--seed", type=integer(0), help="root seed (overrides seed; also seeds the sample)")
    s.add_argument(
        "--set", dest="sets", action="append", default=[], metavar="KEY=VALUE", help="override a scenario key"
    )
    s.add_argument(
        "--workers",
        type=integer(1),
        default=None,
        help="processes (default: one per core, fewer if the memory available holds fewer runs at once)",
    )
    from .cli import address, out_folder

    s.add_argument("--dask", type=address, metavar="ADDRESS", help="a Dask scheduler address, or 'local' to start one")
    s.add_argument("--out", type=out_folder, help="study folder (default results/<scenario>/<timestamp>-sensitivity)")
    allow_large(s)
    s.add_argument("--resume", type=Path, metavar="DIR", help="finish an interrupted study in DIR")
    s.add_argument("--no-figures", action="store_true", help="skip figures and report")
    from .cli import pdf_option

    pdf_option(s)


def _names(text: str | None, option: str) -> list[str]:
    return [] if text is None else parse_names(text, option)


def _timing(text: str | None) -> list[float]:
    if text is None:
        return []
    try:
        return [float(x) for x in text.split(",")]
    except ValueError:
        raise ScenarioError("--timing", text, "expected two delays in hours, D1,D2") from None


def study_from_args(args, base):
    """The study the options describe, checked (one line naming the option if not)."""
    from .sensitivity import Study, resolve_factors

    strategies = _names(args.strategies, "--strategies") or [base.brand.strategy]
    assumptions = args.params == ASSUMPTIONS or not args.params_given  # without --param: the assumptions
    factors = resolve_factors(args.params_given, assumptions)
    if assumptions and args.params != ASSUMPTIONS:
        print(f"no --param given: sampling the {len(factors)} assumed parameters (--params {ASSUMPTIONS})")
    if assumptions:  # an action's parameters only where a compared strategy takes that action
        used = used_actions(base, [args.baseline] + strategies)
        given = {p.partition("=")[0].strip() for p in args.params_given}
        unused = [f.key for f in factors if f.key.startswith("actions.") and f.key.split(".")[1] not in used]
        unused = [k for k in unused if k not in given]
        if unused:
            print(f"--params assumptions: left out (no compared strategy takes their action): {', '.join(unused)}")
        factors = [f for f in factors if f.key not in unused]
    return Study(
        method=args.method,
        factors=factors,
        n=args.n if args.n is not None else DEFAULT_N[args.method],
        replications=args.replications,
        seed=base.seed,
        strategies=list(dict.fromkeys([args.baseline] + strategies)),
        baseline=args.baseline,
        metrics=_names(args.metrics, "--metrics"),
        timing=_timing(args.timing),
    )


def used_actions(base, strategies: list[str]) -> set[str]:
    """The actions the named strategies take on this scenario (unknown names are left to the study's check)."""
    from .brand import schedule_for
    from .scenario import strategy_overrides, with_changes
    from .strategies import strategy_names

    known = strategy_names(base)
    return {
        a.action
        for s in strategies
        if s in known
        for a in schedule_for(with_changes(base, strategy_overrides(s), source="--strategies"))
    }


def _check_resume(args, parser, study) -> None:
    """Options given with --resume must say what the study already is."""
    defaults = parser.parse_args(["sensitivity"])
    given = {k for k in RESUMED if getattr(args, k, None) != getattr(defaults, k, None)}
    where = str(args.resume)
    own = [
        name
        for name, given in (
            ("the scenario", args.scenario),
            ("--param", args.params_given),
            ("--params", args.params),
            ("--set", args.sets),
        )
        if given
    ]
    if own:
        raise ScenarioError(
            "--resume", where, f"{own[0]} is the study's own (its scenario and parameters): leave it out to resume"
        )
    mine = {
        "method": study.method,
        "n": study.n,
        "replications": study.replications,
        "seed": study.seed,
        "baseline": study.baseline,
    }
    for k in given & set(mine):
        if getattr(args, k) != mine[k]:
            raise ScenarioError("--resume", where, f"--{k} is {getattr(args, k)!r}, the study's {mine[k]!r}")
    strategies = set(_names(args.strategies, "--strategies")) | {study.baseline}
    if "strategies" in given and strategies != set(study.strategies):
        raise ScenarioError("--resume", where, f"--strategies differ from the study's {','.join(study.strategies)}")
    if "metrics" in given and _names(args.metrics, "--metrics") != study.metrics:
        raise ScenarioError("--resume", where, f"--metrics differ from the study's {','.join(study.metrics)}")
    if "timing" in given and _timing(args.timing) != study.timing:
        raise ScenarioError("--resume", where, "--timing differs from the study's")


def _bytes(sc) -> int:
    """The memory one run of `sc` needs (`limits.estimate_memory`)."""
    from .limits import estimate_memory

    return sum(estimate_memory(sc).values())


def run(args) -> int:
    """Run (or resume) a sensitivity study, then its figures and report."""
    from . import cli
    from .experiment_folder import SCENARIO_TOML, FolderError, check_unchanged, read_plan
    from .limits import check_memory, check_workers
    from .results import default_folder
    from .sensitivity import STUDY_JSON, read_study, run_study

    if args.workers is not None:
        check_workers(args.workers, args.allow_large)
    if args.resume:
        if args.out:
            raise ScenarioError("--out", str(args.out), "a resume finishes the folder it is given: leave --out out")
        if not (Path(args.resume) / STUDY_JSON).is_file():
            raise FolderError(f"{args.resume}: not a sensitivity folder (no {STUDY_JSON})")
        check_unchanged(args.resume)  # the study, plan and scenario as they were written, before they are read
        study = read_study(args.resume)
        _check_resume(args, cli.parser(), study)
        base, folder = load_scenario(Path(args.resume) / SCENARIO_TOML), args.resume
    else:
        if not args.scenario:
            raise ScenarioError("sensitivity", "scenario", "give a scenario file or name (or --resume DIR)")
        scenario_args = argparse.Namespace(
            scenario=args.scenario, sets=args.sets, seed=args.seed, allow_large=args.allow_large
        )
        overrides, origins = cli.overrides_from_args(scenario_args)
        base = load_scenario(find_scenario(args.scenario), overrides, origins=origins)
        cli.check_sizes(base, scenario_args)
        study = study_from_args(args, base)
        folder = args.out or default_folder("sensitivity", base.name)
    tried = study.check(base, args.allow_large)
    cli.choose_workers(args, [max(tried, key=_bytes)])
    points, options = study.point_count, len(study.options())
    runs = points * options * study.replications
    if args.dask:
        from .executor import check_dask

        problem = check_dask(args.dask)
        if problem:
            raise ScenarioError("--dask", args.dask, f"{problem}; give a scheduler's address or 'local'")
    if not (args.dask and args.dask != "local"):  # the largest of the scenarios at the ranges' ends
        processes = min(args.workers, runs)
        largest = max(tried, key=_bytes)
        if _bytes(largest) > _bytes(base):
            check_memory(largest, "--param", processes, args.allow_large)
        elif args.resume:
            check_memory(base, str(args.resume), processes, args.allow_large)
        else:
            cli.check_sizes(base, scenario_args, processes=processes)
    print(
        f"sensitivity ({study.method}): {len(study.factors)} parameters, {points} points x {options} options x "
        f"{study.replications} replications = {runs} runs "
        f"({'Dask ' + args.dask if args.dask else str(args.workers) + ' worker(s)'})"
    )
    try:
        out = run_study(
            study,
            base,
            folder,
            workers=args.workers,
            dask=args.dask,
            resume=bool(args.resume),
            command=cli.reproduce_command(args.argv) if not args.resume else "",
            allow_large=args.allow_large,
        )
        if not args.no_figures:
            from .sensitivity_report import all_figures, write_report

            recorded = read_plan(folder).get("command", "") if args.resume else ""
            all_figures(folder, cli.figure_formats(args, recorded))
            write_report(folder)
    except KeyboardInterrupt:
        print(f"interrupted: {cli.kept(COMMAND, folder)}", file=sys.stderr)
        return cli.EXIT_INTERRUPTED
    except Exception as exc:  # a full disk; an interruption a library turned into its own error
        if cli.interrupted():
            print(f"interrupted: {cli.kept(COMMAND, folder)}", file=sys.stderr)
            return cli.EXIT_INTERRUPTED
        if not isinstance(exc, OSError) or isinstance(exc, FileExistsError):  # a taken --out: bad input
            raise
        print(f"error: {cli.os_error_text(exc, folder)}; {cli.kept(COMMAND, folder)}", file=sys.stderr)
        return 1
    if out["failed"] and out["failed"] >= runs:
        first = str(out["summary"]["error"].iloc[0])
        print(f"error: every run failed ({first}); the errors are in {folder / 'summary.csv'}", file=sys.stderr)
        return 1
    if out["failed"]:
        print(f"note: {out['failed']} run(s) failed; their points' indices are not computed (see sensitivity.csv)")
    if out["note"]:
        print(f"note: {out['note']}")
    for line in summary_lines(study, out):
        print(line)
    print(f"results: {folder}")
    return 0


def summary_lines(study, out) -> list[str]:
    """What the command prints at the end: each metric's most frequent best option, each effect's top driver."""
    from .sensitivity import RANK_INDEX
    from .sensitivity_report import key_targets

    lines = []
    rob = out["robustness.csv"]
    for metric, r in rob.groupby("metric", sort=False) if len(rob) else []:
        lead = r.sort_values("win_share", ascending=False).iloc[0]
        if lead.best_alone_share == 0:
            lines.append(f"{metric}: no option is best alone at any point (ties)")
            continue
        tie = f", tied for best at {lead.tie_share:.0%}" if lead.tie_share > 0 else ""
        lines.append(
            f"{metric}: {lead.option} best alone at {lead.best_alone_share:.0%} of the points (by more than chance "
            f"at {lead.clear_share:.0%}){tie}"
        )
    sens, main = out["sensitivity.csv"], RANK_INDEX[study.method]
    for target in key_targets(study)[:4]:
        r = sens[(sens.target == target) & (sens.metric == study.metrics[0])].sort_values(main, ascending=False)
        if len(r) and r[main].notna().any():
            lines.append(f"{target} on {study.metrics[0]}: driven most by {r.parameter.iloc[0]}")
    return lines
