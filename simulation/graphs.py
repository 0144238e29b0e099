"""Compiled graph rules: follower lists from edges, and the generators whose rule is sequential.

numba earns its place here: preferential attachment is sequential; 1M nodes take seconds instead
of ~22 s for networkx. The jitted functions seed numba's own generator from a seed drawn from the
caller's numpy Generator (numba uses its low 32 bits). `simulation.network` builds networks with
them; a module of its own so that naming network kinds (loading a scenario) does not import numba.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def csr(n, poster, reader, directed):
    """Follower lists from edges: (indptr, indices, self-loops, repeated edges, isolated consumers).

    Row i lists, sorted and once each, the consumers who see i's posts: reader[j] for each edge j
    whose poster[j] is i, and undirected also poster[j] where reader[j] is i. Self-loops and
    repeated edges (undirected: in either direction) are dropped and counted; isolated consumers
    have no link either way. A counting sort (linear; numpy's sort of edge keys took most of a
    small run's set-up).
    """
    m = len(poster)
    deg = np.zeros(n + 1, np.int64)
    loops = 0
    for j in range(m):
        a, b = poster[j], reader[j]
        if a == b:
            loops += 1
            continue
        deg[a + 1] += 1
        if not directed:
            deg[b + 1] += 1
    for i in range(n):
        deg[i + 1] += deg[i]
    fill = deg[:n].copy()
    cols = np.empty(deg[n], np.int32)
    for j in range(m):
        a, b = poster[j], reader[j]
        if a == b:
            continue
        cols[fill[a]] = b
        fill[a] += 1
        if not directed:
            cols[fill[b]] = a
            fill[b] += 1
    indptr = np.zeros(n + 1, np.int64)
    w = 0
    seen = np.zeros(n, np.bool_)
    for i in range(n):  # sort each row, keep each follower once
        a, b = deg[i], deg[i + 1]
        if b - a > 24:
            cols[a:b] = np.sort(cols[a:b])
        else:  # insertion sort: most rows are short
            for t in range(a + 1, b):
                x = cols[t]
                u = t - 1
                while u >= a and cols[u] > x:
                    cols[u + 1] = cols[u]
                    u -= 1
                cols[u + 1] = x
        for t in range(a, b):
            if t == a or cols[t] != cols[t - 1]:
                cols[w] = cols[t]
                w += 1
                seen[cols[t]] = True
        indptr[i + 1] = w
    isolated = 0
    for i in range(n):
        if indptr[i + 1] == indptr[i] and not seen[i]:
            isolated += 1
    edges = w if directed else w // 2
    return indptr, cols[:w].copy(), loops, m - loops - edges, isolated


@njit(cache=True, inline="always")
def _preferential_targets(repeated, r, targets):
    # Preferential attachment: len(targets) distinct nodes, each drawn uniformly from the first
    # r entries of `repeated` (a list holding each node once per link end, so with probability
    # proportional to degree), redrawing repeats; in the order drawn.
    c = 0
    while c < len(targets):
        x = repeated[np.random.randint(0, r)]
        if not _among(targets, c, x):
            targets[c] = x
            c += 1


@njit(cache=True, inline="always")
def _among(values, count, x):
    """Whether x is one of the first `count` values (a short linear scan)."""
    for q in range(count):
        if values[q] == x:
            return True
    return False


@njit(cache=True)
def barabasi_albert_edges(n, m, seed):
    """Edges of a Barabási–Albert graph (as networkx 3.x draws it), from numba's generator seeded by `seed`.

    Barabási–Albert (networkx 3.x): star on m+1 nodes, then each new node links to m distinct
    existing nodes drawn with probability proportional to degree (uniform over a list holding
    each node once per link end).
    """
    np.random.seed(seed)
    n_edges = m * (n - m)
    src = np.empty(n_edges, np.int32)
    dst = np.empty(n_edges, np.int32)
    repeated = np.empty(2 * n_edges, np.int32)
    e = 0
    r = 0
    for j in range(1, m + 1):
        src[e] = 0
        dst[e] = j
        e += 1
        repeated[r] = 0
        repeated[r + 1] = j
        r += 2
    targets = np.empty(m, np.int32)
    for source in range(m + 1, n):
        _preferential_targets(repeated, r, targets)
        for q in range(m):
            src[e] = source
            dst[e] = targets[q]
            e += 1
            repeated[r] = targets[q]
            r += 1
        for q in range(m):
            repeated[r] = source
            r += 1
    return src, dst


@njit(cache=True)
def holme_kim_edges(n, m, p, seed):
    """Edges of a Holme–Kim graph (as networkx's powerlaw_cluster_graph), from numba's generator.

    Holme–Kim (networkx powerlaw_cluster_graph): start from m isolated nodes; each new node
    makes one preferential link, then m-1 more, each either a triad-formation link (prob p:
    to a random neighbour of the last preferential target not yet linked) or the next
    preferential target. Targets are used in the order drawn, as in Holme & Kim (2002):
    networkx pops them from a set, in an order set by node id that favours nodes 0..7, the
    first hubs (same degree distribution, transitivity 0.067 instead of 0.078 at n=2000, m=3,
    p=0.5).
    """
    np.random.seed(seed)
    max_edges = m * (n - m)
    src = np.empty(max_edges, np.int32)
    dst = np.empty(max_edges, np.int32)
    repeated = np.empty(m + 2 * max_edges, np.int32)
    head = np.full(n, -1, np.int64)  # adjacency as linked lists over link ends
    nxt = np.empty(2 * max_edges, np.int64)
    end = np.empty(2 * max_edges, np.int32)
    candidates = np.empty(n, np.int32)
    targets = np.empty(m, np.int32)
    linked = np.empty(m, np.int32)  # the new node's links so far
    r = 0
    for i in range(m):
        repeated[r] = i
        r += 1
    e = 0
    for source in range(m, n):
        _preferential_targets(repeated, r, targets)
        popped = 0
        n_linked = 0
        count = 0
        target = targets[0]
        while count < m:
            node = -1
            if count > 0 and np.random.random() < p:
                nc = 0
                k = head[target]
                while k != -1:
                    v = end[k]
                    if v != source and not _among(linked, n_linked, v):
                        candidates[nc] = v
                        nc += 1
                    k = nxt[k]
                if nc > 0:
                    node = candidates[np.random.randint(0, nc)]
            if node == -1:
                target = targets[popped]
                popped += 1
                node = target
            if not _among(linked, n_linked, node):
                src[e] = source
                dst[e] = node
                nxt[2 * e] = head[source]
                end[2 * e] = node
                head[source] = 2 * e
                nxt[2 * e + 1] = head[node]
                end[2 * e + 1] = source
                head[node] = 2 * e + 1
                e += 1
                linked[n_linked] = node
                n_linked += 1
            repeated[r] = node
            r += 1
            count += 1
        for q in range(m):
            repeated[r] = source
            r += 1
    return src[:e], dst[:e]


@njit(cache=True)
def _slot(table, key, mask):
    """Linear-probing slot of ``key`` in ``table`` (the key or the first empty slot)."""
    h = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    i = np.int64(h >> np.uint64(20)) & mask
    while table[i] != -1 and table[i] != key:
        i = (i + 1) & mask
    return i


@njit(cache=True)
def _unset(table, key, mask):
    """Remove ``key`` with backward-shift deletion (no tombstones)."""
    i = _slot(table, key, mask)
    if table[i] == -1:
        return
    j = i
    while True:
        table[i] = -1
        while True:
            j = (j + 1) & mask
            if table[j] == -1:
                return
            h = np.uint64(table[j]) * np.uint64(0x9E3779B97F4A7C15)
            home = np.int64(h >> np.uint64(20)) & mask
            # move table[j] back unless its home lies cyclically in (i, j]
            if i <= j:
                if i < home <= j:
                    continue
            elif home > i or home <= j:
                continue
            break
        table[i] = table[j]
        i = j


@njit(cache=True)
def watts_strogatz_edges(n, k, p, seed):
    """Edges of a Watts–Strogatz graph (as networkx draws it), from numba's generator.

    Watts–Strogatz (networkx): ring lattice, each node linked to its k/2 nearest neighbours
    on each side; then, ring distance by ring distance and node by node, each link's far end
    is moved with probability p to a uniform node, avoiding self-loops and existing links.
    """
    np.random.seed(seed)
    half = k // 2
    n_edges = n * half
    src = np.empty(n_edges, np.int32)
    dst = np.empty(n_edges, np.int32)
    degree = np.full(n, k, np.int64)
    cap = 1
    while cap < 2 * n_edges:
        cap *= 2
    mask = cap - 1
    table = np.full(cap, -1, np.int64)
    for j in range(1, half + 1):
        for u in range(n):
            v = (u + j) % n
            e = (j - 1) * n + u
            src[e] = u
            dst[e] = v
            a, b = min(u, v), max(u, v)
            table[_slot(table, a * n + b, mask)] = a * n + b
    for j in range(1, half + 1):
        for u in range(n):
            if np.random.random() < p:
                e = (j - 1) * n + u
                v = dst[e]
                w = np.random.randint(0, n)
                skip = False
                while True:
                    a, b = min(u, w), max(u, w)
                    if w != u and table[_slot(table, a * n + b, mask)] == -1:
                        break
                    w = np.random.randint(0, n)
                    if degree[u] >= n - 1:
                        skip = True
                        break
                if skip:
                    continue
                a, b = min(u, v), max(u, v)
                _unset(table, a * n + b, mask)
                a, b = min(u, w), max(u, w)
                table[_slot(table, a * n + b, mask)] = a * n + b
                degree[v] -= 1
                degree[w] += 1
                dst[e] = w
    return src, dst


@njit(cache=True, inline="always")
def _choose_by_degree(ends, e, nodes, delta):
    # A node with probability proportional to its degree plus delta: uniform over the nodes with
    # probability nodes * delta / (nodes * delta + e), else the end of a uniformly drawn edge.
    if delta > 0:
        bias = nodes * delta
        if np.random.random() < bias / (bias + e):
            return np.random.randint(0, nodes)
    return ends[np.random.randint(0, e)]


@njit(cache=True)
def directed_scale_free_edges(n, alpha, beta, delta_in, delta_out, seed):
    """Follower edges of a directed scale-free graph (as networkx's scale_free_graph).

    Bollobás, Borgs, Chayes & Riordan (2003), as networkx's scale_free_graph: from the 3-cycle
    0 -> 1 -> 2 -> 0, each step adds one edge v -> w: with chance alpha from a new node v to an
    existing w chosen by in-degree + delta_in; with chance beta between existing nodes (v by
    out-degree + delta_out, w by in-degree + delta_in); else from an existing v (by out-degree)
    to a new node w. Until there are n nodes.
    """
    np.random.seed(seed)
    cap = int(3 + (n - 3) / (1.0 - beta) * 1.1 + 10 * np.sqrt(n / (1.0 - beta)) + 16)
    src = np.empty(cap, np.int32)
    dst = np.empty(cap, np.int32)
    src[0], src[1], src[2] = 0, 1, 2
    dst[0], dst[1], dst[2] = 1, 2, 0
    e, nodes = 3, 3
    while nodes < n:
        if e == cap:  # more edges than expected: grow
            cap *= 2
            src2, dst2 = np.empty(cap, np.int32), np.empty(cap, np.int32)
            src2[:e], dst2[:e] = src[:e], dst[:e]
            src, dst = src2, dst2
        r = np.random.random()
        if r < alpha:
            v = nodes
            nodes += 1
            w = _choose_by_degree(dst, e, nodes, delta_in)
        elif r < alpha + beta:
            v = _choose_by_degree(src, e, nodes, delta_out)
            w = _choose_by_degree(dst, e, nodes, delta_in)
        else:
            v = _choose_by_degree(src, e, nodes, delta_out)
            w = nodes
            nodes += 1
        src[e], dst[e] = v, w
        e += 1
    return src[:e], dst[:e]
