"""The import graph of scaling_core keeps the layers of ARCHITECTURE.md (read from the source with ast, not imported).

Checked for every import, module-level and inside functions alike: imports point only down the layer table
(or stay in their own subpackage), no import cycle, no streamlit, no private name of another module; and the
layers that pages and sweeps load stay free of torch at import time.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "scaling_core"
ARCHITECTURE = REPO / "ARCHITECTURE.md"

# Subpackages that must not load torch when imported (directly or through what they import at module level):
# the analytic core, the task heads' counts, persistence, accuracy models, and what the pages compute.
TORCH_FREE = ("core", "tasks", "storage", "accuracy", "app")
HEAVY = ("torch", "torchvision", "fvcore")


@dataclass(frozen=True)
class Import:
    """One import statement's target inside the package (or outside it), where it is and how it runs."""

    module: str
    line: int
    target: str
    names: tuple[str, ...]
    module_level: bool

    def where(self, package: Path) -> str:
        """module (path:line) for failure messages."""
        path = package.parent / (self.module.replace(".", "/") + ".py")
        if not path.exists():
            path = package.parent / self.module.replace(".", "/") / "__init__.py"
        return f"{self.module} ({path.relative_to(package.parent)}:{self.line})"


def layers_from_architecture(text: str) -> dict[str, int]:
    """{subpackage: layer number} from ARCHITECTURE.md's layer table (rows `| 3 | `nn` | ...`)."""
    layers = {}
    for number, cell in re.findall(r"^\|\s*(\d+)\s*\|([^|]*)\|", text, flags=re.MULTILINE):
        for name in re.findall(r"`([\w.]+)/?`", cell):
            layers[name] = int(number)
    return layers


def module_names(package: Path) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name, from its __init__.py)."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _collect(module: str, is_package: bool, tree: ast.AST, modules: dict[str, Path]) -> list[Import]:
    found: list[Import] = []

    def resolve(node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        return ".".join(base + ([node.module] if node.module else []))

    def visit(node: ast.AST, module_level: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(module, node.lineno, alias.name, (), module_level))
        elif isinstance(node, ast.ImportFrom):
            target = resolve(node)
            names = tuple(alias.name for alias in node.names)
            submodules = [n for n in names if f"{target}.{n}" in modules]
            # `from pkg import submodule` depends on the submodule itself
            for name in submodules:
                found.append(Import(module, node.lineno, f"{target}.{name}", (), module_level))
            if len(submodules) < len(names):
                rest = tuple(n for n in names if n not in submodules)
                found.append(Import(module, node.lineno, target, rest, module_level))
        inside_function = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        type_checking = isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in ast.iter_child_nodes(node):
            visit(child, module_level and not inside_function and not type_checking)

    visit(tree, True)
    return found


def collect_imports(package: Path) -> tuple[dict[str, Path], list[Import]]:
    """The package's modules and every import statement in them (function-level ones included)."""
    modules = module_names(package)
    imports = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        imports += _collect(name, path.name == "__init__.py", tree, modules)
    return modules, imports


def subpackage(module: str) -> str:
    """The layer-table name of a module: `core`, `app`, `studies.spectrum`; the package root counts as core."""
    parts = module.split(".")[1:]
    if not parts:
        return "core"  # the root only re-exports the core and holds __version__
    if parts[0] == "__main__":
        return "cli"
    if parts[0] == "studies" and len(parts) > 1:
        return f"studies.{parts[1]}"
    return parts[0]


def _internal(package: Path, imp: Import) -> bool:
    return imp.target == package.name or imp.target.startswith(package.name + ".")


def upward_imports(package: Path, imports: list[Import], layers: dict[str, int]) -> list[str]:
    """Imports of a module in another subpackage at the same or a higher layer, and modules with no layer."""
    problems = []
    for imp in imports:
        if not _internal(package, imp):
            continue
        own, other = subpackage(imp.module), subpackage(imp.target)
        if own not in layers:
            problems.append(f"{imp.where(package)}: subpackage {own!r} is not in the layer table")
        elif other not in layers:
            problems.append(f"{imp.where(package)} imports {imp.target}: {other!r} is not in the layer table")
        elif own != other and layers[other] >= layers[own]:
            problems.append(
                f"{imp.where(package)} imports {imp.target}: {own} (layer {layers[own]}) may import only its own "
                f"subpackage and lower layers, and {other} is layer {layers[other]}"
            )
    return problems


def import_cycles(package: Path, modules: dict[str, Path], imports: list[Import]) -> list[str]:
    """Each strongly connected group of modules (a cycle), with the imports that close it."""
    edges: dict[str, dict[str, Import]] = {m: {} for m in modules}
    for imp in imports:
        if _internal(package, imp) and imp.target in modules and imp.target != imp.module:
            edges[imp.module].setdefault(imp.target, imp)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in modules:
        if module not in index:
            connect(module)
    problems = []
    for group in groups:
        closing = [
            f"{imp.where(package)} imports {target}"
            for member in group
            for target, imp in edges[member].items()
            if target in group
        ]
        problems.append(f"import cycle among {', '.join(group)}: " + "; ".join(closing))
    return problems


def streamlit_imports(package: Path, imports: list[Import]) -> list[str]:
    """Any import of streamlit inside the package."""
    return [f"{imp.where(package)} imports {imp.target}" for imp in imports if imp.target.split(".")[0] == "streamlit"]


def private_imports(package: Path, imports: list[Import]) -> list[str]:
    """`from module import _name` of another module's private name (dunders such as __version__ are public)."""
    return [
        f"{imp.where(package)} imports the private name {name} from {imp.target}"
        for imp in imports
        if _internal(package, imp)
        for name in imp.names
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__"))
    ]


def torch_at_import(package: Path, modules: dict[str, Path], imports: list[Import], free: tuple[str, ...]) -> list[str]:
    """Modules of the torch-free subpackages that load torch (or fvcore) when imported: the chain that does."""
    module_level: dict[str, list[Import]] = {m: [] for m in modules}
    for imp in imports:
        if imp.module_level:
            module_level[imp.module].append(imp)
    problems = []
    for start in sorted(m for m in modules if subpackage(m) in free):
        seen, frontier = {start: [start]}, [start]
        while frontier:
            module = frontier.pop()
            for imp in module_level[module]:
                if imp.target.split(".")[0] in HEAVY:
                    chain = " → ".join(seen[module])
                    problems.append(f"{start} loads {imp.target} when imported: {chain}; {imp.where(package)}")
                    break
                if imp.target in modules and imp.target not in seen:
                    seen[imp.target] = seen[module] + [imp.target]
                    frontier.append(imp.target)
    return problems


@pytest.fixture(scope="module")
def graph():
    return collect_imports(PACKAGE)


@pytest.fixture(scope="module")
def layers():
    return layers_from_architecture(ARCHITECTURE.read_text())


def test_the_layer_table_names_every_subpackage(graph, layers):
    modules, _ = graph
    assert {subpackage(m) for m in modules} <= set(layers), "ARCHITECTURE.md's layer table lacks a subpackage"
    assert set(layers) <= {subpackage(m) for m in modules}, "the layer table names a missing subpackage"


def test_imports_point_only_down_the_layers(graph, layers):
    _, imports = graph
    problems = upward_imports(PACKAGE, imports, layers)
    assert not problems, "\n".join(problems)


def test_no_import_cycles(graph):
    modules, imports = graph
    problems = import_cycles(PACKAGE, modules, imports)
    assert not problems, "\n".join(problems)


def test_scaling_core_never_imports_streamlit(graph):
    _, imports = graph
    problems = streamlit_imports(PACKAGE, imports)
    assert not problems, "\n".join(problems)


def test_no_private_names_across_modules(graph):
    _, imports = graph
    problems = private_imports(PACKAGE, imports)
    assert not problems, "\n".join(problems)


def test_torch_only_where_models_are_built_or_run(graph):
    modules, imports = graph
    problems = torch_at_import(PACKAGE, modules, imports, TORCH_FREE)
    assert not problems, "\n".join(problems)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_the_checks_report_planted_violations(tmp_path):
    package = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/core/__init__.py": "",
            "pkg/core/a.py": "def f():\n    from pkg.app.view import show  # upward, inside a function\n",
            "pkg/core/b.py": "import torch\nfrom ..core import c\n",
            "pkg/core/c.py": "from pkg.core.b import _helper\nimport streamlit as st\n",
            "pkg/app/__init__.py": "",
            "pkg/app/view.py": "def show():\n    import torch\n",
        },
    )
    modules, imports = collect_imports(package)
    layers = {"core": 1, "app": 2}

    upward = upward_imports(package, imports, layers)
    assert len(upward) == 1 and "pkg.core.a (pkg/core/a.py:2) imports pkg.app.view" in upward[0]
    cycles = import_cycles(package, modules, imports)
    assert len(cycles) == 1 and "pkg.core.b, pkg.core.c" in cycles[0]
    assert streamlit_imports(package, imports) == ["pkg.core.c (pkg/core/c.py:2) imports streamlit"]
    assert private_imports(package, imports) == [
        "pkg.core.c (pkg/core/c.py:1) imports the private name _helper from pkg.core.b"
    ]
    torch = torch_at_import(package, modules, imports, ("core", "app"))
    # b imports torch itself, c through b; the app's function-level import is allowed
    assert {p.split(" ")[0] for p in torch} == {"pkg.core.b", "pkg.core.c"}


def test_the_layer_table_is_read_from_markdown():
    text = (
        "| layer | subpackage |\n|---|---|\n| 1 | `core/` | x |\n| 8 | `studies.spectrum`, `studies.robustness` | y |\n"
    )
    assert layers_from_architecture(text) == {"core": 1, "studies.spectrum": 8, "studies.robustness": 8}
