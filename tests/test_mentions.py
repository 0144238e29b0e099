"""import-mentions: listening exports into observed counts per bin (hand-counted fixtures), and every bad input."""

import subprocess
import sys

import pytest

from simulation.mentions import MentionsError, check_out, import_mentions, parse_bin, write_observed
from tests.conftest import ROOT

EXAMPLES = ROOT / "data" / "examples"


def _csv(tmp_path, text, name="export.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _rows(observed):
    return observed.table[["hours", "negative", "positive", "neutral"]].values.tolist()


# Seven mentions over three hours (UTC): counted by hand below.
MENTIONS = """id,Date,Sentiment,Text
1,2024-03-01T10:05:00+00:00,negative,"late delivery,
and rude staff"
2,2024-03-01T10:59:59Z,NEG,again
3,2024-03-01T11:30:00+01:00,Positive,thanks
4,2024-03-01T12:00:00+00:00,neutral,news
5,2024-03-01T12:10:00+0000,negative,
6,2024-03-01T12:20:00Z,,no label
7,2024-03-01T13:00:00+01:00,-1,score
"""


def test_per_mention_round_trip_hand_counted(tmp_path):
    obs = import_mentions(_csv(tmp_path, MENTIONS), time_col="Date", sentiment_col="Sentiment")
    # 10:05, 10:59:59 -> 10h: 2 negative; 11:30+01 = 10:30Z -> 10h positive; 12:00 neutral, 12:10 negative,
    # 12:20 (empty label) neutral -> 12h; 13:00+01 = 12:00Z (-1) negative -> 12h; 11h is empty.
    assert _rows(obs) == [[0.0, 2, 1, 0], [1.0, 0, 0, 0], [2.0, 2, 0, 2]]
    assert list(obs.table.columns) == ["hours", "negative", "positive", "neutral", "bin_hours"]
    assert set(obs.table.bin_hours) == {1.0} and obs.mentions == 7
    assert str(obs.start) == "2024-03-01 10:00:00+00:00" and obs.notes == []


def test_without_a_sentiment_column_every_mention_is_negative_and_the_note_says_so(tmp_path):
    obs = import_mentions(_csv(tmp_path, MENTIONS), time_col="Date")
    assert _rows(obs) == [[0.0, 3, 0, 0], [1.0, 0, 0, 0], [2.0, 4, 0, 0]]
    assert "every mention counted as negative" in obs.notes[0] and "--sentiment-col Sentiment" in obs.notes[0]


def test_offsets_are_converted_to_utc_and_bins_sit_on_the_utc_grid(tmp_path):
    text = "time\n2024-03-01T23:50:00-05:00\n2024-03-02T05:10:00+01:00\n2024-03-02T04:40:00Z\n"
    obs = import_mentions(_csv(tmp_path, text), bin="1h")  # 04:50Z, 04:10Z, 04:40Z
    assert _rows(obs) == [[0.0, 3, 0, 0]] and str(obs.start) == "2024-03-02 04:00:00+00:00"
    obs = import_mentions(_csv(tmp_path, text), bin="15min")  # 04:00-04:15: 1, 04:30-04:45: 1, 04:45-05:00: 1
    assert _rows(obs) == [[0.0, 1, 0, 0], [0.25, 0, 0, 0], [0.5, 1, 0, 0], [0.75, 1, 0, 0]]
    assert set(obs.table.bin_hours) == {0.25}


def test_naive_times_use_tz_across_a_dst_change(tmp_path):
    # Europe/Paris, 31 March 2024: 02:00 CET jumps to 03:00 CEST. 01:30 CET = 00:30Z, 03:30 CEST = 01:30Z.
    text = "date\n2024-03-31 01:30\n2024-03-31 03:30\n2024-03-31 04:10\n"
    obs = import_mentions(_csv(tmp_path, text), tz="Europe/Paris")
    assert _rows(obs) == [[0.0, 1, 0, 0], [1.0, 1, 0, 0], [2.0, 1, 0, 0]]  # one hour apart in UTC, not two
    assert str(obs.start) == "2024-03-31 00:00:00+00:00"
    # 27 October 2024: 03:00 CEST goes back to 02:00 CET; 01:30 CEST = 23:30Z, 03:30 CET = 02:30Z.
    text = "date\n2024-10-27 01:30\n2024-10-27 03:30\n"
    assert _rows(import_mentions(_csv(tmp_path, text), tz="Europe/Paris")) == [
        [0.0, 1, 0, 0],
        [1.0, 0, 0, 0],
        [2.0, 0, 0, 0],
        [3.0, 1, 0, 0],
    ]


def test_daily_bins_and_the_note_when_tz_is_not_needed(tmp_path):
    text = "date\n2024-03-01T10:00:00Z\n2024-03-03T23:00:00Z\n2024-03-03T01:00:00Z\n"
    obs = import_mentions(_csv(tmp_path, text), bin="1d", tz="UTC")
    assert _rows(obs) == [[0.0, 1, 0, 0], [24.0, 0, 0, 0], [48.0, 2, 0, 0]]
    assert "--tz UTC not used" in obs.notes[0]


def test_per_bin_counts_by_column_name_sorted_and_zero_bins_filled(tmp_path):
    text = (
        "Time;Negative;Positive;Neutral\n"
        "2024-03-01T12:00:00Z;4;1;0\n"
        "2024-03-01T10:00:00Z;3;0;2\n"  # unsorted: sorted
        "2024-03-01T14:00:00Z;;2;1\n"  # an empty cell counts 0
        "2024-03-01T15:00:00Z;1.0;0;0\n"
    )
    obs = import_mentions(_csv(tmp_path, text))
    assert _rows(obs) == [
        [0.0, 3, 0, 2],
        [1.0, 0, 0, 0],
        [2.0, 4, 1, 0],
        [3.0, 0, 0, 0],
        [4.0, 0, 2, 1],
        [5.0, 1, 0, 0],
    ]
    coarser = import_mentions(_csv(tmp_path, text), bin="2h")  # hourly bins summed into 2-hour ones
    assert _rows(coarser) == [[0.0, 3, 0, 2], [2.0, 4, 1, 0], [4.0, 1, 2, 1]]


def test_per_bin_with_a_count_column_and_hours(tmp_path):
    obs = import_mentions(_csv(tmp_path, "hours,mentions\n0,5\n2,7\n1,0\n"), count_col="mentions")
    assert _rows(obs) == [[0.0, 5, 0, 0], [1.0, 0, 0, 0], [2.0, 7, 0, 0]] and obs.start is None
    assert "every count counted as negative" in obs.notes[0]
    long = "t,tone,n\n2024-03-01T10:00Z,NEGATIVE,5\n2024-03-01T10:00Z,POSITIVE,2\n2024-03-01T11:00Z,NEUTRAL,1\n"
    obs = import_mentions(_csv(tmp_path, long), time_col="t", sentiment_col="tone", count_col="n")
    assert _rows(obs) == [[0.0, 5, 2, 0], [1.0, 0, 0, 1]] and obs.mentions == 8


def test_labels_of_the_options(tmp_path):
    text = "date,tone\n2024-03-01T10:00Z,angry\n2024-03-01T10:10Z,Happy\n2024-03-01T10:20Z,negative\n"
    obs = import_mentions(_csv(tmp_path, text), sentiment_col="tone", negative="Angry, furious", positive="happy")
    assert _rows(obs) == [[0.0, 1, 1, 1]]  # 'negative' is not among --negative now: neutral


def test_write_is_atomic_and_refuses_a_folder_or_the_input(tmp_path):
    path = _csv(tmp_path, MENTIONS)
    obs = import_mentions(path, time_col="Date", sentiment_col="Sentiment")
    out = write_observed(obs, tmp_path / "sub" / "observed.csv")
    assert out.read_text().splitlines()[:2] == ["hours,negative,positive,neutral,bin_hours", "0.0,2,1,0,1.0"]
    assert not list((tmp_path / "sub").glob(".*tmp"))
    with pytest.raises(MentionsError, match="--out: .*: is a folder; give a file name"):
        check_out(tmp_path, path)
    with pytest.raises(MentionsError, match="is the input file"):
        check_out(path, path)
    with pytest.raises(MentionsError, match="--out: /proc/buzzsim-x/observed.csv: cannot be written"):
        write_observed(obs, "/proc/buzzsim-x/observed.csv")


BAD = {
    "unparseable timestamp": (
        "date\n2024-03-01T10:00Z\nyesterday\n",
        {},
        "line 3: date 'yesterday' is not a timestamp",
    ),
    "epoch milliseconds": ("published\n1417999319393\n", {}, "line 2: published '1417999319393' is not a timestamp"),
    "empty time": ("date,x\n2024-03-01T10:00Z,1\n,2\n", {}, "line 3: empty 'date'; every row needs a time"),
    "no negative mentions": (
        "date,s\n2024-03-01T10:00Z,positive\n2024-03-01T11:00Z,meh\n",
        {"sentiment_col": "s"},
        "no negative mentions (1 positive, 1 neutral); negative labels: -1, neg, negative (--negative); labels found: "
        "'meh', 'positive'",
    ),
    "duplicate bins": (
        "time,negative\n2024-03-01T10:00Z,1\n2024-03-01T11:00Z,2\n2024-03-01T10:00:00+00:00,3\n",
        {},
        "line 4: time '2024-03-01T10:00:00+00:00': a duplicate bin (line 2 has the same time)",
    ),
    "duplicate bins of a long table": (
        "t,s,n\n2024-03-01T10:00Z,neg,1\n2024-03-01T10:00Z,pos,1\n2024-03-01T10:00Z,NEG,1\n",
        {"time_col": "t", "sentiment_col": "s", "count_col": "n"},
        "line 4: t '2024-03-01T10:00Z': a duplicate bin (line 2 has the same time and sentiment)",
    ),
    "unknown time column": (
        "date,x\n2024-03-01T10:00Z,1\n",
        {"time_col": "when"},
        "--time-col when: unknown column; columns present: date, x",
    ),
    "unknown sentiment column": (
        "date,x\n2024-03-01T10:00Z,1\n",
        {"sentiment_col": "tone"},
        "--sentiment-col tone: unknown column; columns present: date, x",
    ),
    "unknown count column": ("date,x\n2024-03-01T10:00Z,1\n", {"count_col": "n"}, "--count-col n: unknown column"),
    "no time column": ("when,x\n2024-03-01T10:00Z,1\n", {}, "no time column (one of timestamp, time, date"),
    "counts without negative": (
        "date,positive\n2024-03-01T10:00Z,1\n",
        {},
        "has count columns positive but no 'negative' column; columns present: date, positive",
    ),
    "empty file": ("", {}, "is empty; expected a header line"),
    "blank lines only": ("\n\n  \n", {}, "is empty; expected a header line"),
    "header only": ("date,sentiment\n", {}, "has a header (date, sentiment) but no rows"),
    "naive without tz": (
        "date\n2024-03-01 10:00\n",
        {},
        "line 2: date '2024-03-01 10:00' has no UTC offset; give --tz ZONE",
    ),
    "mixed naive and offset": (
        "date\n2024-03-01T10:00:00+01:00\n2024-03-01T11:00:00+01:00\n2024-03-01 12:00\n",
        {"tz": "Europe/Paris"},
        "line 4: date '2024-03-01 12:00' has no UTC offset while line 2 has one; a file mixing",
    ),
    "a time the clocks skip": (
        "date\n2024-03-31 02:30\n",
        {"tz": "Europe/Paris"},
        "line 2: date '2024-03-31 02:30' does not exist (the clocks jump forward) in Europe/Paris",
    ),
    "a time that occurs twice": (
        "date\n2024-10-27 02:30\n",
        {"tz": "Europe/Paris"},
        "line 2: date '2024-10-27 02:30' occurs twice (the clocks go back) in Europe/Paris",
    ),
    "negative count": ("hours,negative\n0,3\n1,-2\n", {}, "line 3: negative '-2' is not a count; allowed: a whole"),
    "fractional count": ("hours,negative\n0,2.5\n", {}, "line 2: negative '2.5' is not a count"),
    "text count": ("hours,n\n0,many\n", {"count_col": "n"}, "line 2: n 'many' is not a count"),
    "hours not a number": ("hours,negative\nzero,1\n", {}, "line 2: hours 'zero' is not a number of hours"),
    "bin finer than the file's": (
        "time,negative\n2024-03-01T00:00Z,1\n2024-03-02T00:00Z,1\n",
        {},
        "--bin: 1h is finer than the bins of",
    ),
    "too many bins": ("hours\n0\n2000000\n", {}, "2,000,001 bins of 1 h from the first to the last mention"),
    "malformed CSV": ('date,x\n2024-03-01T10:00Z,"open\n', {}, "cannot be read as CSV"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_one_line_naming_the_file_and_what_is_allowed(tmp_path, name):
    text, options, message = BAD[name]
    path = _csv(tmp_path, text)
    with pytest.raises(MentionsError) as err:
        import_mentions(path, **options)
    assert message in str(err.value) and "\n" not in str(err.value), str(err.value)
    assert str(err.value).startswith(str(path)) or str(err.value).startswith("--"), str(err.value)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"bin": "0h"}, "--bin: '0h' is 0 minutes; allowed: a positive number"),
        ({"bin": "8d"}, "--bin: '8d' is 11520 minutes; allowed"),
        ({"bin": "1w"}, "--bin: '1w' is not a bin width"),
        ({"bin": "30s"}, "--bin: '30s' is not a bin width"),
        ({"bin": "0.5min"}, "--bin: '0.5min' is 0.5 minutes"),
        ({"tz": "Mars/Olympus"}, "--tz: 'Mars/Olympus' is not a known time zone; allowed: an IANA name"),
        ({"tz": "../../etc/passwd"}, "--tz: '../../etc/passwd' is not a known time zone"),
        ({"negative": " , "}, "--negative: ' , ' names no label"),
        ({"positive": "neg"}, "--positive: 'neg' is also a --negative label"),
    ],
)
def test_bad_options(tmp_path, options, message):
    with pytest.raises(MentionsError) as err:
        import_mentions(_csv(tmp_path, MENTIONS), time_col="Date", **options)
    assert message in str(err.value), str(err.value)


def test_bin_widths():
    assert [parse_bin(x) for x in ("15min", "1h", "6H", "1d", "1.5h", "7d")] == [15, 60, 360, 1440, 90, 10080]


def test_missing_binary_and_folder_inputs(tmp_path):
    with pytest.raises(MentionsError, match="missing.csv: file not found"):
        import_mentions(tmp_path / "missing.csv")
    (tmp_path / "blob.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 8)
    with pytest.raises(MentionsError, match="blob.csv: is binary, not a CSV text file"):
        import_mentions(tmp_path / "blob.csv")
    (tmp_path / "latin.csv").write_bytes("date,s\n2024-03-01T10:00Z,n\xe9gatif\n".encode("latin-1"))
    with pytest.raises(MentionsError, match="latin.csv: cannot read file \\(not UTF-8 text\\)"):
        import_mentions(tmp_path / "latin.csv")
    with pytest.raises(MentionsError, match="is a folder; give a CSV file"):
        import_mentions(tmp_path)


def test_a_line_number_counts_quoted_line_breaks(tmp_path):
    text = 'date,text\n2024-03-01T10:00Z,"one\ntwo\nthree"\n2024-03-01T10:00Z,ok\nnot a time,x\n'
    with pytest.raises(MentionsError, match="line 6: date 'not a time'"):
        import_mentions(_csv(tmp_path, text))


def test_the_cli_writes_the_file_and_says_what_it_counted(tmp_path):
    src = _csv(tmp_path, MENTIONS)
    out = tmp_path / "observed.csv"
    argv = ["import-mentions", str(src), "--time-col", "Date", "--sentiment-col", "Sentiment", "--out", str(out)]
    proc = subprocess.run([sys.executable, str(ROOT / "run.py"), *argv], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "7 mentions (4 negative, 1 positive, 2 neutral) in 3 bins of 1 h from 2024-03-01 10:00 UTC" in proc.stdout
    assert out.read_text().startswith("hours,negative,positive,neutral,bin_hours\n0.0,2,1,0,1.0\n")


@pytest.mark.parametrize(
    "name, options",
    [
        ("synthetic_mentions.csv", {"sentiment_col": "sentiment"}),
        ("synthetic_hourly_counts.csv", {"tz": "Europe/Paris"}),
    ],
)
def test_the_shipped_synthetic_examples_import(name, options):
    obs = import_mentions(EXAMPLES / name, **options)
    t = obs.table
    assert obs.mentions == 306 and t.negative.sum() == 263 and obs.notes == []
    assert (t.hours.diff().dropna() == 1.0).all() and str(obs.start) == "2024-03-30 15:00:00+00:00"


def test_the_two_shipped_examples_agree():
    per_mention = import_mentions(EXAMPLES / "synthetic_mentions.csv", sentiment_col="sentiment").table
    per_bin = import_mentions(EXAMPLES / "synthetic_hourly_counts.csv", tz="Europe/Paris").table
    assert per_mention.equals(per_bin)


def test_the_examples_are_remade_byte_for_byte(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    for name in ("synthetic_mentions.csv", "synthetic_hourly_counts.csv", "synthetic_live_buzz.csv"):
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), name


def test_lines_above_the_header_are_skipped_on_request(tmp_path):
    text = 'Report: "brand" mentions\nexported 2024-03-02,by,someone,x\n' + MENTIONS
    path = _csv(tmp_path, text)
    with pytest.raises(MentionsError, match="give --skip-rows N"):
        import_mentions(path, time_col="Date", sentiment_col="Sentiment")
    skipped = import_mentions(path, time_col="Date", sentiment_col="Sentiment", skip_rows=2)
    plain = import_mentions(_csv(tmp_path, MENTIONS, "plain.csv"), time_col="Date", sentiment_col="Sentiment")
    assert skipped.table.equals(plain.table)
    bad = _csv(tmp_path, "x\ny\n", "short.csv")
    with pytest.raises(MentionsError, match="--skip-rows: 5: .*short.csv has only 2 lines"):
        import_mentions(bad, skip_rows=5)
