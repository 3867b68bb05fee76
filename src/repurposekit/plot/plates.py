"""Plate figures: heatmaps of raw or normalised signal with control wells and the QC verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from repurposekit.plot._style import get_ax

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from repurposekit.plates import PlateResult

__all__ = ["plate_heatmap", "plate_heatmap_panel"]

_SHAPES = {96: (8, 12), 384: (16, 24), 1536: (32, 48)}
_ROLE_MARK = {"blank": "B", "vehicle": "V", "positive": "P"}


def _row_idx(r: str) -> int:
    return ord(r[-1]) - ord("A") + (26 if len(r) == 2 else 0)


def plate_heatmap(
    result: PlateResult,
    *,
    ax: Axes | None = None,
    plate: str | None = None,
    value: str = "viability_percent",
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    mark_controls: bool = True,
    colorbar: bool = True,
    **kwargs: Any,
) -> Axes:
    """Heatmap of one plate in its physical layout.

    Parameters
    ----------
    result : PlateResult
        From :func:`repurposekit.plates.normalize_plates`.
    plate : str, optional
        Which plate (default the first).
    value : str
        ``"viability_percent"`` (default), ``"value"`` (raw signal) or any well column.
    mark_controls : bool
        Letter the control wells: B blank, V vehicle, P positive control.

    Returns
    -------
    matplotlib.axes.Axes
        The title carries the plate's Z′ and its QC verdict (FAILED QC in red).
    """
    wells = result.wells
    plate = plate if plate is not None else wells["plate"].iloc[0]
    grp = wells[wells["plate"] == plate]
    if grp.empty:
        msg = f"no plate {plate!r}; plates are {list(dict.fromkeys(wells['plate']))}"
        raise ValueError(msg)
    nrow, ncol = _SHAPES.get(int(grp["n_wells"].iloc[0]), (16, 24))
    ax = get_ax(ax, figsize=(0.32 * ncol + 1.8, 0.32 * nrow + 1.0))
    grid = np.full((nrow, ncol), np.nan)
    r = grp["row"].map(_row_idx).to_numpy()
    c = grp["column"].to_numpy() - 1
    grid[r, c] = grp[value].to_numpy(dtype=float)
    if value in ("viability_percent", "inhibition_percent"):
        vmin = 0 if vmin is None else vmin
        vmax = 120 if vmax is None else vmax
    im = ax.imshow(grid, cmap=cmap, vmin=vmin, vmax=vmax, aspect="equal", **kwargs)
    ax.set_xticks(range(ncol))
    ax.set_xticklabels([str(i + 1) for i in range(ncol)], fontsize=6)
    ax.set_yticks(range(nrow))
    ax.set_yticklabels([chr(ord("A") + i) for i in range(nrow)], fontsize=6)
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    if mark_controls:
        roles = grp["role"].to_numpy()
        size = 16 if nrow > 8 else 30
        for role, letter in _ROLE_MARK.items():
            sel = roles == role
            if sel.any():  # one marker collection per role: far cheaper than many texts
                ax.scatter(c[sel], r[sel], marker=f"${letter}$", s=size, c="white", lw=0)
    qc = result.qc.set_index("plate")
    title = f"{plate}"
    color = "black"
    if plate in qc.index:
        q = qc.loc[plate]
        verdict = "QC pass" if q["passed"] else f"FAILED QC: {q['qc_flags'].replace(';', ', ')}"
        color = "black" if q["passed"] else "#C62828"
        title += f"  ·  Z′ {q['z_prime']:.2f}  ·  {verdict}"
    ax.set_title(title, fontsize="small", color=color, pad=14)
    if colorbar:
        label = {"viability_percent": "viability (% of vehicle)", "value": "signal (raw)"}.get(
            value, value
        )
        ax.figure.colorbar(im, ax=ax, shrink=0.8, label=label)
    return ax


def plate_heatmap_panel(
    result: PlateResult, *, value: str = "viability_percent", ncols: int = 2, **kwargs: Any
) -> Figure:
    """All plates of ``result`` side by side (one heatmap each)."""
    import matplotlib.pyplot as plt

    plates = list(dict.fromkeys(result.wells["plate"]))
    nrows = int(np.ceil(len(plates) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(7.6 * ncols, 4.4 * nrows), layout="constrained", squeeze=False
    )
    for ax, plate in zip(axes.flat, plates, strict=False):
        plate_heatmap(result, ax=ax, plate=plate, value=value, **kwargs)
    for ax in list(axes.flat)[len(plates) :]:
        ax.set_visible(False)
    return fig
