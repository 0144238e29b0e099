"""A consumer's stance toward the buzz: the codes every module and compiled loop uses.

UNAWARE → AWARE (heard, passive) → ANGRY (voicing: posts complaints) → CALMED (stopped posting);
ADVOCATE posts in the brand's defence. The values are the codes stored in `Population.stance`
(int8) and compared inside the numba kernels (numba reads IntEnum members as integer constants).
"""

from __future__ import annotations

from enum import IntEnum


class Stance(IntEnum):
    """Stance codes, in the order of the series' stance columns."""

    UNAWARE = 0
    AWARE = 1
    ANGRY = 2
    CALMED = 3
    ADVOCATE = 4


STANCE_NAMES = tuple(s.name.lower() for s in Stance)  # column names: unaware, aware, angry, ...
