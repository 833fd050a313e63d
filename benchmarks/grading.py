"""The grader's throughput: `gan-course grade` on a class of 30 copies of exercise 05, with its
sandbox on and off.

The class: 17 solved copies (the solution notebook), 3 untouched exercises, and 10 hostile copies:
an endless loop in an answer cell, a kernel that dies, a check cell edited to print a fake ✔, a
truncated file, and, as in the grader's tests, a learner who tries the network, one who writes
outside their folder, one who reads another learner's notebook, one who leaves a process behind,
one who patches the grader to forge a ✔, and one who hands in the course's own `d_step`. Graded
with the command's defaults (FAST mode, one notebook per core, 120 s a cell, 600 s a notebook,
4 GB), in a temporary folder, once with `--sandbox on` and once with `--sandbox off`. Reported:
notebooks per minute, and whether every verdict is the one expected (the network, write and read
attempts only fail, and so pass their d_step, in the sandbox). Target: the sandbox costs at most
10 % of the throughput. There is no published number to compare with; the rows are ours.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat

from gan_course.tooling.cli import REPO, main
from gan_course.tooling.sandbox import Sandbox

from .common import Machine, Report, Target

EXERCISE = REPO / "exercises" / "ex05_training_loop.ipynb"
SOLUTION = REPO / "solutions" / "sol05_training_loop.ipynb"


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


def _solution(name: str) -> str:
    """The solution's answer cell that defines `name`, without its nbgrader markers."""
    solved = nbformat.read(SOLUTION, as_version=4)
    solution = next(c.source for c in solved.cells if f"def {name}(" in c.source)
    return "\n".join(line for line in solution.splitlines() if "SOLUTION" not in line)


def _right_only_if(helper: str, condition: str) -> str:
    """A d_step answer that is the solution only when `condition` holds in the kernel."""
    solution = _solution("d_step")
    return f"{helper}\nif not ({condition}):\n    d_step = None\nelse:\n" + textwrap.indent(
        solution, "    "
    )


ATTEMPT = (  # the hostile learners' helpers: True when the attempt got through
    "import socket\n\n\n"
    "def attempt(action):\n"
    "    try:\n"
    "        action()\n"
    "        return True\n"
    "    except OSError:\n"
    "        return False\n"
)


def make_class(folder: Path, quick: bool) -> dict[str, tuple[set[str], set[str]]]:
    """Write the class into `folder`; return learner -> the statuses their rows must have, with
    the sandbox on and with it off."""
    solved, stub = SOLUTION.read_text(encoding="utf-8"), EXERCISE.read_text(encoding="utf-8")
    other = folder / "solved_00" / "05_training_loop.ipynb"
    network = "attempt(lambda: socket.create_connection(('pypi.org', 443), 3))"
    write = f"attempt(lambda: open({str(folder / 'written')!r}, 'w').write('x'))"
    read = f"attempt(lambda: open({str(other)!r}).read())"
    fork = (
        "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', "
        "'import time; time.sleep(60)'], start_new_session=True)\nd_step = None"
    )
    forge = (
        "import gan_course.tooling.grading as grading\n"
        "grading.fresh_check = lambda task: (lambda *a: print(f'✔ {task}: all 6 checks passed'))"
    )
    either = {"passed", "not implemented", "failed"}
    learners = {
        "endless_loop": (_with_answer(0, "while True:\n    pass"), {"error", "not implemented"}),
        "kernel_dies": (_with_answer(1, "import os\nos._exit(1)"), {"not implemented", "error"}),
        "fake_check": (_fake_check(), {"not implemented"}),
        "truncated": (solved[:400], {"error"}),
        "network": (_with_answer(0, _right_only_if(ATTEMPT, f"not {network}")), either),
        "writes": (_with_answer(0, _right_only_if(ATTEMPT, f"not {write}")), either),
        "reads": (_with_answer(0, _right_only_if(ATTEMPT, f"not {read}")), either),
        "forks": (_with_answer(0, fork), {"failed", "not implemented"}),
        "forges": (_with_answer(0, f"{_solution('d_step')}\n{forge}"), {"review"}),
        "course_answer": (
            _with_answer(0, "from gan_course.train import d_step"),
            {"course answer", "not implemented"},
        ),
    }
    learners |= {f"stub_{i:02d}": (stub, {"not implemented"}) for i in range(3)}
    learners |= {f"solved_{i:02d}": (solved, {"passed"}) for i in range(17)}
    if quick:
        learners = {k: learners[k] for k in ("truncated", "stub_00", "solved_00")}
    for learner, (text, _) in learners.items():
        (folder / learner).mkdir()
        (folder / learner / "05_training_loop.ipynb").write_text(text, encoding="utf-8")
    return {learner: expected for learner, (_, expected) in learners.items()}


SANDBOXED = {"network", "writes", "reads"}  # in the sandbox their d_step must pass


def grade(mode: str, quick: bool) -> tuple[float, int, list[str]]:
    """(seconds, notebooks, learners graded otherwise than expected) with `--sandbox mode`."""
    with tempfile.TemporaryDirectory(prefix="gan-course-class-") as tmp:
        folder, out = Path(tmp) / "class", Path(tmp) / "grades.csv"
        folder.mkdir()
        expected = make_class(folder, quick)
        start = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            main(["grade", str(folder), "--out", str(out), "--sandbox", mode])
        seconds = time.perf_counter() - start
        with open(out, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        got: dict[str, dict[str, str]] = {}
        for row in rows:
            got.setdefault(row["learner"], {})[row["task"]] = row["status"]
        wrong = sorted(k for k, want in expected.items() if set(got.get(k, {}).values()) - want)
        if mode == "on":  # what the sandbox stopped: their d_step passed
            wrong += sorted(k for k in SANDBOXED & set(got) if got[k].get("d_step") != "passed")
    return seconds, len(expected), wrong


def run(seeds: int = 1, quick: bool = False) -> Report:
    """Grade the class with the sandbox on, then off (seeds is ignored: the class is the sample)."""
    machine = Machine.here()
    rows, rates = [], {}
    for mode in ("on", "off"):
        if mode == "on" and not Sandbox.detect("on").on:
            rows.append(["sandbox on", "–", "–", "–", Sandbox.detect("on").why_not])
            continue
        seconds, n, wrong = grade(mode, quick)
        rates[mode] = n / (seconds / 60)
        verdicts = f"{n - len(wrong)}/{n}" + (f" (wrong: {', '.join(wrong)})" if wrong else "")
        rows.append([f"sandbox {mode}", n, f"{seconds / 60:.1f}", f"{rates[mode]:.1f}", verdicts])
    targets = []
    if len(rates) == 2:
        targets.append(
            Target("throughput with the sandbox / without", rates["on"] / rates["off"], 0.9)
        )
    return Report(
        suite="grading",
        title="Grader throughput: a class of exercise 05",
        machine=machine,
        setup=(
            f"`gan-course grade` with its defaults (FAST mode, {os.cpu_count()} notebooks at a "
            f"time, 120 s a cell) on {'3' if quick else '30'} copies of exercise 05 (17 solved, "
            "3 untouched, 10 hostile: see the module's docstring), with `--sandbox on` and "
            "`--sandbox off`. Wall time from the command's start to the CSV."
        ),
        columns=["sandbox", "notebooks", "minutes", "notebooks / minute", "verdicts as expected"],
        rows=rows,
        targets=targets,
    )
