"""The layout, checked on the source itself: one package per job, each importing only from those
below it and only through their public names.

    errors, settings                        what every package shares
    index, embedding, prompts, audit        the files, the model, the words the bot says, what was said
    ingest, safety                          build the index; triage before search
    ask                                     answering
    evaluation, staff, learn                judge, review and fit the answering
    ui, then app.py, pages/, serve.py       what people see
    servers, then bench                     throwaway local servers (for the tests too); the benchmarks
"""

from __future__ import annotations
import __future__

import ast
import importlib
import types
from pathlib import Path

import pytest

from settings import REPO_ROOT

# what builds, answers and judges; both what people see and the benchmarks drive it
_BUILD_ANSWER_JUDGE = {"errors", "settings", "index", "audit", "embedding", "ingest", "prompts", "ask", "evaluation"}
# every unit of the project → the project's units (and Streamlit) it may import
ALLOWED = {
    "errors.py": set(),
    "settings.py": {"errors"},
    "index": {"errors", "settings"},
    "embedding": {"errors", "settings"},
    "prompts": {"errors", "settings"},
    "audit": {"errors", "settings", "index"},
    "ingest": {"errors", "settings", "index", "embedding"},
    "safety": {"errors", "settings", "index", "embedding", "prompts"},
    "ask": {"errors", "settings", "index", "audit", "embedding", "prompts", "safety"},
    "evaluation": {"errors", "settings", "index", "audit", "ask"},
    "staff": {"errors", "settings", "index", "audit", "embedding", "ask", "evaluation"},
    "learn": {"errors", "settings", "index", "audit", "embedding", "ingest", "prompts", "safety", "ask", "evaluation"},
    "bench": _BUILD_ANSWER_JUDGE | {"safety", "ui", "servers"},
    "ui": _BUILD_ANSWER_JUDGE | {"staff", "streamlit"},
    "app.py": {"ui"},
    "serve.py": {"settings", "ui", "streamlit"},
    "servers": {"settings", "ui"},
    "pages": {"ui"},
}
PACKAGES = sorted(unit for unit in ALLOWED if (REPO_ROOT / unit / "__init__.py").exists())
MODULES = ["errors", "settings"]
UNITS = {unit.removesuffix(".py") for unit in ALLOWED} | {"streamlit"}


def _sources(unit: str) -> list[Path]:
    path = REPO_ROOT / unit
    return [path] if path.is_file() else sorted(path.rglob("*.py"))


def _unit_name(unit: str) -> str:
    return unit.removesuffix(".py")


def _imports(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """Each absolute import of ``path``: the module, and the names taken from it (none for ``import x``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, tuple(alias.name for alias in node.names)))
    return found


@pytest.mark.parametrize("unit", sorted(ALLOWED))
def test_each_part_imports_only_what_comes_below_it(unit: str):
    own = _unit_name(unit)
    offenders = {}
    for path in _sources(unit):
        used = {module.split(".")[0] for module, _ in _imports(path)} & UNITS - {own}
        if wrong := sorted(used - ALLOWED[unit]):
            offenders[str(path.relative_to(REPO_ROOT))] = wrong
    assert offenders == {}


@pytest.mark.parametrize("unit", sorted(ALLOWED))
def test_no_part_reaches_into_another_packages_modules(unit: str):
    own = _unit_name(unit)
    offenders = []
    for path in _sources(unit):
        for module, names in _imports(path):
            top = module.split(".")[0]
            if top == own or top not in PACKAGES:
                continue
            if module != top:
                offenders.append(f"{path.relative_to(REPO_ROOT)}: {module}")
            elif module == top:
                exported = set(importlib.import_module(top).__all__)
                offenders.extend(
                    f"{path.relative_to(REPO_ROOT)}: {top}.{name}" for name in names if name not in exported
                )
    assert offenders == []


def _public_names(module: types.ModuleType) -> list[str]:
    """What ``module`` offers by name: not private, not its own submodules, not ``from __future__``."""
    return sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, __future__._Feature)
        and not (isinstance(value, types.ModuleType) and value.__name__.startswith(f"{module.__name__}."))
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_exports_exactly_its_public_names(package: str):
    module = importlib.import_module(package)
    assert module.__doc__ and module.__doc__.strip(), f"{package} says nothing of what it owns"
    assert len(module.__all__) == len(set(module.__all__))
    assert sorted(module.__all__) == _public_names(module)


@pytest.mark.parametrize("name", MODULES)
def test_a_top_level_module_exports_exactly_what_it_defines(name: str):
    module = importlib.import_module(name)
    tree = ast.parse((REPO_ROOT / f"{name}.py").read_text(encoding="utf-8"))
    defined = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined.update(target.id for target in node.targets if isinstance(target, ast.Name))
    assert module.__doc__ and module.__doc__.strip()
    assert sorted(module.__all__) == sorted(n for n in defined if not n.startswith("_"))


def test_the_checks_cover_every_package_and_script_of_the_project():
    on_disk = {path.name for path in REPO_ROOT.iterdir() if (path / "__init__.py").exists()}
    on_disk |= {path.name for path in REPO_ROOT.glob("*.py")}
    on_disk.add("pages")
    assert on_disk - {"tests"} == set(ALLOWED)


def test_the_import_checks_see_a_private_import(tmp_path):
    """The checks read real source: a line reaching into index's modules is found."""
    offending = tmp_path / "offending.py"
    offending.write_text("from index.lexical import Matches\nfrom index import stem, _private\n", encoding="utf-8")
    assert _imports(offending) == [("index.lexical", ("Matches",)), ("index", ("stem", "_private"))]
