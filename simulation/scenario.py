"""Loading a scenario: TOML file or dict, dotted-key overrides, validation, resolved output.

Scenario files are data: they are parsed with `tomllib`, checked key by key against the schema
in `simulation.parameters`, and never executed. Every problem raises `ScenarioError`, whose
one-line message names the source, the key and what is allowed.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
import tomllib
from pathlib import Path
from typing import Any, Iterable, Mapping

import tomli_w

from .actions import ACTION_NAMES
from .files import not_regular
from .parameters import (
    LIST_ITEMS,
    MIN_POPULATION,
    NAMED_ITEMS,
    SECTIONS,
    ActionsParams,
    ActionSpec,
    AmplifierParams,
    Scenario,
)
from .schema import allowed_text, field_type, is_section
from .strategies import CUSTOM, PRESETS, STRATEGY_NAMES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = PROJECT_ROOT / "scenarios"
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


class ScenarioError(ValueError):
    """A scenario problem: `source: key: what is wrong; what is allowed`.

    `involves` lists the other keys of a rule about several (`network.m` must be below
    `population.size`), so that a message can blame the option that set any of them.
    """

    def __init__(self, source: str, key: str, message: str, involves: tuple[str, ...] = ()):
        self.source, self.key, self.message, self.involves = source, key, message, tuple(involves)
        super().__init__(f"{source}: {key}: {message}" if key else f"{source}: {message}")

    def __reduce__(self):
        # Rebuilt from its parts when it crosses processes (a worker's error reaches the parent).
        return type(self), (self.source, self.key, self.message, self.involves)


MAX_SCENARIO_BYTES = 1 << 20  # a scenario file is text of a few kilobytes; 1 MiB is far beyond any real one
MAX_NAME = 100  # characters of a scenario's name (it names a results folder)


def _shown(value: Any, width: int = 60) -> str:
    """A value as a message quotes it: its repr, shortened (a message stays one short line)."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def read_toml(path: str | Path) -> dict:
    """Parse a TOML file, turning every failure into a ScenarioError naming the file."""
    path = Path(path)
    problem = not_regular(path)
    if problem:
        raise ScenarioError(str(path), "", f"{problem}; a scenario is a TOML text file")
    try:
        size = path.stat().st_size
        if size > MAX_SCENARIO_BYTES:
            raise ScenarioError(
                str(path), "", f"is {size:,} bytes; a scenario file is at most {MAX_SCENARIO_BYTES:,} (is it one?)"
            )
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Windows editors) is not TOML
    except FileNotFoundError:
        raise ScenarioError(str(path), "", "file not found") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), "", f"is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise ScenarioError(str(path), "", f"cannot read file ({exc.strerror or exc.__class__.__name__})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), "", f"malformed TOML: {exc}") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ScenarioError(str(path), "", "malformed TOML: arrays or tables nested too deeply") from None


def find_scenario(name: str | Path) -> Path:
    """A scenario path, or a bare name looked up in the scenarios folder.

    A relative path that does not exist here is looked up from the project's folder too, so
    `scenarios/default.toml` works from any folder.
    """
    path = Path(name)
    if path.exists():
        return path
    if path.suffix == ".toml" or len(path.parts) > 1:
        inside = PROJECT_ROOT / path
        return inside if not path.is_absolute() and inside.exists() else path
    return SCENARIO_DIR / f"{name}.toml"


def parse_value(text: str) -> Any:
    """A `--set` value: TOML syntax (numbers, booleans, quoted strings, lists), else a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignments(items: Iterable[str], source: str = "--set") -> dict[str, Any]:
    """`["a.b=1", ...]` as `{"a.b": 1}`; a missing `=` or key is a ScenarioError."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(source, item, "expected KEY=VALUE, for example brand.delay_hours=24")
        out[key.strip()] = parse_value(value.strip())
    return out


def parse_names(text: str, option: str) -> list[str]:
    """A comma-separated list given with an option (`--strategies A,B`): stripped, not empty, no name twice."""
    names = [x.strip() for x in text.split(",")]
    if not any(names):
        raise ScenarioError(option, repr(text), "nothing named; write A,B,...")
    if not all(names):  # 'a,,b' or 'a,b,': a name left out by mistake is not silently dropped
        raise ScenarioError(option, text, "an empty name (two commas, or one at an end); write A,B,...")
    twice = sorted({x for x in names if names.count(x) > 1})
    if twice:
        raise ScenarioError(option, text, f"{', '.join(twice)} named twice; name each once")
    return names


def strategy_overrides(strategy: str) -> dict[str, Any]:
    """Overrides that switch a scenario to a named strategy (any but custom empties brand.schedule)."""
    return {"brand.strategy": strategy} if strategy == CUSTOM else {"brand.strategy": strategy, "brand.schedule": []}


def apply_overrides(
    raw: dict, overrides: Mapping[str, Any], source: str = "--set", origins: Mapping[str, str] | None = None
) -> dict:
    """A copy of `raw` with dotted keys set (`amplifiers.0.threshold` indexes a list of tables).

    A key that cannot be set names its origin (`origins[key]`, e.g. `--set seed.x=1`), else `source`.
    """
    raw = copy.deepcopy(raw)
    for dotted, value in overrides.items():
        where = (origins or {}).get(dotted) or source
        parts = dotted.split(".")
        if not all(parts):
            raise ScenarioError(where, dotted, "empty part in a dotted key; write section.key, e.g. spread.visibility")
        node: Any = raw
        for i, part in enumerate(parts[:-1]):
            if isinstance(node, list):
                if not part.isdigit():
                    raise ScenarioError(where, dotted, f"{part!r} is not a list index; write 0, 1, ... (a number)")
                if int(part) >= len(node):
                    entries = f"{len(node)} entr{'y' if len(node) == 1 else 'ies'}"
                    raise ScenarioError(where, dotted, f"list index {part!r} out of range (the list has {entries})")
                node = node[int(part)]
            else:
                prefix = parts[: i + 1]
                generic = ".".join(prefix[:1] + ["NAME"] + prefix[2:] if prefix[0] in NAMED_ITEMS else prefix)
                if part not in node and generic in LIST_ITEMS:  # a list the scenario does not have yet
                    node[part] = []
                nxt = node.setdefault(part, {})
                if not isinstance(nxt, (dict, list)):
                    raise ScenarioError(where, ".".join(parts[: i + 1]), "is a value, not a table")
                node = nxt
        if isinstance(node, list):
            raise ScenarioError(where, dotted, "cannot set a whole list entry; set one of its keys")
        node[parts[-1]] = value
    return raw


def _check_value(f, value: Any, source: str, key: str) -> Any:
    """Type, range and choice check of one value against its field; returns the typed value."""
    want = field_type(f)
    allowed = allowed_text(f)
    if want is bool:
        ok = isinstance(value, bool)
    elif want is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif want is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok:
            value = float(value)
            ok = math.isfinite(value)
    elif want is str:
        ok = isinstance(value, str)
    elif isinstance(want, tuple):  # a union: an int or text label, true/false or a word
        ok = isinstance(value, want) and (bool in want or not isinstance(value, bool))
    else:
        ok = True
    if not ok:
        raise ScenarioError(source, key, f"expected {allowed}, got {_shown(value)}")
    m = f.metadata
    if m["choices"] and isinstance(value, str) and value not in m["choices"]:
        words = ", ".join(m["choices"])
        if isinstance(want, tuple) and bool in want:  # network.header: a word or true/false
            words += ", true or false"
        raise ScenarioError(source, key, f"unknown value {_shown(value)}; allowed: {words}")
    lo, hi = m["lo"], m["hi"]
    if want in (int, float) and (
        (lo is not None and (value < lo or (m["lo_open"] and value == lo))) or (hi is not None and value > hi)
    ):
        raise ScenarioError(source, key, f"value {value!r} out of range; allowed: {allowed}")
    return value


def _build(cls, raw: Any, source: str, prefix: str, list_key: str | None = None):
    """Build dataclass `cls` from a table, rejecting unknown keys and bad values.

    `list_key` is the prefix under which its lists of tables are declared in `LIST_ITEMS`
    (`strategies.NAME.` for the tables of [strategies.lawyers_then_apology]); `prefix` by default.
    """
    if not isinstance(raw, dict):
        raise ScenarioError(source, prefix.rstrip(".") or "(top level)", f"expected a table, got {_shown(raw)}")
    known = {f.name: f for f in fields_of(cls)}
    for key in raw:
        if key not in known:
            raise ScenarioError(source, prefix + key, "unknown key; allowed here: " + ", ".join(known))
    kwargs = {}
    for name, f in known.items():
        key = prefix + name
        if is_section(f):
            kwargs[name] = _build(f.default_factory, raw.get(name, {}), source, key + ".")
        elif name in raw:
            value = raw[name]
            item_cls = LIST_ITEMS.get((list_key or prefix) + name)
            if key in NAMED_ITEMS:
                value = _build_named(NAMED_ITEMS[key], value, source, key)
            elif item_cls is not None:
                if not isinstance(value, list):
                    raise ScenarioError(source, key, f"expected a list of tables, got {_shown(value)}")
                value = [_build(item_cls, v, source, f"{key}.{i}.") for i, v in enumerate(value)]
            else:
                value = _check_value(f, value, source, key)
            kwargs[name] = value
    return cls(**kwargs)


def _build_named(cls, raw: Any, source: str, key: str) -> dict:
    """Tables of tables keyed by a name of the user's ([strategies.NAME]): each built as `cls`."""
    if not isinstance(raw, dict):
        raise ScenarioError(source, key, f"expected tables [{key}.NAME], got {_shown(raw)}")
    out = {}
    for name, table in raw.items():
        if not NAME_PATTERN.fullmatch(name):
            raise ScenarioError(
                source, f"{key}.{name}", "bad name: letters, digits, _ and - only, starting with a letter"
            )
        out[name] = _build(cls, table, source, f"{key}.{name}.", list_key=f"{key}.NAME.")
    return out


def fields_of(cls) -> tuple:
    return dataclasses.fields(cls)


def _name_problem(name: str) -> str:
    """Why a scenario name cannot name a results folder ('' if it can)."""
    if not name.strip():
        return "is empty"
    if len(name) > MAX_NAME:
        return f"has {len(name)} characters; at most {MAX_NAME}"
    if "/" in name or "\\" in name:
        return "has a path separator"
    if name.startswith("."):
        return "starts with a dot"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "has a control character"
    return ""


def _check_consistency(sc: Scenario, raw: dict, source: str) -> None:
    """Rules that involve more than one key (and the scenario's name, which becomes a folder).

    Each error lists the other keys of its rule (`involves`), so that a message blames the option
    that set any of them (`--set population.size=5` for `network.m must be < population.size`).
    """
    b, n, size = sc.brand, sc.network, sc.population.size
    problem = _name_problem(sc.name)
    if problem:
        raise ScenarioError(
            source,
            "name",
            f"{_shown(sc.name)} {problem}; a name becomes a results folder: not blank, no path separator, no "
            f"leading dot, no control character, at most {MAX_NAME} characters",
        )
    sim = sc.simulation
    if sim.dt_hours > sim.days * 24:
        raise ScenarioError(
            source,
            "simulation.dt_hours",
            f"{sim.dt_hours:g} h is longer than the horizon (simulation.days = {sim.days:g}, {sim.days * 24:g} h); "
            "allowed: at most the horizon",
            ("simulation.days",),
        )
    for name, strategy in sc.strategies.items():
        if name in STRATEGY_NAMES:
            raise ScenarioError(
                source, f"strategies.{name}", "is the name of a preset strategy; give your strategy another name"
            )
        if not strategy.schedule:
            raise ScenarioError(
                source,
                f"strategies.{name}.schedule",
                "must list at least one action ({action, at_hours, anchor} tables)",
            )
    if b.strategy not in STRATEGY_NAMES and b.strategy not in sc.strategies:
        allowed = [*PRESETS, *sc.strategies, CUSTOM]
        raise ScenarioError(
            source, "brand.strategy", f"unknown value {_shown(b.strategy)}; allowed: {', '.join(allowed)}"
        )
    if b.strategy == "custom" and not b.schedule:
        raise ScenarioError(
            source,
            "brand.schedule",
            "strategy = custom needs a non-empty schedule (a list of {action, at_hours, anchor} tables)",
            ("brand.strategy",),
        )
    if b.strategy != "custom" and b.schedule:
        raise ScenarioError(
            source,
            "brand.schedule",
            f"is only used with strategy = custom (strategy is {b.strategy!r})",
            ("brand.strategy",),
        )
    if n.kind == "file" and not n.path:
        raise ScenarioError(
            source, "network.path", "network.kind = file needs a path to an edge list", ("network.kind",)
        )
    if n.kind != "file" and n.directed:
        raise ScenarioError(
            source,
            "network.directed",
            f"is for edge-list files only; a {n.kind} network is "
            + ("always directed" if n.kind == "directed_scale_free" else "undirected"),
            ("network.kind",),
        )
    sized = ("population.size", "network.kind")
    if n.kind in ("erdos_renyi", "stochastic_block", "directed_scale_free") and n.mean_degree > size - 1:
        raise ScenarioError(source, "network.mean_degree", f"must be <= population.size - 1 ({size - 1})", sized)
    if n.kind == "directed_scale_free" and n.mean_degree < 1:
        raise ScenarioError(
            source, "network.mean_degree", "must be >= 1 for a directed_scale_free network", ("network.kind",)
        )
    if n.kind in ("barabasi_albert", "holme_kim") and n.m >= size:
        raise ScenarioError(source, "network.m", f"must be < population.size ({size})", sized)
    if n.kind == "watts_strogatz" and (n.k % 2 or n.k >= size):
        raise ScenarioError(source, "network.k", f"must be even and < population.size ({size})", sized)
    if n.kind == "stochastic_block" and n.blocks > size:
        raise ScenarioError(source, "network.blocks", f"must be <= population.size ({size})", sized)
    if n.kind == "stochastic_block" and _block_link_chance(size, n.blocks, n.mean_degree, n.mixing) > 1:
        raise ScenarioError(
            source,
            "network.mean_degree",
            f"{n.mean_degree:g} is too high for {n.blocks} communities of about {size // n.blocks} consumers with "
            f"mixing {n.mixing:g}: a link's chance would exceed 1 (fewer network.blocks or a lower mean degree)",
            ("network.blocks", "network.mixing", *sized),
        )
    c = sc.complaint
    if c.complainants == 0 and c.background_rate_per_h == 0:
        raise ScenarioError(
            source,
            "complaint.complainants",
            "is 0 and there is no background rate: nothing would ever happen (set complaint.complainants >= 1)",
            ("complaint.background_rate_per_h",),
        )
    if c.complainants >= size:  # reach is the share of the others who heard: someone must be left to hear
        raise ScenarioError(
            source,
            "complaint.complainants",
            f"must be < population.size ({size}): reach counts the consumers other than the complainants",
            sized,
        )
    if c.placement == "node" and c.complainants > 1:
        raise ScenarioError(
            source,
            "complaint.complainants",
            f"is {c.complainants}, but placement = node places one complainant (complaint.node); "
            "allowed: 0 or 1 (or placement = random or hub)",
            ("complaint.placement",),
        )
    if c.placement == "node" and n.kind != "file":
        node = c.node if isinstance(c.node, int) else None
        if node is None or not 0 <= node < size:
            raise ScenarioError(
                source,
                "complaint.node",
                f"{_shown(c.node)} is not a consumer: a generated network's consumers are 0 to {size - 1}",
                ("complaint.placement", *sized),
            )


def _block_link_chance(n: int, blocks: int, mean_degree: float, mixing: float) -> float:
    """The larger link chance (within, across communities) a stochastic-block network needs.

    The rule `network._stochastic_block_pairs` applies when it builds the network, checked here at
    load so that a scenario that cannot run is refused before anything runs.
    """
    q, r = divmod(n, blocks)  # r communities of q + 1 consumers, the others of q
    within = r * (q + 1) * q // 2 + (blocks - r) * q * (q - 1) // 2
    cross = n * (n - 1) // 2 - within
    mixing = 0.0 if cross == 0 else (1.0 if within == 0 else mixing)
    links = mean_degree * n / 2
    return max((1 - mixing) * links / within if within else 0.0, mixing * links / cross if cross else 0.0)


def unused_keys(sc: Scenario) -> list[tuple[str, str]]:
    """Keys given a value that this scenario does not use, each with why: else ignored without a word.

    `network.path` and `network.header` are read for an edge-list file only, `network.edge_meaning` for a
    directed one. They are not refused: a sweep over `network.kind` keeps the file's keys for its other
    kinds.
    """
    n, out = sc.network, []
    if n.kind != "file":
        given = {"network.path": bool(n.path), "network.header": n.header != "auto"}
        out += [(k, f"read for network.kind = file only (kind is {n.kind})") for k, g in given.items() if g]
    if n.edge_meaning != "target_sees_source" and not (n.kind == "file" and n.directed):
        out.append(("network.edge_meaning", "read for a directed edge-list file only (network.directed = true)"))
    return out


def resolve_network_path(sc: Scenario, base_dir: Path | None) -> Path:
    """The edge-list file: relative to the scenario's folder, else to the project root."""
    return resolve_data_path(sc.network.path, base_dir)


def resolve_data_path(name: str, base_dir: Path | None) -> Path:
    """A data file a scenario names: relative to the scenario's folder, else to the project root (`~` is home)."""
    path = Path(name).expanduser() if str(name).startswith("~") else Path(name)
    if path.is_absolute():
        return path
    for base in ([base_dir] if base_dir else []) + [PROJECT_ROOT, Path.cwd()]:
        if (base / path).exists():
            return (base / path).resolve()
    return ((base_dir or Path.cwd()) / path).resolve()


def _shown_path(path: Path) -> str:
    """A data file's path as stored in the resolved scenario (relative to the project when inside it)."""
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _with_file_network(sc: Scenario, raw: dict, name: str, base_dir: Path | None) -> Scenario:
    """Check the edge-list file now, store its path resolved and the population size it implies."""
    from .network import NetworkError, cached_edge_list

    path = resolve_network_path(sc, base_dir)
    n = sc.network
    try:
        net = cached_edge_list(str(path), n.directed, n.edge_meaning, n.header)
    except NetworkError as exc:
        raise ScenarioError(name, "network.path", str(exc).removeprefix("network.path: ")) from None
    if net.n < MIN_POPULATION:
        raise ScenarioError(
            name,
            "network.path",
            f"the network file {path.name} has {net.n} consumer(s); allowed: at least {MIN_POPULATION} "
            f"(population.size >= {MIN_POPULATION})",
        )
    given = raw.get("population", {}).get("size")
    if given is not None and given != net.n:
        raise ScenarioError(
            name,
            "population.size",
            f"is {given} but the network file {path.name} has {net.n} consumers; leave it out or set it to {net.n}",
        )
    c = sc.complaint
    if c.placement == "node" and net.ids_of([c.node])[0] < 0:
        raise ScenarioError(
            name,
            "complaint.node",
            f"{c.node!r} is not a node of the network file {path.name} (its labels are like {net.label_examples()})",
        )
    return dataclasses.replace(
        sc,
        network=dataclasses.replace(n, path=_shown_path(path)),
        population=dataclasses.replace(sc.population, size=net.n),
    )


def _with_node_table(sc: Scenario, name: str, base_dir: Path | None) -> Scenario:
    """Check the node table against the network's labels now and store its path resolved."""
    from .network import Network, NetworkError, cached_edge_list
    from .node_table import read_node_table

    path = resolve_data_path(sc.network.nodes_path, base_dir)
    n = sc.network
    try:
        table = read_node_table(str(path))
        if n.kind == "file":
            net = cached_edge_list(str(resolve_network_path(sc, None)), n.directed, n.edge_meaning, n.header)
        else:  # a generated network's consumers are known by their ids (any network of this size)
            net = Network(sc.population.size, None, None, well_mixed=True, readers_per_post=0.0, directed=False)
        table.ids(net)
    except NetworkError as exc:
        raise ScenarioError(name, "network.nodes_path", str(exc).removeprefix("network.nodes_path: ")) from None
    return dataclasses.replace(sc, network=dataclasses.replace(n, nodes_path=_shown_path(path)))


def override_origins(items: Iterable[str], source: str = "--set") -> dict[str, str]:
    """Where each `KEY=VALUE` of an option came from, as messages name it: `{"a.b": "--set a.b=1"}`."""
    return {item.partition("=")[0].strip(): f"{source} {item.strip()}" for item in items}


def blame(exc: ScenarioError, name: str, overrides: Mapping[str, Any], origins: Mapping[str, str]) -> ScenarioError:
    """The error named after the override that set its key (the file's own values keep the file's name).

    A key is the override's when they are the same key or one lies inside the other (`--set
    brand.schedule=[...]` is blamed for `brand.schedule.0.action`). An error from elsewhere (another
    source, or a rule about a key no override set) is returned as it is.
    """
    if exc.source != name or not exc.key:
        return exc
    for rule_key in (exc.key, *exc.involves):
        for key in overrides:
            if rule_key == key or rule_key.startswith(key + ".") or key.startswith(rule_key + "."):
                origin = origins.get(key) or f"override {key}={overrides[key]!r}"
                return ScenarioError(origin, exc.key, exc.message, exc.involves)
    return exc


def load_scenario(
    source: str | Path | Mapping,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
    label: str = "scenario dict",
    origins: Mapping[str, str] | None = None,
) -> Scenario:
    """A validated Scenario from a TOML file (path or bare name) or a dict, with dotted overrides.

    Raises ScenarioError with a one-line message naming the source, the key and what is allowed.
    A problem with an overridden key names the override instead of the file: `origins` says how
    (`{"spread.visibility": "--set spread.visibility=7"}`, see `override_origins`; overrides given as
    `KEY=VALUE` strings are named `--set KEY=VALUE`; others `override KEY=VALUE`). A file network's
    path is stored resolved (relative to the project root when inside it), so the resolved scenario
    reproduces the run from anywhere.
    """
    if isinstance(source, Mapping):  # `label` names it in messages (the option it came from)
        raw, name, base_dir = copy.deepcopy(dict(source)), label, None
    else:
        path = find_scenario(source)
        raw, name, base_dir = read_toml(path), str(path), path.resolve().parent
        if not raw:
            raise ScenarioError(
                name, "", 'has no keys (an empty file); a scenario of the defaults needs at least name = "..."'
            )
        raw.setdefault("name", path.stem)
    overrides = overrides or {}
    if not isinstance(overrides, Mapping):
        overrides, origins = parse_assignments(overrides), override_origins(overrides)
    raw = apply_overrides(raw, overrides, origins=origins)
    try:
        return _validated(raw, name, base_dir)
    except ScenarioError as exc:
        raise blame(exc, name, overrides, origins or {}) from None


def _validated(raw: dict, name: str, base_dir: Path | None) -> Scenario:
    """The Scenario of a raw table (overrides applied): every key, every rule, the data files."""
    raw.setdefault("actions", {})
    if not isinstance(raw["actions"], dict):
        raise ScenarioError(name, "actions", "expected a table of [actions.<name>] tables")
    for key in raw["actions"]:
        if key not in ACTION_NAMES:
            raise ScenarioError(name, f"actions.{key}", "unknown action; allowed: " + ", ".join(ACTION_NAMES))
    sc = _build(Scenario, raw, name, "")
    if sc.network.kind == "file" and sc.network.path:
        sc = _with_file_network(sc, raw, name, base_dir)
    _check_consistency(sc, raw, name)
    if sc.network.nodes_path:
        sc = _with_node_table(sc, name, base_dir)
    return sc


def to_dict(sc: Any) -> dict:
    """A plain nested dict of a scenario (or part), every default filled in."""
    if dataclasses.is_dataclass(sc):
        return {f.name: to_dict(getattr(sc, f.name)) for f in dataclasses.fields(sc)}
    if isinstance(sc, (list, tuple)):
        return [to_dict(v) for v in sc]
    if isinstance(sc, dict):
        return {k: to_dict(v) for k, v in sc.items()}
    return sc


def to_toml(sc: Scenario) -> str:
    """The fully resolved scenario as TOML: running it reproduces the run."""
    d = to_dict(sc)
    if not d["strategies"]:
        del d["strategies"]  # no strategies of its own: no empty [strategies] table
    head = {k: d.pop(k) for k in ("name", "description", "seed", "replications")}
    return tomli_w.dumps({**head, **d})


def with_changes(sc: Scenario, changes: Mapping[str, Any], source: str = "experiment") -> Scenario:
    """A scenario with dotted keys changed, validated again (used by sweeps); messages name `source`.

    A network file decides the population's size: unless the changes set `population.size`, the size the
    scenario took from its file is not carried over (a sweep over `network.path` compares networks of any sizes).
    """
    raw = apply_overrides(to_dict(sc), dict(changes), source)
    if raw.get("network", {}).get("kind") == "file" and "population.size" not in changes:
        raw.get("population", {}).pop("size", None)
    return load_scenario(raw, label=source)


__all__ = [
    "ScenarioError",
    "load_scenario",
    "to_dict",
    "to_toml",
    "parse_assignments",
    "parse_names",
    "blame",
    "with_changes",
    "find_scenario",
    "resolve_network_path",
    "unused_keys",
    "ActionSpec",
    "ActionsParams",
    "AmplifierParams",
    "SECTIONS",
]
