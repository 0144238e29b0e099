"""A consumer's stance toward the buzz, and the route by which it first heard: codes every module uses.

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


class Route(IntEnum):
    """How a consumer first heard of the buzz (left UNAWARE): the parts of `reach`."""

    NONE = 0  # still UNAWARE (or a complainant, who did not need to hear of it)
    NETWORK = 1  # a follower's complaint
    STORY = 2  # an amplifier's story, news of a legal action or of an exposed campaign
    SEARCH = 3  # a search that found the story
    BRAND = 4  # the brand's own answers, and the praise of its advocates


ROUTE_NAMES = tuple(r.name.lower() for r in Route if r != Route.NONE)  # network, story, search, brand
