"""Optimal partition of a sequence into segments by dynamic programming.

In: a ``(n, n)`` Gram matrix of unit vectors and their ``(n,)`` weights. Out: segment
start indices. Used by :mod:`transcribe.chapters` for chapters and for parts.

The cost of a segment is its weighted scatter ``sum w_i |x_i - mean|^2`` (a Gaussian
mean-shift model); the partition minimising the total cost, with a penalty per segment
or a fixed number of segments, is found exactly (Fragkou, Petridis & Kehagias, 2004,
"A Dynamic Programming Algorithm for Linear Text Segmentation", J. Intelligent
Information Systems 23(2); the penalised form is the "optimal partitioning" of
Jackson et al., 2005, IEEE Signal Processing Letters 12(2)). Costs of all ``(a, b)``
segments come from cumulative sums of the Gram matrix in ``O(n²)``; the fixed-count DP
is vectorised, ``O(K·n²)``.
"""

from __future__ import annotations

import numpy as np


def scatter_costs(gram: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``(n+1, n+1)`` float32: ``C[a, b]`` = weighted scatter ``sum w_i |x_i - mean|^2`` of units
    ``a..b-1`` (``a < b``), else inf, from the units' ``(n, n)`` Gram matrix ``x_i · x_j``."""
    n = len(weights)
    w = weights.astype(np.float64)
    cw = np.concatenate([[0.0], np.cumsum(w)])
    diag = np.concatenate([[0.0], np.cumsum(w * np.diag(gram))])
    s = np.zeros((n + 1, n + 1))
    s[1:, 1:] = np.cumsum(np.cumsum(gram * w[:, None] * w[None, :], axis=0), axis=1)
    d = np.diag(s)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = d[None, :] - s - s.T + d[:, None]  # sum of w_i w_j x_i·x_j over a..b-1
        cost = (diag[None, :] - diag[:, None]) - inner / (cw[None, :] - cw[:, None])
    upper = np.triu(np.ones((n + 1, n + 1), dtype=bool), k=1)
    return np.where(upper, np.maximum(cost, 0.0), np.inf).astype(np.float32)


def optimal_partition(cost: np.ndarray, penalty: float, bonus: np.ndarray | None = None,
                      k: int | None = None) -> list[int] | None:
    """Chapter starts (unit indices > 0) minimising ``sum C[a, b] + penalty·K - bonus[starts]``.

    Args:
        cost: ``(n+1, n+1)`` segment costs, inf where a segment is not allowed.
        penalty: cost of each chapter (ignored when ``k`` is given).
        bonus: ``(n+1,)`` reduction for a chapter starting at each index, or None.
        k: exact number of chapters, or None to choose it.

    Returns:
        Sorted start indices, or None when no partition satisfies the constraints.
    """
    n = cost.shape[0] - 1
    gain = np.zeros(n + 1) if bonus is None else bonus.astype(np.float64).copy()
    gain[0] = 0.0
    if k is not None:
        totals, args = partitions_by_count(cost, k, gain)
        return backtrack(args, k) if np.isfinite(totals[k - 1]) else None
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    arg = np.zeros(n + 1, dtype=int)
    for b in range(1, n + 1):
        v = best[:b] + cost[:b, b] + penalty - gain[:b]
        j = int(np.argmin(v))
        best[b], arg[b] = v[j], j
    if not np.isfinite(best[n]):
        return None
    starts, b = [], n
    while b > 0:
        b = int(arg[b])
        if b > 0:
            starts.append(b)
    return sorted(starts)


def partitions_by_count(cost: np.ndarray, kmax: int, gain: np.ndarray | None = None
                        ) -> tuple[np.ndarray, list[np.ndarray]]:
    """The optimal partitions into 1..``kmax`` segments in one pass.

    Returns:
        ``totals``: ``(kmax,)`` least total cost with ``k = 1..kmax`` segments (inf: impossible);
        ``args``: back-pointers for :func:`backtrack`.
    """
    n = cost.shape[0] - 1
    gain = np.zeros(n + 1) if gain is None else gain
    prev = np.full(n + 1, np.inf)
    prev[0] = 0.0
    args, totals = [], []
    cols = np.arange(n + 1)
    for _ in range(kmax):
        total = (prev - gain)[:, None].astype(np.float32) + cost
        arg = np.argmin(total, axis=0)
        prev = total[arg, cols].astype(np.float64)
        args.append(arg)
        totals.append(prev[n])
    return np.array(totals), args


def backtrack(args: list[np.ndarray], k: int) -> list[int]:
    """Segment starts (> 0) of the optimal ``k``-segment partition from :func:`partitions_by_count`."""
    starts, b = [], len(args[0]) - 1
    for arg in reversed(args[:k]):
        b = int(arg[b])
        if b > 0:
            starts.append(b)
    return sorted(starts)
