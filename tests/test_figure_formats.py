"""Figures in the formats asked: PNG alone (the default), PDF alone (vector), or both, from one layout; the
command line's --pdf adds PDF to every command that draws figures, and a resume keeps the choice it started with."""

import matplotlib.pyplot as plt
import pytest
import tomli_w

from simulation import BuzzModel, load_scenario, plots
from simulation.cli import figure_formats, main, parser, reproduce_command
from tests.conftest import small


@pytest.fixture(scope="module")
def series():
    return BuzzModel(load_scenario(small()), rng=2).run().timeseries()


@pytest.mark.parametrize("formats", [("png",), ("pdf",), ("png", "pdf")])
def test_run_figures_writes_the_formats_asked(tmp_path, series, formats):
    paths = plots.run_figures(series, 1.0, tmp_path, formats=formats)
    assert sorted(p.name for p in paths) == sorted(
        f"{n}.{f}" for n in ("stances", "posts", "reputation") for f in formats
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)
    for p in paths:
        head = p.read_bytes()[:8]
        assert head.startswith(b"\x89PNG") if p.suffix == ".png" else head.startswith(b"%PDF")


def test_save_refuses_an_unknown_format_and_writes_nothing(tmp_path):
    fig = plt.figure()
    fig.add_subplot().plot([0, 1], [0, 1])
    with pytest.raises(ValueError, match="figure formats must be among png, pdf"):
        plots.save(fig, tmp_path / "x", ("svg",))
    assert not list(tmp_path.iterdir())
    plt.close(fig)


def test_one_layout_for_every_format_and_the_figure_keeps_its_engine(tmp_path, series, monkeypatch):
    """Writing PNG and PDF solves the figure's constrained layout once (each draw solved it again before);
    the figure keeps its layout engine afterwards."""
    fig = plots.reputation(series, 1.0, None)
    engine = fig.get_layout_engine()
    solved = []
    real = engine.execute
    monkeypatch.setattr(engine, "execute", lambda f: solved.append(1) or real(f))
    paths = plots.save(fig, tmp_path / "r", ("png", "pdf"))
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    assert len(solved) == 1
    assert fig.get_layout_engine() is engine


def test_save_writes_png_unless_told(tmp_path, series):
    paths = plots.save(plots.posts(series, 1.0, None), tmp_path / "p")
    assert [p.name for p in paths] == ["p.png"] and sorted(tmp_path.iterdir()) == paths


def _heads(folder):
    return {p.name: p.read_bytes()[:4] for p in folder.iterdir()}


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(tomli_w.dumps(small(**{"population.size": 300, "simulation.days": 7})))
    return path


def test_run_writes_png_figures_and_pdf_with_the_option(tmp_path, scenario):
    """`run` without --pdf writes only PNGs; with --pdf each figure also as a PDF."""
    names = {"stances", "posts", "reputation", "neighbourhood"}
    assert main(["run", str(scenario), "--replications", "1", "--out", str(tmp_path / "png")]) == 0
    heads = _heads(tmp_path / "png" / "figures")
    assert set(heads) == {f"{n}.png" for n in names}
    assert all(h == b"\x89PNG" for h in heads.values())
    assert main(["run", str(scenario), "--replications", "1", "--pdf", "--out", str(tmp_path / "both")]) == 0
    heads = _heads(tmp_path / "both" / "figures")
    assert set(heads) == {f"{n}.{f}" for n in names for f in ("png", "pdf")}
    assert all(h == (b"%PDF" if name.endswith(".pdf") else b"\x89PNG") for name, h in heads.items())


@pytest.mark.parametrize("command", ["run", "compare", "sweep", "sensitivity", "check-model", "calibrate", "forecast"])
def test_every_command_that_draws_figures_takes_pdf(command):
    needed = {"run": ["s"], "forecast": ["s", "--data", "d", "--until", "1", "--strategies", "ignore"]}.get(command, [])
    args = parser().parse_args([command, *needed, "--pdf"])
    assert figure_formats(args) == ("png", "pdf")
    assert figure_formats(parser().parse_args([command, *needed])) == ("png",)


def test_a_resume_keeps_the_formats_its_command_was_started_with():
    """The recorded command (an experiment's, a study's or a calibration's) decides a resume's formats; --pdf given
    with the resume adds PDF; a command this version cannot read, or none, draws PNG."""
    started = reproduce_command(["sweep", "default", "--vary", "brand.delay_hours=0,6", "--pdf", "--workers", "2"])
    assert "--pdf" in started and "--workers" not in started
    resume = parser().parse_args(["sweep", "--resume", "folder"])
    assert figure_formats(resume, started) == ("png", "pdf")
    plain = reproduce_command(["sweep", "default", "--vary", "brand.delay_hours=0,6"])
    assert figure_formats(resume, plain) == ("png",)
    assert figure_formats(parser().parse_args(["sweep", "--resume", "folder", "--pdf"]), plain) == ("png", "pdf")
    typed_short = reproduce_command(["calibrate", "default", "--data", "d.csv", "--pd"])  # argparse's abbreviation
    assert figure_formats(parser().parse_args(["calibrate", "--resume", "f"]), typed_short) == ("png", "pdf")
    for unreadable in ("", "python run.py sweep --no-such-option", "python other.py --pdf", "python run.py 'open"):
        assert figure_formats(resume, unreadable) == ("png",)


def test_a_resumed_experiment_draws_the_formats_it_was_started_with(tmp_path, scenario):
    """compare started with --pdf (figures left for later), then resumed without it: PNG and PDF."""
    folder = tmp_path / "c"
    start = ["compare", str(scenario), "--strategies", "ignore,quick_fix", "--replications", "2", "--workers", "1"]
    assert main([*start, "--pdf", "--no-figures", "--out", str(folder)]) == 0
    assert not (folder / "figures").exists()
    assert main(["compare", "--resume", str(folder), "--workers", "1"]) == 0
    heads = _heads(folder / "figures")
    stems = {name.rsplit(".", 1)[0] for name in heads}
    assert "distribution" in stems and set(heads) == {f"{s}.{f}" for s in stems for f in ("png", "pdf")}
    assert all(h == b"%PDF" for name, h in heads.items() if name.endswith(".pdf"))


def test_a_resumed_calibration_draws_the_formats_it_was_started_with(tmp_path, scenario):
    """calibrate started with --pdf (figures left for later), then resumed without it: PNG and PDF (origin.json)."""
    observed = tmp_path / "observed.csv"
    rows = "".join(f"{h},{h % 3},0,0,1.0\n" for h in range(48))
    observed.write_text("hours,negative,positive,neutral,bin_hours\n" + rows)
    folder = tmp_path / "cal"
    fit = ["--fit", "spread.anger_dose=0.1:1.5:log", "--particles", "10", "--budget", "40", "--pdf"]
    assert main(["calibrate", str(scenario), "--data", str(observed), *fit, "--no-figures", "--out", str(folder)]) == 0
    assert not (folder / "figures").exists()
    assert main(["calibrate", "--resume", str(folder)]) == 0
    heads = _heads(folder / "figures")
    assert set(heads) == {f"{s}.{f}" for s in ("fit", "posterior") for f in ("png", "pdf")}
    assert heads["fit.pdf"] == heads["posterior.pdf"] == b"%PDF"
