"""Write docs/api-problems.md: every problem code each service's OpenAPI document lists, with
its status, what it means and the operations that may answer with it.

Run ``uv run python tools/openapi/problem_codes.py`` after changing a catalogue or a route's
``responses=problems(...)``; tests/unit/kit/test_kit_problem_codes_doc.py fails while the
committed file differs from what this writes."""

from __future__ import annotations

import importlib
import sys
from collections import defaultdict
from pathlib import Path

from datapark_kit.errors import ProblemCode
from datapark_kit.openapi import KIT_PROBLEMS

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "docs" / "api-problems.md"
SERVICES = ("catalog", "trading", "rental", "subsidy")
# Each service's codes form a catalogue (raise sites pass its members).
CATALOGUES = {
    "catalog": ("datapark_catalog.problems", "CatalogProblem"),
    "rental": ("datapark_rental.problems", "RentalProblem"),
    "subsidy": ("datapark_subsidy.problems", "SubsidyProblem"),
    "trading": ("datapark_trading.problems", "TradingProblem"),
}

HEADER = """# Problem codes

Every error a datapark API answers is an RFC 9457 problem (`application/problem+json`) with a
stable `code`. This table is generated from the four OpenAPI documents
(`tools/openapi/problem_codes.py`; do not edit by hand). Each operation's problem responses in
its document list the codes it may carry (`x-problem-codes`); the schema fuzz test holds every
answer to that list. Branch on `code`, never on `title` or `detail`.
"""


def meanings() -> dict[str, str]:
    found: dict[str, str] = {}
    for description, codes in KIT_PROBLEMS.values():
        for code in codes:
            found.setdefault(str(code), description)
    for module, name in CATALOGUES.values():
        catalogue: type[ProblemCode] = getattr(importlib.import_module(module), name)
        for member in catalogue:
            found[str(member)] = member.summary
    return found


def render() -> str:
    explain = meanings()
    kit_codes = {str(c) for _, codes in KIT_PROBLEMS.values() for c in codes}
    out = [HEADER]
    out.append("## Every service (the kit)\n")
    out.append("| code | status | meaning |")
    out.append("|---|---|---|")
    for status, (description, codes) in sorted(KIT_PROBLEMS.items()):
        for code in codes:
            out.append(f"| `{code}` | {status} | {description} |")
    for service in SERVICES:
        app = importlib.import_module(f"datapark_{service}.app").build_app()
        used: dict[tuple[str, str], list[str]] = defaultdict(list)
        for ops in app.openapi()["paths"].values():
            for op in ops.values():
                for status, response in op["responses"].items():
                    for code in response.get("x-problem-codes", ()):
                        if code not in kit_codes:
                            used[(code, status)].append(op["operationId"])
        out.append(f"\n## {service}\n")
        out.append("| code | status | meaning | operations |")
        out.append("|---|---|---|---|")
        for (code, status), operations in sorted(used.items()):
            names = ", ".join(f"`{o}`" for o in sorted(operations))
            out.append(f"| `{code}` | {status} | {explain.get(code, '')} | {names} |")
    return "\n".join(out) + "\n"


def main() -> int:
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
