"""The explorer's controls, generated from the parameter schema: one per scenario key.

Each scalar key of :func:`simulation.parameters.describe` becomes a :class:`Control` with its
unit, its meaning (and allowed values, source and plausible range) as help, and its widget:

- a choice (a select) for keys with choices, true/false for booleans;
- a slider over the key's plausible range (on a log scale when the schema samples it so), else
  over its allowed range when both ends are bounded, and always a number field beside it where
  values are typed; a key without an upper bound gets the number field only;
- a text field for text keys and unions (a node's label).

Lists of tables (`amplifiers`, `brand.schedule`, `strategies.NAME.schedule`) become small tables
whose columns are the item's keys (:func:`table_columns`). Controls are grouped as the docs group
the keys: by section (`simulation`, `population`, ..., `actions.<name>`), in the schema's order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from ..actions import ACTIONS
from ..parameters import LIST_ITEMS, SECTIONS, describe, field_of
from ..schema import field_type

# Keys the page shows elsewhere or not at all: the strategy is the first control of its own; the
# scenario's name and description are not explored; lists and named strategies are tables.
STRATEGY_KEY = "brand.strategy"
NOT_CONTROLS = ("name", "description", STRATEGY_KEY)
TIMING_KEYS = ("brand.delay_hours", "brand.anchor")  # shown with the strategy, first
RUN_KEYS = ("seed", "replications")  # the batch: its root seed and its paired replications
LIST_KEYS = ("amplifiers", "brand.schedule")  # and strategies.NAME.schedule, per named strategy
LOG_SPAN = 1000  # a slider over an allowed range wider than this factor (from a positive end) is logarithmic
SLIDER_STEPS = 100  # positions of a slider


@dataclass(frozen=True)
class Control:
    """One scenario key as a control of the page."""

    key: str  # the dotted scenario key
    label: str  # the key's last part, with its unit
    help: str  # meaning; allowed values; unit; source; plausible range
    kind: str  # "number", "integer", "choice", "bool" or "text"
    group: str  # the docs' section of the key
    choices: tuple = ()
    slider: tuple[float, float] | None = None  # the slider's ends (None: a number field only)
    log: bool = False  # a slider on a log scale

    def slider_position(self, value: float) -> float:
        """Where a value sits on the slider (its log10 on a log slider), clipped to the slider's ends."""
        lo, hi = self.slider_ends()
        x = math.log10(value) if self.log and value > 0 else (lo if self.log else value)
        return min(max(x, lo), hi)

    def slider_ends(self) -> tuple[float, float]:
        """The slider's ends in its own scale (log10 on a log slider)."""
        lo, hi = self.slider
        return (math.log10(lo), math.log10(hi)) if self.log else (lo, hi)

    def slider_step(self) -> float:
        """The slider's step in its own scale (1 for an integer key on a linear slider)."""
        lo, hi = self.slider_ends()
        if self.kind == "integer" and not self.log:
            return max(1.0, float(round((hi - lo) / SLIDER_STEPS)))
        return (hi - lo) / SLIDER_STEPS

    def slider_text(self, position: float) -> str:
        """The value at a slider position as typed text: 3 significant digits (an integer for integer keys)."""
        value = 10**position if self.log else position
        if self.kind == "integer":
            return str(int(round(value)))
        return f"{float(f'{value:.3g}')!r}"


def _group(key: str) -> str:
    parts = key.split(".")
    if parts[0] == "actions":
        return f"actions.{parts[1]}"
    return parts[0] if parts[0] in SECTIONS else "run"


def group_title(group: str) -> str:
    """A group's heading: its name and what it holds (the section's docstring, the action's description)."""
    if group.startswith("actions."):
        return f"{group}: {ACTIONS[group.split('.', 1)[1]].description}"
    if group in SECTIONS:
        return f"{group}: {SECTIONS[group].__doc__.strip().rstrip('.').lower()}"
    return {"run": "run: the batch of paired replications", "strategy": "strategy and its timing"}.get(group, group)


def _help(row: dict) -> str:
    parts = [row["meaning"].rstrip("."), f"allowed: {row['allowed']}"]
    if row["unit"] != "-":
        parts.append(f"unit: {row['unit']}")
    if row["source"] not in ("-", ""):
        parts.append(f"source: {row['source']}")
    if row["plausible"]:
        parts.append(f"plausible: {row['plausible']}")
    return ". ".join(parts) + "."


def _slider(meta) -> tuple[tuple[float, float] | None, bool]:
    """The slider's ends and scale: the plausible range, else a bounded allowed range; None without an upper bound."""
    if "plausible" in meta:
        return tuple(float(v) for v in meta["plausible"]), bool(meta["plausible_log"])
    lo, hi = meta["lo"], meta["hi"]
    if lo is None or hi is None:
        return None, False
    log = lo > 0 and hi / lo > LOG_SPAN
    return (float(lo), float(hi)), log


def _control(row: dict, f, key: str, group: str) -> Control:
    """A control of a schema field (`row`: its row of `describe()`)."""
    want, meta = field_type(f), f.metadata
    unit = f" ({row['unit']})" if row["unit"] != "-" else ""
    common = dict(key=key, label=key.rsplit(".", 1)[-1] + unit, help=_help(row), group=group)
    if meta["choices"]:
        extra = ("true", "false") if isinstance(want, tuple) and bool in want else ()
        return Control(kind="choice", choices=(*meta["choices"], *extra), **common)
    if want is bool:
        return Control(kind="bool", choices=("true", "false"), **common)
    if want in (int, float):
        slider, log = _slider(meta)
        return Control(kind="integer" if want is int else "number", slider=slider, log=log, **common)
    return Control(kind="text", **common)


def control_of(row: dict) -> Control | None:
    """The control of one row of `describe()` (None for keys that are not scalar controls)."""
    key = row["key"]
    if key in NOT_CONTROLS or "[]" in key or key.startswith("strategies") or key in LIST_KEYS:
        return None
    return _control(row, field_of(key), key, _group(key))


@lru_cache(maxsize=1)
def controls() -> tuple[Control, ...]:
    """Every control, in the docs' order of the keys."""
    return tuple(c for c in (control_of(row) for row in describe()) if c is not None)


def by_key() -> dict[str, Control]:
    """The controls by their scenario key."""
    return {c.key: c for c in controls()}


def groups() -> dict[str, list[Control]]:
    """The controls grouped as in the docs: the strategy's timing first, the run's keys, then each section."""
    out: dict[str, list[Control]] = {"strategy": [], "run": []}
    for c in controls():
        group = "strategy" if c.key in TIMING_KEYS else c.group
        out.setdefault(group, []).append(c)
    return out


def table_columns(list_key: str) -> list[Control]:
    """The columns of a list of tables (`amplifiers`, `brand.schedule`, `strategies.NAME.schedule`)."""
    item = LIST_ITEMS["strategies.NAME.schedule" if list_key.startswith("strategies.") else list_key]
    return [_control(row, field_of(row["key"], item), row["key"], list_key) for row in describe(item)]
