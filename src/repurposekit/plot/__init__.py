"""Figures for every stage; the only place in RepurposeKit where matplotlib is imported.

One module per domain (``plot/curves.py``, ``plot/synergy.py`` …). Every function takes a
result object and ``ax=None`` and returns the Axes it drew on (multi-panel builders are named
``*_panel`` and return a Figure). Nothing here shows or saves a figure: callers do
``ax.figure.savefig(...)``.

Functions are looked up lazily, so ``from repurposekit.plot import dose_response`` imports
only the module that defines it.
"""

from __future__ import annotations

import importlib
from typing import Any

_DOMAINS = (
    "compound",
    "plates",
    "curves",
    "synergy",
    "spheroid",
    "invivo",
    "survival",
    "omics",
    "clinic",
    "trial",
)


def _modules() -> list[Any]:
    mods = []
    for name in _DOMAINS:
        full = f"repurposekit.plot.{name}"
        try:
            mods.append(importlib.import_module(full))
        except ModuleNotFoundError as exc:
            if exc.name != full:
                raise
    return mods


def __getattr__(name: str) -> Any:
    if name.startswith("_"):
        raise AttributeError(name)
    for name_ in _DOMAINS:
        full = f"repurposekit.plot.{name_}"
        try:
            mod = importlib.import_module(full)
        except ModuleNotFoundError as exc:
            if exc.name != full:
                raise
            continue
        if name in getattr(mod, "__all__", ()):
            return getattr(mod, name)
    msg = f"repurposekit.plot has no figure function {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    names: set[str] = set()
    for mod in _modules():
        names.update(getattr(mod, "__all__", ()))
    return sorted(names)
