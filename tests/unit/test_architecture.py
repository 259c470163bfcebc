"""Import rules of the architecture (DESIGN.md), checked over the source with ``ast``.

- domain imports only the standard library and itself;
- services import no delivery layer (api, cli, web) and no web or CLI framework;
- api, cli and web reach storage only through firstarticle/bootstrap.py.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "firstarticle"


def module_name(path: Path) -> str:
    """The dotted module name of a source file under src/."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_in(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """Yield (line, dotted name) for every import in ``source``, relative ones resolved.

    ``from a.b import c`` yields both ``a.b`` and ``a.b.c`` (c may be a submodule);
    ``importlib.import_module("x")`` and ``__import__("x")`` with a literal name count too.
    """
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            yield node.lineno, base
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{base}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            yield node.lineno, node.args[0].value


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    """Imports of one source file, with relative imports resolved."""
    yield from imports_in(
        path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py"
    )


def within(name: str, prefix: str) -> bool:
    """True when ``name`` is the module ``prefix`` or inside it."""
    return name == prefix or name.startswith(prefix + ".")


def sources(*relative: str) -> list[Path]:
    """Every .py file of the given packages or modules under src/firstarticle."""
    found: list[Path] = []
    for rel in relative:
        target = PACKAGE / rel
        if target.is_dir():
            found += sorted(target.rglob("*.py"))
        elif target.with_suffix(".py").is_file():
            found.append(target.with_suffix(".py"))
    return found


def domain_violations(path: Path) -> list[str]:
    """Imports of a domain file that are neither standard library nor the domain itself."""
    return [
        f"{path.relative_to(SRC)}:{line}: {name}"
        for line, name in imports_of(path)
        if not within(name, "firstarticle.domain")
        and name.split(".")[0] not in sys.stdlib_module_names
        # ``from firstarticle.domain import x`` also yields the parent's name
        and name != "firstarticle"
    ]


def forbidden_imports(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    """Imports in ``paths`` of any module in ``forbidden``."""
    return [
        f"{path.relative_to(SRC)}:{line}: {name}"
        for path in paths
        for line, name in imports_of(path)
        if any(within(name, prefix) for prefix in forbidden)
    ]


# --- the checker itself --------------------------------------------------------------------


def test_the_import_reader_resolves_relative_and_from_imports():
    """Relative, from- and dynamic imports all come out as absolute dotted names."""
    source = (
        "import os.path\n"
        "from .. import storage\n"
        "from ..storage.orm import Table\n"
        "from . import model\n"
        "import importlib\n"
        "importlib.import_module('sqlalchemy')\n"
        "def f():\n"
        "    import fastapi\n"
    )
    names = {name for _, name in imports_in(source, "firstarticle.api.routes")}
    assert {
        "os.path",
        "firstarticle.storage",
        "firstarticle.storage.orm",
        "firstarticle.storage.orm.Table",
        "firstarticle.api.model",
        "sqlalchemy",
        "fastapi",
    } <= names


def test_the_domain_rule_flags_a_third_party_import(tmp_path, monkeypatch):
    """A domain file importing sqlalchemy or another layer would be reported."""
    domain = tmp_path / "firstarticle" / "domain"
    domain.mkdir(parents=True)
    bad = domain / "bad.py"
    bad.write_text(
        "from __future__ import annotations\n"
        "import decimal\n"
        "from firstarticle.domain import values\n"
        "import sqlalchemy\n"
        "from ..storage import orm\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path)
    assert [v.split(": ")[1] for v in domain_violations(bad)] == [
        "sqlalchemy",
        "firstarticle.storage",
        "firstarticle.storage.orm",
    ]


# --- the rules -----------------------------------------------------------------------------


def test_the_domain_imports_only_the_standard_library_and_itself():
    """Nothing in firstarticle.domain imports a framework, a driver or another layer."""
    files = sources("domain")
    assert len(files) >= 7, "the domain package was not found"
    violations = [v for path in files for v in domain_violations(path)]
    assert violations == []


def test_services_import_no_delivery_layer_and_no_web_or_cli_framework():
    """Services are called by api, cli and web, never the other way round."""
    if not (PACKAGE / "services").is_dir():
        pytest.skip("src/firstarticle/services does not exist yet")
    forbidden = (
        "firstarticle.api",
        "firstarticle.cli",
        "firstarticle.web",
        "fastapi",
        "typer",
        "starlette",
    )
    assert forbidden_imports(sources("services"), forbidden) == []


def test_api_cli_and_web_reach_storage_only_through_bootstrap():
    """Delivery code calls services; only the composition root wires storage in."""
    files = [p for p in sources("api", "cli", "web") if p.name != "bootstrap.py"]
    if not files:
        pytest.skip("no api, cli or web code yet")
    assert forbidden_imports(files, ("firstarticle.storage",)) == []
