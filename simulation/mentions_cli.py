"""`python run.py import-mentions`: its options and the command (the import itself: `simulation.mentions`)."""

from __future__ import annotations

from pathlib import Path

from .mentions import DEFAULT_BIN, DEFAULT_NEGATIVE, DEFAULT_POSITIVE

COMMAND = "import-mentions"


def add_parser(sub, integer, allow_large) -> None:
    """The `import-mentions` command's options."""
    im = sub.add_parser(
        COMMAND,
        help="turn a social-listening export (CSV) into observed counts per bin (hours, negative, positive, neutral)",
    )
    im.add_argument("file", type=Path, help="the export: one row per mention, or one row per bin with counts")
    im.add_argument("--out", type=Path, required=True, help="the observed file to write (e.g. observed.csv)")
    im.add_argument("--time-col", metavar="NAME", help="the time column (default: timestamp, time, date, ...)")
    im.add_argument("--sentiment-col", metavar="NAME", help="the sentiment column (without it: all negative)")
    im.add_argument(
        "--negative", default=DEFAULT_NEGATIVE, metavar="VALUES", help="negative labels (default %(default)s)"
    )
    im.add_argument(
        "--positive", default=DEFAULT_POSITIVE, metavar="VALUES", help="positive labels (default %(default)s)"
    )
    im.add_argument("--count-col", metavar="NAME", help="a column of counts (one row per bin)")
    im.add_argument(
        "--bin", default=DEFAULT_BIN, help="bin width: 15min, 1h, 6h, 1d, ... at most 7d (default %(default)s)"
    )
    im.add_argument("--tz", metavar="ZONE", help="IANA zone of timestamps without a UTC offset (e.g. Europe/Paris)")
    im.add_argument(
        "--skip-rows", type=integer(0), default=0, metavar="N", help="lines above the header to leave out (default 0)"
    )


def run(args) -> int:
    """A listening export into the observed format; prints what was counted."""
    from .mentions import check_out, import_mentions, summary, write_observed

    out = check_out(args.out, args.file)
    observed = import_mentions(
        args.file,
        time_col=args.time_col,
        sentiment_col=args.sentiment_col,
        negative=args.negative,
        positive=args.positive,
        count_col=args.count_col,
        bin=args.bin,
        tz=args.tz,
        skip_rows=args.skip_rows,
    )
    write_observed(observed, out)
    for note in observed.notes:
        print(f"note: {note}")
    print(summary(observed, str(args.file)))
    print(f"wrote {out}")
    return 0
