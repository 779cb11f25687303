"""The one-way flow corpus → ingest → index → audit → ask → learn, app, checked on the source itself."""

from __future__ import annotations

import ast
import importlib

import pytest

from index import REPO_ROOT

# package → top-level modules it must never import
FORBIDDEN = {
    "index": {"ingest", "audit", "ask", "learn", "app", "pages", "streamlit", "bench"},
    "ingest": {"audit", "ask", "learn", "app", "pages", "streamlit", "bench"},
    "audit": {"ingest", "ask", "learn", "app", "pages", "streamlit", "bench"},  # audit storage: below ask
    "ask": {"ingest", "learn", "app", "pages", "streamlit", "bench"},
    "learn": {"app", "pages", "streamlit", "bench"},  # the fitting: reads the data, writes models/
}


def _imported_top_levels(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_each_package_imports_only_what_comes_before_it(package: str):
    offenders = {
        str(path.relative_to(REPO_ROOT)): sorted(_imported_top_levels(path) & FORBIDDEN[package])
        for path in (REPO_ROOT / package).rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


@pytest.mark.parametrize("package", ["index", "ingest", "audit", "ask", "learn"])
def test_each_package_exports_a_short_list_of_real_names(package: str):
    module = importlib.import_module(package)
    exported = module.__all__
    assert exported and len(exported) == len(set(exported))
    assert [name for name in exported if name.startswith("_") or not hasattr(module, name)] == []
