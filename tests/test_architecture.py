"""The package's import arrows point one way: the layers of ARCHITECTURE.md, read from its `layers` block.

Every import counts, including those inside functions (they are real arrows, only taken later).
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "src" / "fintech_firms"


def declared_layers() -> list[list[str]]:
    """The layers, lowest first; each a list of units (a subpackage or a top-level module) that may not
    import each other. Read from the fenced `layers` block of ARCHITECTURE.md, highest first there."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    block = re.search(r"```text layers\n(.*?)```", text, re.S)
    assert block, "ARCHITECTURE.md needs its ```text layers block"
    layers = []
    for line in block.group(1).splitlines():
        if ":" in line:
            units = re.sub(r"\(.*?\)", "", line.split(":", 1)[1])
            layers.append([u.strip() for u in re.split(r"[|,]", units) if u.strip()])
    return layers[::-1]


def module_name(path: Path) -> str:
    parts = ["fintech_firms", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str) -> set[str]:
    """The package's modules that module `name` imports (relative imports resolved)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from . import x` takes the package only to reach its submodule x: an arrow to x alone.
            submodules = [f"{module}.{alias.name}" for alias in node.names if f"{module}.{alias.name}" in MODULES]
            targets = submodules + ([module] if len(submodules) < len(node.names) else [])
        else:
            continue
        found |= {t for t in targets if t in MODULES}
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def unit_of(module: str) -> str:
    parts = module.split(".")
    return "fintech_firms" if len(parts) == 1 else parts[1]


def test_every_unit_has_a_layer():
    layered = {unit for layer in declared_layers() for unit in layer}
    units = {unit_of(m) for m in MODULES} - {"sql"}  # sql: the models' folder, no code
    assert units <= layered, f"place these in ARCHITECTURE.md's layers: {sorted(units - layered)}"


def test_no_module_imports_a_layer_above_or_beside_its_own():
    level = {unit: i for i, layer in enumerate(declared_layers()) for unit in layer}
    wrong = []
    for module, targets in GRAPH.items():
        for target in targets:
            a, b = unit_of(module), unit_of(target)
            if a != b and level[b] >= level[a]:
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports against the layers of ARCHITECTURE.md:\n" + "\n".join(sorted(wrong))


def test_no_import_cycles():
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> None:
        if module in done:
            return
        assert module not in path, "import cycle: " + " -> ".join(path[path.index(module):] + [module])
        path.append(module)
        for target in sorted(GRAPH[module]):
            visit(target)
        path.pop()
        done.add(module)

    for module in sorted(GRAPH):
        visit(module)


def test_the_checks_see_the_arrows():
    # The graph is read right: known arrows are found, so the tests above cannot pass by seeing nothing.
    assert "fintech_firms.tabular.cells" in GRAPH["fintech_firms.tabular.xlsx_fast"]
    assert "fintech_firms.tabular.xlsx_fast" in GRAPH["fintech_firms.tabular.reader"]  # inside a function
    assert "fintech_firms.models.runner" in GRAPH["fintech_firms.ingest.pipeline"]
    assert "fintech_firms.version" in GRAPH["fintech_firms"]
