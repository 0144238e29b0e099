"""How numbers, times and keys are written in figures and reports (one style everywhere)."""

from __future__ import annotations

import math

CLOCKS = {
    "detection": "after detection",
    "complaint": "after the first complaint",
    "start": "after the start of the run",
}


def fmt(value, sig: int = 3, *, sign: bool = False, trailing: bool = True) -> str:
    """A number as written in figures and reports.

    ``value`` to ``sig`` significant digits, without exponent between 1e-4 and 1e15, with thousands separators
    from 1,000 up, trailing zeros kept (``0.500``) unless ``trailing=False``, ``+`` in front of positive numbers
    when ``sign``; "n/a" for NaN or None.
    """
    if value is None:
        return "n/a"
    v = float(value)
    if not math.isfinite(v):
        return "n/a"
    if v == 0:
        body = "0"
    else:
        digits = sig - 1 - math.floor(math.log10(abs(v)))
        v = round(v, digits)  # may carry over (9.996 -> 10.0): recount the digits
        if v != 0:
            digits = sig - 1 - math.floor(math.log10(abs(v)))
        if abs(v) >= 1e15 or abs(v) < 1e-4:
            body = f"{v:.{sig - 1}e}"
        elif digits <= 0:
            body = f"{round(v):,d}"
        else:
            body = f"{v:,.{digits}f}"
            if not trailing:
                body = body.rstrip("0").rstrip(".")
    if sign and v > 0:
        body = "+" + body
    return body


def hours_text(h) -> str:
    """Hours for prose and annotations: ``13.2``, ``8``, ``96``."""
    return fmt(h, trailing=False)


def value_text(v) -> str:
    """A swept value as written in labels: ``6`` not ``6.0``."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def interval_text(lo, hi, unit: str = "h", *, label: str = "95% CI", to: str = " to ") -> str:
    """An interval of hours as written: '95% CI 7.2 to 15.8 h', open ends said in words, '' if none."""
    import pandas as pd

    if pd.notna(lo) and pd.notna(hi):
        return f"{label} {hours_text(lo)}{to}{hours_text(hi)} {unit}"
    if pd.notna(lo):
        return f"{label} from {hours_text(lo)} {unit} to beyond the swept delays"
    if pd.notna(hi):
        return f"{label} up to {hours_text(hi)} {unit}"
    return ""


def same_value(a, b) -> bool:
    """Equal as numbers when both are numbers (6 == 6.0), else as text."""
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return str(a) == str(b)


def clock_text(clock: str) -> str:
    """The clock of a delay in words ('after detection')."""
    return CLOCKS.get(clock, "after " + clock)


def key_label(key: str, clock: str | None = None, currency: str = "currency") -> str:
    """An axis label for a scenario key, with its unit.

    An axis label for a scenario key, with its unit (from the parameter schema); the response delay says its
    clock.
    """
    if key == "brand.delay_hours" and clock is not None:
        return f"response delay {clock_text(clock)} (hours)"
    from .parameters import describe

    unit = next((r["unit"] for r in describe() if r["key"] == key), "-")
    unit = {"h": "hours", "currency": currency, "-": "no unit"}.get(unit, unit)
    return f"{key} ({unit})"


def _known(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def window_text(row, unit: str = "h") -> str:
    """A critical window (a row of critical_window.csv) in a few words, on two lines."""
    status = str(row.get("status", ""))
    if status == "found":
        if int(row.get("ci_open", 0) or 0) and _known(row.get("ci_low")):
            ci = f"\n(CI {hours_text(row['ci_low'])} {unit} to beyond the swept delays)"
        else:
            ci = interval_text(row.get("ci_low"), row.get("ci_high"), unit, label="CI", to="–")
            ci = f"\n({ci})" if ci else ""
        return f"critical window ≈ {hours_text(row['critical_delay_h'])} {unit}{ci}"
    if status == "beyond_range":
        return "critical window beyond the swept delays\n(gain stays above half)"
    if status == "no_gain":
        return "no critical window:\nan immediate response gains nothing"
    return f"critical window: {status}"


def horizon_text(row) -> str:
    """How a critical window moved in the horizon check (a row of horizon_check.csv), in one line."""

    def at(suffix: str) -> str:
        r = {k[: -len(suffix)] if suffix and k.endswith(suffix) else k: v for k, v in dict(row).items()}
        return window_text(r).replace("critical window ", "").replace("\n", " ")

    days, long = float(row["days"]), float(row["days_long"])
    text = f"at {hours_text(days)} days {at('')}; at {hours_text(long)} days {at('_long')}"
    if _known(row.get("shift_h")):
        text += f": moved {fmt(row['shift_h'], sign=True)} h"
    if int(row.get("capped", 0) or 0):
        text += f" (the longer horizon is the {hours_text(long)}-day limit, not twice {hours_text(days)} days)"
    return text
