"""Small bundled example data with provenance: what ``rk demo`` runs on.

Each stage keeps its files in a sub-folder (``datasets/screen/`` …) with a ``PROVENANCE.md``
that says where every file came from, its licence, and how it was made.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from repurposekit._exceptions import DataValidationError

__all__ = ["available", "path", "provenance"]


def _root() -> Path:
    return Path(str(resources.files("repurposekit.datasets")))


def available() -> list[str]:
    """Names of the bundled example folders."""
    return sorted(p.name for p in _root().iterdir() if p.is_dir() and not p.name.startswith("_"))


def path(folder: str, name: str | None = None) -> Path:
    """Path of a bundled folder, or of one file in it.

    Examples
    --------
    >>> path("screen").name
    'screen'
    """
    p = _root() / folder
    if name is not None:
        p = p / name
    if not p.exists():
        msg = f"No bundled dataset {folder}/{name or ''}; available: {', '.join(available())}."
        raise DataValidationError(msg)
    return p


def provenance(folder: str) -> str:
    """The text of ``folder``'s PROVENANCE.md."""
    return path(folder, "PROVENANCE.md").read_text(encoding="utf-8")
