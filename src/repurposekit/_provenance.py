"""Provenance recorded on every result: settings, version and input checksum."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

__all__ = ["checksum_file", "checksum_frame", "settings"]


def checksum_frame(data: pd.DataFrame) -> str:
    """SHA-256 of a DataFrame's values and column names (first 16 hex digits)."""
    h = hashlib.sha256()
    h.update("|".join(map(str, data.columns)).encode())
    h.update(pd.util.hash_pandas_object(data, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def checksum_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes (first 16 hex digits)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def settings(data: pd.DataFrame | None = None, **kwargs: Any) -> Mapping[str, Any]:
    """Read-only mapping of the arguments used, plus version, time and input checksum."""
    from repurposekit import __version__

    out: dict[str, Any] = dict(kwargs)
    out["repurposekit_version"] = __version__
    out["created_utc"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if data is not None:
        out["input_sha256"] = checksum_frame(data)
    return MappingProxyType(out)
