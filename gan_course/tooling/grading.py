"""Grading exercise notebooks: rebuild each from the released exercise, run it, read the checks.

A submission is never trusted and never touched. Its bytes are read once; the notebook that runs
is rebuilt from the released exercise (`exercises/exNN_*.ipynb`): the learner's answer cells (those
the exercise leaves as `# YOUR CODE HERE`) and any cells they added are kept, every other cell,
checks included, is the original. Like nbgrader's checksums, a check cell the learner edited or
deleted is noticed and reported, and the original runs instead.

Each rebuilt notebook runs in a fresh kernel, in a subprocess of its own, in a temporary folder,
with a time limit per cell (the kernel is interrupted and the next cell runs), a time limit for the
whole notebook and a memory cap (the process tree is killed). The runner saves the notebook after
every cell, so whatever ran before a crash is still graded. Every outcome, a crash included,
becomes a `TaskResult`: passed, failed (with the check's message and hint), not implemented, or
error (with what happened).
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil

from .layout import EXERCISES, notebooks_in, topic
from .sandbox import Sandbox

PASSED, FAILED, NOT_IMPLEMENTED, ERROR = "passed", "failed", "not implemented", "error"
COURSE_ANSWER = "course answer"  # the course's own code handed in (checks.CourseAnswer)
REVIEW = "review"  # would pass, but the learner's code reaches into the checks or the grader
STATUSES = (PASSED, FAILED, NOT_IMPLEMENTED, COURSE_ANSWER, REVIEW, ERROR)
ANSWER_MARK = "# YOUR CODE HERE"
CHECK_CALL = re.compile(r"^\s*(check_\w+)\(.*\)\s*$")
QUESTION_CALL = re.compile(r"^\s*check_question\(\s*[\"']([\w.]+)[\"']")  # its task: the id's end
GRADER_KEY = "gan_course_grader"  # metadata the runner writes; the learner's notebook never has it
KERNEL_DIED = "the kernel died (a crash, or os._exit in the code)"
TOUCHES_NOTE = "a cell of the learner's touches the checks or the grader: read it"


class GradingError(RuntimeError):
    """Something about the set-up, not a submission, is wrong (no exercises to grade against)."""


@dataclass
class TaskResult:
    learner: str
    file: str
    exercise: str
    task: str  # the check's name without `check_`; "" when the whole notebook could not be graded
    status: str
    message: str = ""
    notes: str = ""


@dataclass
class Exercise:
    """A released exercise notebook, and which of its cells are answers and which are checks."""

    name: str  # "05_training_loop", the topic of exercises/ex05_training_loop.ipynb
    notebook: nbformat.NotebookNode
    answers: dict[str, set[str]] = field(default_factory=dict)  # cell id -> names it defines
    checks: dict[str, str] = field(default_factory=dict)  # cell id -> task name

    @classmethod
    def load(cls, path: Path) -> Exercise:
        nb = nbformat.read(path, as_version=4)
        exercise = cls(topic(path), nb)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if ANSWER_MARK in cell.source:
                exercise.answers[cell.id] = defined_names(cell.source)
            elif match := QUESTION_CALL.match(cell.source):
                exercise.checks[cell.id] = match.group(1).split(".")[-1]
            elif match := CHECK_CALL.match(cell.source):
                exercise.checks[cell.id] = match.group(1).removeprefix("check_")
        return exercise

    @property
    def tasks(self) -> list[str]:
        return list(self.checks.values())


def load_exercises(folder: Path) -> dict[str, Exercise]:
    exercises = {topic(p): Exercise.load(p) for p in notebooks_in(EXERCISES, folder)}
    if not exercises:
        raise GradingError(
            f"no exercise notebooks in {folder}: pass the released exercises with --exercises "
            "(in the course's repository they are in exercises/)"
        )
    return exercises


def defined_names(source: str) -> set[str]:
    """Top-level functions, classes and variables a cell defines (empty if it does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def digest(source: str) -> str:
    return hashlib.sha256(source.strip().encode()).hexdigest()


# --- which exercise, and the notebook that will run ---------------------------------------------


def identify(nb: nbformat.NotebookNode, filename: str, exercises: dict[str, Exercise]) -> Exercise:
    """The exercise a submission answers: by shared cell ids, else by its NN_ file-name prefix."""
    ids = {cell.get("id") for cell in nb.cells}
    shared = {name: len(ids & {c.id for c in ex.notebook.cells}) for name, ex in exercises.items()}
    best = max(shared, key=shared.get)
    if shared[best] > 0:
        return exercises[best]
    exercise = by_number(filename, exercises)
    if exercise is not None:
        return exercise
    raise ValueError(
        "cannot tell which exercise this is: it shares no cells with any released exercise and "
        f"its name has no exercise number (one of {', '.join(exercises)})"
    )


def by_number(filename: str, exercises: dict[str, Exercise]) -> Exercise | None:
    """The exercise whose number the file's name carries (`alice-05-final.ipynb` -> 05_...)."""
    number = re.search(r"(?<!\d)(\d{2})(?!\d)", Path(filename).stem)
    for name, exercise in exercises.items():
        if number and name.startswith(number.group(1) + "_"):
            return exercise
    return None


# A learner's cell that does one of these can reach the code that decides a verdict: the checks,
# the grader, the import system, a function's code object, the ✔ mark. Python cannot stop code
# in a kernel from rewriting the kernel, so such a notebook's passes are not trusted: REVIEW.
TOUCHES_CHECKS = re.compile(
    r"gan_course\.checks|gan_course\.tooling|\btooling\b|\bcheck_\w+\s*=|\bdef\s+check_\w+"
    r"|fresh_check|\bCheck\b|show_pass|importlib|sys\.modules|__import__|\bbuiltins\b"
    r"|__code__|__globals__|\bgc\b|\bsetattr\(|\bexec\(|\beval\(|✔|\\u2714|\\N\{"
)


def fresh_check(task: str):
    """`check_<task>` from a fresh import of `gan_course.checks`, for a graded notebook's check
    cell: a learner's cell that replaced a check in the loaded modules cannot stand in for it."""
    import importlib

    loaded = [
        n for n in sys.modules if n == "gan_course.checks" or n.startswith("gan_course.checks.")
    ]
    first = ("gan_course.checks.core", "gan_course.checks.questions")  # the others use them
    loaded.sort(key=lambda n: (n == "gan_course.checks", n not in first, n))
    for name in loaded:  # core, then the question bank the modules fill, the package last
        importlib.reload(sys.modules[name])
    return getattr(importlib.import_module("gan_course.checks"), f"check_{task}")


def rebuild(exercise: Exercise, submitted: nbformat.NotebookNode):
    """The notebook to run, and notes on what differed: original cells with the learner's answers.

    The learner's cells are matched to the exercise's by `_match`; cells the learner added are
    kept after the original cell they followed. Check cells always run as released, preceded
    by a fresh import of the check so that a learner's own `check_...` cannot stand in for it.
    """
    mine_of = _match(exercise, submitted)
    original_of = {id(cell): cell_id for cell_id, cell in mine_of.items()}
    added: dict[str | None, list] = {}
    anchor = None
    for cell in submitted.cells:
        if id(cell) in original_of:
            anchor = original_of[id(cell)]
        elif cell.cell_type == "code" and cell.source.strip():
            added.setdefault(anchor, []).append(cell.source)

    notes, changed = [], 0
    run = nbformat.v4.new_notebook(metadata=dict(exercise.notebook.metadata))
    first_code = next(c.id for c in exercise.notebook.cells if c.cell_type == "code")
    for cell in exercise.notebook.cells:
        if cell.cell_type != "code":
            continue
        mine = mine_of.get(cell.id)
        if cell.id in exercise.answers:
            source = cell.source if mine is None else mine.source
            if mine is None:
                notes.append(f"the answer cell for {_after(exercise, cell.id)} is missing")
            run.cells.append(_code(source, role="answer", task=_after(exercise, cell.id)))
        elif cell.id in exercise.checks:
            task = exercise.checks[cell.id]
            if mine is None:
                notes.append(f"the check cell of {task} was deleted")
            elif digest(mine.source) != digest(cell.source):
                notes.append(f"the check cell of {task} was edited")
            name = "question" if QUESTION_CALL.match(cell.source) else task
            fresh = (
                f"check_{name} = __import__({__name__!r}).tooling.grading.fresh_check({name!r})\n"
            )
            run.cells.append(_code(fresh + cell.source, role="check", task=task))
        else:
            changed += mine is not None and digest(mine.source) != digest(cell.source)
            run.cells.append(_code(cell.source, role="course"))
        for extra in added.get(cell.id, []) + (
            added.get(None, []) if cell.id == first_code else []
        ):
            run.cells.append(_code(extra, role="added", task=_after(exercise, cell.id)))
    learners = [
        c.source for c in run.cells if c.metadata[GRADER_KEY]["role"] in ("answer", "added")
    ]
    if any(TOUCHES_CHECKS.search(source) for source in learners):
        notes.append(TOUCHES_NOTE)
    if any("check cell" in note for note in notes):
        notes.append("graded with the original checks")
    if changed:
        notes.append(f"{changed} course cell(s) differ from the exercise; the originals ran")
    if extra_count := sum(map(len, added.values())):
        notes.append(f"{extra_count} cell(s) of the learner's own were kept")
    return run, notes


def _match(exercise: Exercise, submitted: nbformat.NotebookNode) -> dict:
    """Original code cell id -> the learner's cell that stands for it.

    By cell id first; a cell without a matching id (an old copy, a pasted cell) matches an answer
    cell when it defines the same names, and any other cell when its source is the same.
    """
    by_id = {cell.get("id"): cell for cell in submitted.cells if cell.get("id")}
    originals = [cell for cell in exercise.notebook.cells if cell.cell_type == "code"]
    matched = {cell.id: by_id[cell.id] for cell in originals if cell.id in by_id}
    taken = {id(cell) for cell in matched.values()}
    for cell in originals:
        if cell.id in matched:
            continue
        names = exercise.answers.get(cell.id)  # None: not an answer cell
        free = [m for m in submitted.cells if m.cell_type == "code" and id(m) not in taken]
        if names is None:  # a course or check cell: the first cell with the same source
            found = [m for m in free if digest(m.source) == digest(cell.source)][:1]
        elif names:  # an answer cell: the last cell that defines the same names
            found = [m for m in free if names <= defined_names(m.source)][-1:]
        else:  # an answer cell that defines nothing cannot be recognised
            continue
        if found:
            matched[cell.id] = found[0]
            taken.add(id(found[0]))
    return matched


def _after(exercise: Exercise, cell_id: str) -> str:
    """The task whose check follows a cell: the task that cell's code is for."""
    ids = [c.id for c in exercise.notebook.cells]
    for later in ids[ids.index(cell_id) :]:
        if later in exercise.checks:
            return exercise.checks[later]
    return ""


def _code(source: str, role: str, task: str = "") -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata[GRADER_KEY] = {"role": role, "task": task}
    return cell


# --- running it ---------------------------------------------------------------------------------


@dataclass
class Limits:
    notebook_seconds: float = 600
    cell_seconds: float = 120
    memory_bytes: int = 4 << 30
    fast: bool = True
    threads: int = 1
    sandbox: Sandbox | None = None  # None or off: the notebook runs with the grader's rights


def private_environment(folder: Path, limits: Limits) -> dict[str, str]:
    """The runner's environment: the threads, the mode, and every place a kernel writes to
    (Jupyter's runtime files, IPython's history, caches) inside the notebook's own folder."""
    env = dict(os.environ, OMP_NUM_THREADS=str(limits.threads), MPLBACKEND="Agg")
    env["GAN_COURSE_FAST"] = "1" if limits.fast else "0"
    home = Path(folder) / "home"
    for name in ("HOME", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    return env


def run_notebook(nb: nbformat.NotebookNode, limits: Limits) -> nbformat.NotebookNode:
    """Run `nb` in a fresh kernel in a subprocess; return it executed as far as it got.

    The notebook's metadata[GRADER_KEY]["stopped"] says why it stopped early, if it did.
    """
    with tempfile.TemporaryDirectory(prefix="gan-course-grade-") as folder:
        path = Path(folder) / "submission.ipynb"
        nbformat.write(nb, path)
        command = [sys.executable, "-m", __name__, str(path), str(limits.cell_seconds)]
        if limits.sandbox is not None:
            command = limits.sandbox.wrap(command, Path(folder))
        runner = subprocess.Popen(
            command,
            cwd=folder,
            env=private_environment(Path(folder), limits),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: a kill takes the kernel with it
        )
        stopped, start = None, time.monotonic()
        while runner.poll() is None:
            if time.monotonic() - start > limits.notebook_seconds:
                stopped = f"the notebook ran over its time limit ({limits.notebook_seconds:g} s)"
            elif _tree_memory(runner.pid) > limits.memory_bytes:
                stopped = f"it used more than the memory cap ({limits.memory_bytes / 2**30:g} GB)"
            if stopped:
                _kill_tree(runner.pid)
                break
            time.sleep(0.1)
        stderr = runner.communicate()[1].decode(errors="replace")
        ran = nbformat.read(path, as_version=4)
        info = ran.metadata.setdefault(GRADER_KEY, {})
        if stopped or runner.returncode not in (0, None):
            info.setdefault("stopped", stopped or f"the runner failed: {stderr.strip()[-300:]}")
        return ran


def _process_tree(pid: int) -> list[psutil.Process]:
    """The process `pid` and all its descendants (the runner and its kernel); [] once gone."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _tree_memory(pid: int) -> int:
    total = 0
    for proc in _process_tree(pid):
        try:
            total += proc.memory_info().rss
        except psutil.Error:  # it ended while we looked
            pass
    return total


def _kill_tree(pid: int) -> None:
    procs = _process_tree(pid)
    for proc in procs:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=10)


def _runner(path: Path, cell_seconds: float) -> None:
    """In the subprocess: run the notebook cell by cell, saving after each (nbclient)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=cell_seconds,
        interrupt_on_timeout=True,  # a cell that runs too long is interrupted; the next one runs
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    info = nb.metadata.setdefault(GRADER_KEY, {})
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            cell.metadata[GRADER_KEY]["running"] = True
            nbformat.write(nb, path)  # if the process dies now, the grader knows where
            start = time.monotonic()
            try:
                client.execute_cell(cell, index)
            except DeadKernelError:
                info["stopped"] = KERNEL_DIED
                break
            finally:
                cell.metadata[GRADER_KEY].pop("running")
                cell.metadata[GRADER_KEY]["seconds"] = round(time.monotonic() - start, 2)
                nbformat.write(nb, path)
            if client.kc is None or not client.km.is_alive():
                info["stopped"] = KERNEL_DIED
                break


# --- what the outputs say -----------------------------------------------------------------------


def read_results(ran: nbformat.NotebookNode, limits: Limits) -> dict[str, tuple[str, str]]:
    """task -> (status, message), from the outputs of each check cell and the cells before it."""
    stopped = ran.metadata.get(GRADER_KEY, {}).get("stopped")
    results = {}
    trouble = []  # what went wrong in the learner's cells since the last check
    for cell in ran.cells:
        info = cell.metadata.get(GRADER_KEY, {})
        error = next((o for o in cell.get("outputs", []) if o.output_type == "error"), None)
        timed_out = error is not None and error.ename == "KeyboardInterrupt"
        if info.get("running"):
            trouble.append(f"{stopped or 'the run stopped'} while running this task's code")
        elif timed_out and info.get("seconds", 0) >= limits.cell_seconds * 0.9:
            trouble.append(
                f"the cell for {info.get('task') or 'this task'} ran over the time limit "
                f"({limits.cell_seconds:g} s) and was interrupted (an endless loop?)"
            )
        elif error is not None and info.get("role") in ("answer", "added", "course"):
            where = f"the cell for {info['task']}" if info.get("task") else "a course cell"
            trouble.append(f"{where} raised {error.ename}: {_first_line(error.evalue)}")
        if info.get("role") != "check":
            continue
        task = info["task"]
        if info.get("running") or cell.get("execution_count") is None:
            reason = trouble[-1] if trouble else (stopped or "the run stopped before this check")
            results[task] = (ERROR, f"not checked: {reason}")
        elif error is not None:
            results[task] = _from_error(error, trouble, timed_out, limits)
        elif _shows_pass(cell):
            results[task] = (PASSED, f"passed, but {'; '.join(trouble)}" if trouble else "")
        else:
            results[task] = (ERROR, "the check printed no verdict")
        trouble = []
    return results


def _shows_pass(cell) -> bool:
    """Did the check cell show its ✔ line (printed, or the green box of a kernel)?"""
    for output in cell.outputs:
        text = output.get("text", "") if output.output_type == "stream" else ""
        text = text or output.get("data", {}).get("text/plain", "")
        if "✔" in text:
            return True
    return False


def _from_error(error, trouble: list[str], timed_out: bool, limits: Limits) -> tuple[str, str]:
    if error.ename == "NotImplementedYet":
        return NOT_IMPLEMENTED, "not implemented yet"
    if error.ename == "CourseAnswer":  # the check's own words: "that is the course's own ..."
        return COURSE_ANSWER, _strip_ansi("\n".join(error.traceback)) or error.evalue
    if error.ename in ("CheckFailed", "LearnerError"):  # the check's own message, with its hint
        message = _strip_ansi("\n".join(error.traceback)) or error.evalue
        return (FAILED if error.ename == "CheckFailed" else ERROR), message
    if timed_out:
        return (
            ERROR,
            f"the check ran over the time limit ({limits.cell_seconds:g} s): an endless loop?",
        )
    message = f"{error.ename}: {_first_line(error.evalue)}"
    return ERROR, (f"{'; '.join(trouble)}; then the check got {message}" if trouble else message)


def _first_line(text: str) -> str:
    return _strip_ansi(text).strip().splitlines()[0] if text.strip() else ""


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


if __name__ == "__main__":
    _runner(Path(sys.argv[1]), float(sys.argv[2]))
