"""STYLE C6/C14 meta-tests: sorted, complete ``__all__``; data-first signatures with keyword-only options."""

from __future__ import annotations

import importlib
import inspect

import pytest

PUBLIC = [
    "repurposekit.clinic",
    "repurposekit.curves",
    "repurposekit.imaging",
    "repurposekit.invivo",
    "repurposekit.knowledge",
    "repurposekit.omics",
    "repurposekit.plates",
    "repurposekit.survival",
    "repurposekit.synergy",
]


def _module(name):
    mod = importlib.import_module(name)
    assert hasattr(mod, "__all__"), f"{name} declares no public API (__all__)"
    return mod


@pytest.mark.parametrize("name", PUBLIC)
def test_all_is_sorted_and_resolves(name):
    mod = _module(name)

    # ruff RUF022's isort-style order: CONSTANTS, then Classes, then functions, each alphabetical
    def key(n: str) -> tuple[int, str]:
        return (0 if n.isupper() else 1 if n[:1].isupper() else 2, n)

    assert list(mod.__all__) == sorted(mod.__all__, key=key), f"{name}.__all__ is not sorted"
    missing = [n for n in mod.__all__ if not hasattr(mod, n)]
    assert not missing, f"{name}.__all__ names missing attributes {missing}"


@pytest.mark.parametrize("name", PUBLIC)
def test_public_functions_take_at_most_two_positional_and_no_positional_bools(name):
    mod = _module(name)
    bad = []
    for attr in mod.__all__:
        obj = getattr(mod, attr)
        if not inspect.isfunction(obj):
            continue
        params = inspect.signature(obj).parameters.values()
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(positional) > 2:
            bad.append(f"{attr}: {len(positional)} positional parameters")
        bools = [p.name for p in positional if isinstance(p.default, bool)]
        if bools:
            bad.append(f"{attr}: positional boolean(s) {bools}")
    assert not bad, f"{name}: " + "; ".join(bad)
