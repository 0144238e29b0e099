"""Every kind of figure, drawn on fixtures of its own: no two pieces of text overlap."""

import itertools

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from simulation import BuzzModel, load_scenario, plots, run
from simulation import experiment_plots as ep
from simulation.cli import main
from simulation.experiment_folder import ExperimentFolder
from tests.conftest import small


def overlapping_texts(fig) -> list[tuple[str, str]]:
    """Pairs of visible, non-empty texts whose boxes overlap once the figure is drawn."""
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    ticks, drawn = set(), []
    for ax in fig.axes:
        for axis, coord in ((ax.xaxis, 0), (ax.yaxis, 1)):
            labels = axis.get_ticklabels()
            ticks.update(labels)
            lo, hi = sorted(axis.get_view_interval())
            if ax.axison and axis.get_visible():  # only the labels of ticks inside the view are drawn
                drawn += [t for t in labels if lo - 1e-9 <= t.get_position()[coord] <= hi + 1e-9]
    texts = [t for t in fig.findobj(Text) if t not in ticks] + drawn
    boxes = []
    for t in texts:
        if t.get_visible() and t.get_text().strip():
            box = t.get_window_extent(renderer)
            if box.width > 0 and box.height > 0:
                boxes.append((t.get_text(), box.shrunk(0.98, 0.9)))  # anti-aliasing margins aside
    return [(a, b) for (a, x), (b, y) in itertools.combinations(boxes, 2) if x.overlaps(y)]


@pytest.fixture(scope="module")
def scenario():
    raw = small(**{"brand.strategy": "delay", "brand.delay_hours": 12.0})
    raw["amplifiers"] = [{"name": "press", "threshold": 3.0, "repeats": 3, "interval_h": 6.0}]
    return load_scenario(raw)


@pytest.fixture(scope="module")
def ts(scenario):
    return run(scenario, seed=1, replications=4).timeseries


@pytest.mark.parametrize("draw", [plots.stances, plots.posts, plots.reputation])
def test_run_figures_have_no_overlapping_text(ts, draw):
    fig = draw(ts, 1.0, None, title="small: delay\nholding reply at 1 h after detection, then remedy at 12 h")
    assert not overlapping_texts(fig)


def test_neighbourhood_has_no_overlapping_text(scenario):
    m = BuzzModel(scenario, rng=1).run()
    fig = plots.neighbourhood(
        m.network,
        stem=None,
        centre_nodes=np.flatnonzero(m.population.complainant),
        stance_at_peak=m.population.stance,
        stance_at_end=m.population.stance,
        peak_hours=10.0,
        end_hours=144.0,
        title="small: delay",
    )
    assert not overlapping_texts(fig)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    path = tmp_path_factory.mktemp("sc") / "s.toml"
    from simulation.scenario import to_toml

    path.write_text(to_toml(load_scenario(small(**{"simulation.days": 3, "population.size": 400}))))
    out = tmp_path_factory.mktemp("exp") / "sweep"
    argv = ["sweep", str(path), "--vary", "brand.delay_hours=0,3,6,12,24,48,72", "--vary", "spread.visibility=0.3,0.5"]
    assert (
        main([*argv, "--strategies", "quick_fix,delay", "--replications", "3", "--workers", "1", "--out", str(out)])
        == 0
    )
    return ExperimentFolder.load(out)


def test_experiment_figures_have_no_overlapping_text(sweep):
    figures = {**ep.over_time_figures(sweep), "timing": ep.timing_figure(sweep), "heatmap": ep.heatmap_figure(sweep)}
    assert all(f is not None for f in figures.values()) and len(figures) == 5
    for name, fig in figures.items():
        assert not overlapping_texts(fig), name


def test_a_named_slice_of_a_sweep_is_drawn(sweep, tmp_path, capsys):
    ids, note = ep.chosen_conditions(sweep, {"spread.visibility": 0.5})
    cond = sweep.conditions.set_index("condition").loc[ids]
    assert (cond["spread.visibility"] == 0.5).all() and "(spread.visibility = 0.5)" in note
    first, _ = ep.chosen_conditions(sweep)
    assert (sweep.conditions.set_index("condition").loc[first, "spread.visibility"] == 0.3).all()
    with pytest.raises(ep.FigureError, match=r"--slice: spread.visibility=0.4 is not a swept value"):
        ep.chosen_conditions(sweep, {"spread.visibility": 0.4})
    argv = ["sweep", "default", "--vary", "brand.delay_hours=0,6", "--slice", "spread.visibility=0.4"]
    assert main([*argv, "--replications", "2", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "--slice: spread.visibility=0.4: not a swept key and value; allowed: brand.delay_hours=0|6" in err
    assert not (tmp_path / "x").exists()
