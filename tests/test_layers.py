"""The architecture as rules a change cannot break silently (docs/architecture.md).

Read from the source with `ast`, nothing imported: each rule fails with the rule's name, why
it exists and every import that breaks it (file:line), so a contributor knows what to move.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "seatctl"

# The layers, from the top: `cli` parses and calls; `render` draws; the core (every other
# package and top-level module, a new one included) does the work.
PRESENTATION = ("cli", "render")
ENTRY_POINTS = ("__init__", "__main__")
# Typer lives only in cli/, Rich only in render/ (click is Typer's, vendored).
FRAMEWORK_HOMES = {"typer": "cli", "click": "cli", "rich": "render"}
# Leaves: imported from every layer, so they import nothing of seatctl but each other.
LEAVES = ("clock", "errors", "exit_codes", "junit", "redact", "reports", "sanitize", "urls")
# The command line parses options, calls the core and renders; sockets, TLS, databases,
# processes and threads are the core's business. The factory (cli/context.py) builds the
# HTTP client the core is handed, as the GitHub CLI's Factory does.
IO_LIBRARIES = ("socket", "ssl", "sqlite3", "subprocess", "threading", "select", "selectors",
                "asyncio", "tempfile", "shutil", "h11", "h2", "httpcore", "httpx")
FACTORY = "cli/context.py"
FACTORY_MAY_IMPORT = ("httpx",)
# The doctor's rules and the data they read are sans-IO, as h11's state machine is: they take
# measurements and decide. The I/O modules connect, probe and run the workflow.
DIAGNOSTICS = "seatctl.diagnostics"
SANS_IO_DIAGNOSTICS = ("bounds", "defaults", "edge", "failures", "findings", "fixes",
                       "identify", "results", "runs", "targets")
DIAGNOSTICS_IO = ("burst", "connection", "doctor", "h2connection", "h2probe", "probes",
                  "slow_client", "tasks")
# A command's body parses, calls, renders: longer than this, something belongs in the core.
MAX_CLI_FUNCTION_LINES = 30


@dataclass(frozen=True)
class Import:
    source: Path
    line: int
    module: str  # absolute, e.g. "seatctl.render.tables" or "rich.text"
    names: tuple[str, ...]  # the names taken by `from module import ...`; () for `import`

    @property
    def where(self) -> str:
        return f"{self.source.relative_to(PACKAGE.parent)}:{self.line}"

    @property
    def target_unit(self) -> str | None:
        """The seatctl package or top-level module imported, e.g. "render" or "clock"."""
        parts = self.module.split(".")
        if parts[0] != "seatctl" or len(parts) < 2:
            return None
        return parts[1]


def unit_of(path: Path) -> str:
    """The package or top-level module a file belongs to: seatctl/http/_client.py -> http."""
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name of what `node` imports from, in module `importer`."""
    if not node.level:
        return node.module or ""
    package = importer.split(".")
    if not is_package:
        package.pop()
    base = package[:len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name, ())
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(module_name(path), path.name == "__init__.py", node)
            yield from _from_import(path, node.lineno, module,
                                    tuple(alias.name for alias in node.names))


def _from_import(path: Path, line: int, module: str, names: tuple[str, ...]
                 ) -> Iterator[Import]:
    """`from seatctl.pkg import mod` imports the module seatctl.pkg.mod: one Import each."""
    submodules = [name for name in names if _is_module(f"{module}.{name}")]
    for name in submodules:
        yield Import(path, line, f"{module}.{name}", ())
    if rest := tuple(name for name in names if name not in submodules):
        yield Import(path, line, module, rest)


def _is_module(dotted: str) -> bool:
    parts = dotted.split(".")
    if parts[0] != "seatctl":
        return False
    base = PACKAGE.parent.joinpath(*parts)
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file() or (
        base.is_dir() and any(base.glob("*.py")))


@cache
def all_imports() -> tuple[Import, ...]:
    return tuple(found for path in sorted(PACKAGE.rglob("*.py")) for found in imports_of(path))


def broken(rule: str, why: str, offenders: list[str]) -> str:
    listed = "\n  ".join(offenders)
    return f"layer rule broken: {rule}\n{why}\n  {listed}"


# --- the rules ------------------------------------------------------------------------------


def is_core(unit: str) -> bool:
    return unit not in PRESENTATION and unit not in ENTRY_POINTS


def test_the_core_never_imports_the_command_line_or_rendering() -> None:
    offenders = [
        f"{found.where}: {unit_of(found.source)} imports {found.module}"
        for found in all_imports()
        if is_core(unit_of(found.source)) and found.target_unit in PRESENTATION]
    assert not offenders, broken(
        "the core (every package but cli and render) never imports seatctl.cli or "
        "seatctl.render", "Core code returns data and raises errors; the command line renders "
        "them. Move the printing to seatctl/render/ and pass the data out.", offenders)


def test_typer_lives_in_cli_and_rich_in_render() -> None:
    offenders = [
        f"{found.where}: {unit_of(found.source)} imports {found.module}"
        for found in all_imports()
        if (home := FRAMEWORK_HOMES.get(found.module.split(".")[0])) is not None
        and unit_of(found.source) != home]
    assert not offenders, broken(
        "Typer (and its click) is imported only in seatctl/cli/, Rich only in seatctl/render/",
        "The core knows neither; cli/ hands render/ the core's data to draw.", offenders)


def test_the_leaves_exist() -> None:
    assert all(leaf in units() for leaf in LEAVES), f"LEAVES names a unit that is gone: {LEAVES}"


def units() -> set[str]:
    """Every package and top-level module of seatctl, entry points aside."""
    found = {unit_of(path) for path in PACKAGE.rglob("*.py")}
    return found - set(ENTRY_POINTS)


def test_leaf_modules_import_only_other_leaves() -> None:
    offenders = [
        f"{found.where}: {unit_of(found.source)} imports {found.module}"
        for found in all_imports()
        if unit_of(found.source) in LEAVES and found.target_unit is not None
        and found.target_unit not in LEAVES]
    assert not offenders, broken(
        f"the leaf modules ({', '.join(LEAVES)}) import no other part of seatctl",
        "Every layer imports them; an import upwards would make a cycle.", offenders)


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for found in all_imports():
        source, target = unit_of(found.source), found.target_unit
        if target is not None and target != source and target != "__init__":
            graph.setdefault(source, set()).add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph as a path that returns to its start, or None."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node):], node]
        if node in done:
            return None
        visiting.append(node)
        for target in sorted(graph.get(node, ())):
            if (cycle := visit(target)) is not None:
                return cycle
        visiting.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if (cycle := visit(start)) is not None:
            return cycle
    return None


def test_the_packages_import_each_other_without_a_cycle() -> None:
    cycle = find_cycle(package_graph())
    assert cycle is None, broken(
        "no cycle between seatctl's packages",
        "A cycle means two packages are one; move what both need into the lower one or a "
        "leaf module. The cycle, and the imports that make it:", _cycle_imports(cycle or []))


def _cycle_imports(cycle: list[str]) -> list[str]:
    steps = set(pairwise(cycle))
    return [" -> ".join(cycle)] + [
        f"{found.where}: {found.module}" for found in all_imports()
        if (unit_of(found.source), found.target_unit) in steps]


def test_no_module_imports_another_modules_private_names() -> None:
    offenders = [
        f"{found.where}: from {found.module} import {name}"
        for found in all_imports() if found.module.startswith("seatctl")
        for name in found.names
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__"))]
    assert not offenders, broken(
        "no import of a name starting with `_` from another module",
        "A leading underscore says 'only here'. Make the name public in the module that "
        "owns it (or move it where both users can own it).", offenders)


def test_private_modules_are_imported_only_inside_their_package() -> None:
    offenders = [
        f"{found.where}: {found.module}"
        for found in all_imports() if found.module.startswith("seatctl.")
        if any(part.startswith("_") and not part.startswith("__")
               for part in found.module.split(".")[2:])
        and found.target_unit != unit_of(found.source)]
    assert not offenders, broken(
        "a package's private modules (`_name.py`) are imported only by that package",
        "Other packages import what the package exports from its __init__.", offenders)


def test_the_command_line_does_no_io_of_its_own() -> None:
    offenders = [
        f"{found.where}: {found.module}"
        for found in all_imports() if unit_of(found.source) == "cli"
        if (root := found.module.split(".")[0]) in IO_LIBRARIES
        and not (found.where.startswith(f"seatctl/{FACTORY}:") and root in FACTORY_MAY_IMPORT)]
    assert not offenders, broken(
        "seatctl/cli/ parses options, calls one core function and renders: no sockets, TLS, "
        "HTTP, databases, processes or threads of its own",
        f"Move the I/O into the core package the command calls ({FACTORY} alone builds the "
        "HTTP client the core is handed).", offenders)


def test_the_doctors_rules_and_data_are_sans_io() -> None:
    offenders = [
        f"{found.where}: {found.module}"
        for found in all_imports() if found.source.parent.name == "diagnostics"
        and found.source.stem in SANS_IO_DIAGNOSTICS
        and _does_io(found) and found.line not in type_checking_lines(found.source)]
    assert not offenders, broken(
        f"the doctor's rules and data ({', '.join(SANS_IO_DIAGNOSTICS)} in "
        "seatctl/diagnostics/) are sans-IO: no socket, TLS, HTTP, asyncio, "
        f"process or thread, and none of the package's I/O modules ({', '.join(DIAGNOSTICS_IO)})",
        "They read measurements and decide, testable without a server or an event loop. Move "
        "the I/O into the probes or the workflow (doctor.py) and pass its results in; an import "
        "needed for a type only goes under `if TYPE_CHECKING:`.", offenders)


def _does_io(found: Import) -> bool:
    """An I/O library, an I/O module of the diagnostics, or the package itself (its
    __init__ imports them all)."""
    if found.module.split(".")[0] in IO_LIBRARIES or found.module == DIAGNOSTICS:
        return True
    return found.module.removeprefix(f"{DIAGNOSTICS}.") in DIAGNOSTICS_IO


@cache
def type_checking_lines(path: Path) -> frozenset[int]:
    """The lines inside `if TYPE_CHECKING:` blocks: imports for the type checker alone."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return frozenset(
        inner.lineno for node in ast.walk(tree)
        if isinstance(node, ast.If) and _names_type_checking(node.test)
        for statement in node.body for inner in ast.walk(statement)
        if isinstance(inner, ast.stmt))


def _names_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def cli_functions() -> Iterator[tuple[str, int]]:
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}"
                yield where, body_lines(node)


def body_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of the body after the docstring: a command's options and help do not count."""
    body = function.body
    if (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str) and len(body) > 1):
        body = body[1:]
    return (function.end_lineno or function.lineno) - body[0].lineno + 1


def test_command_line_functions_stay_short() -> None:
    offenders = [f"{where}: {lines} lines" for where, lines in cli_functions()
                 if lines > MAX_CLI_FUNCTION_LINES]
    assert not offenders, broken(
        f"a function body in seatctl/cli/ is at most {MAX_CLI_FUNCTION_LINES} lines (options and "
        "docstring aside)",
        "Options in, one call of a core function, rendering out: logic that makes a command "
        "longer belongs in the core (testable without the command line) or in render/.",
        offenders)


TESTS = PACKAGE.parent / "tests"
# Test directories that mirror no package: the kit, its golden files, cross-cutting runs.
TEST_KIT_DIRECTORIES = {"support", "golden", "reliability", "__pycache__"}
# Top-level test files: the leaf modules' own, and checks of the whole repository.
REPOSITORY_TESTS = {"test_layers", "test_repo", "test_startup_imports", "test_pictures"}


def test_the_tests_mirror_the_packages() -> None:
    packages = {path.name for path in PACKAGE.iterdir() if any(path.glob("*.py"))}
    strays = sorted(f"tests/{path.name}/" for path in TESTS.iterdir() if path.is_dir()
                    and path.name not in packages | TEST_KIT_DIRECTORIES)
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    strays += sorted(f"tests/{path.name}" for path in TESTS.glob("test_*.py")
                     if path.stem.removeprefix("test_") not in modules
                     and path.stem not in REPOSITORY_TESTS)
    assert not strays, broken(
        "tests/ mirrors seatctl/: tests/PACKAGE/ for seatctl/PACKAGE/, tests/test_MODULE.py for "
        "a top-level module", "A command's end-to-end tests go with the package that does its "
        "work; tests/cli/ tests the command-line frame. Move:", strays)


ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"
GRAPH_START, GRAPH_END = "<!-- package-graph:start -->", "<!-- package-graph:end -->"


def graph_block() -> str:
    """The package graph as docs/architecture.md shows it: what each unit imports."""
    graph = package_graph()
    rows = [f"| `{name}` | {_listed(graph.get(name, set()))} |" for name in sorted(units())]
    return "\n".join(["| Package or module | Imports from seatctl |", "|---|---|", *rows])


def _listed(targets: set[str]) -> str:
    return ", ".join(f"`{target}`" for target in sorted(targets)) or "(nothing)"


def page_with_graph(page: str) -> str:
    before, rest = page.split(GRAPH_START, 1)
    after = rest.split(GRAPH_END, 1)[1]
    return f"{before}{GRAPH_START}\n{graph_block()}\n{GRAPH_END}{after}"


def test_the_architecture_page_shows_the_package_graph_as_it_is() -> None:
    page = ARCHITECTURE.read_text(encoding="utf-8")
    assert page == page_with_graph(page), (
        "docs/architecture.md: the package graph changed (a new import between packages, or "
        "a new package); review the change, then rewrite the page's graph with "
        "`python -m tests.test_layers`")


def test_no_cycle_between_modules() -> None:
    graph: dict[str, set[str]] = {}
    for found in all_imports():
        if found.module.startswith("seatctl.") and _is_module(found.module):
            graph.setdefault(module_name(found.source), set()).add(found.module)
    cycle = find_cycle({source: targets - {source} for source, targets in graph.items()})
    assert cycle is None, broken(
        "no import cycle between seatctl's modules, lazy imports inside functions included",
        "A module that needs another which needs it back hides one module in two: move what "
        "both need into a third.", [" -> ".join(cycle or [])])


# --- the rules' own machinery ---------------------------------------------------------------


@pytest.mark.parametrize(("graph", "expected"), [
    ({"a": {"b"}, "b": {"c"}}, None),
    ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
    ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
])
def test_find_cycle(graph: dict[str, set[str]], expected: list[str] | None) -> None:
    assert find_cycle(graph) == expected


@pytest.mark.parametrize(("importer", "is_package", "source", "expected"), [
    ("seatctl.http._client", False, "from ._retry import RetryPolicy", "seatctl.http._retry"),
    ("seatctl.http", True, "from ._retry import RetryPolicy", "seatctl.http._retry"),
    ("seatctl.http._client", False, "from ..errors import X", "seatctl.errors"),
    ("seatctl.http._client", False, "from seatctl.clock import Clock", "seatctl.clock"),
])
def test_relative_imports_are_resolved_to_absolute_names(
        importer: str, is_package: bool, source: str, expected: str) -> None:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.ImportFrom)
    assert _absolute(importer, is_package, node) == expected


def test_a_module_imported_from_its_package_is_an_import_of_the_module() -> None:
    found = list(_from_import(PACKAGE / "x.py", 1, "seatctl", ("render", "__version__")))
    assert [(item.module, item.names, item.target_unit) for item in found] == [
        ("seatctl.render", (), "render"), ("seatctl", ("__version__",), None)]


def test_imports_under_type_checking_are_told_apart(tmp_path: Path) -> None:
    source = tmp_path / "x.py"
    source.write_text("import re\nif TYPE_CHECKING:\n    import h11\n"
                      "if typing.TYPE_CHECKING:\n    from h2 import config\nelse:\n"
                      "    import ssl\n", encoding="utf-8")
    assert type_checking_lines(source) == {3, 5}


def test_a_broken_rule_names_itself_and_the_offending_import() -> None:
    message = broken("rule X", "because Y", ["seatctl/a.py:3: rich"])
    assert message.splitlines() == ["layer rule broken: rule X", "because Y",
                                    "  seatctl/a.py:3: rich"]


if __name__ == "__main__":  # python -m tests.test_layers: rewrite the page's package graph
    ARCHITECTURE.write_text(page_with_graph(ARCHITECTURE.read_text(encoding="utf-8")),
                            encoding="utf-8")
    print(f"rewrote the package graph in {ARCHITECTURE.relative_to(PACKAGE.parent)}")
