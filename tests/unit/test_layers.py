"""The layers point one way and no module imports itself back (docs/architecture.md): the
import-linter contract of pyproject.toml, run on the tree and on a copy with an upward import
added (which it must refuse), and no import cycle between any two modules, function-level
imports counted."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(source: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=source.parent, env={"PYTHONPATH": str(source.parent), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_contract_holds_and_refuses_an_upward_import(tmp_path: Path) -> None:
    kept = _lint(ROOT / "src" / "fapiao")
    assert kept.returncode == 0, kept.stdout + kept.stderr
    copy = tmp_path / "src" / "fapiao"
    shutil.copytree(ROOT / "src" / "fapiao", copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "invoicing" / "ledger.py").open("a", encoding="utf-8") as module:
        module.write("\nfrom fapiao.web import views  # an app reaching up to a page\n")
    broken = _lint(copy)
    assert broken.returncode != 0
    assert "fapiao.invoicing.ledger -> fapiao.web.views" in broken.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in edges[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_back() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    graph = grimp.build_graph("fapiao", exclude_type_checking_imports=True)
    assert _cycles(graph) == []
