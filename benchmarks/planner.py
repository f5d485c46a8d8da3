"""The question planner: share of phrasings planned right, per family, and time per question.

Sets, each JSON lines (:mod:`geoquant.testing.corpus`): the development corpus
(``tests/reason/data/corpus.jsonl``, which the tests also hold the planner to) and the held-out
sets (``benchmarks/planner/holdout*.jsonl``, written apart from the planner and never used to
shape it before their first measurement). A plan is right when its answer expression
(``geoquant.testing.corpus.expression``: ops, classes, sizes, distances, units, independent of
step ids) equals the family's expected one; a refusal counts as not
planned, a different plan as *misread* (the worse outcome: an answer to another question).

``--baseline REV`` also runs the planner of a git revision (e.g. the last one before the
compositional planner) on the same sets, side by side.

    .venv/bin/python benchmarks/planner.py --baseline 648fdf6 --json benchmarks/results/planner.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _planner_at(revision: str | None) -> Any:
    """``plan_question`` of the working tree, or of a git revision's planner module."""
    if revision is None:
        from geoquant.reason.reading._planner import plan_question

        return plan_question
    source = subprocess.run(["git", "show", f"{revision}:geoquant/reason/reading/_planner.py"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    folder = Path(tempfile.mkdtemp(prefix="planner-"))
    path = folder / "planner_baseline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("planner_baseline", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.plan_question


def measure(plan_question: Any, families: dict[str, tuple[Any, tuple[str, ...]]]
            ) -> dict[str, Any]:
    """Right, misread and refused per family; seconds per question."""
    from geoquant.testing.corpus import expression

    per_family: dict[str, dict[str, int]] = defaultdict(lambda: {"right": 0, "misread": 0,
                                                                  "refused": 0})
    seconds = []
    misread = []
    for name, (expected, phrasings) in families.items():
        family = name.removesuffix("_v")
        for question in phrasings:
            started = time.perf_counter()
            try:
                got = expression(plan_question(question))
            except Exception:  # noqa: BLE001 - any refusal or failure: not planned
                got = None
            seconds.append(time.perf_counter() - started)
            if got is None:
                per_family[family]["refused"] += 1
            elif got == expected:
                per_family[family]["right"] += 1
            else:
                per_family[family]["misread"] += 1
                misread.append(question)
    total = {k: sum(f[k] for f in per_family.values()) for k in ("right", "misread", "refused")}
    n = sum(total.values())
    seconds.sort()
    return {"families": dict(per_family), "total": total, "questions": n,
            "right_percent": 100.0 * total["right"] / n,
            "ms_per_question_median": 1e3 * seconds[len(seconds) // 2],
            "ms_per_question_p95": 1e3 * seconds[int(0.95 * (len(seconds) - 1))],
            "misread": misread}


def phrasing_sets() -> dict[str, dict[str, tuple[Any, tuple[str, ...]]]]:
    """The corpus and the held-out sets ("held-out", "held-out2", ...: the names earlier
    results use), each family -> (expected expression, phrasings)."""
    from geoquant.testing.corpus import read_phrasings

    sets = {"corpus": read_phrasings(ROOT / "tests" / "reason" / "data" / "corpus.jsonl")}
    for path in sorted((ROOT / "benchmarks" / "planner").glob("holdout*.jsonl")):
        number = path.stem.removeprefix("holdout")
        sets["held-out" + ("" if number == "1" else number)] = read_phrasings(path)
    return sets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=None, help="git revision of a planner to compare")
    parser.add_argument("--json", default=None, help="write the figures here")
    parser.add_argument("--show-failures", action="store_true", help="list misread questions")
    args = parser.parse_args(argv)

    sets = phrasing_sets()
    planners = {"geoquant": _planner_at(None)}
    if args.baseline:
        planners[f"baseline {args.baseline}"] = _planner_at(args.baseline)
    results = {who: {name: measure(plan, questions) for name, questions in sets.items()}
               for who, plan in planners.items()}
    if args.show_failures:
        for name in sets:
            for question in results["geoquant"][name]["misread"]:
                print(f"MISREAD [{name}] {question}")

    for set_name in sets:
        print(f"\n### {set_name}\n")
        header = "| family | " + " | ".join(planners) + " |"
        print(header + "\n|---|" + "---:|" * len(planners))
        families_seen = sorted(results["geoquant"][set_name]["families"])
        for family in families_seen:
            cells = []
            for who in planners:
                f = results[who][set_name]["families"][family]
                n = sum(f.values())
                cells.append(f"{f['right']}/{n}" + (f" ({f['misread']} misread)"
                                                     if f["misread"] else ""))
            print(f"| {family} | " + " | ".join(cells) + " |")
        cells = []
        for who in planners:
            r = results[who][set_name]
            cells.append(f"**{r['right_percent']:.1f} %** ({r['total']['misread']} misread), "
                         f"{r['ms_per_question_median']:.2f} ms/question")
        print("| all | " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
