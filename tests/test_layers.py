"""The package's layers, as CONTRIBUTING.md draws them: each module imports only downwards, and
no two modules import each other, however indirectly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import REPO

PACKAGE = REPO / "gan_course"

# Each layer may import its own and the layers before it; `tooling` stands apart on top.
LAYERS = [
    ("ground", {"runtime", "data", "losses", "latent", "images"}),
    ("networks", {"models"}),
    ("loop", {"loop"}),
    ("families", {"train", "families"}),
    (
        "around",
        {
            "viz",
            "views",
            "callbacks",
            "metrics",
            "compare",
            "games",
            "widgets",
            "assets",
            "playground",
        },
    ),
    ("checks", {"checks"}),
    ("tooling", {"tooling"}),
]
LAYER_OF = {top: i for i, (_, tops) in enumerate(LAYERS) for top in tops}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The gan_course modules a file imports, at any depth of the file (lazy imports too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("gan_course"):
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("gan_course"))
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {m for m in found if m in modules and m != name}


def top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


GRAPH = {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_has_a_layer():
    tops = {top(m) for m in GRAPH if top(m)}
    assert tops <= set(LAYER_OF), (
        f"give these a layer in tests/test_layers.py: {tops - set(LAYER_OF)}"
    )


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if top(m)))
def test_a_module_imports_only_its_layer_and_the_ones_below(module):
    mine = LAYER_OF[top(module)]
    above = sorted(m for m in GRAPH[module] if top(m) and LAYER_OF[top(m)] > mine)
    assert not above, f"{module} (layer {LAYERS[mine][0]}) imports from above: {above}"


def test_no_import_circle():
    visiting, done = set(), set()

    def visit(module, path):
        if module in done:
            return
        if module in visiting:
            cycle = path[path.index(module) :] + [module]
            pytest.fail("import circle: " + " -> ".join(cycle))
        visiting.add(module)
        for target in sorted(GRAPH.get(module, ())):
            if not target.startswith(module + "."):  # a package importing its own modules
                visit(target, [*path, module])
        visiting.discard(module)
        done.add(module)

    for module in sorted(GRAPH):
        visit(module, [])


def test_the_loop_knows_no_gan_and_the_networks_nothing_above_data_and_images():
    assert not {m for m in GRAPH["gan_course.loop"] if top(m) != "loop"}, "loop imports nothing"
    for module in (m for m in GRAPH if top(m) == "models"):
        allowed = {"runtime", "data", "images", "models"}
        assert {top(m) for m in GRAPH[module]} <= allowed, module
