"""The named strategies: presets of the brand's schedule, declared once.

A strategy is a schedule of actions, each at a time after an anchor (the brand's detection of the
crisis, the first complaint, or the start). A preset names one; its *decisive* action sits at
`brand.delay_hours` after `brand.anchor` (or at the preset's default delay), the others at fixed
offsets (never later than the decisive one). A scenario may add strategies of its own
(`[strategies.NAME]`, a schedule each), and `custom` takes the schedule from `brand.schedule`.
`strategy_names` is the one registry: the scenario's own, then the presets, then custom; the
parameter schema, `run.py list`, the docs, experiments and `Brand` all read it.
"""

from __future__ import annotations

from dataclasses import dataclass

DECISIVE = None  # marks the preset action placed at brand.delay_hours
CUSTOM = "custom"


@dataclass(frozen=True)
class Strategy:
    """A named preset: its actions (offset in hours, or DECISIVE) and the decisive default delay."""

    actions: tuple[tuple[str, float | None], ...]
    default_delay_h: float = 1.0

    @property
    def description(self) -> str:
        """The preset in words, e.g. 'holding_reply at 1 h, then remedy at delay_hours (default 72 h)'.

        Times are after `brand.anchor` (the brand's detection of the crisis unless set otherwise).
        """
        if not self.actions:
            return "no action at all"
        parts = [
            f"{name} at delay_hours (default {self.default_delay_h:g} h)" if at is DECISIVE else f"{name} at {at:g} h"
            for name, at in self.actions
        ]
        return ", then ".join(parts) + " after the anchor"


PRESETS: dict[str, Strategy] = {
    "ignore": Strategy(()),
    "quick_fix": Strategy((("remedy", DECISIVE),), 1.0),
    "delay": Strategy((("holding_reply", 1.0), ("remedy", DECISIVE)), 72.0),
    "lawyers": Strategy((("legal", DECISIVE),), 24.0),
    "apology": Strategy((("apology", DECISIVE),), 1.0),
    "deflect": Strategy((("deflect", DECISIVE),), 1.0),
    "deny": Strategy((("attack", DECISIVE),), 1.0),
    "astroturf": Strategy((("solicit_reviews", DECISIVE),), 24.0),
}

STRATEGY_NAMES = (*PRESETS, CUSTOM)


def preset_schedule(name: str, delay_hours: float, anchor: str) -> list[tuple[str, float, str]]:
    """A preset's (action, at_hours, anchor) entries: the decisive action at `delay_hours` (-1: its default)."""
    preset = PRESETS[name]
    delay = preset.default_delay_h if delay_hours < 0 else delay_hours
    return [(action, delay if at is DECISIVE else min(at, delay), anchor) for action, at in preset.actions]


def schedule_text(schedule) -> str:
    """A schedule in words: 'legal at 1 h after detection, then apology at 48 h'.

    Entries are read in order (objects or tables with action, at_hours and anchor); the anchor is
    named where it changes.
    """
    parts, anchor = [], None
    for entry in schedule:
        get = entry.get if isinstance(entry, dict) else lambda k, d=None, e=entry: getattr(e, k, d)
        action, at, clock = get("action", "remedy"), float(get("at_hours", 0.0)), get("anchor", "detection")
        after = "" if clock == anchor else (" after the start" if clock == "start" else f" after {clock}")
        anchor = clock
        parts.append(f"{action.replace('_', ' ')} at {at:g} h{after}")
    return ", then ".join(parts) if parts else "no action at all"


def strategy_names(sc=None) -> tuple[str, ...]:
    """Every strategy a scenario can use: its own [strategies.NAME], the presets, custom."""
    return (*(sc.strategies if sc is not None else ()), *PRESETS, CUSTOM)


def describe_strategy(name: str, sc=None) -> str:
    """A strategy in words: from its schedule in scenario `sc` (a preset at sc's delay), else generically."""
    if sc is not None and name in sc.strategies:
        return schedule_text(sc.strategies[name].schedule)
    if sc is not None and name in PRESETS:
        entries = preset_schedule(name, sc.brand.delay_hours, sc.brand.anchor)
        return schedule_text([{"action": a, "at_hours": t, "anchor": c} for a, t, c in entries])
    if name == CUSTOM:
        given = sc is not None and sc.brand.schedule
        return schedule_text(sc.brand.schedule) if given else "the list of actions in brand.schedule"
    return PRESETS[name].description


def default_delays_text() -> str:
    """The presets' default decisive delays, for the documentation of brand.delay_hours."""
    acting = [(n, s.default_delay_h) for n, s in PRESETS.items() if s.actions]
    return ", ".join(f"{n} {d:g}" for n, d in acting)
