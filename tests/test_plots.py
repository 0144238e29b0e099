"""Figures: every file written as PNG (and PDF when asked), axes labelled with units, the brand's actions
marked, the band only with several replications, and no neighbourhood for a well-mixed population.

Figures are inspected as objects (the plotting functions return the Figure when ``stem=None``),
never by reading pixels.
"""

import time

import numpy as np
import pytest
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure

from simulation import BuzzModel, load_scenario, plots, run
from simulation.network import build_network
from tests.conftest import small

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SERIES = [plots.stances, plots.posts, plots.reputation]


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(small(**{"brand.strategy": "delay", "brand.delay_hours": 12.0}))


@pytest.fixture(scope="module")
def ts(scenario):
    return run(scenario, seed=1, replications=3).timeseries


@pytest.fixture(scope="module")
def one(ts):
    return ts[ts["replication"] == 0].reset_index(drop=True)


@pytest.fixture(scope="module")
def model(scenario):
    """A model run step by step, and its stances after each step (index 0: the start)."""
    m = BuzzModel(scenario, rng=1)
    stances = [m.population.stance.copy()]
    for _ in range(m.n_steps):
        m.step()
        stances.append(m.population.stance.copy())
    return m, stances


@pytest.fixture(scope="module")
def snapshots(model):
    """The neighbourhood's data: stances at the peak of negative posts and at the end."""
    m, stances = model
    series = m.timeseries()
    peak = int(series["posts_negative"].idxmax())
    return dict(
        network=m.network,
        centre_nodes=np.flatnonzero(m.population.complainant),
        stance_at_peak=stances[peak],
        stance_at_end=stances[-1],
        peak_hours=float(series["hours"][peak]),
        end_hours=float(series["hours"].iloc[-1]),
    )


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [
        t.get_text() for leg in fig.legends + [ax.get_legend() for ax in fig.axes] if leg for t in leg.get_texts()
    ]


def _action_time(one, name):
    rows = one[one["brand_action"].str.split("+").apply(lambda labels: name in labels)]
    return float(rows["hours"].iloc[0])


def test_run_figures_writes_png_and_pdf(tmp_path, ts, scenario, snapshots):
    dt = scenario.simulation.dt_hours
    paths = plots.run_figures(ts, dt, tmp_path, title="test", seed=0, formats=("png", "pdf"), **snapshots)
    names = ["stances", "posts", "reputation", "neighbourhood"]
    assert sorted(paths) == sorted(tmp_path / f"{n}.{ext}" for n in names for ext in ("png", "pdf"))
    for name in names:
        png, pdf = (tmp_path / f"{name}.png").read_bytes(), (tmp_path / f"{name}.pdf").read_bytes()
        assert png.startswith(PNG_MAGIC) and len(png) > 10_000, name
        assert pdf.startswith(b"%PDF") and len(pdf) > 5_000, name


def test_run_figures_without_network_writes_three(tmp_path, one):
    paths = plots.run_figures(one, 1.0, tmp_path)
    assert {p.name for p in paths} == {f"{n}.png" for n in ("stances", "posts", "reputation")}  # PNG unless asked
    assert sorted(tmp_path.iterdir()) == sorted(paths)


def test_single_model_series_without_replication_column(model):
    """A BuzzModel's own timeseries() (no `replication` column) is one replication."""
    series = model[0].timeseries()
    assert "replication" not in series
    ax = plots.reputation(series, 1.0, None).axes[0]
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert any("remedy" in t.get_text() for t in ax.texts)


def test_induced_edges_match_networkx(snapshots):
    import networkx as nx

    net = snapshots["network"]
    nodes = net.neighbourhood(int(snapshots["centre_nodes"][0]), 2, 150)
    g = nx.Graph((i, int(j)) for i in range(net.n) for j in net.followers(i))
    edges = plots._induced_edges(net, nodes)
    assert len(edges) == g.subgraph(nodes.tolist()).number_of_edges()
    assert {frozenset(nodes[e]) for e in edges} == {frozenset(e) for e in g.subgraph(nodes.tolist()).edges}


def test_network_without_its_data_is_an_error(tmp_path, one, snapshots):
    with pytest.raises(ValueError, match="stance_at_peak"):
        plots.run_figures(one, 1.0, tmp_path, network=snapshots["network"], centre_nodes=[0])


@pytest.mark.parametrize(
    "draw, ylabel",
    [(plots.stances, "consumers"), (plots.posts, "posts per hour"), (plots.reputation, "mean opinion (-1 to 1)")],
)
def test_axes_have_units_title_and_legend(ts, draw, ylabel):
    fig = draw(ts, 1.0, None, title="a scenario")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert "days" in fig.axes[-1].get_xlabel()  # a 6-day horizon is shown in days (on the lowest panel)
    assert all("days" in a.get_xlabel() or a is not fig.axes[-1] for a in fig.axes)
    assert ylabel in ax.get_ylabel()
    assert "a scenario" in ax.get_title() and len(ax.get_title()) > len("a scenario")
    assert len(ax.get_legend().get_texts()) >= 2


def test_short_horizon_in_hours(one):
    early = one[one["hours"] <= 48]
    fig = plots.posts(early, 1.0, None)
    assert "hours" in fig.axes[0].get_xlabel()
    assert fig.axes[0].get_xlim()[1] == pytest.approx(48)


def test_posts_are_per_hour(one):
    """With dt = 0.5 h the same counts per step are twice as many posts per hour."""
    y1 = plots.posts(one, 1.0, None).axes[0].lines[0].get_ydata()
    y2 = plots.posts(one, 0.5, None).axes[0].lines[0].get_ydata()
    np.testing.assert_allclose(y2, 2 * y1)
    np.testing.assert_allclose(y1, one["posts_negative"])


def _dashed_at(ax, x):
    return [ln for ln in ax.lines if ln.get_linestyle() == "--" and np.allclose(ln.get_xdata(), x)]


@pytest.mark.parametrize("draw", SERIES)
def test_scheduled_action_is_marked(one, draw):
    t = _action_time(one, "remedy") / 24  # days
    ax = draw(one, 1.0, None).axes[0]
    assert _dashed_at(ax, t), "no dashed line at the remedy"
    assert any("remedy" in txt.get_text() for txt in ax.texts)
    assert any("holding reply" in txt.get_text() for txt in ax.texts)
    assert any("brand action" in txt.get_text() for txt in ax.get_legend().get_texts())


def test_actions_of_several_replications(ts, one):
    """Replication 0's actions are marked whatever the others did; names are not repeated."""
    ax = plots.stances(ts, 1.0, None).axes[0]
    assert _dashed_at(ax, _action_time(one, "remedy") / 24)
    assert sum("remedy" in txt.get_text() for txt in ax.texts) == 1


def test_names_do_not_overlap_each_other_or_the_legend(ts):
    fig = plots.posts(ts, 1.0, None)
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    ax = fig.axes[0]
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    legend = ax.get_legend().get_window_extent(renderer)
    assert boxes
    for i, b in enumerate(boxes):
        assert not b.overlaps(legend)
        assert not any(b.overlaps(c) for c in boxes[i + 1 :])


def test_story_and_backfire_are_marked_differently(one):
    events = one.copy()
    events["brand_action"] = events["brand_action"].astype(object)
    events.loc[events["step"] == 30, "brand_action"] = "remedy+story:press"
    events.loc[events["step"] == 60, "brand_action"] = "reviews_exposed"
    ax = plots.reputation(events, 1.0, None).axes[0]
    styles = {ln.get_linestyle() for ln in ax.lines if np.allclose(ln.get_xdata(), 30 / 24)}
    assert {"--", ":"} <= styles
    assert any(ln.get_linestyle() == "-." and np.allclose(ln.get_xdata(), 60 / 24) for ln in ax.lines)
    texts = [t.get_text() for t in ax.texts]
    assert any("story: press" in t and "remedy" in t for t in texts)
    assert any("reviews exposed" in t for t in texts)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("amplifier story" in t for t in legend) and any("backfire" in t for t in legend)


@pytest.mark.parametrize("draw", SERIES)
def test_band_only_with_several_replications(ts, one, draw):
    def bands(frame):
        return [c for c in draw(frame, 1.0, None).axes[0].collections if isinstance(c, PolyCollection)]

    assert not bands(one)
    assert bands(ts)
    legend = [t.get_text() for t in draw(ts, 1.0, None).axes[0].get_legend().get_texts()]
    assert any("5%–95% of 3 replications" in t for t in legend)


def test_reputation_keeps_its_main_lines_readable(ts):
    """Those who know start at the complainants' opinion: on a panel of their own, under the main lines."""
    fig = plots.reputation(ts, 1.0, None)
    top, low = fig.axes
    assert [ln.get_label() for ln in low.lines if not ln.get_label().startswith("_")] == [
        "consumers who know (all but unaware)"
    ]
    lo, hi = top.get_ylim()
    main = np.concatenate([ln.get_ydata() for ln in top.lines if ln.get_label() in ("all consumers",)])
    assert hi - lo < 4 * (main.max() - main.min()) + 0.05  # the scale is the main lines', not [-1, 1]


def test_stances_on_a_log_scale_show_the_small_stances(ts):
    ax = plots.stances(ts, 1.0, None).axes[0]
    assert ax.get_yscale() == "symlog" and "log scale" in ax.get_ylabel()


def test_repeated_action_names_are_counted(ts):
    events = ts.copy()
    events["brand_action"] = events["brand_action"].astype(object)
    for r in range(4):  # a "legal" at slightly different times in four replications
        events.loc[(events["replication"] == r % 3) & (events["step"] == 40 + r), "brand_action"] = "legal"
    texts = [t.get_text() for t in plots.posts(events, 1.0, None).axes[0].texts]
    assert sum("legal" in t for t in texts) == 1 and any("legal ×" in t for t in texts), texts


def test_reputation_marks_the_start(ts):
    ax = plots.reputation(ts, 1.0, None).axes[0]
    start = ts.loc[ts["step"] == 0, "reputation"].median()
    assert any(ln.get_linestyle() == ":" and np.allclose(ln.get_ydata(), start) for ln in ax.lines)
    assert any("starting reputation" in t.get_text() for t in ax.get_legend().get_texts())


def test_stance_colours_are_consistent(one, snapshots):
    """Each stance has one colour, the same in the time series and in the network drawing."""
    lines = {ln.get_label(): ln.get_color() for ln in plots.stances(one, 1.0, None).axes[0].lines}
    fig = plots.neighbourhood(stem=None, **snapshots)
    legend = {h.get_label(): h.get_color() for h in fig.legends[0].legend_handles}
    for code, _, name, colour in plots.STANCE_STYLES:
        assert lines[name] == legend[name] == colour == plots.STANCE_COLOURS[code]


def test_neighbourhood_figure(snapshots):
    start = time.perf_counter()
    fig = plots.neighbourhood(stem=None, max_nodes=300, **snapshots)
    assert time.perf_counter() - start < 10
    assert len(fig.axes) == 2
    assert "peak" in fig.axes[0].get_title() and "end" in fig.axes[1].get_title()
    texts = _texts(fig)
    assert sum(t == "complainant" for t in texts) >= 2  # labelled in both panels (and legend)
    for _, _, name, _ in plots.STANCE_STYLES:
        assert name in texts
    # at most max_nodes consumers drawn, the complainant larger than the others
    dots = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    sizes = np.concatenate([c.get_sizes() for c in dots])
    points = sum(len(c.get_offsets()) for c in dots)
    assert points == 300
    assert sizes.max() > 4 * sizes.min()


def test_neighbourhood_of_well_mixed_is_empty(tmp_path, snapshots):
    net = build_network("well_mixed", 600, np.random.default_rng(0))
    args = {**snapshots, "network": net}
    assert plots.neighbourhood(stem=tmp_path / "n", **args) == []
    assert plots.neighbourhood(stem=None, **args) == []
    assert not list(tmp_path.iterdir())


def test_save_writes_both_and_closes(tmp_path):
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.add_subplot().plot([0, 1], [0, 1])
    paths = plots.save(fig, tmp_path / "sub" / "x", ("png", "pdf"))
    assert [p.name for p in paths] == ["x.png", "x.pdf"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert not plt.fignum_exists(fig.number)
