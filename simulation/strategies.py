"""The named strategies: presets of the brand's schedule, declared once.

A strategy is a schedule of actions, each at a time after an anchor (the brand's detection of the
crisis, the first complaint, or the start). A preset names one; its *decisive* action sits at
`brand.delay_hours` after `brand.anchor` (or at the preset's default delay), the others at fixed
offsets (never later than the decisive one). `custom` takes the schedule from `brand.schedule`.
The parameter schema's choices, `run.py list`, the docs and `Brand` all read this table.
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


def describe_strategy(name: str) -> str:
    """A strategy name in words (presets from their actions; custom from brand.schedule)."""
    if name == CUSTOM:
        return "the list of actions in brand.schedule"
    return PRESETS[name].description


def default_delays_text() -> str:
    """The presets' default decisive delays, for the documentation of brand.delay_hours."""
    acting = [(n, s.default_delay_h) for n, s in PRESETS.items() if s.actions]
    return ", ".join(f"{n} {d:g}" for n, d in acting)
