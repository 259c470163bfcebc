"""Import rules of the architecture (DESIGN.md), checked over the source with ``ast``.

Every import statement counts, wherever it stands: at the top, inside a function, or under
``if TYPE_CHECKING:`` (a type-only import is still an arrow a reader has to follow).

- domain imports only the standard library and itself; audit (the hash-chained ledger and
  its checkpoints) and ports only the standard library and the domain;
- services import no adapter (storage, integrations, access.oidc), no face (api, cli, web, the
  drop folder, the demo loader), not the composition root, and no web, CLI, database or XML
  framework;
- adapters (storage, integrations, access) import no service and no face;
- api, cli and web reach storage only through firstarticle/bootstrap.py;
- no import cycle among the modules of firstarticle, and no module imports another module's
  ``_private`` names (``from x import _y`` or ``x._y``).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator, Mapping
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


def from_module(node: ast.ImportFrom, package: str) -> str:
    """The absolute module a ``from ... import`` reads from, relative levels resolved."""
    if not node.level:
        return node.module or ""
    anchor = package.split(".")
    anchor = anchor[: len(anchor) - (node.level - 1)]
    return ".".join([*anchor, *([node.module] if node.module else [])])


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
            base = from_module(node, package)
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


# --- the graph of modules --------------------------------------------------------------------

FACES = (
    "firstarticle.api",
    "firstarticle.cli",
    "firstarticle.web",
    "firstarticle.drop_folder",
    "firstarticle.demo",
    "firstarticle.__main__",
)
ADAPTERS = ("firstarticle.storage", "firstarticle.integrations", "firstarticle.access")
FRAMEWORKS = (
    "fastapi",
    "starlette",
    "typer",
    "sqlalchemy",
    "alembic",
    "httpx",
    "lxml",
    "pydantic",
    "openpyxl",
)


def modules_under(src: Path) -> dict[str, Path]:
    """Every module of the firstarticle package under ``src``, by dotted name."""
    return {
        module_name_in(src, path): path for path in sorted((src / "firstarticle").rglob("*.py"))
    }


def module_name_in(src: Path, path: Path) -> str:
    """The dotted name of ``path`` relative to ``src`` (a package is its __init__)."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def owner(name: str, modules: Mapping[str, Path]) -> str | None:
    """The module an imported dotted name belongs to (``a.b.C`` -> ``a.b``), if it is ours."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """Each firstarticle module and the firstarticle modules it imports (itself left out)."""
    modules = modules_under(src)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        source = path.read_text(encoding="utf-8")
        for _, imported in imports_in(source, name, is_package=path.name == "__init__.py"):
            target = owner(imported, modules)
            if target is not None and target != name:
                graph[name].add(target)
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of two or more modules: each is at least one circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def private_imports(src: Path = SRC) -> list[str]:
    """``file:line: module._name`` for each private name one module takes from another.

    Counts ``from x import _y`` and ``x._y`` where ``x`` was imported as a firstarticle module;
    dunder names (``__version__``) are public.
    """
    modules = modules_under(src)
    found: list[str] = []

    def private(attr: str) -> bool:
        return attr.startswith("_") and not attr.startswith("__")

    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = from_module(node, package)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    if full in modules:
                        aliases[alias.asname or alias.name] = full
                    elif base in modules and base != name and private(alias.name):
                        found.append(f"{path.relative_to(src)}:{node.lineno}: {base}.{alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname and alias.name in modules:
                        aliases[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and aliases[node.value.id] != name
                and private(node.attr)
            ):
                module = aliases[node.value.id]
                found.append(f"{path.relative_to(src)}:{node.lineno}: {module}.{node.attr}")
    return found


def arrows(src: Path, source: tuple[str, ...], bad: Callable[[str], bool]) -> list[str]:
    """``file:line: module`` for each import in the packages ``source`` that ``bad`` accepts."""
    found: list[str] = []
    for name, path in modules_under(src).items():
        if any(within(name, prefix) for prefix in source):
            for line, imported in imports_in(
                path.read_text(encoding="utf-8"), name, is_package=path.name == "__init__.py"
            ):
                if bad(imported):
                    found.append(f"{path.relative_to(src)}:{line}: {imported}")
    return sorted(set(found))


def only_stdlib_and(*own: str) -> Callable[[str], bool]:
    """A predicate: the import is neither standard library nor inside one of ``own``."""

    def bad(name: str) -> bool:
        if name == "firstarticle" or any(within(name, prefix) for prefix in own):
            return False
        return name.split(".")[0] not in sys.stdlib_module_names

    return bad


SERVICE_MAY_NOT = any_of(
    *ADAPTERS[:2],
    "firstarticle.access.oidc",
    *FACES,
    "firstarticle.bootstrap",
    "firstarticle.config",
    *FRAMEWORKS,
)
ADAPTER_MAY_NOT = any_of("firstarticle.services", *FACES, "firstarticle.bootstrap")


# --- the whole rule ----------------------------------------------------------------------------


def test_audit_and_ports_import_only_the_standard_library_and_the_domain():
    """The ledger can be read and verified alone; the ports speak in domain terms only."""
    found = arrows(
        SRC, ("firstarticle.audit",), only_stdlib_and("firstarticle.domain", "firstarticle.audit")
    )
    found += arrows(
        SRC,
        ("firstarticle.ports",),
        only_stdlib_and("firstarticle.domain", "firstarticle.ports"),
    )
    assert not found, report(found)


def test_services_import_no_adapter_no_face_and_no_framework():
    """Services reach files, databases and other systems only through ports.py."""
    found = arrows(SRC, ("firstarticle.services",), SERVICE_MAY_NOT)
    assert not found, report(found)


def test_adapters_import_no_service_and_no_face():
    """Storage, integrations and access implement ports; nothing in them calls inward or out."""
    found = arrows(SRC, ADAPTERS, ADAPTER_MAY_NOT)
    assert not found, report(found)


def test_no_module_of_firstarticle_imports_itself_back_through_others():
    """The import graph has no circle, type-only and function-level imports included."""
    graph = import_graph()
    assert len(graph) > 50, "the package was not found"
    assert cycles(graph) == []


def test_no_module_takes_another_modules_private_names():
    """A leading underscore means "this module only": shared steps are public somewhere."""
    found = private_imports()
    assert not found, "private names used across modules:\n" + "\n".join(found)


# --- the checks catch what they are for --------------------------------------------------------


def plant_tree(root: Path, files: Mapping[str, str]) -> Path:
    """A throw-away firstarticle package under ``root`` with the given module sources."""
    for relative, text in files.items():
        path = root / "firstarticle" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        for parent in path.relative_to(root).parents:
            init = root / parent / "__init__.py"
            if parent != Path(".") and not init.exists():
                init.write_text("", encoding="utf-8")
    return root


def test_a_circle_hidden_in_a_function_or_a_type_check_block_is_reported(tmp_path):
    """Two modules that import each other, however lazily, come out as one circle."""
    src = plant_tree(
        tmp_path,
        {
            "services/a.py": "from firstarticle.services import b\n",
            "services/b.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from firstarticle.services.c import Thing\n"
            ),
            "services/c.py": "def late():\n    from . import a\n",
            "services/d.py": "from firstarticle.services import a\n",
        },
    )
    assert cycles(import_graph(src)) == [
        ["firstarticle.services.a", "firstarticle.services.b", "firstarticle.services.c"]
    ]


def test_a_private_name_taken_from_another_module_is_reported(tmp_path):
    """``from x import _y`` and ``x._y`` are both reported; a module's own and dunders are not."""
    src = plant_tree(
        tmp_path,
        {
            "services/steps.py": "_helper = 1\n__version__ = '1'\n",
            "services/user.py": (
                "from firstarticle.services.steps import _helper, __version__\n"
                "from firstarticle.services import steps\n"
                "steps._helper\n"
                "steps.__version__\n"
            ),
            "services/own.py": "_mine = 1\nfrom firstarticle.services.own import _mine\n",
        },
    )
    assert sorted(private_imports(src)) == [
        "firstarticle/services/user.py:1: firstarticle.services.steps._helper",
        "firstarticle/services/user.py:3: firstarticle.services.steps._helper",
    ]


def test_each_forbidden_arrow_is_reported(tmp_path):
    """A service importing an adapter, an adapter a service or a face, ports a service: all
    reported, and the allowed arrows are not."""
    src = plant_tree(
        tmp_path,
        {
            "services/uses.py": (
                "from firstarticle.ports import UnitOfWork\n"
                "from firstarticle.domain import model\n"
                "from firstarticle.integrations.inspection import qif\n"
                "def f():\n"
                "    import sqlalchemy\n"
            ),
            "integrations/reader.py": (
                "from firstarticle.domain import model\n"
                "from firstarticle.ports import Clock\n"
                "from firstarticle.services import mirror\n"
            ),
            "storage/repo.py": "from firstarticle.api import schemas\n",
            "ports.py": "from firstarticle.services import ServiceContext\n",
            "audit/ledger.py": (
                "import hashlib\n"
                "from firstarticle.domain import model\n"
                "from firstarticle.storage import orm\n"
            ),
        },
    )
    assert arrows(src, ("firstarticle.services",), SERVICE_MAY_NOT) == [
        "firstarticle/services/uses.py:3: firstarticle.integrations.inspection",
        "firstarticle/services/uses.py:3: firstarticle.integrations.inspection.qif",
        "firstarticle/services/uses.py:5: sqlalchemy",
    ]
    assert arrows(src, ADAPTERS, ADAPTER_MAY_NOT) == [
        "firstarticle/integrations/reader.py:3: firstarticle.services",
        "firstarticle/integrations/reader.py:3: firstarticle.services.mirror",
        "firstarticle/storage/repo.py:1: firstarticle.api",
        "firstarticle/storage/repo.py:1: firstarticle.api.schemas",
    ]
    ports = only_stdlib_and("firstarticle.domain", "firstarticle.ports")
    assert arrows(src, ("firstarticle.ports",), ports) == [
        "firstarticle/ports.py:1: firstarticle.services",
        "firstarticle/ports.py:1: firstarticle.services.ServiceContext",
    ]
    audit = only_stdlib_and("firstarticle.domain", "firstarticle.audit")
    assert arrows(src, ("firstarticle.audit",), audit) == [
        "firstarticle/audit/ledger.py:3: firstarticle.storage",
        "firstarticle/audit/ledger.py:3: firstarticle.storage.orm",
    ]
