"""The package map holds: layers import only downward, the simulator stays out of production paths,
and no module imports another that imports it back at run time."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "facilitator"

# Shared basics at the top level of `facilitator/`: anyone may import them.
BASICS = {"clock", "config", "links", "exports", "calendars", "retry_after"}
# Which first-level packages each package may import (besides itself and the basics).
ALLOWED: dict[str, set[str]] = {
    "plan": set(),
    "schedule": {"plan"},
    "surveys": set(),
    "store": {"schedule", "plan"},
    "zoom": {"store", "schedule", "plan"},
    "zoomsim": {"zoom", "schedule", "plan"},
    "delivery": {"store", "schedule", "plan", "surveys"},
    "report": {"surveys", "store", "schedule", "plan"},
    "web": {"delivery", "zoom", "store", "schedule", "plan", "surveys"},
    "zoomapp": {"web", "delivery", "zoom", "store", "schedule", "plan", "surveys"},
}
ALLOWED["app"] = {
    "web",
    "zoomapp",
    "delivery",
    "zoom",
    "zoomsim",
    "store",
    "schedule",
    "plan",
    "surveys",
    "report",
}
ALLOWED["cli"] = {"app", *ALLOWED["app"]}
# The only production modules that may import the simulator: the simulation entry points.
SIMULATION_ENTRY_POINTS = {"facilitator.app.simulation", "facilitator.cli.zoom_sim"}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        yield name, ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree: ast.Module, *, module_level_only: bool) -> Iterator[str]:
    """Imported `facilitator.*` module names; type-checking-only imports are left out."""

    def walk(nodes: list[ast.stmt]) -> Iterator[str]:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("facilitator"):
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    yield (
                        candidate
                        if (PACKAGE.parent / (candidate.replace(".", "/") + ".py")).exists()
                        or (PACKAGE.parent / candidate.replace(".", "/")).is_dir()
                        else node.module
                    )
            elif isinstance(node, ast.Import):
                yield from (a.name for a in node.names if a.name.startswith("facilitator"))
            if not module_level_only:
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.stmt):
                        yield from walk([child])
            elif isinstance(node, ast.If | ast.Try | ast.With):
                yield from walk([n for n in ast.iter_child_nodes(node) if isinstance(n, ast.stmt)])

    yield from walk(tree.body)


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_packages_import_only_downward() -> None:
    wrong = []
    for name, tree in _modules():
        source = _top(name)
        if source not in ALLOWED:
            continue
        for target in _imports(tree, module_level_only=False):
            dest = _top(target)
            if dest and dest != source and dest not in BASICS and dest not in ALLOWED[source]:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_production_code_never_imports_the_simulator() -> None:
    offenders = [
        f"{name} imports {target}"
        for name, tree in _modules()
        if _top(name) != "zoomsim" and name not in SIMULATION_ENTRY_POINTS
        for target in _imports(tree, module_level_only=False)
        if _top(target) == "zoomsim"
    ]
    assert offenders == []


def test_no_run_time_import_cycle() -> None:
    graph = {name: set(_imports(tree, module_level_only=True)) for name, tree in _modules()}
    # A package's __init__ importing its own submodule is not a cycle to worry about.
    edges = {
        n: {t for t in ts if t in graph and t != n and not t.startswith(n + ".")} for n, ts in graph.items()
    }
    seen: set[str] = set()
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        seen.add(node)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt in on_stack:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in seen:
                visit(nxt)
        stack.pop()
        on_stack.discard(node)

    for node in sorted(edges):
        if node not in seen:
            visit(node)
    assert cycles == []


def test_boundary_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The checker itself can fail: a schedule module importing the web app is caught."""
    tree = ast.parse("from facilitator.web.app import create_app\n")
    targets = list(_imports(tree, module_level_only=False))
    assert targets and _top(targets[0]) == "web" and "web" not in ALLOWED["schedule"]
