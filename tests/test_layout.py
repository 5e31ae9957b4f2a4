"""The package's shape: stage subpackages in pipeline order, imports that only point down
the pipeline (to earlier stages and the shared base), no import cycle, short modules, and
one definition of a Chinese character."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "audiobook"
VENDORED = {"audiobook.speech.engines.zhtts.cn_tn"}  # shipped unchanged, see its NOTICE
# base modules every stage may use; the stages in pipeline order; the commands on top
RANKS = {
    "audiobook": 0,
    "audiobook.model": 0,
    "audiobook.config": 0,
    "audiobook.files": 0,
    "audiobook.errors": 0,
    "audiobook.text": 1,
    "audiobook.cast": 2,
    "audiobook.speech": 3,
    "audiobook.audio": 4,
    "audiobook.export": 5,
    "audiobook.report": 6,
    "audiobook.workflow": 6,
    "audiobook.options": 7,
    "audiobook.maintenance": 7,
    "audiobook.inspection": 7,
    "audiobook.speaking": 7,
    "audiobook.cli": 7,
    "audiobook.__main__": 8,
}
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py") if module_name(p) not in VENDORED}


def rank(module: str) -> int:
    for prefix in sorted(RANKS, key=len, reverse=True):
        if module == prefix or (prefix != "audiobook" and module.startswith(prefix + ".")):
            return RANKS[prefix]
    raise AssertionError(f"{module} is in no stage: add it to the layout")


def imports(module: str) -> set[str]:
    """Every audiobook module ``module`` imports, at the top or inside a function."""
    tree = ast.parse(MODULES[module].read_text("utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            # `from audiobook.x import y` imports module audiobook.x.y when y is one
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        else:
            continue
        found |= {n for n in names if n.split(".")[0] == "audiobook" and n != module}
    return found - VENDORED


def test_every_module_belongs_to_a_stage_and_imports_only_down_the_pipeline() -> None:
    for module in MODULES:
        rank(module)
    wrong = [
        f"{module} imports {target}"
        for module in MODULES
        for target in imports(module)
        if rank(target) > rank(module)
    ]
    assert wrong == []


def test_no_import_cycle() -> None:
    graph = {module: imports(module) for module in MODULES}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_modules_are_short() -> None:
    long = {
        m: n
        for m, p in MODULES.items()
        if (n := len(p.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_one_definition_of_a_chinese_character() -> None:
    ranges = re.compile(r"\\u4e00|\\u3400|[\u4e00]-")
    defining = sorted(m for m, p in MODULES.items() if ranges.search(p.read_text("utf-8")))
    assert defining == ["audiobook.text.hanzi"]
