"""Make the SYNTHETIC listening exports of data/examples/ from the simulator itself.

    python data/examples/make_examples.py      # rewrites the two CSV files beside this script

One run of the default scenario (seed 3, replication 0: a complaint that becomes a bad buzz, and the
brand's quick fix) gives negative and positive posts per hour (`posts_negative`, `posts_positive`).
A listening tool sees only a share of them: each post is kept with probability CAPTURE. Each kept
post becomes a mention at a uniformly drawn second within its hour, labelled `negative` or
`positive`; a few `neutral` mentions (news and questions the model does not simulate) are added, a
Poisson number per hour proportional to the kept negative ones. Clock time starts at START (UTC),
and timestamps are written in Paris local time with their UTC offset, across the change to summer
time of 31 March 2024 (+01:00, then +02:00).

- `synthetic_mentions.csv`: one row per mention: `id, date, sentiment, text`.
- `synthetic_hourly_counts.csv`: the same mentions counted per UTC hour, as a per-bin export:
  `time` in Paris local time WITHOUT offset (import it with `--tz Europe/Paris`), and `Negative`,
  `Positive`, `Neutral`; hours without any mention are left out, as some tools do.
- `synthetic_live_buzz.csv`: a buzz still going on, for forecasts: the first LIVE_HOURS hours of another
  run of the default scenario (seed LIVE_SEED) in which the brand has not answered yet (strategy
  `ignore`), seen by the same tool, one row per mention as in `synthetic_mentions.csv`.

Every draw comes from numpy's SeedSequence(SEED): one child stream per purpose.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parent.parent / "scenarios" / "default.toml"
SIM_SEED, SEED = 3, 20240330
LIVE_SEED, LIVE_HOURS = 5, 18  # the live buzz: its run's seed, and how many hours of it were seen so far
CAPTURE = 0.3  # the share of posts a listening tool sees
NEUTRAL_PER_NEGATIVE = 0.1
START = pd.Timestamp("2024-03-30 12:00", tz="UTC")
ZONE = ZoneInfo("Europe/Paris")


def simulated_posts(seed: int = SIM_SEED, strategy: str | None = None) -> pd.DataFrame:
    """Posts per hour of one run of the default scenario: `hours, posts_negative, posts_positive`."""
    from simulation import load_scenario, run

    sc = load_scenario(SCENARIO, {"brand.strategy": strategy} if strategy else None)
    res = run(sc, seed=seed, replications=1)
    return res.timeseries[["hours", "posts_negative", "posts_positive"]].astype({"hours": float})


def mentions(posts: pd.DataFrame, seed: int = SEED) -> pd.DataFrame:
    """Timestamped, labelled mentions: the kept posts and the added neutral mentions, in time order."""
    capture, neutral, when = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    neg = capture.binomial(posts.posts_negative.to_numpy(np.int64), CAPTURE)
    pos = capture.binomial(posts.posts_positive.to_numpy(np.int64), CAPTURE)
    neu = neutral.poisson(NEUTRAL_PER_NEGATIVE * neg)
    hours = posts.hours.to_numpy()
    rows = []
    for label, counts in (("negative", neg), ("positive", pos), ("neutral", neu)):
        hour = np.repeat(hours, counts)
        rows.append(pd.DataFrame({"hour": hour, "sentiment": label}))
    frame = pd.concat(rows, ignore_index=True)
    seconds = when.integers(0, 3600, size=len(frame))
    frame["utc"] = START + pd.to_timedelta(frame.hour * 3600 + seconds, unit="s")
    return frame.sort_values(["utc", "sentiment"], kind="stable").reset_index(drop=True)


TEXTS = {"negative": "synthetic complaint", "positive": "synthetic praise", "neutral": "synthetic neutral mention"}


def per_mention_export(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per mention, local time with its offset."""
    local = frame.utc.dt.tz_convert(ZONE)
    return pd.DataFrame(
        {
            "id": np.arange(1, len(frame) + 1),
            "date": [t.isoformat() for t in local],
            "sentiment": frame.sentiment,
            "text": frame.sentiment.map(TEXTS),
        }
    )


def per_bin_export(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts per UTC hour (hours with mentions only), each hour's start in local time without its offset."""
    hour = frame.utc.dt.floor("h")
    counts = pd.crosstab(hour, frame.sentiment).reindex(columns=["negative", "positive", "neutral"], fill_value=0)
    local = counts.index.tz_convert(ZONE).tz_localize(None)
    return pd.DataFrame(
        {
            "time": local.strftime("%Y-%m-%d %H:%M"),
            "Negative": counts.negative.to_numpy(),
            "Positive": counts.positive.to_numpy(),
            "Neutral": counts.neutral.to_numpy(),
        }
    )


def main() -> None:
    """Write both examples beside this script."""
    frame = mentions(simulated_posts())
    live = simulated_posts(LIVE_SEED, "ignore")
    live = mentions(live[live.hours <= LIVE_HOURS], SEED + 1)
    for name, table in (
        ("synthetic_mentions.csv", per_mention_export(frame)),
        ("synthetic_hourly_counts.csv", per_bin_export(frame)),
        ("synthetic_live_buzz.csv", per_mention_export(live)),
    ):
        table.to_csv(HERE / name, index=False, lineterminator="\n")
        print(f"wrote {HERE / name} ({len(table)} rows)")


if __name__ == "__main__":
    main()
