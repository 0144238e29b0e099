"""The consumer social network, as arrays: who sees whose posts.

A complaint travels along "follower" links: when consumer ``i`` posts, the consumers in
``indices[indptr[i]:indptr[i+1]]`` may read it. The population steps with numpy and
scipy.sparse, so the network is a CSR follower structure (int64 ``indptr``, int32
``indices``), never a networkx graph: networkx needs about 22 s just to grow a
1,000,000-node Barabási–Albert graph and gigabytes to hold it, while these arrays are built in
seconds and take 4 bytes per follower link.

Undirected graphs (friendships) give a symmetric structure. Directed graphs (follower graphs,
read from a file) say explicitly which end of an edge reads the other (``edge_meaning``).
A ``well_mixed`` network has no graph at all: every post is read by random consumers.

Generators reproduce the models of networkx (``barabasi_albert_graph``,
``powerlaw_cluster_graph``, ``watts_strogatz_graph``, G(n, p), a stochastic block model) in
distribution, not draw for draw. All randomness comes from the numpy Generator passed in, so a
given Generator state always yields the same network.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .files import not_regular

__all__ = [
    "EDGE_MEANINGS",
    "HEADER_CHOICES",
    "KINDS",
    "Network",
    "NetworkError",
    "block_of",
    "build_network",
    "from_edges",
    "read_edge_list",
]

KINDS = (
    "barabasi_albert",
    "watts_strogatz",
    "erdos_renyi",
    "holme_kim",
    "stochastic_block",
    "directed_scale_free",
    "well_mixed",
    "file",
)
# Directed scale-free graphs (Bollobás et al. 2003): the shares of the three ways an edge is added,
# as networkx's scale_free_graph defaults (alpha : gamma fixes who is new; beta = 1 - 1/mean degree).
SCALE_FREE_ALPHA_SHARE = 0.41 / (0.41 + 0.05)

# What a line "a b" of a directed edge list means.
EDGE_MEANINGS = ("target_sees_source", "source_sees_target")
# Whether an edge list's first line names its columns: true, false, or decided from the file.
HEADER_CHOICES = ("auto",)
# Column names an `auto` header may use (any case).
COLUMN_NAMES = frozenset({"source", "target", "from", "to", "src", "dst", "u", "v", "node1", "node2"})

_INT32_MAX = np.iinfo(np.int32).max


class NetworkError(ValueError):
    """Bad network input; message is one line naming the file/key and what is allowed."""


@dataclass(frozen=True, eq=False)
class Network:
    """A population's follower structure plus plain facts about how it was built.

    ``indices[indptr[i]:indptr[i+1]]`` are the consumers who see consumer ``i``'s posts, sorted
    by id. ``labels[i]`` is consumer ``i``'s label in the file it was read from (integers, or
    texts); a generated network has none, its consumers are known by their id. Equality is
    identity (the arrays make value equality ambiguous).
    """

    n: int
    indptr: np.ndarray | None
    indices: np.ndarray | None
    well_mixed: bool
    readers_per_post: float
    directed: bool
    report: dict = field(default_factory=dict)
    labels: np.ndarray | None = None

    def label_of(self, ids) -> list:
        """The labels of consumers `ids` (their ids in a generated network), as Python values."""
        ids = np.asarray(ids, np.int64)
        return (ids if self.labels is None else self.labels[ids]).tolist()

    def ids_of(self, labels) -> np.ndarray:
        """The consumer ids of `labels` (ints or texts, matched as the file writes them); -1 where none."""
        labels = np.asarray(labels, dtype=object)
        out = np.full(labels.size, -1, np.int64)
        if self.labels is None or self.labels.dtype.kind in "iu":
            # an integer beyond the labels' type (2**70, or -1 among uint64 labels) is no consumer's label
            info = np.iinfo(np.int64 if self.labels is None else self.labels.dtype)
            ints = [_as_int(v) for v in labels.ravel()]
            ok = np.array([v is not None and info.min <= v <= info.max for v in ints], dtype=bool)
            values = np.array([v if good else 0 for v, good in zip(ints, ok, strict=True)], dtype=info.dtype)
            if self.labels is None:
                found = ok & (values >= 0) & (values < self.n)
                out[found] = values[found]
            else:
                pos = np.clip(np.searchsorted(self.labels, values), 0, self.n - 1)
                found = ok & (self.labels[pos] == values)
                out[found] = pos[found]
            return out
        import pandas as pd

        return pd.Index(self.labels).get_indexer([str(v) for v in labels.ravel()]).astype(np.int64)

    def label_examples(self, k: int = 3) -> str:
        """A few labels, for messages: '0, 1, 2' or 'alice, bob, carol'."""
        return ", ".join(str(v) for v in self.label_of(np.arange(min(k, self.n))))

    def followers_count(self) -> np.ndarray:
        """Audience size per consumer.

        Audience size per consumer: int64 follower counts, or for a well-mixed population a float64 array
        holding the mean number of random readers per post.
        """
        if self.well_mixed:
            return np.full(self.n, float(self.readers_per_post), dtype=np.float64)
        return np.diff(self.indptr)

    def followers(self, i: int) -> np.ndarray:
        """The consumers who see consumer ``i``'s posts (a read-only view)."""
        if self.well_mixed:
            raise NetworkError("a well_mixed network has no follower lists: each post is read by random consumers")
        i = int(i)
        if not 0 <= i < self.n:
            raise IndexError(f"consumer {i} out of range [0, {self.n})")
        view = self.indices[self.indptr[i] : self.indptr[i + 1]]
        view.flags.writeable = False
        return view

    @functools.cached_property
    def _following(self) -> tuple[np.ndarray, np.ndarray]:
        """Transpose of the follower structure (whom each consumer reads), for directed graphs."""
        counts = np.bincount(self.indices, minlength=self.n)
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        rows = np.repeat(np.arange(self.n, dtype=np.int32), np.diff(self.indptr))
        order = np.argsort(self.indices, kind="stable")
        return indptr, rows[order]

    def neighbourhood(self, centre: int, hops: int, max_nodes: int) -> np.ndarray:
        """The few-hop neighbourhood of a consumer, breadth first.

        Consumers within ``hops`` links of ``centre`` (either direction), in breadth-first order starting with
        ``centre``, at most ``max_nodes`` of them: for drawing the neighbourhood of a complainant.
        """
        centre, hops, max_nodes = int(centre), int(hops), int(max_nodes)
        if not 0 <= centre < self.n:
            raise IndexError(f"consumer {centre} out of range [0, {self.n})")
        if max_nodes < 1:
            return np.empty(0, dtype=np.int64)
        if self.well_mixed:
            return np.array([centre], dtype=np.int64)
        adjacency = [(self.indptr, self.indices)]
        if self.directed:
            adjacency.append(self._following)
        seen = np.zeros(self.n, dtype=bool)
        seen[centre] = True
        order = [np.array([centre], dtype=np.int64)]
        total = 1
        frontier = order[0]
        for _ in range(hops):
            if total >= max_nodes or frontier.size == 0:
                break
            found = np.concatenate([_gather(ptr, idx, frontier) for ptr, idx in adjacency])
            # keep first discovery order, drop already seen
            found = found[_first_occurrences(found)]
            found = found[~seen[found]][: max_nodes - total]
            seen[found] = True
            order.append(found)
            total += found.size
            frontier = found
        return np.concatenate(order)


def _unique_sorted(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based: np.unique is ~100x slower on 10^6 int64 here)."""
    a = np.sort(a)
    keep = np.empty(a.size, dtype=bool)
    keep[:1] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def _first_occurrences(a: np.ndarray) -> np.ndarray:
    """Increasing positions of the first occurrence of each distinct value of ``a``."""
    order = np.argsort(a, kind="stable")
    s = a[order]
    keep = np.empty(a.size, dtype=bool)
    keep[:1] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return np.sort(order[keep])


def _gather(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Concatenated CSR rows ``rows`` (vectorised)."""
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return indices[np.arange(total, dtype=np.int64) + offsets].astype(np.int64)


# --------------------------------------------------------------------------------------------
# CSR construction
# --------------------------------------------------------------------------------------------


def from_edges(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    *,
    directed: bool,
    kind: str,
    edge_meaning: str = "target_sees_source",
    extra: dict | None = None,
) -> Network:
    """Network on consumers ``0..n-1`` from edge ends ``src[j] - dst[j]``.

    Undirected: each pair is a mutual link. Directed: ``edge_meaning`` says who reads whom
    (``target_sees_source``: ``dst`` sees ``src``'s posts). Self-loops and repeated edges are
    dropped and counted; consumers without links are kept and counted. ``extra`` is merged
    into the report.
    """
    _check_edge_meaning(edge_meaning, "edge_meaning")
    n = int(n)
    if n < 1 or n > _INT32_MAX:
        raise NetworkError(f"network size must be between 1 and {_INT32_MAX} (got {n})")
    src = np.asarray(src).astype(np.int64, copy=False).ravel()
    dst = np.asarray(dst).astype(np.int64, copy=False).ravel()
    if src.shape != dst.shape:
        raise NetworkError(f"edge ends differ in length ({src.size} sources, {dst.size} targets)")
    if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
        raise NetworkError(f"edge ends must be consumer ids in [0, {n})")

    if directed:
        poster, reader = (src, dst) if edge_meaning == "target_sees_source" else (dst, src)
    else:
        poster, reader = src, dst
    from .graphs import csr

    indptr, indices, self_loops, duplicates, isolated = csr(n, poster, reader, bool(directed))
    counts = np.diff(indptr)
    edges = int(indices.size if directed else indices.size // 2)

    report = {
        "kind": kind,
        "directed": bool(directed),
        "nodes": n,
        "edges": edges,
        "isolated_nodes": isolated,
        "self_loops_removed": self_loops,
        "duplicate_edges_removed": int(duplicates),
        "mean_degree": float(indices.size / n),
        "max_degree": int(counts.max()) if n else 0,
    }
    if directed:
        report["edge_meaning"] = edge_meaning
    if extra:
        report.update(extra)
    return Network(
        n=n,
        indptr=indptr,
        indices=indices,
        well_mixed=False,
        readers_per_post=float(indices.size / n),
        directed=bool(directed),
        report=report,
    )


# --------------------------------------------------------------------------------------------
# Generative rules: the sequential ones compiled in `simulation.graphs` (imported when a graph is built)
# --------------------------------------------------------------------------------------------


def _numba_seed(rng: np.random.Generator) -> np.uint64:
    return rng.integers(0, 2**32, dtype=np.uint64)


def _sample_distinct(rng: np.random.Generator, count: int, draw) -> np.ndarray:
    """A uniform sample without replacement from a stream of draws.

    The first ``count`` distinct values of the i.i.d. stream ``draw(size)``: a uniform sample without replacement
    from the support of ``draw``.
    """
    if count == 0:
        return np.empty(0, dtype=np.int64)
    got = np.empty(0, dtype=np.int64)
    while got.size < count:
        need = count - got.size
        stream = np.concatenate((got, draw(int(need * 1.05) + 64)))
        got = stream[_first_occurrences(stream)]
    return got[:count]


def _erdos_renyi_pairs(rng: np.random.Generator, n: int, p: float) -> tuple[np.ndarray, np.ndarray]:
    # Erdős–Rényi G(n, p): the number of links is Binomial(n(n-1)/2, p), the links a uniform
    # set of distinct pairs of distinct consumers.
    pairs = n * (n - 1) // 2
    count = int(rng.binomial(pairs, p)) if p < 1 else pairs

    def draw(size):
        u = rng.integers(0, n, size=size)
        v = rng.integers(0, n - 1, size=size)
        v += v >= u  # uniform over the other n-1 consumers
        return np.minimum(u, v) * n + np.maximum(u, v)

    keys = _sample_distinct(rng, count, draw)
    return np.divmod(keys, n)


def block_of(n: int, blocks: int) -> np.ndarray:
    """Community of each consumer in a ``stochastic_block`` network.

    Community of each consumer in a ``stochastic_block`` network: consecutive ids, sizes differing by at most one.
    """
    return (np.arange(n, dtype=np.int64) * blocks) // n


def _stochastic_block_pairs(
    rng: np.random.Generator, n: int, blocks: int, mean_degree: float, mixing: float
) -> tuple[np.ndarray, np.ndarray, float]:
    # Stochastic block model: `blocks` communities of consecutive ids; a link between two
    # consumers of the same community with probability p_in, of different communities with
    # p_out, chosen so that a consumer expects mean_degree links, a share `mixing` of them
    # across communities.
    membership = block_of(n, blocks)
    sizes = np.bincount(membership, minlength=blocks).astype(np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    within_pairs = int((sizes * (sizes - 1) // 2).sum())
    cross_pairs = n * (n - 1) // 2 - within_pairs
    if cross_pairs == 0:  # one community: every link is internal
        mixing = 0.0
    elif within_pairs == 0:  # communities of one: every link crosses
        mixing = 1.0
    expected_links = mean_degree * n / 2
    p_in = (1 - mixing) * expected_links / within_pairs if within_pairs else 0.0
    p_out = mixing * expected_links / cross_pairs if cross_pairs else 0.0
    if p_in > 1 or p_out > 1:
        raise NetworkError(
            f"network.mean_degree {mean_degree} is too high for {blocks} communities of "
            f"{n // blocks} consumers with mixing {mixing} (a link probability would exceed 1)"
        )

    n_in = int(rng.binomial(within_pairs, min(p_in, 1.0))) if within_pairs else 0
    n_out = int(rng.binomial(cross_pairs, min(p_out, 1.0))) if cross_pairs else 0
    weights = (sizes * (sizes - 1) / 2) / within_pairs if within_pairs else None

    def draw_in(size):
        b = rng.choice(blocks, size=size, p=weights)
        s = sizes[b]
        u = rng.integers(0, s)
        v = rng.integers(0, s - 1)
        v += v >= u
        u, v = u + starts[b], v + starts[b]
        return np.minimum(u, v) * n + np.maximum(u, v)

    def draw_out(size):
        u = rng.integers(0, n, size=size * 2)
        v = rng.integers(0, n, size=size * 2)
        keep = membership[u] != membership[v]
        u, v = u[keep][:size], v[keep][:size]
        return np.minimum(u, v) * n + np.maximum(u, v)

    keys = np.concatenate((_sample_distinct(rng, n_in, draw_in), _sample_distinct(rng, n_out, draw_out)))
    return *np.divmod(keys, n), mixing


# --------------------------------------------------------------------------------------------
# Validation and the public entry point
# --------------------------------------------------------------------------------------------


def _check_edge_meaning(edge_meaning: str, key: str) -> None:
    if edge_meaning not in EDGE_MEANINGS:
        raise NetworkError(
            f"network.{key} must be one of {', '.join(repr(x) for x in EDGE_MEANINGS)} (got {edge_meaning!r})"
        )


def _as_int(value) -> int | None:
    """An integer label given as an int or as its text ('100007'), else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _is_real(x) -> bool:
    return (
        isinstance(x, (int, float, np.integer, np.floating))
        and not isinstance(x, (bool, np.bool_))
        and math.isfinite(x)
    )


def _int_param(name: str, value, ok: bool, rule: str) -> int:
    if not _is_int(value) or not ok:
        raise NetworkError(f"network.{name} must be {rule} (got {value!r})")
    return int(value)


def _probability(name: str, value) -> float:
    if not _is_real(value) or not 0 <= value <= 1:
        raise NetworkError(f"network.{name} must be a probability in [0, 1] (got {value!r})")
    return float(value)


def _share(name: str, value) -> float:
    if not _is_real(value) or not 0 <= value < 1:
        raise NetworkError(f"network.{name} must be a share in [0, 1) (got {value!r})")
    return float(value)


def _mean_degree(value, n: int, name: str = "mean_degree") -> float:
    if not _is_real(value) or not 0 <= value <= n - 1:
        raise NetworkError(f"network.{name} must be a number in [0, population.size - 1 = {n - 1}] (got {value!r})")
    return float(value)


def build_network(
    kind: str,
    n: int,
    rng: np.random.Generator,
    *,
    m: int = 3,
    k: int = 6,
    rewire_p: float = 0.1,
    triad_p: float = 0.5,
    mean_degree: float = 6.0,
    blocks: int = 4,
    mixing: float = 0.05,
    uniform_in: float = 0.3,
    uniform_out: float = 0.5,
    path: str | Path | None = None,
    directed: bool = False,
    edge_meaning: str = "target_sees_source",
    header: bool | str = "auto",
) -> Network:
    """The network of ``kind`` on ``n`` consumers (see ``KINDS``), drawn from ``rng``.

    Only the parameters of the chosen kind are read and checked. For ``file`` the file decides
    the number of consumers, and ``n`` is not checked against it. ``directed`` applies to
    ``file`` only; ``directed_scale_free`` is always a follower graph, the other generated graphs
    undirected friendships.
    """
    if kind not in KINDS:
        raise NetworkError(f"network.kind must be one of {', '.join(KINDS)} (got {kind!r})")
    _check_edge_meaning(edge_meaning, "edge_meaning")
    if kind == "file":
        if path is None or str(path) == "":
            raise NetworkError("network.path must name an edge-list file when network.kind is 'file'")
        return read_edge_list(path, directed=directed, edge_meaning=edge_meaning, header=header)
    if directed:
        raise NetworkError(
            f"network.directed applies only to kind 'file' ({kind!r} graphs are "
            f"{'always directed' if kind == 'directed_scale_free' else 'undirected'})"
        )
    if not _is_int(n) or n < 2 or n > _INT32_MAX:
        raise NetworkError(f"population.size must be an integer >= 2 (got {n!r})")
    n = int(n)
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator")

    if kind == "well_mixed":
        readers = _mean_degree(mean_degree, n)
        return Network(
            n=n,
            indptr=None,
            indices=None,
            well_mixed=True,
            readers_per_post=readers,
            directed=False,
            report={
                "kind": kind,
                "directed": False,
                "nodes": n,
                "edges": 0,
                "isolated_nodes": 0,
                "self_loops_removed": 0,
                "duplicate_edges_removed": 0,
                "mean_degree": readers,
                "max_degree": 0,
                "readers_per_post": readers,
            },
        )

    from . import graphs

    if kind in ("barabasi_albert", "holme_kim"):
        m = _int_param("m", m, _is_int(m) and 1 <= m < n, "an integer >= 1 and < population.size")
        if kind == "barabasi_albert":
            src, dst = graphs.barabasi_albert_edges(n, m, _numba_seed(rng))
            params = {"m": m}
        else:
            p = _probability("triad_p", triad_p)
            src, dst = graphs.holme_kim_edges(n, m, p, _numba_seed(rng))
            params = {"m": m, "triad_p": p}
    elif kind == "watts_strogatz":
        k = _int_param(
            "k",
            k,
            _is_int(k) and k >= 2 and k % 2 == 0 and k < n,
            "an even integer >= 2 and < population.size",
        )
        p = _probability("rewire_p", rewire_p)
        src, dst = graphs.watts_strogatz_edges(n, k, p, _numba_seed(rng))
        params = {"k": k, "rewire_p": p}
    elif kind == "erdos_renyi":
        d = _mean_degree(mean_degree, n)
        src, dst = _erdos_renyi_pairs(rng, n, d / (n - 1))
        params = {"mean_degree_target": d}
    elif kind == "directed_scale_free":
        d = _mean_degree(mean_degree, n)
        if d < 1:
            raise NetworkError(f"network.mean_degree must be >= 1 for directed_scale_free (got {mean_degree!r})")
        s_in, s_out = _share("uniform_in", uniform_in), _share("uniform_out", uniform_out)
        alpha, beta = SCALE_FREE_ALPHA_SHARE / d, 1.0 - 1.0 / d
        # Bollobás' offsets: an end is then drawn uniformly with chance delta / (delta + mean degree).
        delta_in, delta_out = s_in / (1 - s_in) * d, s_out / (1 - s_out) * d
        follower, followed = graphs.directed_scale_free_edges(n, alpha, beta, delta_in, delta_out, _numba_seed(rng))
        params = {"mean_degree_target": d, "alpha": alpha, "beta": beta, "delta_in": delta_in, "delta_out": delta_out}
        # An edge v -> w means v follows w: w's posts reach v.
        return from_edges(
            n,
            followed,
            follower,
            directed=True,
            kind=kind,
            edge_meaning="target_sees_source",
            extra={"params": params},
        )
    else:  # stochastic_block
        b = _int_param(
            "blocks",
            blocks,
            _is_int(blocks) and 1 <= blocks <= n,
            "an integer >= 1 and <= population.size",
        )
        d = _mean_degree(mean_degree, n)
        mix = _probability("mixing", mixing)
        src, dst, mix = _stochastic_block_pairs(rng, n, b, d, mix)
        params = {"blocks": b, "mean_degree_target": d, "mixing": mix}
    return from_edges(n, src, dst, directed=False, kind=kind, extra={"params": params})


# --------------------------------------------------------------------------------------------
# Edge-list files
# --------------------------------------------------------------------------------------------

_PERCENT_COMMENT = re.compile(rb"(?m)^[ \t]*%")
# A field: a double-quoted label (Gephi and spreadsheet exports quote labels with spaces; "" is a quote in it),
# or a run of characters other than whitespace and commas.
_FIELD = re.compile(r'"((?:[^"]|"")*)"|([^\s,]+)')
# Compressed files, by their first bytes: the ones the standard library reads, and the others.
_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"))
_ARCHIVES = (
    (b"PK\x03\x04", "a zip archive"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed"),
    (b"7z\xbc\xaf", "a 7z archive"),
)
# Graph files of other formats, by their first non-blank text: refused rather than read as labels.
_OTHER_FORMATS = (
    (re.compile(r"(?i)<(\?xml|!doctype|!--|html|graphml|gexf)"), "XML or HTML (GraphML, GEXF or a web page)"),
    (re.compile(r'\{\s*["}]|\[\s*[\[{"\]]'), "JSON"),
    (re.compile(r"(?i)\*(vertices|network|arcs|edges)\b"), "a Pajek file"),
    (re.compile(r"(?i)(strict\s+)?(di)?graph\s*[^\s\[]*\s*\{"), "a Graphviz DOT file"),
    (re.compile(r"(?is)(creator\s.*?)?graph\s*\["), "a GML file"),
)


def read_edge_list(
    path, *, directed: bool, edge_meaning: str = "target_sees_source", header: bool | str = "auto"
) -> Network:
    """A network from an edge-list file.

    One link per line, two node labels separated by whitespace and/or a comma (a label with spaces
    in double quotes); further fields (weights, times) are ignored; blank lines and lines starting
    with ``#`` or ``%`` are comments, as is anything after ``#``. A gzip, bz2 or xz file is read
    decompressed; archives and graph files of other formats are refused (``_plain_text``).
    ``header``: whether the first line names the columns (true, false, or ``auto``: when its two
    fields are common column names such as source/target, or when it is the only line of a file of
    integers that is not); the decision is in ``report["header"]``.

    Labels that are all integers are numbered in increasing order (so ids 0..N-1 keep their
    value and 1..N become 0..N-1); otherwise labels are strings numbered in order of first
    appearance. Only labels that appear in the file are consumers; ``Network.labels`` keeps them.
    """
    _check_edge_meaning(edge_meaning, "edge_meaning")
    if not (isinstance(header, bool) or header in HEADER_CHOICES):
        raise NetworkError(f"network.header must be true, false or auto (got {header!r})")
    path = Path(path)
    problem = not_regular(path)
    if problem:
        raise NetworkError(f"network.path: {str(path)!r} {problem}; an edge list is a text file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NetworkError(f"network.path: edge-list file {str(path)!r} not found") from None
    except OSError as exc:
        raise NetworkError(f"network.path: cannot read edge-list file {str(path)!r} ({exc.strerror or exc})") from None
    raw = _plain_text(raw, path)

    first = _first_line(raw)
    decision, ends = "no header line", None
    if first is not None:
        lineno, start, fields = first
        shown = _shown(",".join(fields))
        names = [f.strip("'").lower() for f in fields[:2]]
        skip = header is True
        why = "header = true"
        if header == "auto":
            if len(names) == 2 and all(name in COLUMN_NAMES for name in names):
                skip, why = True, "column names; header = auto"
            elif len(fields) >= 2 and any(_as_int(f) is None for f in fields[:2]):
                ends = _integer_columns(raw[:start] + b"#" + raw[start:])
                ends = ends if ends is not None and ends[0].size else None  # links follow, all numeric
                skip, why = ends is not None, "the only non-numeric line; header = auto"
        if skip:
            _check_column_order(path, lineno, fields, raw[start:].lstrip(b" \t").startswith(b","))
            raw = raw[:start] + b"#" + raw[start:]  # a comment now: line numbers are kept
            decision = f"line {lineno} {shown!r} read as column names ({why})"
        else:
            decision = f"no header line (line {lineno} {shown!r} is a link; header = {str(header).lower()})"

    ends = ends if ends is not None else _integer_columns(raw)
    a, b = ends if ends is not None else _parse_slowly(raw, path, header)  # exact line numbers, string labels
    if a.size == 0:
        raise NetworkError(f"network.path: edge-list file {str(path)!r} has no edges")
    import pandas as pd

    if a.dtype.kind in "iu":
        ends = np.concatenate((a, b))
        labels = _unique_sorted(ends)
        codes = np.searchsorted(labels, ends)
    else:
        codes, labels = pd.factorize(np.column_stack((a, b)).ravel())
        codes = np.concatenate((codes[0::2], codes[1::2]))
        labels = np.asarray(labels, dtype=object)
    n = int(labels.size)
    if n > _INT32_MAX:
        raise NetworkError(f"network.path: edge-list file {str(path)!r} has too many nodes")
    codes = codes.astype(np.int64, copy=False)
    src, dst = codes[: a.size], codes[a.size :]
    integer_labels = a.dtype.kind in "iu"
    net = from_edges(
        n,
        src,
        dst,
        directed=directed,
        kind="file",
        edge_meaning=edge_meaning,
        extra={
            "path": str(path),
            "labels": "sorted integers" if integer_labels else "strings, first appearance",
            "header": decision,
        },
    )
    if not net.report["edges"]:  # every line a self-loop: no one reads anyone
        raise NetworkError(f"network.path: edge-list file {str(path)!r} has no edges besides self-loops")
    return dataclasses.replace(net, labels=labels)


def _shown(text: str, width: int = 60) -> str:
    """A line of a file, shortened for a message."""
    text = text.strip()
    return text if len(text) <= width else text[: width - 3] + "..."


def _plain_text(raw: bytes, path: Path) -> bytes:
    """The file's text: decompressed (gzip, bz2, xz: SNAP ships its edge lists as .txt.gz), without a byte-order mark.

    Archives and compressions the standard library cannot read, and graph files of other formats (GraphML,
    JSON, Pajek, DOT, GML), are refused in one line rather than read as node labels.
    """
    for magic, name in _COMPRESSED:
        if raw.startswith(magic):
            import bz2
            import gzip
            import lzma

            try:
                raw = {"gzip": gzip.decompress, "bz2": bz2.decompress, "xz": lzma.decompress}[name](raw)
            except (OSError, EOFError, ValueError, lzma.LZMAError) as exc:
                raise NetworkError(
                    f"network.path: edge-list file {str(path)!r} is {name}-compressed but cannot be decompressed "
                    f"({exc.__class__.__name__})"
                ) from None
            break
    for magic, name in _ARCHIVES:
        if raw.startswith(magic):
            raise NetworkError(
                f"network.path: edge-list file {str(path)!r} is {name}; give the edge list itself "
                "(a text file, plain or gzip-, bz2- or xz-compressed)"
            )
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark: not part of the first label
    first = _first_line(raw)  # after comment lines (a Pajek file may start with '% ...')
    start = raw[first[1] : first[1] + 4096].decode("utf-8", "replace").lstrip() if first else ""
    for pattern, name in _OTHER_FORMATS:
        if pattern.match(start):
            raise NetworkError(
                f"network.path: edge-list file {str(path)!r} is {name}, not an edge list; write the graph as one "
                "link per line, 'a b' (networkx: write_edgelist)"
            )
    return raw


def _fields(body: str) -> list[str]:
    """The fields of a line's body: separated by whitespace and/or commas, a double-quoted one unquoted."""
    return [plain or quoted.replace('""', '"') for quoted, plain in _FIELD.findall(body)]


def _first_line(raw: bytes) -> tuple[int, int, list[str]] | None:
    """(line number, byte offset, fields) of the first line that is neither blank nor a comment."""
    pos, lineno = 0, 0
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        end = len(raw) if end < 0 else end
        lineno += 1
        body = raw[pos:end].split(b"#", 1)[0].strip()
        if body and not body.startswith(b"%"):
            return lineno, pos, _fields(body.decode("utf-8", "replace"))
        pos = end + 1
    return None


def _check_column_order(path: Path, lineno: int, names: list[str], unnamed_first: bool) -> None:
    """NetworkError when a header line shows that the link's ends are not its first two columns.

    The first two columns are read as the ends: a table saved with its index (pandas' to_csv: ',source,target'
    or 'Unnamed: 0,source,target') or with another column first ('weight,source,target') would be read as
    links between wrong consumers.
    """
    lower = [name.lower() for name in names]
    later = [name for name in lower[2:] if name in COLUMN_NAMES]
    if unnamed_first or (later and not all(name in COLUMN_NAMES for name in lower[:2])):
        found = ", ".join(name for name in lower if name in COLUMN_NAMES)
        what = "the first column has no name" if unnamed_first else f"the columns {found} are not the first two"
        raise NetworkError(
            f"network.path: edge-list file {str(path)!r} line {lineno}: {what}; the first two columns are read as "
            "the link's ends (save the table without its index, the ends first)"
        )


def _integer_columns(raw: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """The two label columns of a file of integer labels, read fast; None if it is not one."""
    import pandas as pd

    data = _PERCENT_COMMENT.sub(b"#", raw).replace(b",", b" ")
    try:
        frame = pd.read_csv(io.BytesIO(data), sep=r"\s+", header=None, comment="#", engine="c", skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError):
        return None
    if frame.shape[1] < 2 or frame.iloc[:, :2].isna().any().any():
        return None
    a, b = frame.iloc[:, 0].to_numpy(), frame.iloc[:, 1].to_numpy()
    return (a, b) if a.dtype.kind in "iu" and b.dtype.kind in "iu" else None


def _parse_slowly(raw: bytes, path: Path, header: bool | str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Line-by-line parse: the label columns, or NetworkError naming the first bad line.

    Unless ``header`` is false, a line of column names after the first link (two files joined) is refused
    rather than read as two consumers.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NetworkError(f"network.path: edge-list file {str(path)!r} is not UTF-8 text (byte {exc.start})") from None
    first, second = [], []
    for lineno, line in enumerate(text.splitlines(), start=1):
        body = line.split("#", 1)[0].strip()
        if not body or body.startswith("%"):
            continue
        fields = _fields(body)
        if any(f.startswith('"') for f in fields):  # a quoted label is unquoted: this quote was never closed
            raise NetworkError(
                f"network.path: edge-list file {str(path)!r} line {lineno}: a double quote is not closed "
                '(a quoted label is "like this")'
            )
        if len(fields) < 2:  # the line itself is not quoted: a message never echoes a file's content
            hint = "; '#' starts a comment" if "#" in line else ""
            raise NetworkError(
                f"network.path: edge-list file {str(path)!r} line {lineno}: expected two node "
                f"labels separated by whitespace or a comma (found {len(fields)} field{hint})"
            )
        if header is not False and first and all(f.lower() in COLUMN_NAMES for f in fields[:2]):
            raise NetworkError(
                f"network.path: edge-list file {str(path)!r} line {lineno}: column names after the first link "
                "(two files joined?); remove the line, or set network.header = false if they are consumers"
            )
        first.append(fields[0])
        second.append(fields[1])
    a = np.array(first, dtype=object)
    b = np.array(second, dtype=object)
    try:
        if a.size:
            ai, bi = np.array(first, dtype=np.int64), np.array(second, dtype=np.int64)
            return ai, bi
    except (ValueError, OverflowError):
        pass
    return a, b


@functools.lru_cache(maxsize=8)
def cached_edge_list(path: str, directed: bool, edge_meaning: str, header: bool | str = "auto") -> Network:
    """An edge-list network read once per process (every run of an experiment shares it)."""
    return read_edge_list(path, directed=directed, edge_meaning=edge_meaning, header=header)
