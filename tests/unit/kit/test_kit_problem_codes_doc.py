"""docs/api-problems.md is what tools/openapi/problem_codes.py writes from the documents."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_problem_code_table_is_current() -> None:
    spec = importlib.util.spec_from_file_location(
        "problem_codes", ROOT / "tools" / "openapi" / "problem_codes.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = (ROOT / "docs" / "api-problems.md").read_text(encoding="utf-8")
    assert written == module.render(), "run: uv run python tools/openapi/problem_codes.py"
    assert "`region_not_covered` | 422" in written
