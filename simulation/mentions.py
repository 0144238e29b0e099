"""Listening data in: `python run.py import-mentions` turns a social-listening export into observed counts.

The observed format (`observed.csv`, read by calibration) has one row per bin, every bin from the
first to the last present (bins without mentions included, as zeros), sorted by time:

    hours,negative,positive,neutral,bin_hours

`hours` is the bin's start in hours since the start of the first bin; `negative`, `positive` and
`neutral` count the mentions in the bin (integers); `bin_hours` is the bin's width, the same on
every row (so that a one-bin file still says it). Bins are laid on a grid of UTC time from the Unix
epoch: hourly bins start on the hour (UTC), daily bins at midnight UTC, 6-hour bins at 00, 06, 12
and 18 UTC.

The input is a CSV file with a header line (comma-, semicolon- or tab-separated, decided from the
header), in one of three shapes:

- one row per mention: a time column, and optionally a sentiment column (`--sentiment-col`).
  Without one, every mention counts as negative (and the command says so);
- one row per bin with one count column (`--count-col NAME`), and optionally a sentiment column
  (one row per bin and sentiment, a long table); without it the counts are negative;
- one row per bin with count columns named `negative`, `positive` and/or `neutral` (any case;
  `negative` is required).

The time column (`--time-col`, by default the first of `timestamp`, `time`, `date`, `datetime`,
`published`, `hours` present, in any case) holds ISO 8601 timestamps or, if it is named `hours`,
hours as numbers. Timestamps with a UTC offset (`+01:00`, `+0100`, `Z`) are converted to UTC;
timestamps without one are read in `--tz` (an IANA zone); a file mixing both is refused. Sentiment
labels are compared without case or surrounding spaces: those of `--negative` (default
`negative,neg,-1`) are negative, those of `--positive` (default `positive,pos,1`) positive, and
every other label (an empty cell included) neutral.

Every problem is a MentionsError (a ScenarioError: one line naming the file and line, or the
option, and what is allowed); nothing is written unless the whole file is read.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .files import not_regular
from .scenario import ScenarioError

OUTPUT_COLUMNS = ("hours", "negative", "positive", "neutral", "bin_hours")
CLASSES = ("negative", "positive", "neutral")
DEFAULT_NEGATIVE = "negative,neg,-1"
DEFAULT_POSITIVE = "positive,pos,1"
DEFAULT_BIN = "1h"
TIME_COLUMNS = ("timestamp", "time", "date", "datetime", "published", "hours")
HOURS = "hours"
MAX_BIN_MINUTES = 7 * 24 * 60  # a week
MIN_BIN_HOURS = 1 / 60  # a minute: the finest --bin
MAX_BINS = 1_000_000  # as many as the steps of a run
MAX_COUNT = 10**12
MAX_LABELS_SHOWN = 10
_BIN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(min|h|d)\s*$", re.IGNORECASE)
_UNIT_MINUTES = {"min": 1, "h": 60, "d": 1440}
# A UTC offset at the end of an ISO 8601 timestamp with a time part: Z, +01, +0100, +01:00.
_OFFSET = re.compile(r"[T ]\d{1,2}(:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$", re.IGNORECASE)
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
_DATE_ONLY = re.compile(r"^\d{4}-?\d{2}-?\d{2}$")  # an ISO 8601 date without a time of day


class MentionsError(ScenarioError):
    """A listening export or an option that cannot be imported: `source: line N: what is wrong; what is allowed`."""


@dataclass
class Observed:
    """An imported export: the observed table and what the import decided.

    Attributes:
        table: the observed counts, columns OUTPUT_COLUMNS, one row per bin.
        bin_hours: the bin width in hours.
        start: the start of the first bin (UTC), or None when the file gave hours.
        mentions: the number of mentions counted.
        notes: what a user should know (one line each), e.g. that every mention counted as negative.
    """

    table: pd.DataFrame
    bin_hours: float
    start: pd.Timestamp | None
    mentions: int
    notes: list[str] = field(default_factory=list)


def parse_bin(text: str) -> int:
    """A bin width such as `15min`, `1h`, `6h` or `1d`, in whole minutes (at most 7 days).

    Raises:
        MentionsError: naming --bin, for anything else.
    """
    allowed = "a positive number of whole minutes with a unit min, h or d (15min, 1h, 6h, 1d), at most 7d"
    m = _BIN.match(str(text))
    if not m:
        raise MentionsError("--bin", "", f"{text!r} is not a bin width; allowed: {allowed}")
    minutes = float(m.group(1)) * _UNIT_MINUTES[m.group(2).lower()]
    if minutes <= 0 or minutes > MAX_BIN_MINUTES or abs(minutes - round(minutes)) > 1e-9:
        # .12g: 1.0000000001h is not "60 minutes"
        raise MentionsError("--bin", "", f"{text!r} is {minutes:.12g} minutes; allowed: {allowed}")
    return int(round(minutes))


def parse_labels(text: str, option: str) -> frozenset[str]:
    """Comma-separated sentiment labels, lower-cased and stripped (at least one).

    Raises:
        MentionsError: naming the option, when no label is given.
    """
    labels = frozenset(x.strip().lower() for x in str(text).split(",") if x.strip())
    if not labels:
        raise MentionsError(option, "", f"{text!r} names no label; write LABEL1,LABEL2,...")
    return labels


def parse_zone(name: str):
    """An IANA time zone (`Europe/Paris`, `UTC`) as a ZoneInfo.

    Raises:
        MentionsError: naming --tz, for an unknown zone.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise MentionsError(
            "--tz",
            "",
            f"{name!r} is not a known time zone; allowed: an IANA name such as Europe/Paris, America/New_York or UTC",
        ) from None


def _utf16(data: bytes) -> bool:
    """Whether bytes are UTF-16 text with a byte-order mark: it decodes, to lines of printable characters."""
    if data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        return False
    try:
        text = data[:65536].decode("utf-16", errors="strict")
    except UnicodeDecodeError:
        return False
    strange = any((ord(c) < 32 and c not in "\t\r\n") or c == "\ufeff" for c in text)
    return not strange and any(c in text for c in ",;\t\n")


def _read_text(path: Path) -> str:
    source = str(path)
    problem = not_regular(path)
    if problem:
        raise MentionsError(source, "", f"{problem}; give a CSV file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MentionsError(source, "", "file not found") from None
    except OSError as exc:
        raise MentionsError(source, "", f"cannot read file ({exc.strerror or exc.__class__.__name__})") from None
    if _utf16(data):  # some tools' "Unicode" export
        raise MentionsError(source, "", "is UTF-16 text; allowed: UTF-8 text: save the export as UTF-8 CSV")
    if b"\x00" in data[:65536]:
        raise MentionsError(source, "", "is binary, not a CSV text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MentionsError(source, "", "cannot read file (not UTF-8 text); save the export as UTF-8 CSV") from None


def _delimiter(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return csv.Sniffer().sniff(header, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _record_lines(text: str, delimiter: str) -> list[int]:
    """The line on which each record starts (record 0 is the header), as a CSV reader splits them."""
    # newline="": a lone CR ends a line, as pandas reads it (old Mac exports)
    lines, reader = [], csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    with contextlib.suppress(csv.Error):  # a reader disagreement: read_table falls back to row numbers
        for row in reader:
            if row:  # blank lines are not records
                lines.append(start)
            start = reader.line_num + 1
    return lines


def read_table(path: str | Path, skip_rows: int = 0) -> tuple[pd.DataFrame, list[int]]:
    """Read a CSV export as text cells, and the file line of each row (for messages).

    `skip_rows` lines before the header are left out (some tools write a title or the query there).

    Raises:
        MentionsError: a missing, binary, empty or malformed file, or one with a header and no rows.
    """
    path = Path(path)
    source = str(path)
    text = _read_text(path)
    if skip_rows:
        head = text.splitlines(keepends=True)
        if skip_rows >= len(head):
            raise MentionsError("--skip-rows", str(skip_rows), f"{source} has only {len(head)} lines")
        text = "".join(head[skip_rows:])
    if not text.strip():
        raise MentionsError(source, "", "is empty; expected a header line and one row per mention or bin")
    delimiter = _delimiter(text)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise MentionsError(source, "", "is empty; expected a header line and one row per mention or bin") from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else exc.__class__.__name__
        hint = "" if skip_rows else "; if lines above the header hold a title or the query, give --skip-rows N"
        raise MentionsError(source, "", f"cannot be read as CSV ({detail}){hint}") from None
    header = next((row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if row), [])
    seen: dict[str, str] = {}
    for name in (str(c).strip() for c in header):
        if name.lower() in seen:
            same = "twice" if seen[name.lower()] == name else f"twice ({seen[name.lower()]!r} and {name!r}: case aside)"
            raise MentionsError(
                source, f"line {1 + skip_rows}", f"column {name!r} is named {same}; allowed: each column named once"
            )
        seen[name.lower()] = name
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise MentionsError(
            source, "", f"has a header ({_names(frame.columns)}) but no rows; expected one row per mention or bin"
        )
    lines = [n + skip_rows for n in _record_lines(text, delimiter)[1:]]
    if len(lines) != len(frame):  # a reader disagreement (should not happen): fall back to row numbers
        lines = list(range(2 + skip_rows, len(frame) + 2 + skip_rows))
    return frame.apply(lambda col: col.str.strip()), lines


def _column(frame: pd.DataFrame, name: str, option: str, source: str) -> str:
    """The column named `name` (exactly, or else in any case), or a MentionsError listing the columns present."""
    if name in frame.columns:
        return name
    matches = [c for c in frame.columns if c.lower() == name.lower()]
    if len(matches) == 1:
        return matches[0]
    raise MentionsError(
        source, "", f"{option} {name}: unknown column; columns present: {_names(frame.columns)}{_title_hint(frame)}"
    )


def _names(columns, most: int = 20) -> str:
    """Column names for a message: the first `most` of them, and how many in all."""
    columns = [str(c) for c in columns]
    more = f", ... ({len(columns):,} in all)" if len(columns) > most else ""
    return ", ".join(columns[:most]) + more


def _title_hint(frame: pd.DataFrame) -> str:
    """A hint when the 'header' read is one cell: most likely a title line above the real header."""
    return "; if lines above the header hold a title or the query, give --skip-rows N" if frame.shape[1] == 1 else ""


def _time_column(frame: pd.DataFrame, name: str | None, source: str) -> str:
    if name is not None:
        return _column(frame, name, "--time-col", source)
    lower = {c.lower(): c for c in reversed(frame.columns)}
    for candidate in TIME_COLUMNS:
        if candidate in lower:
            return lower[candidate]
    raise MentionsError(
        source,
        "",
        f"no time column (one of {', '.join(TIME_COLUMNS)}); give --time-col NAME; columns present: "
        f"{_names(frame.columns)}{_title_hint(frame)}",
    )


def _fail_at(source: str, lines: list[int], index: int, message: str) -> MentionsError:
    return MentionsError(source, f"line {lines[index]}", message)


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


def _times_in_minutes(cells: pd.Series, column: str, tz, source: str, lines: list[int]) -> tuple[np.ndarray, str]:
    """Minutes since the Unix epoch (UTC) of each cell, and which kind of timestamps the file has.

    Raises:
        MentionsError: an empty or unparseable cell (its line), naive and offset timestamps mixed,
            naive timestamps without --tz, or a local time that does not exist or occurs twice in --tz.
    """
    values = cells.to_numpy(dtype=object)
    empty = np.flatnonzero(values == "")
    if empty.size:
        raise _fail_at(source, lines, int(empty[0]), f"empty {column!r}; every row needs a time")
    readable = pd.to_datetime(pd.Series(values), format="ISO8601", errors="coerce", utc=True)  # parses only
    bad = np.flatnonzero(readable.isna().to_numpy())
    if bad.size:
        i = int(bad[0])
        raise _fail_at(
            source,
            lines,
            i,
            f"{column} {_shown(values[i])} is not a timestamp; allowed: ISO 8601 such as 2024-03-01T14:05:00+01:00, "
            "2024-03-01 14:05:00Z or 2024-03-01 14:05 (with --tz)",
        )
    offset = np.array([bool(_OFFSET.search(v)) for v in values])
    if offset.any() and not offset.all():
        first_naive, first_offset = int(np.flatnonzero(~offset)[0]), int(np.flatnonzero(offset)[0])
        later, earlier = max(first_naive, first_offset), min(first_naive, first_offset)
        naive_later = first_naive > first_offset
        raise _fail_at(
            source,
            lines,
            later,
            f"{column} {_shown(values[later])} {'has no' if naive_later else 'has a'} UTC offset while line "
            f"{lines[earlier]} {'has one' if naive_later else 'has none'}; a file mixing timestamps with and without "
            "offsets is refused (give all with offsets, or none and --tz)",
        )
    kind = "offset" if offset.all() else "naive"
    try:
        parsed = readable if kind == "offset" else pd.to_datetime(pd.Series(values), format="ISO8601")
    except (ValueError, TypeError):
        parsed = None
    if parsed is None or not pd.api.types.is_datetime64_dtype(parsed.dtype) and kind == "naive":
        raise MentionsError(
            source,
            "",
            f"{column}: cannot tell which timestamps have a UTC offset; write them as "
            "2024-03-01T14:05:00+01:00 (with an offset) or 2024-03-01 14:05 (without, with --tz)",
        )
    if kind == "naive":
        if tz is None:
            raise _fail_at(
                source,
                lines,
                0,
                f"{column} {_shown(values[0])} has no UTC offset; give --tz ZONE (an IANA name such as Europe/Paris "
                "or UTC) to say where these times are local",
            )
        local = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        bad = np.flatnonzero(local.isna().to_numpy())
        if bad.size:
            i = int(bad[0])
            try:
                parsed.iloc[[i]].dt.tz_localize(tz, ambiguous="raise", nonexistent="NaT")
                why = "does not exist (the clocks jump forward)"
            except Exception:  # pytz/zoneinfo AmbiguousTimeError: the clocks go back
                why = "occurs twice (the clocks go back)"
            raise _fail_at(
                source,
                lines,
                i,
                f"{column} {_shown(values[i])} {why} in {tz}; give timestamps with UTC offsets for that night",
            )
        parsed = local.dt.tz_convert("UTC")
    seconds = (parsed - _EPOCH).dt.total_seconds().to_numpy()
    return seconds / 60.0, kind


def _hours_in_minutes(cells: pd.Series, column: str, source: str, lines: list[int]) -> np.ndarray:
    values = cells.to_numpy(dtype=object)
    hours = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~np.isfinite(hours) | (np.abs(hours) > 1e9))
    if bad.size:
        i = int(bad[0])
        raise _fail_at(source, lines, i, f"{column} {_shown(values[i])} is not a number of hours")
    return hours * 60.0


def _counts(cells: pd.Series, column: str, source: str, lines: list[int]) -> np.ndarray:
    """Whole numbers >= 0 (an empty cell is 0)."""
    values = cells.to_numpy(dtype=object)
    numbers = pd.to_numeric(pd.Series(np.where(values == "", "0", values)), errors="coerce").to_numpy(np.float64)
    with np.errstate(invalid="ignore"):  # inf - inf: not a count, said below
        whole = np.isfinite(numbers) & (np.abs(numbers - np.round(numbers)) < 1e-9)
    bad = np.flatnonzero(~whole | (numbers < 0) | (numbers > MAX_COUNT))
    if bad.size:
        i = int(bad[0])
        raise _fail_at(
            source,
            lines,
            i,
            f"{column} {_shown(values[i])} is not a count; allowed: a whole number from 0 to {MAX_COUNT:,} "
            "(an empty cell counts 0)",
        )
    return np.round(numbers).astype(np.int64)


def _classes(cells: pd.Series, negative: frozenset, positive: frozenset) -> np.ndarray:
    """0 negative, 1 positive, 2 neutral, per label."""
    labels = cells.str.lower().to_numpy(dtype=object)
    return np.where(np.isin(labels, list(negative)), 0, np.where(np.isin(labels, list(positive)), 1, 2))


def _describe_bin(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440} d"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def import_mentions(
    path: str | Path,
    *,
    time_col: str | None = None,
    sentiment_col: str | None = None,
    negative: str = DEFAULT_NEGATIVE,
    positive: str = DEFAULT_POSITIVE,
    count_col: str | None = None,
    bin: str = DEFAULT_BIN,
    tz: str | None = None,
    skip_rows: int = 0,
) -> Observed:
    """Read a listening export and bin its mentions into the observed format (see the module's docstring).

    Args:
        path: the CSV export.
        time_col: the time column (default: the first of TIME_COLUMNS present, in any case).
        sentiment_col: the sentiment column; without it every mention counts as negative.
        negative: comma-separated labels of negative mentions (case-insensitive).
        positive: comma-separated labels of positive mentions (case-insensitive); others are neutral.
        count_col: a column of counts (one row per bin, or per bin and sentiment).
        bin: the bin width (15min, 1h, 6h, 1d; at most 7d).
        tz: the IANA zone of timestamps without a UTC offset.
        skip_rows: lines before the header to leave out.

    Returns:
        The observed table and what the import decided.

    Raises:
        MentionsError: one line naming the file (and line) or the option, and what is allowed.
    """
    source = str(path)
    minutes_per_bin = parse_bin(bin)
    neg, pos = parse_labels(negative, "--negative"), parse_labels(positive, "--positive")
    shared = sorted(neg & pos)
    if shared:
        raise MentionsError("--positive", "", f"{shared[0]!r} is also a --negative label; a label has one sentiment")
    zone = parse_zone(tz) if tz is not None else None
    frame, lines = read_table(path, skip_rows)
    notes: list[str] = []
    tcol = _time_column(frame, time_col, source)
    scol = _column(frame, sentiment_col, "--sentiment-col", source) if sentiment_col is not None else None
    ccol = _column(frame, count_col, "--count-col", source) if count_col is not None else None
    wide = {c.lower(): c for c in frame.columns if c.lower() in CLASSES} if ccol is None else {}
    if wide and scol is not None:
        raise MentionsError(
            source,
            "",
            f"--sentiment-col {sentiment_col}: the file has count columns ({', '.join(wide.values())}); "
            "a sentiment column goes with one row per mention or with --count-col",
        )
    if wide and "negative" not in wide:
        raise MentionsError(
            source,
            "",
            f"has count columns {', '.join(wide.values())} but no 'negative' column; "
            f"columns present: {_names(frame.columns)}",
        )
    per_bin = bool(wide) or ccol is not None

    # Times, in minutes since the epoch (UTC) or since the file's hour 0.
    if tcol.lower() == HOURS:
        minutes = _hours_in_minutes(frame[tcol], tcol, source, lines)
        kind = "hours"
    else:
        minutes, kind = _times_in_minutes(frame[tcol], tcol, zone, source, lines)
        dated = np.flatnonzero([bool(_DATE_ONLY.match(v)) for v in frame[tcol]]) if minutes_per_bin % 1440 else []
        if len(dated):  # a date alone would put the whole day's mentions in its first bin
            i = int(dated[0])
            raise _fail_at(
                source,
                lines,
                i,
                f"{tcol} {_shown(frame[tcol].iloc[i])} has no time of day, so --bin {bin} cannot place it; allowed: "
                "timestamps with a time, or --bin 1d (or whole days)",
            )
    if kind == "offset" and zone is not None:
        notes.append(f"--tz {tz} not used: every timestamp has a UTC offset (converted to UTC)")

    # Counts per row and class.
    counts = np.zeros((len(frame), 3), dtype=np.int64)
    if wide:
        for k, name in enumerate(CLASSES):
            if name in wide:
                counts[:, k] = _counts(frame[wide[name]], wide[name], source, lines)
        keys = list(minutes)
    else:
        per_row = _counts(frame[ccol], ccol, source, lines) if ccol else np.ones(len(frame), dtype=np.int64)
        cls = _classes(frame[scol], neg, pos) if scol else np.zeros(len(frame), dtype=np.int64)
        counts[np.arange(len(frame)), cls] = per_row
        keys = list(minutes) if scol is None else list(zip(minutes, frame[scol].str.lower()))
        if scol is None:
            there = [c for c in frame.columns if "sentiment" in c.lower()]
            hint = f" (the file has a column {there[0]!r}: --sentiment-col {there[0]} uses it)" if there else ""
            notes.append(f"no --sentiment-col: every {'count' if per_bin else 'mention'} counted as negative{hint}")
    if per_bin:
        seen: dict = {}
        for i, key in enumerate(keys):
            if key in seen:
                raise _fail_at(
                    source,
                    lines,
                    i,
                    f"{tcol} {_shown(frame[tcol].iloc[i])}: a duplicate bin (line {lines[seen[key]]} has the same "
                    f"{'time' if scol is None else 'time and sentiment'}); each bin is listed once",
                )
            seen[key] = i
        distinct = np.unique(minutes)
        if distinct.size > 1:
            spacing = np.diff(distinct)
            step = math.gcd(*[int(round(s)) for s in spacing]) if np.allclose(spacing, np.round(spacing)) else 0
            if step and step > minutes_per_bin:
                raise MentionsError(
                    "--bin",
                    "",
                    f"{bin} is finer than the bins of {source} (rows {_describe_bin(step)} apart); allowed: "
                    f"{_describe_bin(step)} or a multiple of it",
                )
            if step and minutes_per_bin % step:
                raise MentionsError(
                    "--bin",
                    "",
                    f"{bin} is not a whole number of the bins of {source} ({_describe_bin(step)}); allowed: a "
                    "multiple of them",
                )

    # Bins on a grid from the epoch (or hour 0); every bin from the first to the last.
    index = np.floor(minutes / minutes_per_bin + 1e-9).astype(np.int64)
    first, last = int(index.min()), int(index.max())
    n_bins = last - first + 1
    if n_bins > MAX_BINS:
        raise MentionsError(
            source,
            "",
            f"{n_bins:,} bins of {_describe_bin(minutes_per_bin)} from the first to the last "
            f"{'row' if per_bin else 'mention'}; at most {MAX_BINS:,}: give a wider --bin",
        )
    table = np.zeros((n_bins, 3), dtype=np.int64)
    np.add.at(table, index - first, counts)
    over = np.flatnonzero((table > MAX_COUNT).any(axis=1))
    if over.size:
        raise MentionsError(
            source,
            "",
            f"bin {int(over[0])} of {_describe_bin(minutes_per_bin)} counts {int(table[over[0]].max()):,} mentions; "
            f"allowed: at most {MAX_COUNT:,} per bin and sentiment",
        )
    total = table.sum(axis=0)
    if total[0] == 0:
        found = ""
        if scol is not None:
            labels = sorted({str(x) for x in frame[scol].str.lower().unique()})
            more = f", ... ({len(labels)} in all)" if len(labels) > MAX_LABELS_SHOWN else ""
            found = f"; labels found: {', '.join(map(repr, labels[:MAX_LABELS_SHOWN]))}{more}"
        raise MentionsError(
            source,
            "",
            f"no negative mentions ({int(total[1])} positive, {int(total[2])} neutral); negative labels: "
            f"{', '.join(sorted(neg))} (--negative){found}",
        )
    bin_hours = minutes_per_bin / 60.0
    out = pd.DataFrame(
        {
            "hours": np.round(np.arange(n_bins) * bin_hours, 6),
            "negative": table[:, 0],
            "positive": table[:, 1],
            "neutral": table[:, 2],
            "bin_hours": round(bin_hours, 6),
        }
    )
    start = None if kind == "hours" else _EPOCH + pd.Timedelta(minutes=first * minutes_per_bin)
    return Observed(out, bin_hours, start, int(total.sum()), notes)


def check_out(out: str | Path, inputs: str | Path) -> Path:
    """The output file: not a folder, not the input, its folder creatable.

    Raises:
        MentionsError: naming --out.
    """
    out = Path(out)
    if out.is_dir():
        raise MentionsError("--out", str(out), "is a folder; give a file name such as observed.csv")
    try:
        same = out.exists() and out.resolve() == Path(inputs).resolve()
    except OSError:
        same = False
    if same:
        raise MentionsError("--out", str(out), "is the input file; give another file name")
    return out


def write_observed(observed: Observed, out: str | Path) -> Path:
    """Write the observed table atomically (a temporary file, then a rename), creating its folder.

    Raises:
        MentionsError: naming --out, when the place cannot be written.
    """
    from .results import write_csv

    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_csv(observed.table, out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            out.with_name(f".{out.name}.tmp").unlink(missing_ok=True)  # write_csv's temporary file
        raise MentionsError(
            "--out", str(out), f"cannot be written ({exc.strerror or exc.__class__.__name__})"
        ) from None
    return out


def summary(observed: Observed, source: str) -> str:
    """One line: what was counted, in how many bins, from when."""
    t = observed.table
    span = (
        f"from {observed.start.strftime('%Y-%m-%d %H:%M')} UTC"
        if observed.start is not None
        else "from hour 0 of the file"
    )
    return (
        f"{source}: {observed.mentions:,} mentions ({int(t.negative.sum()):,} negative, {int(t.positive.sum()):,} "
        f"positive, {int(t.neutral.sum()):,} neutral) in {len(t):,} bins of "
        f"{_describe_bin(round(observed.bin_hours * 60))} {span}"
    )


# -- the observed format, read back (calibration and forecasts) ---------------------------------


@dataclass
class ObservedSeries:
    """An observed file as calibration uses it: counts per bin from the first negative mention.

    Attributes:
        source: the file, for messages.
        bin_hours: the bins' width in hours.
        negative: negative mentions per bin, from the bin of the first negative mention (hour 0).
        positive: positive mentions per bin (same bins), or None when the file has none.
        skipped: bins before the first negative mention, left out (the buzz starts with a complaint).
    """

    source: str
    bin_hours: float
    negative: np.ndarray
    positive: np.ndarray | None
    skipped: int = 0

    @property
    def bins(self) -> int:
        """How many bins the series has."""
        return len(self.negative)

    @property
    def span_h(self) -> float:
        """Hours the series covers (its bins' end)."""
        return self.bins * self.bin_hours

    def until(self, hours: float) -> ObservedSeries:
        """The series cut at `hours` after the first complaint (whole bins only)."""
        k = int(math.floor(hours / self.bin_hours + 1e-9))
        pos = None if self.positive is None else self.positive[:k]
        return ObservedSeries(self.source, self.bin_hours, self.negative[:k], pos, self.skipped)


_WIDTHS = (
    f"allowed: from 1 minute ({MIN_BIN_HOURS:.6g} h) to 7 days ({MAX_BIN_MINUTES // 60} h), as import-mentions writes"
)


def _width_allowed(width_h: float) -> bool:
    """Whether observed bins of `width_h` hours are within what import-mentions writes (1 minute to 7 days)."""
    return MIN_BIN_HOURS - 1e-12 <= width_h <= MAX_BIN_MINUTES / 60


def read_observed(path: str | Path) -> ObservedSeries:
    """Read an observed file (the format `import-mentions` writes), checked, aligned on the first complaint.

    Columns `hours` and `negative` are required; `positive`, `neutral` and `bin_hours` are optional
    (without `bin_hours`, the bins' width is the spacing of `hours`). Bins are consecutive, sorted
    and listed once (empty ones as 0); counts are whole numbers. Bins before the first negative
    mention are dropped: hour 0 is the bin of the first complaint, as in the model.

    Raises:
        MentionsError: one line naming the file (and line) and what is allowed.
    """
    source = str(path)
    frame, lines = read_table(path)
    hint = "; python run.py import-mentions writes this format from a listening export"
    for name in (HOURS, "negative"):
        if not any(c.lower() == name for c in frame.columns):
            raise MentionsError(source, "", f"no {name!r} column; columns present: {_names(frame.columns)}{hint}")
    col = {c.lower(): c for c in frame.columns}
    hours = _hours_in_minutes(frame[col[HOURS]], HOURS, source, lines) / 60.0
    for i in range(1, len(hours)):
        if hours[i] <= hours[i - 1]:
            what = "a duplicate bin" if hours[i] == hours[i - 1] else "not after the bin before it"
            raise _fail_at(
                source,
                lines,
                i,
                f"hours {_shown(frame[col[HOURS]].iloc[i])}: {what} (line {lines[i - 1]}); bins are sorted by time "
                "and listed once",
            )
    if "bin_hours" in col:
        widths = pd.to_numeric(frame[col["bin_hours"]], errors="coerce").to_numpy(np.float64)
        bad = np.flatnonzero(~np.isfinite(widths) | (widths <= 0) | (np.abs(widths - widths[0]) > 1e-9))
        if bad.size:
            i = int(bad[0])
            raise _fail_at(
                source,
                lines,
                i,
                f"bin_hours {_shown(frame[col['bin_hours']].iloc[i])}: every bin has the same width > 0",
            )
        width = float(widths[0])
        if not _width_allowed(width):
            raise _fail_at(source, lines, 0, f"bin_hours {_shown(frame[col['bin_hours']].iloc[0])}: {_WIDTHS}")
    elif len(hours) > 1:
        width = float(np.min(np.diff(hours)))
        if not _width_allowed(width):
            raise _fail_at(
                source, lines, 1, f"hours {_shown(frame[col[HOURS]].iloc[1])}: bins of {width:g} h; {_WIDTHS}"
            )
    else:
        raise MentionsError(source, "", f"one bin and no 'bin_hours' column: the bins' width is unknown{hint}")
    gaps = np.flatnonzero(np.abs(np.diff(hours) - width) > 1e-6 * max(1.0, width))
    if gaps.size:
        i = int(gaps[0]) + 1
        raise _fail_at(
            source,
            lines,
            i,
            f"hours {_shown(frame[col[HOURS]].iloc[i])}: not the next bin after {hours[i - 1]:g} "
            f"(bins of {width:g} h); list every bin, empty ones as 0{hint}",
        )
    negative = _counts(frame[col["negative"]], "negative", source, lines)
    positive = _counts(frame[col["positive"]], "positive", source, lines) if "positive" in col else None
    if "neutral" in col:  # not fitted, but a file with a bad count is not what it claims to be
        _counts(frame[col["neutral"]], "neutral", source, lines)
    if not negative.any():
        raise MentionsError(source, "", "no negative mentions; a buzz to fit starts with a complaint")
    first = int(np.flatnonzero(negative)[0])
    if positive is not None:
        positive = positive[first:]
    return ObservedSeries(source, width, negative[first:], positive, first)


__all__ = [
    "CLASSES",
    "DEFAULT_BIN",
    "DEFAULT_NEGATIVE",
    "DEFAULT_POSITIVE",
    "MentionsError",
    "OUTPUT_COLUMNS",
    "Observed",
    "ObservedSeries",
    "check_out",
    "import_mentions",
    "parse_bin",
    "read_observed",
    "write_observed",
]
