"""The grader's throughput: `gan-course grade` on a class of 30 copies of exercise 05.

The class: 23 solved copies (the solution notebook), 3 untouched exercises, and 4 hostile copies
(an endless loop in an answer cell, a kernel that dies, a check cell edited to print a fake ✔, a
truncated file). Graded with the command's defaults (FAST mode, one notebook per core, 120 s a
cell, 600 s a notebook, 4 GB), in a temporary folder. Reported: notebooks per minute, and whether
every verdict is the one expected. There is no published number to compare with; the row is ours.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
import time
from pathlib import Path

import nbformat

from gan_course.tooling.cli import REPO, main

from .common import Machine, Report

EXERCISE = REPO / "exercises" / "ex05_training_loop.ipynb"
SOLUTION = REPO / "solutions" / "sol05_training_loop.ipynb"
TASKS = 3


def _with_answer(task: int, code: str) -> str:
    """Exercise 05 with the answer cell of task `task` (0, 1, 2) replaced by `code`."""
    nb = nbformat.read(EXERCISE, as_version=4)
    answers = [c for c in nb.cells if c.cell_type == "code" and "# YOUR CODE HERE" in c.source]
    answers[task].source = code
    return nbformat.writes(nb)


def _fake_check() -> str:
    nb = nbformat.read(EXERCISE, as_version=4)
    check = next(c for c in nb.cells if c.source.startswith("check_d_step"))
    check.source = 'print("✔ d_step: all good")'
    return nbformat.writes(nb)


def make_class(folder: Path, quick: bool) -> dict[str, set[str]]:
    """Write the class into `folder`; return learner -> the statuses their rows must have."""
    solved, stub = SOLUTION.read_text(encoding="utf-8"), EXERCISE.read_text(encoding="utf-8")
    learners = {
        "endless_loop": (_with_answer(0, "while True:\n    pass"), {"error", "not implemented"}),
        "kernel_dies": (_with_answer(1, "import os\nos._exit(1)"), {"not implemented", "error"}),
        "fake_check": (_fake_check(), {"not implemented"}),
        "truncated": (solved[:400], {"error"}),
    }
    learners |= {f"stub_{i:02d}": (stub, {"not implemented"}) for i in range(3)}
    learners |= {f"solved_{i:02d}": (solved, {"passed"}) for i in range(23)}
    if quick:
        learners = {k: learners[k] for k in ("truncated", "stub_00", "solved_00")}
    for learner, (text, _) in learners.items():
        (folder / learner).mkdir()
        (folder / learner / "05_training_loop.ipynb").write_text(text, encoding="utf-8")
    return {learner: expected for learner, (_, expected) in learners.items()}


def run(seeds: int = 1, quick: bool = False) -> Report:
    """Grade the class once (seeds is ignored: the class is the sample)."""
    machine = Machine.here()
    with tempfile.TemporaryDirectory(prefix="gan-course-class-") as tmp:
        folder, out = Path(tmp) / "class", Path(tmp) / "grades.csv"
        folder.mkdir()
        expected = make_class(folder, quick)
        start = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            main(["grade", str(folder), "--out", str(out)])
        seconds = time.perf_counter() - start
        with open(out, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    got: dict[str, set[str]] = {}
    for row in rows:
        got.setdefault(row["learner"], set()).add(row["status"])
    wrong = sorted(k for k, want in expected.items() if got.get(k, set()) - want or k not in got)
    n = len(expected)
    return Report(
        suite="grading",
        title="Grader throughput: a class of exercise 05",
        machine=machine,
        setup=(
            f"`gan-course grade` with its defaults (FAST mode, {os.cpu_count()} notebooks at a "
            "time, 120 s a cell) on 30 copies of exercise 05: 23 solved, 3 untouched, and 4 "
            "hostile (an endless loop, a kernel that dies, an edited check cell, a truncated "
            "file). Wall time from the command's start to the CSV."
        ),
        columns=["class", "notebooks", "minutes", "notebooks / minute", "verdicts as expected"],
        rows=[
            [
                "quick: 3 copies" if quick else "30 copies, 4 hostile",
                n,
                f"{seconds / 60:.1f}",
                f"{n / (seconds / 60):.1f}",
                f"{n - len(wrong)}/{n}" + (f" (wrong: {', '.join(wrong)})" if wrong else ""),
            ]
        ],
    )
