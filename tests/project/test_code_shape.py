"""The shape the core keeps: short functions, and one softmax for the whole product."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ["charrnn", "playground", "training", "corpora", "app.py"]
MAX_FUNCTION_LINES = 60


def product_functions() -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    found = []
    for name in PRODUCT:
        path = ROOT / name
        for file in [path] if path.suffix == ".py" else sorted(path.rglob("*.py")):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    found.append((f"{file.relative_to(ROOT)}:{node.lineno} {node.name}", node))
    return found


def test_no_function_is_longer_than_60_lines() -> None:
    long = {where: node.end_lineno - node.lineno + 1 for where, node in product_functions()}  # type: ignore[operator]
    assert {where: n for where, n in long.items() if n > MAX_FUNCTION_LINES} == {}


def test_one_softmax_in_the_product() -> None:
    softmaxes = [where for where, node in product_functions() if "softmax" in node.name]
    assert len(softmaxes) == 1 and softmaxes[0].startswith("charrnn/sampling.py"), softmaxes


def imported_packages(package: str) -> dict[str, set[str]]:
    """Each module of ``package`` and the top-level packages it imports (at any depth of its code)."""
    found = {}
    for file in sorted((ROOT / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[str(file.relative_to(ROOT))] = names
    return found


def test_the_library_imports_neither_streamlit_nor_training_nor_the_playground() -> None:
    upward = {"streamlit", "training", "playground"}
    assert {module: names & upward for module, names in imported_packages("charrnn").items() if names & upward} == {}


def test_training_never_imports_the_playground() -> None:
    upward = {"streamlit", "playground"}
    assert {module: names & upward for module, names in imported_packages("training").items() if names & upward} == {}
