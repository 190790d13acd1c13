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
