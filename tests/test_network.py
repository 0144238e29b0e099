"""The social network as arrays: structure, reproducibility, agreement with networkx's models,
edge-list files, and one-line errors that name what is wrong."""

import math
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import ks_2samp

from simulation.network import (
    EDGE_MEANINGS,
    KINDS,
    Network,
    NetworkError,
    block_of,
    build_network,
    from_edges,
    read_edge_list,
)

ROOT = Path(__file__).resolve().parent.parent
FACEBOOK = ROOT / "data" / "facebook_combined.txt"
GRAPH_KINDS = [k for k in KINDS if k not in ("well_mixed", "file")]
UNDIRECTED_KINDS = [k for k in GRAPH_KINDS if k != "directed_scale_free"]


def make(kind, n=2000, seed=1, **kw) -> Network:
    return build_network(kind, n, np.random.default_rng(seed), **kw)


def adjacency(net: Network) -> sp.csr_matrix:
    data = np.ones(net.indices.size, dtype=np.int64)
    return sp.csr_matrix((data, net.indices, net.indptr), shape=(net.n, net.n))


def transitivity(net: Network) -> float:
    """3 x triangles / connected triples, from the CSR."""
    a = adjacency(net)
    triangles = (a @ a).multiply(a).sum() / 6
    deg = np.diff(net.indptr)
    return 3 * triangles / (deg * (deg - 1) / 2).sum()


def nx_degrees(graph) -> np.ndarray:
    return np.array([d for _, d in graph.degree()])


# --- structure --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", UNDIRECTED_KINDS)
def test_csr_is_simple_symmetric_and_consistent(kind):
    net = make(kind)
    assert net.n == 2000 and not net.well_mixed and not net.directed
    assert net.indptr.dtype == np.int64 and net.indptr.shape == (2001,)
    assert net.indices.dtype == np.int32 and net.indptr[0] == 0 and net.indptr[-1] == net.indices.size
    rows = np.repeat(np.arange(net.n), np.diff(net.indptr))
    assert not np.any(rows == net.indices), "self-loop"
    # strictly increasing within each row: sorted and no duplicates
    same_row = rows[1:] == rows[:-1]
    assert np.all(np.diff(net.indices.astype(np.int64))[same_row] > 0)
    a = adjacency(net)
    assert (a != a.T).nnz == 0, "undirected graph must be symmetric"
    r = net.report
    assert r["kind"] == kind and r["nodes"] == net.n
    assert r["edges"] * 2 == net.indices.size
    assert r["self_loops_removed"] == 0 and r["duplicate_edges_removed"] == 0
    assert r["isolated_nodes"] == int(np.sum(net.followers_count() == 0))
    assert r["max_degree"] == int(net.followers_count().max())
    assert math.isclose(r["mean_degree"], net.indices.size / net.n)
    assert net.followers_count().dtype == np.int64
    i = int(np.argmax(net.followers_count()))
    assert np.array_equal(net.followers(i), net.indices[net.indptr[i] : net.indptr[i + 1]])


def test_expected_mean_degrees():
    n, m = 2000, 3
    # BA: star (m edges) + m per later node = m(n-m) edges exactly
    ba = make("barabasi_albert", n, m=m)
    assert ba.report["edges"] == m * (n - m)
    assert ba.report["mean_degree"] == pytest.approx(2 * m * (n - m) / n)
    # Holme–Kim: at most m per node after the first m; a few fewer when a triad partner is also
    # a preferential target (observed < 0.5% at these values; allow 2%)
    hk = make("holme_kim", n, m=m, triad_p=0.5)
    assert 0.98 * m * (n - m) <= hk.report["edges"] <= m * (n - m)
    # WS: rewiring keeps the count: exactly k
    ws = make("watts_strogatz", n, k=6, rewire_p=0.3)
    assert ws.report["mean_degree"] == 6.0 and ws.report["edges"] == n * 3
    # ER and SBM: edges ~ Binomial with mean n*d/2, sd <= sqrt(n*d/2); allow 5 sd on the degree
    d = 8.0
    sd_mean_degree = 2 * math.sqrt(n * d / 2) / n
    for kind in ("erdos_renyi", "stochastic_block"):
        means = [make(kind, n, seed=s, mean_degree=d).report["mean_degree"] for s in range(3)]
        assert abs(np.mean(means) - d) < 5 * sd_mean_degree / math.sqrt(3), (kind, means)


def test_watts_strogatz_without_rewiring_is_the_ring_lattice():
    n, k = 50, 6
    net = make("watts_strogatz", n, k=k, rewire_p=0.0)
    assert set(net.followers(0).tolist()) == {1, 2, 3, 47, 48, 49}
    assert set(net.followers(10).tolist()) == {7, 8, 9, 11, 12, 13}
    assert np.all(net.followers_count() == k)
    assert transitivity(net) == pytest.approx(3 * (k - 2) / (4 * (k - 1)))  # 0.6 for k = 6


def test_watts_strogatz_full_rewiring_stays_simple():
    net = make("watts_strogatz", 300, k=10, rewire_p=1.0)
    assert net.report["edges"] == 300 * 5
    assert net.report["duplicate_edges_removed"] == 0 and net.report["self_loops_removed"] == 0
    assert transitivity(net) < 0.1  # the lattice's 0.67 is gone


def test_erdos_renyi_isolated_nodes_are_kept_and_counted():
    n, d = 3000, 1.0
    net = make("erdos_renyi", n, mean_degree=d)
    isolated = int(np.sum(net.followers_count() == 0))
    assert net.n == n and net.report["isolated_nodes"] == isolated
    expected = n * (1 - d / (n - 1)) ** (n - 1)  # ~ n e^-1 = 1104, sd ~ 26
    assert abs(isolated - expected) < 150


# --- reproducibility --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", GRAPH_KINDS)
def test_same_seed_same_network_different_seed_different(kind):
    a, b, c = make(kind, 500, seed=3), make(kind, 500, seed=3), make(kind, 500, seed=4)
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert not (np.array_equal(a.indptr, c.indptr) and np.array_equal(a.indices, c.indices))


def test_draws_come_from_the_generator_only():
    """Global numpy state is neither used nor touched."""
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    a = make("holme_kim", 400, seed=9)
    np.random.seed(12345)
    b = make("holme_kim", 400, seed=9)
    np.random.seed(0)
    assert np.array_equal(a.indices, b.indices)
    assert np.array_equal(np.random.get_state()[1], before)


# --- agreement with networkx's models ---------------------------------------------------------

SEEDS = range(4)


@pytest.mark.parametrize(
    "kind, reference",
    [
        ("barabasi_albert", lambda n, s: nx.barabasi_albert_graph(n, 3, seed=s)),
        ("holme_kim", lambda n, s: nx.powerlaw_cluster_graph(n, 3, 0.5, seed=s)),
    ],
)
def test_degree_distribution_matches_networkx(kind, reference):
    n = 2000
    ours = [make(kind, n, seed=s, m=3, triad_p=0.5).followers_count() for s in SEEDS]
    theirs = [nx_degrees(reference(n, 1000 + s)) for s in SEEDS]
    o, t = np.concatenate(ours), np.concatenate(theirs)
    assert o.mean() == pytest.approx(t.mean(), rel=0.005)
    # hubs of the same order of magnitude (max degree ~ m sqrt(n) ~ 130 here)
    assert 0.5 < np.mean([x.max() for x in ours]) / np.mean([x.max() for x in theirs]) < 2
    if kind == "barabasi_albert":
        assert o.min() == t.min() == 3  # every node brings m links
    # two-sample KS on 8,000 vs 8,000 pooled degrees: 0.031 is the 0.1% critical value for
    # continuous data (discrete data make it conservative); observed ~0.005-0.01
    assert ks_2samp(o, t).statistic < 0.031


def test_holme_kim_clusters_more_than_barabasi_albert():
    ba = np.mean([transitivity(make("barabasi_albert", 2000, seed=s)) for s in SEEDS])
    hk = np.mean([transitivity(make("holme_kim", 2000, seed=s, triad_p=0.5)) for s in SEEDS])
    hk0 = np.mean([transitivity(make("holme_kim", 2000, seed=s, triad_p=0.0)) for s in SEEDS])
    nx_ba = np.mean([nx.transitivity(nx.barabasi_albert_graph(2000, 3, seed=s)) for s in SEEDS])
    assert ba == pytest.approx(nx_ba, rel=0.25)  # both ~0.0105
    assert hk > 4 * ba  # ~0.078 against ~0.0105
    assert hk0 < 2 * ba  # without triad formation it is preferential attachment again
    assert 0.06 < hk < 0.10


def test_watts_strogatz_clustering_matches_networkx():
    ours = np.mean([transitivity(make("watts_strogatz", 2000, seed=s, rewire_p=0.1)) for s in SEEDS])
    theirs = np.mean([nx.transitivity(nx.watts_strogatz_graph(2000, 6, 0.1, seed=s)) for s in SEEDS])
    assert ours == pytest.approx(theirs, abs=0.02)  # both ~0.43 (lattice 0.6 x (1-p)^3)


def test_stochastic_block_mixing_share():
    n, blocks, d, mixing = 4000, 4, 8.0, 0.2
    net = make("stochastic_block", n, blocks=blocks, mean_degree=d, mixing=mixing)
    membership = block_of(n, blocks)
    assert np.array_equal(np.bincount(membership), [1000] * 4)
    rows = np.repeat(np.arange(n), np.diff(net.indptr))
    cross = np.mean(membership[rows] != membership[net.indices])
    # share of ~16,000 edges: binomial sd ~0.003; allow 0.02
    assert cross == pytest.approx(mixing, abs=0.02)
    assert net.report["mean_degree"] == pytest.approx(d, abs=0.3)
    alone = make("stochastic_block", n, blocks=1, mean_degree=d, mixing=0.3)
    assert alone.report["params"]["mixing"] == 0.0  # one community: all links internal
    singletons = make("stochastic_block", 200, blocks=200, mean_degree=4.0, mixing=0.1)
    assert singletons.report["params"]["mixing"] == 1.0


def test_stochastic_block_refuses_impossible_density():
    with pytest.raises(NetworkError, match="network.mean_degree"):
        make("stochastic_block", 40, blocks=20, mean_degree=30.0, mixing=0.0)


# --- well mixed -------------------------------------------------------------------------------


def test_well_mixed_has_no_arrays():
    net = make("well_mixed", 1_000_000, mean_degree=7.5)
    assert net.well_mixed and net.indptr is None and net.indices is None
    assert net.readers_per_post == 7.5 and net.n == 1_000_000
    counts = net.followers_count()
    assert counts.shape == (1_000_000,) and np.all(counts == 7.5)
    assert net.neighbourhood(5, hops=2, max_nodes=50).tolist() == [5]
    with pytest.raises(NetworkError, match="well_mixed"):
        net.followers(0)


# --- files ------------------------------------------------------------------------------------


def test_facebook_file_loads_fast_with_ids_unchanged():
    t = time.perf_counter()
    net = build_network("file", 0, np.random.default_rng(0), path=FACEBOOK)
    seconds = time.perf_counter() - t
    assert net.n == 4039 and net.report["edges"] == 88234
    assert net.report["isolated_nodes"] == 0 and net.report["duplicate_edges_removed"] == 0
    assert net.followers_count()[0] == 347  # ids keep their value: node 0 is the first ego
    assert 1 in net.followers(0) and 0 in net.followers(1)
    a = adjacency(net)
    assert (a != a.T).nnz == 0
    assert seconds < 2.0  # ~0.03 s measured


def write(tmp_path, text, name="edges.txt") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_directed_file_edge_meanings(tmp_path):
    # "alice bob": in target_sees_source, bob sees alice's posts
    p = write(tmp_path, "# who follows whom\nalice bob\nalice carol\nbob carol\ndave alice\n")
    t = read_edge_list(p, directed=True, edge_meaning="target_sees_source")
    s = read_edge_list(p, directed=True, edge_meaning="source_sees_target")
    # string labels: numbered in order of first appearance
    alice, bob, carol, dave = range(4)
    assert t.n == s.n == 4 and t.directed and s.directed
    assert t.followers(alice).tolist() == [bob, carol]
    assert t.followers(bob).tolist() == [carol]
    assert t.followers(carol).tolist() == []
    assert t.followers(dave).tolist() == [alice]
    assert s.followers(alice).tolist() == [dave]
    assert s.followers(bob).tolist() == [alice]
    assert s.followers(carol).tolist() == [alice, bob]
    assert s.followers(dave).tolist() == []
    assert t.report["edges"] == s.report["edges"] == 4
    assert t.report["edge_meaning"] == "target_sees_source"
    # the neighbourhood ignores direction
    assert set(s.neighbourhood(dave, hops=1, max_nodes=10).tolist()) == {dave, alice}


def test_integer_labels_are_sorted_and_formats_accepted(tmp_path):
    text = "% konect-style header\n30,10\n\n10 20 1.5 99\n# comment\n  20\t30   # trailing\n"
    net = read_edge_list(write(tmp_path, text), directed=False)
    # labels 10, 20, 30 -> 0, 1, 2; extra columns ignored
    assert net.n == 3 and net.report["edges"] == 3 and net.report["labels"] == "sorted integers"
    assert net.followers(0).tolist() == [1, 2]
    one_based = read_edge_list(write(tmp_path, "1 2\n2 3\n", "b.txt"), directed=False)
    assert one_based.followers(0).tolist() == [1] and one_based.n == 3


def test_self_loops_duplicates_and_isolated_are_reported(tmp_path):
    src = np.array([0, 1, 2, 1, 2, 3, 3])
    dst = np.array([0, 2, 1, 2, 3, 3, 0])
    und = from_edges(6, src, dst, directed=False, kind="test")
    assert und.report["self_loops_removed"] == 2  # 0-0, 3-3
    assert und.report["duplicate_edges_removed"] == 2  # 2-1 and the second 1-2
    assert und.report["edges"] == 3  # 1-2, 2-3, 3-0
    assert und.report["isolated_nodes"] == 2  # 4 and 5
    assert und.n == 6 and und.followers(4).size == 0
    di = from_edges(6, src, dst, directed=True, kind="test")
    assert di.report["duplicate_edges_removed"] == 1  # 1->2 twice; 2->1 is another arc
    assert di.report["edges"] == 4 and di.report["isolated_nodes"] == 2
    # in a file, a node that only has a self-loop exists and is isolated
    net = read_edge_list(write(tmp_path, "1 2\n2 1\n7 7\n"), directed=False)
    assert net.n == 3 and net.report["isolated_nodes"] == 1
    assert net.report["self_loops_removed"] == 1 and net.report["duplicate_edges_removed"] == 1


def test_neighbourhood_is_breadth_first_and_capped():
    # path 0-1-2-3-4-5 plus 1-6
    net = from_edges(7, np.array([0, 1, 2, 3, 4, 1]), np.array([1, 2, 3, 4, 5, 6]), directed=False, kind="test")
    assert net.neighbourhood(2, hops=1, max_nodes=100).tolist() == [2, 1, 3]
    hood = net.neighbourhood(2, hops=2, max_nodes=100).tolist()
    assert hood[:3] == [2, 1, 3] and set(hood[3:]) == {0, 6, 4}
    assert len(net.neighbourhood(2, hops=10, max_nodes=4)) == 4
    assert net.neighbourhood(2, hops=0, max_nodes=4).tolist() == [2]
    big = make("barabasi_albert", 5000)
    hood = big.neighbourhood(0, hops=3, max_nodes=300)
    assert hood.size == 300 and hood[0] == 0 and np.unique(hood).size == 300


# --- errors -----------------------------------------------------------------------------------


def one_line(excinfo) -> str:
    msg = str(excinfo.value)
    assert "\n" not in msg
    return msg


def test_file_errors_name_the_file(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(NetworkError) as e:
        read_edge_list(missing, directed=False)
    assert "nope.txt" in one_line(e) and "not found" in one_line(e)
    for name, text in [("empty.txt", ""), ("comments.txt", "# only\n% comments\n\n")]:
        with pytest.raises(NetworkError) as e:
            read_edge_list(write(tmp_path, text, name), directed=False)
        assert name in one_line(e) and "no edges" in one_line(e)
    bad = write(tmp_path, "# header\n1 2\n3\n4 5\n", "bad.txt")
    with pytest.raises(NetworkError) as e:
        read_edge_list(bad, directed=False)
    assert "bad.txt" in one_line(e) and "line 3" in one_line(e)
    bad_first = write(tmp_path, "lonely\n", "bad1.txt")
    with pytest.raises(NetworkError, match=r"bad1\.txt.*line 1"):
        read_edge_list(bad_first, directed=False)
    with pytest.raises(NetworkError, match="network.path"):
        build_network("file", 10, np.random.default_rng(0))


def test_bad_edge_meaning_lists_the_allowed_ones(tmp_path):
    p = write(tmp_path, "1 2\n")
    with pytest.raises(NetworkError) as e:
        read_edge_list(p, directed=True, edge_meaning="follows")
    msg = one_line(e)
    assert "network.edge_meaning" in msg and all(m in msg for m in EDGE_MEANINGS)
    with pytest.raises(NetworkError, match="network.edge_meaning"):
        build_network("file", 2, np.random.default_rng(0), path=p, edge_meaning="x")


@pytest.mark.parametrize(
    "kind, n, params, key",
    [
        ("barabasi_albert", 100, {"m": 0}, "network.m"),
        ("barabasi_albert", 100, {"m": 100}, "network.m"),
        ("holme_kim", 100, {"m": 2.5}, "network.m"),
        ("holme_kim", 100, {"triad_p": 1.5}, "network.triad_p"),
        ("watts_strogatz", 100, {"k": 5}, "network.k"),
        ("watts_strogatz", 100, {"k": 100}, "network.k"),
        ("watts_strogatz", 100, {"rewire_p": -0.1}, "network.rewire_p"),
        ("erdos_renyi", 100, {"mean_degree": -1.0}, "network.mean_degree"),
        ("erdos_renyi", 100, {"mean_degree": float("nan")}, "network.mean_degree"),
        ("stochastic_block", 100, {"blocks": 0}, "network.blocks"),
        ("stochastic_block", 100, {"blocks": 101}, "network.blocks"),
        ("stochastic_block", 100, {"mixing": 2.0}, "network.mixing"),
        ("well_mixed", 100, {"mean_degree": 100.0}, "network.mean_degree"),
        ("barabasi_albert", 1, {}, "population.size"),
        ("barabasi_albert", 100, {"directed": True}, "network.directed"),
        ("small_world", 100, {}, "network.kind"),
    ],
)
def test_bad_parameters_are_named(kind, n, params, key):
    with pytest.raises(NetworkError) as e:
        build_network(kind, n, np.random.default_rng(0), **params)
    assert key in one_line(e)


def test_m_message_is_the_documented_one():
    with pytest.raises(NetworkError) as e:
        build_network("barabasi_albert", 50, np.random.default_rng(0), m=0)
    assert one_line(e) == "network.m must be an integer >= 1 and < population.size (got 0)"


@pytest.mark.parametrize("shape", ["byte-order mark", "quoted integers", "gzip", "bz2", "xz"])
def test_an_edge_list_as_other_tools_write_it_is_the_same_network(tmp_path, shape):
    """A byte-order mark, quoted ids and compressed files (SNAP's .txt.gz) read as the plain file: no link lost."""
    import bz2
    import gzip
    import lzma

    links = [(i, (i + 1) % 30) for i in range(30)] + [(0, 15)]
    plain = "".join(f"{a} {b}\n" for a, b in links)
    ref = read_edge_list(write(tmp_path, plain, "plain.txt"), directed=False)
    if shape == "byte-order mark":
        path = tmp_path / "bom.txt"
        path.write_bytes(b"\xef\xbb\xbf" + plain.encode())
    elif shape == "quoted integers":
        path = write(tmp_path, "".join(f'"{a}","{b}"\n' for a, b in links), "quoted.csv")
    else:
        pack = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[shape]
        path = tmp_path / f"edges.txt.{ {'gzip': 'gz', 'bz2': 'bz2', 'xz': 'xz'}[shape] }"
        path.write_bytes(pack(plain.encode()))
    net = read_edge_list(path, directed=False)
    assert net.report["edges"] == ref.report["edges"] == 31 and net.n == 30
    assert np.array_equal(net.indptr, ref.indptr) and np.array_equal(net.indices, ref.indices)


def test_quoted_labels_with_spaces_are_one_label_each(tmp_path):
    text = "".join(f'"user {i}","user {(i + 1) % 12}"\n' for i in range(12))
    net = read_edge_list(write(tmp_path, text, "names.csv"), directed=False)
    assert net.n == 12 and net.report["edges"] == 12
    assert net.ids_of(np.array(["user 3"])).tolist() == [3] and net.label_of([3]) == ["user 3"]
