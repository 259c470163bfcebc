"""Import rules of the architecture (DESIGN.md), checked over the source with ``ast``.

- domain imports only the standard library and itself;
- services import no delivery layer (api, cli, web) and no web or CLI framework;
- api, cli and web reach storage only through firstarticle/bootstrap.py.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
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


def violations(path: Path, bad: Callable[[str], bool]) -> list[str]:
    """``file:line: module`` for each import statement of ``path`` that ``bad`` accepts.

    One line per statement: ``from x import a, b`` is reported once, as its first bad name.
    """
    found: dict[int, str] = {}
    for line, name in imports_of(path):
        if line not in found and bad(name):
            found[line] = f"{path.relative_to(SRC)}:{line}: {name}"
    return list(found.values())


def outside_the_domain(name: str) -> bool:
    """True for an import that is neither standard library nor firstarticle.domain."""
    if within(name, "firstarticle.domain") or name == "firstarticle":
        # ``from firstarticle import domain`` also names the parent package.
        return False
    return name.split(".")[0] not in sys.stdlib_module_names


def any_of(*prefixes: str) -> Callable[[str], bool]:
    """A predicate: the import is one of ``prefixes`` or inside one of them."""
    return lambda name: any(within(name, prefix) for prefix in prefixes)


def report(found: list[str]) -> str:
    """The violations, one a line, for the assertion message."""
    return "forbidden imports:\n" + "\n".join(found)


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
    assert [v.split(": ")[1] for v in violations(bad, outside_the_domain)] == [
        "sqlalchemy",
        "firstarticle.storage",
    ]


# --- the rules -----------------------------------------------------------------------------


def test_the_domain_imports_only_the_standard_library_and_itself():
    """Nothing in firstarticle.domain imports a framework, a driver or another layer."""
    files = sources("domain")
    assert len(files) >= 7, "the domain package was not found"
    found = [v for path in files for v in violations(path, outside_the_domain)]
    assert not found, report(found)


def test_services_import_no_delivery_layer_and_no_web_or_cli_framework():
    """Services are called by api, cli and web, never the other way round."""
    if not (PACKAGE / "services").is_dir():
        pytest.skip("src/firstarticle/services does not exist yet")
    bad = any_of(
        "firstarticle.api", "firstarticle.cli", "firstarticle.web", "fastapi", "typer", "starlette"
    )
    found = [v for path in sources("services") for v in violations(path, bad)]
    assert not found, report(found)


def test_api_cli_and_web_reach_storage_only_through_bootstrap():
    """Delivery code calls services; only the composition root wires storage in."""
    files = [p for p in sources("api", "cli", "web") if p.name != "bootstrap.py"]
    if not files:
        pytest.skip("no api, cli or web code yet")
    found = [v for path in files for v in violations(path, any_of("firstarticle.storage"))]
    assert not found, report(found)
