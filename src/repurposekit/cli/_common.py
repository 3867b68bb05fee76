"""Helpers shared by the ``rk`` sub-commands: consoles, output folders, tables, figures, progress."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "console",
    "ensure_out_dir",
    "err_console",
    "parse_list",
    "progress",
    "save_figure",
    "track",
    "write_table",
]

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)


def ensure_out_dir(out: Path) -> Path:
    """Create ``out`` (and parents) and return it."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def parse_list(value: str | None) -> list[str]:
    """Split ``"a,b , c"`` into ``["a", "b", "c"]`` (empty or None → ``[]``)."""
    if not value:
        return []
    return [v.strip() for v in value.split(",") if v.strip()]


def write_table(
    table: pd.DataFrame, path: Path, *, header: Sequence[str] = (), index: bool = False
) -> Path:
    """Write ``table`` as CSV; ``header`` lines are written first, each prefixed with ``# ``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        for line in header:
            fh.write(f"# {line}\n")
        table.to_csv(fh, index=index)
    return path


def save_figure(
    fig: Figure, path: Path, *, dpi: int = 150, formats: Sequence[str] = ("png",)
) -> list[Path]:
    """Save ``fig`` in each format (``path``'s suffix is replaced) and close it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = path.with_suffix(f".{fmt}")
        fig.savefig(target, dpi=dpi, bbox_inches="tight")
        written.append(target)
    plt.close(fig)
    return written


def progress(*, transient: bool = False, **kwargs: Any) -> Progress:
    """A rich progress bar with the project's columns (on stderr)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=transient,
        **kwargs,
    )


def track(items: Iterable[T], *, description: str, total: int | None = None) -> Iterator[T]:
    """Iterate over ``items`` with a progress bar."""
    with progress(transient=True) as bar:
        yield from bar.track(items, description=description, total=total)
