"""`gan-course grade` and `progress` on a class of real notebooks, hostile ones included.

The class is graded once (module fixture): each learner's notebook is exercise 05 with some
answers filled in from the solution and, for the hostile ones, something a grader must survive.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import secrets
import shutil
import socket
import subprocess
import textwrap
import threading
from pathlib import Path

import nbformat
import psutil
import pytest

from gan_course.tooling import gradebook
from gan_course.tooling.cli import main
from gan_course.tooling.grading import Exercise, identify, load_exercises, rebuild

from .conftest import REPO

pytestmark = pytest.mark.slow  # left out by `./course test fast`

EXERCISE = REPO / "exercises" / "ex05_training_loop.ipynb"
SOLUTION = REPO / "solutions" / "sol05_training_loop.ipynb"
TASKS = Exercise.load(EXERCISE).tasks  # in the order of their answer cells


def solution_sources() -> dict[str, str]:
    """Answer cell id -> the solution's code (nbgrader markers stripped)."""
    exercise = Exercise.load(EXERCISE)
    solution = {c.id: c.source for c in nbformat.read(SOLUTION, as_version=4).cells}
    keep = lambda source: "\n".join(  # noqa: E731
        line
        for line in source.splitlines()
        if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
    )
    return {cell_id: keep(solution[cell_id]) for cell_id in exercise.answers}


def answer_ids() -> dict[str, str]:
    """task -> the id of its answer cell."""
    return dict(zip(TASKS, Exercise.load(EXERCISE).answers, strict=True))


def learner_notebook(answers: dict[str, str] | None = None, edit=None) -> str:
    """Exercise 05 as a learner saves it: `answers` maps a task to its answer cell's code
    ("solution" for the reference); `edit(nb)` may change anything else."""
    nb = nbformat.read(EXERCISE, as_version=4)
    ids, reference = answer_ids(), solution_sources()
    for task, code in (answers or {}).items():
        cell = next(c for c in nb.cells if c.id == ids[task])
        cell.source = reference[ids[task]] if code == "solution" else code
    if edit:
        edit(nb)
    return nbformat.writes(nb)


SOLVED = dict.fromkeys(TASKS, "solution")


def _edit_check(nb):
    cell = next(c for c in nb.cells if c.source.startswith("check_d_step"))
    cell.source = 'print("✔ d_step: all good")'


def _fake_check_and_delete_one(nb):
    # a home-made check that always passes, and the g_step check cell deleted
    nb.cells.insert(2, nbformat.v4.new_code_cell('def check_d_step(fn):\n    print("✔ d_step")'))
    nb.cells = [c for c in nb.cells if not c.source.startswith("check_g_step")]


def _patch_the_checks(nb):
    patch = "import gan_course.checks\ngan_course.checks.check_d_step = lambda f: print('✔ d_step')"
    nb.cells.insert(2, nbformat.v4.new_code_cell(patch))


def _added_cell(nb):
    nb.cells.insert(3, nbformat.v4.new_code_cell("HELPER = 42  # a cell of my own"))


def _no_ids(nb):
    # an old copy: no cell ids, a cell of its own before the answers
    for cell in nb.cells:
        cell.pop("id", None)
    nb.nbformat_minor = 4


CLASS = {
    "ada/ex05_training_loop.ipynb": learner_notebook(SOLVED),
    "ben/ex05_training_loop.ipynb": learner_notebook(),
    "cy/ex05_training_loop.ipynb": learner_notebook(
        {
            "d_step": "solution",
            # D frozen for the G step and never made trainable again: a plausible wrong answer
            # to task 2, rejected by the check with a hint
            "g_step": "def g_step(generator, discriminator, g_optimizer, noise,\n"
            "           loss_fn=g_loss_nonsaturating):\n"
            "    g_optimizer.zero_grad()\n"
            "    discriminator.requires_grad_(False)\n"
            "    loss = loss_fn(discriminator(generator(noise)))\n"
            "    loss.backward()\n"
            "    g_optimizer.step()\n"
            "    return {'g_loss': loss.item()}",
        }
    ),
    # an endless loop at the top level of an answer cell, then two good answers
    "dee/05_training_loop.ipynb": learner_notebook(
        {"d_step": "while True:\n    pass", "g_step": "solution", "train_loop": "solution"}
    ),
    # an endless loop inside the function, reached only by its check
    "eve/05_training_loop.ipynb": learner_notebook(
        {
            "d_step": "solution",
            "g_step": "def g_step(*args, **kwargs):\n    while True:\n        pass",
        }
    ),
    # an exception at import
    "fay/05_training_loop.ipynb": learner_notebook(
        {"d_step": "import a_module_that_does_not_exist\n", "g_step": "solution"}
    ),
    # the kernel dies in the middle
    "gus/05_training_loop.ipynb": learner_notebook(
        {"d_step": "solution", "g_step": "import os\nos._exit(3)"}
    ),
    # deletes every file it can reach from its working folder
    "hal/05_training_loop.ipynb": learner_notebook(
        {
            "d_step": "import os, shutil\nfor name in os.listdir('.'):\n"
            "    shutil.rmtree(name, ignore_errors=True) if os.path.isdir(name) "
            "else os.remove(name)\n" + solution_sources()[answer_ids()["d_step"]],
        }
    ),
    # edits a check cell, and another learner writes a check of their own and deletes one
    "ida/05_training_loop.ipynb": learner_notebook({}, edit=_edit_check),
    "jo/05_training_loop.ipynb": learner_notebook({}, edit=_fake_check_and_delete_one),
    # memory: allocates until stopped
    "kim/05_training_loop.ipynb": learner_notebook(
        {"d_step": "chunks = []\nwhile True:\n    chunks.append(b'x' * (50 << 20))"}
    ),
    "lou/05_training_loop.ipynb": learner_notebook(SOLVED, edit=_added_cell),
    "max/old_copy_05.ipynb": learner_notebook(SOLVED, edit=_no_ids),
    "ned/05_training_loop.ipynb": learner_notebook(SOLVED)[:500],  # truncated: corrupt
    "ola/answers.py": "def d_step(): ...\n",
    "pam/05_training_loop.ipynb": json.dumps({"cells": "not a list"}),
    "quinn/notes.ipynb": nbformat.writes(nbformat.v4.new_notebook()),
    # swaps a check in the loaded modules for one that always passes
    "rae/05_training_loop.ipynb": learner_notebook({}, edit=_patch_the_checks),
    # an endless loop after a right answer: passes, and says the cell was interrupted
    "sam/05_training_loop.ipynb": learner_notebook(
        {"d_step": solution_sources()[answer_ids()["d_step"]] + "\nwhile True:\n    pass"}
    ),
    "tom/tom-05.txt": "my answers are in my head\n",
}


# ------------------------------------------------------------------------------ hostile learners
# Each tries what a learner after marks, or mischief, might: their d_step is right only when the
# sandbox stopped the attempt, so a "passed" d_step is the proof that it did.


def _right_only_if(condition: str, what: str) -> str:
    """A d_step answer: the solution if `condition` (Python, run in the kernel) holds, else one
    that raises, naming `what` got through."""
    solution = solution_sources()[answer_ids()["d_step"]]
    return (
        f"if not ({condition}):\n"
        "    def d_step(*args, **kwargs):\n"
        f"        raise RuntimeError('the sandbox let {what} through')\n"
        "else:\n" + textwrap.indent(solution, "    ")
    )


def hostile_class(submissions, out, port, marker) -> dict[str, str]:
    """The hostile learners, who need to know where things are (the grader's own loopback port,
    the folders, a marker to find a process by)."""
    connect = (
        "def reachable(host, port):\n"
        "    import socket\n"
        "    try:\n"
        "        socket.create_connection((host, port), timeout=3).close()\n"
        "        return True\n"
        "    except OSError:\n"
        "        return False\n"
    )
    course = REPO / f"written-by-vic-{marker}"
    writes = (
        "def wrote(path):\n"
        "    try:\n"
        "        open(path, 'w').write('vic was here')\n"
        "        return True\n"
        "    except OSError:\n"
        "        return False\n"
    )
    places = [course, submissions / "vic-was-here", out / "vic-was-here", out / "grades.csv"]
    reads = (
        "def read(path):\n"
        "    try:\n"
        "        return bool(open(path).read())\n"
        "    except OSError:\n"
        "        return False\n"
    )
    forked = (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)', {marker!r}],\n"
        "                 start_new_session=True, stdout=subprocess.DEVNULL)\n"
    )
    forge = (
        "import gan_course.tooling.grading as grading\n"
        "grading.fresh_check = lambda task: (lambda *a: print(f'✔ {task}: all 6 checks passed'))"
    )
    return {
        "uma/ex05_training_loop.ipynb": learner_notebook(
            {
                "d_step": connect
                + _right_only_if(
                    f"not reachable('127.0.0.1', {port}) and not reachable('pypi.org', 443)",
                    "a connection",
                )
            }  # fmt: skip
        ),
        "vic/ex05_training_loop.ipynb": learner_notebook(
            {
                "d_step": writes
                + _right_only_if(" and ".join(f"not wrote({str(p)!r})" for p in places), "a write")
            }  # fmt: skip
        ),
        "wes/ex05_training_loop.ipynb": learner_notebook(
            {
                "d_step": reads
                + _right_only_if(
                    f"not read({str(submissions / 'ada' / 'ex05_training_loop.ipynb')!r})",
                    "a read of the notebook of another learner",
                )
            }  # fmt: skip
        ),
        "xia/ex05_training_loop.ipynb": learner_notebook({"d_step": forked + "d_step = None"}),
        "yan/ex05_training_loop.ipynb": learner_notebook(
            {}, edit=lambda nb: nb.cells.insert(2, nbformat.v4.new_code_cell(forge))
        ),  # fmt: skip
        "zed/ex05_training_loop.ipynb": learner_notebook(
            {
                "d_step": "from gan_course.train import d_step",
                "g_step": "from gan_course import train\n\n\n"
                "def g_step(*args, **kwargs):\n    return train.g_step(*args, **kwargs)",
            }
        ),
    }


class CountingServer:
    """A TCP server on the grader's loopback that counts who connects."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port, self.connections = self.socket.getsockname()[1], 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.socket.close()


def _digest(folder):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    out = tmp_path_factory.mktemp("out")
    server, marker = CountingServer(), f"hostile-{secrets.token_hex(6)}"
    learners = {**CLASS, **hostile_class(folder, out, server.port, marker)}
    for name, text in learners.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    before = _digest(folder)
    argv = [str(folder), "--out", str(out / "grades.csv"), "--jobs", "2"]
    # a cell limit well above the train_loop check's 5-10 s, even on a loaded CI machine
    argv += ["--timeout", "240", "--cell-timeout", "40", "--memory", "2.5"]
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        assert main(["grade", *argv]) == 0
    server.close()
    survivors = [p for p in psutil.process_iter(["cmdline"]) if marker in (p.info["cmdline"] or [])]
    for process in survivors:  # found, and now stopped
        process.kill()
    with open(out / "grades.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {
        "rows": rows,
        "before": before,
        "after": _digest(folder),
        "out": out,
        "learners": learners,
        "connections": server.connections,
        "survivors": len(survivors),
        "stderr": errors.getvalue(),
        "course_file": REPO / f"written-by-vic-{marker}",
    }


def sandboxed(graded) -> None:
    """Skip (saying why) when the grader had no sandbox here."""
    if "sandbox: on" not in graded["stderr"]:
        reason = next((line for line in graded["stderr"].splitlines() if "sandbox" in line), "")
        pytest.skip(f"no sandbox on this machine: {reason}")


def status(graded, learner):
    return {r["task"]: r["status"] for r in graded["rows"] if r["learner"] == learner}


def rows_of(graded, learner):
    return [r for r in graded["rows"] if r["learner"] == learner]


def test_no_submission_is_changed_and_every_file_has_rows(graded):
    assert graded["after"] == graded["before"]
    learners = {name.split("/")[0] for name in graded["learners"]}
    assert {r["learner"] for r in graded["rows"]} == learners


def test_the_reference_passes_and_the_untouched_stub_is_not_implemented(graded):
    assert status(graded, "ada") == dict.fromkeys(TASKS, "passed")
    assert status(graded, "ben") == dict.fromkeys(TASKS, "not implemented")


def test_a_wrong_answer_fails_with_the_checks_hint(graded):
    assert status(graded, "cy") == {
        **dict.fromkeys(TASKS, "not implemented"),
        "d_step": "passed",
        "g_step": "failed",
    }
    failed = next(r for r in rows_of(graded, "cy") if r["task"] == "g_step")
    assert "✘ g_step" in failed["message"] and "hint" in failed["message"]
    assert "D is still frozen after the G step" in failed["message"]


def test_an_endless_loop_is_interrupted_and_the_rest_is_graded(graded):
    dee = {r["task"]: r for r in rows_of(graded, "dee")}
    assert dee["d_step"]["status"] == "error" and "time limit" in dee["d_step"]["message"]
    # the loop check runs the loop with the course's steps: d_step's loop does not sink it
    assert dee["g_step"]["status"] == dee["train_loop"]["status"] == "passed"
    eve = {r["task"]: r for r in rows_of(graded, "eve")}
    assert eve["d_step"]["status"] == "passed"
    assert eve["g_step"]["status"] == "error" and "time limit" in eve["g_step"]["message"]


def test_an_exception_at_import_is_reported_with_its_cause(graded):
    fay = {r["task"]: r for r in rows_of(graded, "fay")}
    assert fay["d_step"]["status"] == "error"
    assert "a_module_that_does_not_exist" in fay["d_step"]["message"]
    assert fay["g_step"]["status"] == "passed"


def test_a_dead_kernel_keeps_what_was_graded_before_it(graded):
    gus = {r["task"]: r for r in rows_of(graded, "gus")}
    assert gus["d_step"]["status"] == "passed"
    for task in ("g_step", "train_loop"):
        assert gus[task]["status"] == "error" and "kernel died" in gus[task]["message"]


def test_a_notebook_that_deletes_files_deletes_only_its_own_copy(graded):
    assert status(graded, "hal")["d_step"] == "passed"
    assert status(graded, "ada") == dict.fromkeys(TASKS, "passed")


def test_edited_or_deleted_check_cells_are_noticed_and_the_originals_run(graded):
    ida = rows_of(graded, "ida")
    assert {r["status"] for r in ida} == {"not implemented"}
    assert "check cell of d_step was edited" in ida[0]["notes"]
    assert "graded with the original checks" in ida[0]["notes"]
    jo = rows_of(graded, "jo")
    assert {r["status"] for r in jo} == {"not implemented"}, "a home-made check must not count"
    assert "check cell of g_step was deleted" in jo[0]["notes"]


def test_a_memory_hog_is_stopped_at_the_cap(graded):
    kim = {r["task"]: r for r in rows_of(graded, "kim")}
    assert {r["status"] for r in kim.values()} == {"error"}
    assert "memory cap" in kim["d_step"]["message"]


def test_added_cells_are_kept_and_old_copies_without_ids_are_matched(graded):
    assert status(graded, "lou") == dict.fromkeys(TASKS, "passed")
    assert "1 cell(s) of the learner's own were kept" in rows_of(graded, "lou")[0]["notes"]
    assert status(graded, "max") == dict.fromkeys(TASKS, "passed")


def test_files_that_cannot_be_graded_become_rows_saying_why(graded):
    messages = {r["learner"]: r["message"] for r in graded["rows"]}
    assert "corrupt notebook" in messages["ned"]
    assert "not a notebook" in messages["ola"]
    assert "corrupt notebook" in messages["pam"]
    assert "cannot tell which exercise" in messages["quinn"]
    for learner in ("ned", "pam", "tom"):  # the name says 05: a row for each task, all errors
        assert status(graded, learner) == dict.fromkeys(TASKS, "error")
    assert "not a notebook (a .txt file)" in messages["tom"]
    for learner in ("ola", "quinn"):  # nothing says which exercise: one row
        assert [r["task"] for r in rows_of(graded, learner)] == [""]


def test_a_swapped_check_does_not_count_and_is_flagged(graded):
    rae = rows_of(graded, "rae")
    assert status(graded, "rae") == dict.fromkeys(TASKS, "not implemented")
    assert "touches the checks" in rae[0]["notes"]


def test_a_pass_says_when_a_cell_was_interrupted(graded):
    sam = {r["task"]: r for r in rows_of(graded, "sam")}
    assert sam["d_step"]["status"] == "passed"
    assert sam["d_step"]["message"].startswith("passed, but the cell for d_step ran over the time")


def test_the_summary_gives_pass_rates_per_task(graded):
    text = (graded["out"] / "grades.md").read_text(encoding="utf-8")
    passing = {"d_step": {"ada", "cy", "eve", "gus", "hal", "lou", "max", "sam"}}
    if "sandbox: on" in graded["stderr"]:  # the hostile learners whose attempts it stopped
        passing["d_step"] |= {"uma", "vic", "wes"}
    n = len({r["learner"] for r in graded["rows"] if r["task"] == "d_step"})
    rate = f"{len(passing['d_step']) / n:.0%}"
    assert f"| 05_training_loop | d_step | {len(passing['d_step'])} |" in text
    assert rate in text
    assert "## What failed, and why" in text and "kim" in text


def test_html_summary_and_bad_arguments(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("x")
    assert (
        main(
            [
                "grade",
                str(tmp_path / "a.txt"),
                "--out",
                str(tmp_path / "g.csv"),
                "--summary",
                str(tmp_path / "g.html"),
            ]
        )
        == 0
    )
    assert "<table" in (tmp_path / "g.html").read_text()
    first = (tmp_path / "g.csv").read_text()
    assert main(["grade", str(tmp_path / "a.txt"), "--out", str(tmp_path / "g.csv")]) == 0
    assert (tmp_path / "g.csv.~1~").read_text() == first, "a second run keeps the first's grades"
    assert "kept the previous g.csv as g.csv.~1~" in capsys.readouterr().err
    assert main(["grade", str(tmp_path / "nope")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["grade", str(tmp_path), "--exercises", str(tmp_path / "empty")]) == 2
    assert "no exercise notebooks" in capsys.readouterr().err


def test_progress_shows_a_learners_tasks(tmp_path, capsys):
    (tmp_path / "ex05_training_loop.ipynb").write_text(
        learner_notebook({"d_step": "solution"}), encoding="utf-8"
    )
    assert main(["progress", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "✔ d_step" in out and "· g_step" in out and "· train_loop" in out
    assert f"1/{len(TASKS)} tasks pass" in out


def test_rebuild_keeps_answers_and_restores_checks():
    exercises = load_exercises(REPO / "exercises")
    nb = nbformat.reads(learner_notebook(SOLVED, edit=_edit_check), as_version=4)
    exercise = identify(nb, "whatever.ipynb", exercises)
    assert exercise.name == "05_training_loop"
    run, notes = rebuild(exercise, nb)
    sources = [c.source for c in run.cells]
    assert any(s.endswith("check_d_step(d_step)") for s in sources)
    assert not any("all good" in s for s in sources)
    assert any("d_optimizer.zero_grad()" in s for s in sources)
    assert notes[0] == "the check cell of d_step was edited"
    summary = gradebook.summary_markdown([])
    assert "None." in summary


# ------------------------------------------------------------------------------ the sandbox


def test_the_grader_says_whether_it_has_a_sandbox(graded):
    text = (graded["out"] / "grades.md").read_text(encoding="utf-8")
    said = [line for line in graded["stderr"].splitlines() if "sandbox:" in line]
    assert said and said[0].split("sandbox:")[1].split()[0] in ("on", "OFF")
    assert "Sandbox:" in text


def test_no_network_from_a_submission(graded):
    sandboxed(graded)
    assert status(graded, "uma")["d_step"] == "passed", rows_of(graded, "uma")[0]["message"]
    assert graded["connections"] == 0, "the grader's own loopback was reached"


def test_no_writes_to_the_course_the_submissions_or_the_grades(graded):
    sandboxed(graded)
    assert status(graded, "vic")["d_step"] == "passed", rows_of(graded, "vic")[0]["message"]
    assert not graded["course_file"].exists()
    assert not (graded["out"] / "vic-was-here").exists()
    assert "vic was here" not in (graded["out"] / "grades.csv").read_text(encoding="utf-8")


def test_no_reading_another_learners_notebook(graded):
    sandboxed(graded)
    assert status(graded, "wes")["d_step"] == "passed", rows_of(graded, "wes")[0]["message"]


def test_no_process_outlives_its_notebook(graded):
    sandboxed(graded)
    assert graded["survivors"] == 0


def test_a_forged_tick_is_not_a_pass(graded):
    yan = rows_of(graded, "yan")
    assert {r["status"] for r in yan} == {"review"}, yan
    assert "may be forged" in yan[0]["message"] and "touches the checks" in yan[0]["notes"]


def test_the_courses_own_answer_is_not_the_learners(graded):
    zed = {r["task"]: r for r in rows_of(graded, "zed")}
    for task, name in (("d_step", "d_step"), ("g_step", "g_step")):
        assert zed[task]["status"] == "course answer", zed[task]
        assert f"the course's own `{name}`" in zed[task]["message"]
    text = (graded["out"] / "grades.md").read_text(encoding="utf-8")
    assert "course answer" in text and "review" in text


def _pairs(args: list[str], flag: str) -> list[list[str]]:
    """The arguments that follow each `flag` in a bwrap command (one for --tmpfs, two for binds)."""
    width = 1 if flag in ("--tmpfs", "--remount-ro") else 2
    return [args[i + 1 : i + 1 + width] for i, a in enumerate(args) if a == flag]


def test_sandbox_arguments_hide_what_a_submission_must_not_see(tmp_path, monkeypatch):
    from gan_course.tooling import sandbox
    from gan_course.tooling.sandbox import Sandbox

    (tmp_path / "class" / "ada").mkdir(parents=True)
    (tmp_path / "grades.csv").write_text("x")
    box = Sandbox("/usr/bin/bwrap", hidden=[tmp_path / "class", tmp_path / "grades.csv"])
    args = box.wrap(["python", "run.py"], tmp_path / "work")
    assert [str(tmp_path / "class")] not in _pairs(args, "--tmpfs")  # gone with /tmp's own tmpfs
    assert ["/tmp"] in _pairs(args, "--tmpfs")
    monkeypatch.setattr(sandbox, "_emptied_with_tmp", lambda path: False)  # as if not in /tmp
    args = box.wrap(["python", "run.py"], tmp_path / "work")
    assert args[:1] == ["/usr/bin/bwrap"] and args[-2:] == ["python", "run.py"]
    assert "--unshare-all" in args and ["--ro-bind", "/", "/"] == args[1:4]
    assert [str(tmp_path / "class")] in _pairs(args, "--tmpfs")
    assert [str(tmp_path / "class")] in _pairs(args, "--remount-ro")  # and nothing written there
    assert ["/dev/null", str(tmp_path / "grades.csv")] in _pairs(args, "--ro-bind")
    assert _pairs(args, "--bind") == [[str(tmp_path / "work")] * 2]
    whole_course = Sandbox("/usr/bin/bwrap", hidden=[REPO])
    hidden = whole_course.wrap(["true"], tmp_path)
    assert [str(REPO)] not in _pairs(hidden, "--tmpfs")
    assert not Sandbox.detect("off").on and "turned off" in Sandbox.detect("off").why_not
    with pytest.raises(ValueError, match="auto"):
        Sandbox.detect("sometimes")


def test_a_course_under_tmp_stays_visible_in_the_sandbox(tmp_path, monkeypatch):
    """The sandbox empties /tmp; a course (or venv) cloned there must still be seen, read-only,
    and nothing else of /tmp."""
    from gan_course.tooling import sandbox

    box = sandbox.Sandbox.detect()
    if not box.on:
        pytest.skip(box.why_not)
    course, other = Path("/tmp") / f"course-{tmp_path.name}", Path(f"/tmp/other-{tmp_path.name}")
    for place in (course, other):
        place.mkdir()
        (place / "note.txt").write_text("here\n")
    try:
        monkeypatch.setattr(sandbox, "_needed", lambda: [course.resolve()])
        args = box.wrap(["sh", "-c", "cat note.txt; ls /tmp; echo x > note2.txt"], tmp_path)
        args[args.index("--chdir") + 1] = str(course)
        ran = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert ran.stdout.splitlines()[0] == "here", ran
        assert other.name not in ran.stdout and course.name in ran.stdout, ran
        assert ran.returncode != 0 and not (course / "note2.txt").exists(), ran
    finally:
        shutil.rmtree(course), shutil.rmtree(other)
