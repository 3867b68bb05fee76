"""Screen-scale scoring: chunks of blocks through the vectorised kernels, in parallel with Dask."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from repurposekit._provenance import settings as _settings
from repurposekit.synergy._score import METHODS, SynergyScores, score_synergy

__all__ = ["score_screen"]


def _chunks(data: pd.DataFrame, chunk_size: int) -> list[pd.DataFrame]:
    ids = pd.unique(data["block_id"])
    groups = data.groupby("block_id", sort=False).indices
    out = []
    for start in range(0, len(ids), chunk_size):
        rows = np.concatenate([groups[b] for b in ids[start : start + chunk_size]])
        out.append(data.iloc[np.sort(rows)])
    return out


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
    chunk_size: int = 500,
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
    chunk_size : int
        Blocks per task.
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
    kw = dict(kwargs, methods=list(methods))
    chunks = _chunks(data, max(1, int(chunk_size)))
    total = len(chunks)
    results: list[SynergyScores] = []
    if scheduler in (None, "serial", "sync") or total <= 1:
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
                n_workers=n_workers,
                threads_per_worker=1,
                processes=scheduler != "threads",
                dashboard_address=None,
            )
            client = Client(own_cluster)
        try:
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
