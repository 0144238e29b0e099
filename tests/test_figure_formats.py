"""Figures in the formats asked: PNG alone (fast), PDF alone (vector), or both (the default), from one layout."""

import matplotlib.pyplot as plt
import pytest

from simulation import BuzzModel, load_scenario, plots
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
