"""What the explorer shows, as the command line that reproduces it, checked by the command line itself.

The page's state is the scenario file it opened and the text typed in each control. That state
*is* a command line: `python run.py run SCENARIO --strategy S --seed N --replications R --set
KEY=TEXT ...`, or, side by side, `python run.py compare SCENARIO --strategies A,B --baseline A ...`.
:meth:`Explorer.check` parses it with the command line's own parser (`simulation.cli.parser`) and
loads it as the command does (`load_from_args`, `compare_plan`, the size limits), so a bad value
gets the very message `run.py` would print (after its `error: `), shown beside the control that
holds it, and the scenarios the page runs are the ones the command would run. "Copy command" is
that command line; "save scenario.toml" is the resolved scenario as `run.py run` writes it.

A list of tables is edited cell by cell (`--set amplifiers.0.threshold=12`); a row added or
removed sets the whole list (`--set amplifiers=[{...}, ...]`, TOML inline tables).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from ..parameters import LIST_ITEMS, ActionSpec, Scenario
from ..scenario import ScenarioError, find_scenario, load_scenario, parse_value, to_dict, to_toml
from ..schema import default_of
from ..strategies import CUSTOM, PRESETS, preset_schedule, strategy_names
from .controls import by_key
from .workers import Task

DEFAULT_REPLICATIONS = 5  # a handful: the page reruns them at every change
SAVED_NAME = "scenario.toml"  # the file name "save scenario.toml" offers
ARGUMENT = re.compile(r"argument (--[\w-]+)")
OPTION_CONTROLS = {"--seed": "seed", "--replications": "replications", "--strategy": "strategy"}


def toml_text(value) -> str:
    """A value as typed: TOML on one line (`0.3`, `true`, `[{ a = 1 }]`), a bare word where unambiguous."""
    if isinstance(value, str) and value and parse_value(value) == value and value.strip() == value:
        return value
    return _inline(value)


def _inline(value) -> str:
    """TOML of a value on one line: lists and tables inline, scalars as tomli_w writes them."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_inline(v)}" for k, v in value.items()) + " }" if value else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return tomli_w.dumps({"v": value})[len("v = ") :].strip()


def _lookup(d, key: str):
    """The value at a dotted key of a nested dict/list (`amplifiers.0.threshold`); KeyError if absent."""
    node = d
    for part in key.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


@dataclass
class Checked:
    """The outcome of checking the page's state: the command, the errors by control, what to run."""

    argv: list[str]
    errors: dict[str, str] = field(default_factory=dict)  # control key -> the command line's message
    scenarios: dict[str, Scenario] = field(default_factory=dict)  # strategy -> its scenario, in order
    saved: str = ""  # scenario.toml as `run.py run` (or compare) writes it
    saved_argv: list[str] = field(default_factory=list)  # the command that runs the saved file
    seed: int = 0
    replications: int = 0
    plan: object = None  # side by side: the comparison's plan (for the paired contrasts)

    @property
    def ok(self) -> bool:
        """Whether the state makes a valid command."""
        return not self.errors

    def tasks(self) -> list[Task]:
        """The batch: every replication of every strategy shown, replication 0 of each with its neighbourhood."""
        return [
            Task(sc, self.seed, r, label=name, neighbourhood=r == 0)
            for name, sc in self.scenarios.items()
            for r in range(self.replications)
        ]


class Explorer:
    """The page's state: a scenario file and the text of every control changed from it.

    Args:
        scenario: A scenario file, or the name of one in scenarios/ (as on the command line).
    """

    def __init__(self, scenario: str | Path):
        self.path = find_scenario(scenario)
        with contextlib.suppress(ValueError):  # named as the command line names it: relative when inside
            self.path = self.path.resolve().relative_to(Path.cwd())
        self.base = load_scenario(self.path)  # the command refuses an invalid file before serving it
        self.base_dict = to_dict(self.base)
        self.texts: dict[str, str] = {}  # changed keys (and list cells): the text typed
        self.rows: dict[str, list[dict[str, str]]] = {}  # lists whose rows were added or removed
        self.strategy = self.base.brand.strategy
        self.versus: str | None = None  # side by side: the second strategy

    # -- reading -------------------------------------------------------------------------------

    def strategies(self) -> tuple[str, ...]:
        """The strategies to choose from: the scenario's own, the presets, custom."""
        return strategy_names(self.base)

    def text(self, key: str) -> str:
        """The text a control shows: as typed, else the scenario's value."""
        return self.texts[key] if key in self.texts else self._default_text(key)

    def _default_text(self, key: str) -> str:
        """A control's text before any change: the scenario's value (a handful of replications at least)."""
        if key == "replications":
            return str(max(self.base.replications, DEFAULT_REPLICATIONS))
        return toml_text(_lookup(self.base_dict, key))

    def changed(self, key: str) -> bool:
        """Whether a control differs from the scenario file."""
        return key in self.texts

    def list_keys(self) -> list[str]:
        """The lists of tables shown: amplifiers, brand.schedule for custom, the shown named strategies' schedules."""
        shown = {self.strategy, self.versus}
        keys = ["amplifiers"]
        if CUSTOM in shown:
            keys.append("brand.schedule")
        keys += [f"strategies.{name}.schedule" for name in self.base.strategies if name in shown]
        return keys

    def table(self, list_key: str) -> list[dict[str, str]]:
        """A list of tables as rows of texts (each row: field -> text)."""
        if list_key in self.rows:
            return [dict(r) for r in self.rows[list_key]]
        base = _lookup(self.base_dict, list_key)
        return [{k: self.text(f"{list_key}.{i}.{k}") for k in row} for i, row in enumerate(base)]

    # -- editing -------------------------------------------------------------------------------

    def set_text(self, key: str, text: str) -> None:
        """Type a control's text (a scalar key, or a list cell `amplifiers.0.threshold`)."""
        list_key = next((k for k in self.rows if key.startswith(k + ".")), None)
        if list_key is not None:
            i, name = key[len(list_key) + 1 :].split(".", 1)
            self.rows[list_key][int(i)][name] = text
            return
        try:
            same = text.strip() == self._default_text(key)
        except (KeyError, IndexError, ValueError):
            same = False
        if same:
            self.texts.pop(key, None)
        else:
            self.texts[key] = text

    def choose(self, strategy: str, versus: str | None = None) -> None:
        """Show `strategy` (and `versus` beside it); custom starts from the schedule of the strategy it replaces."""
        if CUSTOM in (strategy, versus) and CUSTOM not in (self.strategy, self.versus):
            if not self.table("brand.schedule"):
                self.rows["brand.schedule"] = self._schedule_of(self.strategy)
        self.strategy, self.versus = strategy, (versus if versus != strategy else None)

    def _schedule_of(self, name: str) -> list[dict[str, str]]:
        """A strategy's schedule as rows of a table (one remedy at detection when it has none)."""
        if name in self.base.strategies:
            entries = [(a.action, a.at_hours, a.anchor) for a in self.base.strategies[name].schedule]
        elif name in PRESETS:
            entries = preset_schedule(name, self.base.brand.delay_hours, self.base.brand.anchor)
        else:
            entries = []
        spec = ActionSpec()  # the schema's default entry, for a strategy without actions
        entries = entries or [(spec.action, spec.at_hours, spec.anchor)]
        return [{"action": a, "at_hours": toml_text(float(t)), "anchor": c} for a, t, c in entries]

    def reset(self) -> None:
        """Back to the scenario file (the strategies too)."""
        self.texts.clear()
        self.rows.clear()
        self.strategy, self.versus = self.base.brand.strategy, None

    def add_row(self, list_key: str) -> None:
        """Add a row of defaults (a copy of the last row, for a schedule) to a list of tables."""
        rows = self._materialise(list_key)
        if rows and list_key != "amplifiers":
            rows.append(dict(rows[-1]))
        else:
            pattern = "strategies.NAME.schedule" if list_key.startswith("strategies.") else list_key
            item = LIST_ITEMS[pattern]
            rows.append({f.name: toml_text(default_of(f)) for f in item.__dataclass_fields__.values()})

    def remove_row(self, list_key: str, index: int) -> None:
        """Remove a row of a list of tables."""
        rows = self._materialise(list_key)
        if 0 <= index < len(rows):
            rows.pop(index)

    def _materialise(self, list_key: str) -> list[dict[str, str]]:
        if list_key not in self.rows:
            self.rows[list_key] = self.table(list_key)
            for key in [k for k in self.texts if k.startswith(list_key + ".")]:
                del self.texts[key]
        return self.rows[list_key]

    # -- the command line ------------------------------------------------------------------------

    def set_items(self) -> list[str]:
        """The `--set KEY=TEXT` items, in the schema's order of the keys (lists after the scalars)."""
        lists = set(self.list_keys())

        def applies(key: str) -> bool:  # edits of a list not shown are kept, but not run
            for list_key in ("brand.schedule", *(f"strategies.{n}.schedule" for n in self.base.strategies)):
                if key == list_key or key.startswith(list_key + "."):
                    return list_key in lists
            return True

        order = {k: i for i, k in enumerate(by_key())}
        scalars = sorted((k for k in self.texts if k not in ("seed", "replications")), key=lambda k: order.get(k, 1e9))
        items = [f"{k}={self.texts[k]}" for k in scalars if applies(k)]
        for list_key, rows in self.rows.items():
            values = [{k: parse_value(v) for k, v in r.items()} for r in rows]
            if applies(list_key) and values != _lookup(self.base_dict, list_key):
                items.append(f"{list_key}={toml_text(values)}")
        return items

    def argv(self) -> list[str]:
        """The command line of what the page shows (after `python run.py`)."""
        common = ["--seed", self.text("seed"), "--replications", self.text("replications")]
        for item in self.set_items():
            common += ["--set", item]
        scenario = str(self.path)
        if self.versus:
            strategies = f"{self.strategy},{self.versus}"
            return ["compare", scenario, "--strategies", strategies, "--baseline", self.strategy, *common]
        return ["run", scenario, "--strategy", self.strategy, *common]

    def command(self) -> str:
        """The command to copy: `python run.py ...`, paths relative to the current folder when inside it."""
        from ..cli import reproduce_command

        return reproduce_command(self.argv())

    def check(self) -> Checked:
        """Check the state as the command line would: errors by control, else what to run."""
        argv = self.argv()
        out = Checked(argv)
        args, message = _parse(argv)
        if message:
            found = ARGUMENT.search(message)
            out.errors[OPTION_CONTROLS.get(found.group(1), "") if found else ""] = message
            return out
        for item in args.sets:  # each change alone first: every bad control gets its message at once
            key = item.partition("=")[0].strip()
            try:
                self._load(args, sets=[item])
            except ScenarioError as exc:
                if exc.source == f"--set {item}":
                    out.errors[self._control_of(exc, key)] = str(exc)
        if out.errors:
            return out
        try:
            self._load(args, out=out)
        except ScenarioError as exc:
            origin = exc.source[len("--set ") :].partition("=")[0] if exc.source.startswith("--set ") else ""
            out.errors[self._control_of(exc, origin)] = str(exc)
        return out

    def _control_of(self, exc: ScenarioError, key: str) -> str:
        """The control a message belongs beside: the key it names (a control or a list cell), else the option's key."""
        named = exc.key or ""
        if named in by_key() or named in self.list_keys() or re.fullmatch(r".+\.\d+\.\w+", named):
            return named
        if named.startswith(("strategies", "brand.strategy")) or exc.source.startswith(("--strateg", "--baseline")):
            return "strategy"
        return key if key in by_key() or key in self.rows else ""

    def _load(self, args, sets: list[str] | None = None, out: Checked | None = None) -> None:
        """Load what the command would run (its scenario, or the comparison's); fill `out` when given."""
        from ..cli import load_from_args, overrides_from_args, reproduce_command
        from ..limits import check_memory, check_network, check_steps

        args = argparse.Namespace(**{**vars(args), "sets": args.sets if sets is None else sets})
        if args.command == "run":
            sc = load_from_args(args)
            if out is None:
                return
            check_steps(sc.steps, args.scenario, False)  # as `run.py run`, before running
            check_network(sc, args.scenario, False)
            check_memory(sc, args.scenario, 1, False, replications_held=sc.replications)
            out.scenarios = {sc.brand.strategy: sc}
            out.seed, out.replications, out.saved = sc.seed, sc.replications, to_toml(sc)
            out.saved_argv = ["run", SAVED_NAME]
            return
        from ..experiments import compare_plan  # as `run.py compare`

        overrides, origins = overrides_from_args(argparse.Namespace(sets=args.sets, seed=args.seed))
        base = load_scenario(find_scenario(args.scenario), overrides, origins=origins)
        names = [s.strip() for s in args.strategies.split(",") if s.strip()]
        if len(set(names)) < 2:
            raise ScenarioError("--strategies", args.strategies, "side by side needs two different strategies")
        plan = compare_plan(base, names, args.replications, base.seed, args.baseline, reproduce_command(args.argv))
        if out is None:
            return
        check_memory(base, args.scenario, 1, False, replications_held=len(names) * args.replications)
        out.plan = plan
        out.scenarios = {c["brand.strategy"]: plan.scenario_for(c) for c in plan.conditions}
        out.seed, out.replications, out.saved = plan.seed, plan.replications, to_toml(base)
        out.saved_argv = ["compare", SAVED_NAME, *args.argv[2:6], "--replications", str(plan.replications)]


def _parse(argv: list[str]) -> tuple[argparse.Namespace | None, str]:
    """Parse a command line with `run.py`'s parser: (arguments, '') or (None, its one-line error without `error: `)."""
    from ..cli import parser

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            args = parser().parse_args(argv)
    except SystemExit:
        return None, err.getvalue().strip().splitlines()[-1].removeprefix("error: ")
    args.argv = list(argv)
    return args, ""
