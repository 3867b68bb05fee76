"""Screen-scale scoring: chunks of blocks through the vectorised kernels, in parallel with Dask.

The table is turned into plain arrays once (block codes, doses, responses, zero-dose
surrogates); each Dask task gets the arrays of one contiguous range of blocks and returns
column arrays, so no pandas object crosses a process boundary and the result tables are
built once, by the caller. Workers load the compiled LL.4 engine (numba's on-disk cache)
once, in a warm-up run before the first task.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from repurposekit._provenance import settings as _settings
from repurposekit.synergy._score import (
    METHODS,
    SynergyScores,
    _as_arrays,
    _bad_block_errors,
    _check_options,
    _drug_names,
    _frame,
    _scalar,
    _score_arrays,
    drug_columns,
)

__all__ = ["score_screen"]

_OPTIONS = ("replicates", "n_boot", "confidence_level", "correct_baseline", "sensitivity", "loewe")
_WARMED = False


def _warm() -> bool:
    """Load every compiled kernel the scoring uses (once per process; cheap afterwards).

    Scores two small synthetic blocks with every method, so the LL.4 engine's compiled
    functions come from numba's disk cache before the first real task is timed, and imports
    the LL.4 fall-back's optimiser.
    """
    global _WARMED
    if not _WARMED:
        import scipy.optimize  # noqa: F401  (the LL.4 engine's per-curve fall-back)

        d = np.array([0.0, 1e-8, 1e-7, 1e-6])
        g1, g2 = np.meshgrid(d, d, indexing="ij")
        e1, e2 = g1 / (g1 + 1e-7), g2 / (g2 + 3e-7)
        y = 100 * (1 - (1 - e1) * (1 - e2))
        y = np.concatenate([y.ravel(), (y + np.where(g1 * g2 > 0, 7.0, 0.0)).ravel()[::-1]])
        dose = np.tile(np.column_stack([g1.ravel(), g2.ravel()]), (2, 1))
        codes = np.repeat(np.arange(2), 16)
        _score_arrays(codes, 2, dose, y, np.full((2, 2), 1e-16), methods=list(METHODS))
        _WARMED = True
    return _WARMED


def _score_chunk(
    arrays: tuple[np.ndarray, int, np.ndarray, np.ndarray, np.ndarray], opts: dict[str, Any]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray, list[tuple[int, str]]]:
    """One task: :func:`_score_arrays` on one range of blocks; a crash fails its blocks only.

    ``arrays`` is ``(codes, nb, dose, y, zero)`` of the range (codes from 0).
    """
    codes, nb, dose, y, zero = arrays
    try:
        return _score_arrays(codes, nb, dose, y, zero, **opts)
    except Exception as exc:  # one bad chunk is reported per block, not fatal
        msg = f"{type(exc).__name__}: {exc}"
        return {}, {}, np.zeros(nb, dtype=bool), [(b, msg) for b in range(nb)]


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate column dicts of consecutive block ranges (already in block order)."""
    parts = [p for p in parts if p]
    if not parts:
        return {}
    names = list(dict.fromkeys(n for p in parts for n in p))
    return {
        n: np.concatenate([p[n] if n in p else np.full(p["_code"].size, np.nan) for p in parts])
        for n in names
    }


def _client_for(scheduler, workers: int):
    """(client, own_cluster) for a scheduler option; own_cluster is None unless we made one."""
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        return scheduler, None
    if isinstance(scheduler, str) and "://" in scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=scheduler != "threads",
        dashboard_address=None,
    )
    return Client(cluster), cluster


def score_screen(
    data: pd.DataFrame,
    *,
    methods: Sequence[str] = METHODS,
    chunk_size: int | None = None,
    scheduler: Any = "processes",
    n_workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    **kwargs: Any,
) -> SynergyScores:
    """Score a whole screen: blocks in chunks through the vectorised kernels, chunks in parallel.

    Parameters
    ----------
    data : DataFrame
        Tidy synergy table of many blocks (see :func:`score_synergy`). Not modified.
    methods : sequence of str
        Reference models.
    chunk_size : int, optional
        Largest number of blocks per task. Default: one chunk per worker, since each chunk
        runs through the vectorised kernels as one batch (few large chunks beat many small
        ones).
    scheduler : str or distributed.Client or None
        ``"processes"`` (default: a local Dask cluster of processes), ``"threads"``,
        ``"serial"`` / None (no Dask), an address ``"tcp://host:8786"`` of an existing Dask
        scheduler, or a ``distributed.Client``.
    n_workers : int, optional
        Workers of the local cluster (default: CPU count).
    on_progress : callable, optional
        Called as ``on_progress(done, total)`` after each chunk.
    **kwargs
        Passed to :func:`score_synergy` (``replicates``, ``n_boot``, ``confidence_level``,
        ``correct_baseline``, ``sensitivity``, ``loewe``, ``rng``).

    Returns
    -------
    SynergyScores
        Same numbers as a serial :func:`score_synergy` call; failed blocks in ``errors``.
        With ``replicates="bootstrap"`` each chunk draws from its own generator spawned from
        ``rng``, so the resamples depend on the chunking (reproducible for a given seed and
        chunk count).

    Notes
    -----
    The table becomes plain arrays once; each task receives the arrays of one contiguous
    range of blocks and returns column arrays (no pandas objects are shipped), and the
    tables are assembled once at the end. Before the first task every worker loads the
    compiled LL.4 engine from numba's disk cache in a small warm-up run, so no task pays
    for it. Within a worker the engine runs single-threaded (Dask tasks run off the main
    thread), so two workers use two cores without oversubscription.
    """
    import os

    unknown = sorted(set(kwargs) - set(_OPTIONS) - {"rng"})
    if unknown:
        msg = f"score_screen got unexpected option(s) {unknown}; use {sorted(_OPTIONS)} or rng."
        raise TypeError(msg)
    opts = {key: kwargs[key] for key in _OPTIONS if key in kwargs}
    methods = _check_options(
        methods,
        opts.get("replicates", "mean"),
        opts.get("correct_baseline", "non"),
        opts.get("loewe", "synergyfinder"),
    )
    opts["methods"] = methods
    k = drug_columns(data)
    arr = _as_arrays(data, k)
    nb = arr["nb"]
    serial = scheduler in (None, "serial", "sync")
    client = cluster = None
    if not serial:
        client, cluster = _client_for(scheduler, int(n_workers or os.cpu_count() or 1))
    try:
        if serial:
            workers = 1
        elif cluster is None and not n_workers:
            workers = max(1, len(client.scheduler_info().get("workers", {})))
        else:
            workers = int(n_workers or os.cpu_count() or 1)
        n_chunks = workers
        if chunk_size:
            n_chunks = max(n_chunks, -(-nb // max(1, int(chunk_size))))
        n_chunks = max(1, min(n_chunks, nb))
        # contiguous ranges of block codes, rows gathered through one stable sort
        edges = (np.arange(n_chunks + 1) * nb) // n_chunks
        order = np.argsort(arr["codes"], kind="stable")
        row_edges = np.searchsorted(arr["codes"][order], edges)
        rng = kwargs.get("rng")
        gens: list[Any] = [None] * n_chunks
        if opts.get("replicates", "mean") == "bootstrap":
            base = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
            gens = base.spawn(n_chunks) if n_chunks > 1 else [base]

        def arrays(i: int) -> tuple:
            rows = order[row_edges[i] : row_edges[i + 1]]
            lo, hi = int(edges[i]), int(edges[i + 1])
            codes = arr["codes"][rows] - lo
            return codes, hi - lo, arr["dose"][rows], arr["y"][rows], arr["zero"][lo:hi]

        slots: list[Any] = [None] * n_chunks
        if serial:
            for i in range(n_chunks):
                slots[i] = _score_chunk(arrays(i), {**opts, "rng": gens[i]})
                if on_progress:
                    on_progress(i + 1, n_chunks)
        else:
            from distributed import as_completed

            client.run(_warm)  # every worker loads the compiled engine once, before tasks
            # numpy arrays only, scattered (not embedded in the task graph); the task then
            # runs where its data is
            data_futures = client.scatter([arrays(i) for i in range(n_chunks)], hash=False)
            futures = [
                client.submit(_score_chunk, df, {**opts, "rng": gens[i]}, pure=False)
                for i, df in enumerate(data_futures)
            ]
            index = {f.key: i for i, f in enumerate(futures)}
            for done, fut in enumerate(as_completed(futures), start=1):
                slots[index[fut.key]] = fut.result()
                if on_progress:
                    on_progress(done, n_chunks)
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
        elif client is not None and client is not scheduler:
            client.close()
    # back to global block codes, then one table each
    bparts, cparts, failed = [], [], []
    bad = np.zeros(nb, dtype=bool)
    for i, (bcols, ccols, bad_i, failed_i) in enumerate(slots):
        lo = int(edges[i])
        for cols, store in ((bcols, bparts), (ccols, cparts)):
            if cols:
                store.append({**cols, "_code": cols["_code"] + lo})
        bad[lo : lo + bad_i.size] = bad_i
        failed.extend((c + lo, msg) for c, msg in failed_i)
    errors = _bad_block_errors(data, arr["codes"], arr["ids"], bad, k)
    errors += [{"block_id": _scalar(arr["ids"][c]), "error": m} for c, m in failed]
    names = _drug_names(data, arr["first_row"], k)
    return SynergyScores(
        blocks=_frame(_concat(bparts), arr["ids"], names, k),
        cells=_frame(_concat(cparts), arr["ids"], names, k),
        errors=pd.DataFrame(errors, columns=["block_id", "error"]),
        settings=_settings(
            data,
            methods=list(methods),
            chunk_size=chunk_size,
            scheduler=str(scheduler),
            **{key: val for key, val in kwargs.items() if key != "rng"},
        ),
    )
