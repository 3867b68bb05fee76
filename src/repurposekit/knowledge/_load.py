"""Reading and validating the knowledge files (TOML) shipped in ``knowledge/data``."""

from __future__ import annotations

import sys
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from repurposekit._exceptions import DataValidationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["data_dir", "read_toml", "sources"]


def data_dir() -> Path:
    """Folder of the bundled knowledge files."""
    return Path(str(resources.files("repurposekit.knowledge"))) / "data"


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, with an error that names the file and line."""
    try:
        with Path(path).open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        msg = f"{path}: knowledge file not found."
        raise DataValidationError(msg) from None
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: not valid TOML ({exc}). Fix the file's syntax."
        raise DataValidationError(msg) from None
    if data.get("schema") != 1:
        msg = f"{path}: expected `schema = 1` at the top, got {data.get('schema')!r}."
        raise DataValidationError(msg)
    return data


@lru_cache(maxsize=1)
def sources() -> dict[str, dict[str, str]]:
    """Citation id → {kind, title, where}."""
    data = read_toml(data_dir() / "sources.toml")
    return dict(data["sources"])


def check_citation(cid: object, *, where: str) -> str:
    """Return ``cid`` if it names a known source, else raise naming the place."""
    known = sources()
    if not isinstance(cid, str) or cid not in known:
        msg = f"{where}: citation {cid!r} is not in sources.toml; add the source or fix the id (known: {', '.join(sorted(known))})."
        raise DataValidationError(msg)
    return cid
