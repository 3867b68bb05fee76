"""DESIGN.md layers: analysis packages never import plot, cli or report, and load no matplotlib."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "repurposekit"
ANALYSES = (
    "curves",
    "synergy",
    "plates",
    "imaging",
    "invivo",
    "survival",
    "omics",
    "clinic",
    "knowledge",
    "units",
)
# never, anywhere in an analysis package
FORBIDDEN = ("repurposekit.cli", "repurposekit.report", "matplotlib")
# only lazily, inside a function body: a result's ``.plot()`` delegating to repurposekit.plot (STYLE C4)
LAZY_ONLY = ("repurposekit.plot",)


def _is(mod: str, prefixes: tuple[str, ...]) -> bool:
    return any(mod == p or mod.startswith(p + ".") for p in prefixes)


def _imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, module, inside a function) for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((child.lineno, a.name, in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.append((child.lineno, child.module, in_function))
            visit(child, inner)

    visit(tree, False)
    return found


def _analysis_files():
    for name in ANALYSES:
        p = PKG / name
        yield from ([p.with_suffix(".py")] if not p.is_dir() else sorted(p.rglob("*.py")))


@pytest.mark.parametrize("path", list(_analysis_files()), ids=lambda p: str(p.relative_to(PKG)))
def test_analysis_module_imports_no_plot_cli_report(path):
    bad = [
        (line, mod)
        for line, mod, lazy in _imports(path)
        if _is(mod, FORBIDDEN) or (_is(mod, LAZY_ONLY) and not lazy)
    ]
    assert not bad, f"{path.relative_to(PKG)} imports {bad}; plotting belongs in repurposekit.plot"


@pytest.mark.parametrize("module", [f"repurposekit.{a}" for a in ANALYSES])
def test_importing_analysis_does_not_load_matplotlib(module):
    code = f"import sys, {module}; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", f"import {module} loaded matplotlib"


def test_top_level_import_is_light():
    code = "import sys, repurposekit; print(sorted(m for m in ('pandas','matplotlib','scipy','skimage') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
