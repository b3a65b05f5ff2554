"""The domain package imports neither Django nor a database driver, nor anything of ours
outside itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import fapiao.domain

DOMAIN = Path(fapiao.domain.__file__).parent
ALLOWED_THIRD_PARTY = {"stdnum"}
FORBIDDEN = {
    "django",
    "psycopg",
    "psycopg2",
    "sqlite3",
    "sqlalchemy",
    "requests",
    "socket",
    "urllib",
    "http",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_domain_modules_import_only_the_standard_library_and_stdnum() -> None:
    modules = sorted(DOMAIN.rglob("*.py"))
    assert len(modules) >= 10
    for module in modules:
        for name in _imports(module):
            top = name.split(".")[0]
            assert top not in FORBIDDEN, f"{module.name} imports {name}"
            if top == "fapiao":
                assert name.startswith("fapiao.domain"), f"{module.name} imports {name}"
            elif top not in sys.stdlib_module_names:
                assert top in ALLOWED_THIRD_PARTY, f"{module.name} imports {name}"


def test_importing_the_whole_domain_loads_no_django() -> None:
    names = " ".join(f"fapiao.domain.{p.stem}" for p in DOMAIN.glob("*.py") if p.stem != "__init__")
    code = (
        f"import importlib, sys\nfor n in '{names}'.split(): importlib.import_module(n)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'psycopg'))\n"
        "print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
