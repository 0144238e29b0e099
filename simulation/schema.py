"""How a parameter is declared: a dataclass field carrying its documentation and its rules.

Every model parameter is declared once with :func:`param` (its meaning, unit, default, allowed
range or choices, and source); `simulation.parameters` and `simulation.actions` declare theirs
this way, `simulation.scenario` validates scenario files against these declarations, and
`simulation.docs` prints them as tables.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, field
from typing import Any

ASSUMPTION = "assumption"
NOT_A_MODEL_PARAMETER = "-"


def param(
    default: Any,
    doc: str,
    *,
    unit: str = "-",
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    choices: tuple | None = None,
    allowed: str | None = None,
    source: str = ASSUMPTION,
    plausible: tuple[float, float] | None = None,
    plausible_log: bool = False,
    plausible_why: str = "",
) -> Any:
    """A documented, validated parameter (a dataclass field with its metadata).

    Args:
        default: The value when a scenario does not set it.
        doc: What it means, in one sentence.
        unit: Its unit ("-" when it has none).
        lo: Smallest allowed value (inclusive unless `lo_open`).
        hi: Largest allowed value (inclusive).
        lo_open: Whether `lo` itself is excluded.
        choices: The allowed values of a text setting (of its text values, for `bool | str`).
        allowed: The allowed values in words, when the scenario's other keys decide them (checked
            with the keys they depend on, in `simulation.scenario`).
        source: Where the default comes from, or "assumption".
        plausible: The range a sensitivity study explores by default (`run.py sensitivity --params
            assumptions`): the values a real case could plausibly have, within the allowed range.
            Given for the behavioural parameters whose values are assumed, not measured.
        plausible_log: Whether that range is sampled on a log scale (rates, half-lives).
        plausible_why: The reason for the plausible range, in a few words.
    """
    meta = dict(doc=doc, unit=unit, lo=lo, hi=hi, lo_open=lo_open, choices=choices, allowed=allowed, source=source)
    if plausible is not None:
        meta.update(plausible=tuple(plausible), plausible_log=plausible_log, plausible_why=plausible_why)
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


def is_section(f: Field) -> bool:
    """Whether a dataclass field is a nested table rather than a value."""
    return f.default is MISSING and not f.metadata


TYPES = {"float": float, "int": int, "bool": bool, "str": str, "list": list, "dict": dict}
KIND_WORDS = {bool: "true/false", int: "integer", float: "number", str: "text", list: "list", dict: "table"}


def field_type(f: Field) -> type | tuple[type, ...]:
    """The Python type of a parameter field; a tuple for a union (`int | str`: a node label).

    `object` if it is not a plain value.
    """
    types = tuple(TYPES.get(t.strip(), object) for t in str(f.type).split("|"))
    return types[0] if len(types) == 1 else types


def default_of(f: Field) -> Any:
    """A field's default value."""
    return f.default if f.default is not MISSING else f.default_factory()


def allowed_text(f: Field) -> str:
    """The allowed values of a field, in words."""
    m = f.metadata
    if m.get("allowed"):
        return m["allowed"]
    want = field_type(f)
    if m["choices"]:
        extra = "".join(f"{KIND_WORDS[t]} or " for t in want if t is not str) if isinstance(want, tuple) else ""
        return f"{extra}one of " + ", ".join(m["choices"])
    if isinstance(want, tuple):
        return " or ".join(KIND_WORDS.get(t, "value") for t in want)
    kind = KIND_WORDS.get(want, "value")
    lo, hi = m["lo"], m["hi"]
    if lo is not None and hi is not None:
        return f"{kind} in {'(' if m['lo_open'] else '['}{lo:g}, {hi:g}]"
    if lo is not None:
        return f"{kind} {'>' if m['lo_open'] else '>='} {lo:g}"
    return kind
