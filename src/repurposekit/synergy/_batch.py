"""Screen-scale scoring: chunks of blocks through the vectorised kernels, in parallel with Dask."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from repurposekit._provenance import settings as _settings
from repurposekit.synergy._score import METHODS, SynergyScores, score_synergy

__all__ = ["score_screen"]


def _chunks(data: pd.DataFrame, n_chunks: int) -> list[pd.DataFrame]:
    """Split a table into ``n_chunks`` contiguous groups of whole blocks (no per-block loop)."""
    codes, uniques = pd.factorize(data["block_id"], sort=False)
    n_chunks = max(1, min(n_chunks, len(uniques)))
    if n_chunks == 1:
        return [data]
    part = codes * n_chunks // max(len(uniques), 1)  # chunk of each row, by block order
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(n_chunks + 1))
    return [data.iloc[order[bounds[i] : bounds[i + 1]]] for i in range(n_chunks)]


def _score_chunk(chunk: pd.DataFrame, kwargs: dict[str, Any]) -> SynergyScores:
    try:
        return score_synergy(chunk, **kwargs)
    except Exception as exc:  # one bad chunk is reported per block, not fatal
        err = pd.DataFrame(
            {"block_id": pd.unique(chunk["block_id"]), "error": f"{type(exc).__name__}: {exc}"}
        )
        return SynergyScores(blocks=pd.DataFrame(), cells=pd.DataFrame(), errors=err)


def score_screen(
    data: pd.DataFrame,
    *,
    methods: Sequence[str] = METHODS,
    chunk_size: int | None = None,
    scheduler: str | None = "processes",
    n_workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    **kwargs: Any,
) -> SynergyScores:
    """Score a whole screen: blocks in chunks through the vectorised kernels, chunks in parallel.

    Parameters
    ----------
    data : DataFrame
        Tidy synergy table of many blocks (see :func:`score_synergy`).
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
        Passed to :func:`score_synergy` (``replicates``, ``correct_baseline`` …).

    Returns
    -------
    SynergyScores
        Same numbers as a serial :func:`score_synergy` call; failed blocks in ``errors``.
    """
    import os

    kw = dict(kwargs, methods=list(methods))
    serial = scheduler in (None, "serial", "sync")
    workers = 1 if serial else int(n_workers or os.cpu_count() or 1)
    n_blocks = int(data["block_id"].nunique())
    n_chunks = workers
    if chunk_size:
        n_chunks = max(n_chunks, -(-n_blocks // max(1, int(chunk_size))))
    chunks = _chunks(data, n_chunks)
    total = len(chunks)
    results: list[SynergyScores] = []
    if serial or total <= 1:
        for i, ch in enumerate(chunks):
            results.append(_score_chunk(ch, kw))
            if on_progress:
                on_progress(i + 1, total)
    else:
        from distributed import Client, LocalCluster, as_completed

        own_cluster = None
        if isinstance(scheduler, Client):
            client = scheduler
        elif isinstance(scheduler, str) and "://" in scheduler:
            client = Client(scheduler)
        else:
            own_cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=scheduler != "threads",
                dashboard_address=None,
            )
            client = Client(own_cluster)
        try:
            if own_cluster is None and not n_workers:
                workers = max(1, len(client.scheduler_info().get("workers", {})))
                n_chunks = workers
                if chunk_size:
                    n_chunks = max(n_chunks, -(-n_blocks // max(1, int(chunk_size))))
                chunks = _chunks(data, n_chunks)
                total = len(chunks)
            futures = [client.submit(_score_chunk, ch, kw, pure=False) for ch in chunks]
            index = {f.key: i for i, f in enumerate(futures)}
            slots: list[SynergyScores | None] = [None] * total
            for done, fut in enumerate(as_completed(futures), start=1):
                slots[index[fut.key]] = fut.result()
                if on_progress:
                    on_progress(done, total)
            results = [r for r in slots if r is not None]
        finally:
            if own_cluster is not None:
                client.close()
                own_cluster.close()
            elif not isinstance(scheduler, Client):
                client.close()
    blocks = (
        pd.concat([r.blocks for r in results if len(r.blocks)], ignore_index=True)
        if results
        else pd.DataFrame()
    )
    cells = (
        pd.concat([r.cells for r in results if len(r.cells)], ignore_index=True)
        if results
        else pd.DataFrame()
    )
    errs = [r.errors for r in results if len(r.errors)]
    errors = (
        pd.concat(errs, ignore_index=True) if errs else pd.DataFrame(columns=["block_id", "error"])
    )
    return SynergyScores(
        blocks=blocks,
        cells=cells,
        errors=errors,
        settings=_settings(
            data, methods=list(methods), chunk_size=chunk_size, scheduler=str(scheduler), **kwargs
        ),
    )
