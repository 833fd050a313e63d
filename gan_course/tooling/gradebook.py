"""A class's submissions in, a grade book out: `gan-course grade` and `gan-course progress`.

`grade` finds the notebooks (files or folders), reads every one of them before anything runs (so a
notebook that deletes files cannot take another learner's work with it), grades them in parallel
with `gan_course.tooling.grading`, and writes one CSV row per learner and task plus a summary
with the pass rate of each task. A submission that cannot be graded becomes a row that says why.
"""

from __future__ import annotations

import csv
import html
import json
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass, fields
from pathlib import Path

import nbformat

from .grading import (
    COURSE_ANSWER,
    ERROR,
    FAILED,
    NOT_IMPLEMENTED,
    PASSED,
    REVIEW,
    STATUSES,
    TOUCHES_NOTE,
    Exercise,
    Limits,
    TaskResult,
    by_number,
    identify,
    read_results,
    rebuild,
    run_notebook,
)

SKIPPED_PARTS = {".ipynb_checkpoints", "__pycache__", ".git"}


@dataclass
class Submission:
    learner: str
    path: Path
    data: bytes | None  # None when the file could not be read


def find_submissions(paths: list[Path]) -> list[Submission]:
    """Every file under the given files and folders, read into memory now.

    The learner is the first folder below a given folder (`class/alice/05.ipynb` -> alice), else
    the file's name without `.ipynb`.
    """
    found = []
    for given in map(Path, paths):
        if given.is_dir():
            files = sorted(
                p
                for p in given.rglob("*")
                if p.is_file()
                and not SKIPPED_PARTS & set(p.relative_to(given).parts)
                and not p.name.startswith(".")
            )
            for path in files:
                parts = path.relative_to(given).parts
                found.append((parts[0] if len(parts) > 1 else path.stem, path))
        else:
            found.append((given.stem, given))
    submissions = []
    for learner, path in found:
        try:
            data = path.read_bytes()
        except OSError:
            data = None
        submissions.append(Submission(learner, path, data))
    return submissions


def grade_one(submission: Submission, exercises: dict[str, Exercise], limits: Limits):
    """The rows for one submission; whatever happens, it returns rows and never raises."""

    def row(exercise="", task="", status=ERROR, message="", notes=""):
        path = str(submission.path)
        return TaskResult(submission.learner, path, exercise, task, status, message, notes)

    def cannot_grade(message: str) -> list[TaskResult]:
        """An error row for each task of the exercise the file's name points at (so it counts in
        that exercise's pass rates), or one row when the name says nothing."""
        exercise = by_number(submission.path.name, exercises)
        if exercise is None:
            return [row(message=message)]
        return [row(exercise.name, task, ERROR, message) for task in exercise.tasks]

    if submission.data is None:
        return cannot_grade(f"could not read {submission.path}: missing or unreadable")
    if submission.path.suffix != ".ipynb":
        kind = submission.path.suffix or "extension-less"
        return cannot_grade(f"not a notebook (a {kind} file)")
    try:
        nb = nbformat.reads(submission.data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as err:
        what = "not valid JSON" if isinstance(err, json.JSONDecodeError | ValueError) else "invalid"
        first = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
        return cannot_grade(f"corrupt notebook ({what}: {first}); nothing was run")
    try:
        exercise = identify(nb, submission.path.name, exercises)
    except ValueError as err:
        return [row(message=str(err))]
    try:
        to_run, notes = rebuild(exercise, nb)
        results = read_results(run_notebook(to_run, limits), limits)
    except Exception as err:  # the grader's own failure on this notebook must not stop the class
        message = f"the grader could not run this notebook ({type(err).__name__}: {err})"
        return [row(exercise.name, task, ERROR, message) for task in exercise.tasks]
    if TOUCHES_NOTE in notes:  # a ✔ the learner's code could have forged is not a pass
        distrust = "the check printed ✔, but a cell of the learner's touches the checks or the "
        distrust += "grader, so the ✔ may be forged: read the notebook"
        results = {t: (REVIEW, distrust) if v[0] == PASSED else v for t, v in results.items()}
    note = "; ".join(notes)
    return [
        row(exercise.name, task, *results.get(task, (ERROR, "the check did not run")), note)
        for task in exercise.tasks
    ]


def grade_all(submissions, exercises, limits: Limits, jobs: int = 0, on_done=None):
    """Grade every submission, `jobs` at a time (default: one per CPU core); rows in input order."""
    jobs = jobs or os.cpu_count() or 1

    def work(submission):
        rows = grade_one(submission, exercises, limits)
        if on_done:
            on_done(submission, rows)
        return rows

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return [row for rows in pool.map(work, submissions) for row in rows]


# --- reports ------------------------------------------------------------------------------------


def keep_previous(path: Path) -> Path | None:
    """Rename an existing `path` to the first free `path.~N~` (as `cp --backup=numbered` does), so
    that grading one learner again never overwrites a class's grades; return the new name."""
    path = Path(path)
    if not path.exists():
        return None
    n = 1
    while (backup := path.with_name(f"{path.name}.~{n}~")).exists():
        n += 1
    path.rename(backup)
    return backup


def write_csv(rows: list[TaskResult], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([f.name for f in fields(TaskResult)])
        writer.writerows(astuple(row) for row in rows)


def summary_tables(rows: list[TaskResult]):
    """(title, header, body) tables: per task, per learner, and the notebooks with problems."""
    graded = [r for r in rows if r.task]
    per_task = Counter((r.exercise, r.task, r.status) for r in graded)
    tasks = list(dict.fromkeys((r.exercise, r.task) for r in graded))
    by_task = []
    for exercise, task in tasks:
        counts = [per_task[exercise, task, s] for s in STATUSES]
        by_task.append([exercise, task, *counts, f"{counts[0] / max(sum(counts), 1):.0%}"])
    per_learner: dict[tuple[str, str, str], list[TaskResult]] = {}
    for r in rows:
        per_learner.setdefault((r.learner, r.file, r.exercise), []).append(r)
    by_learner = []
    for (learner, file, exercise), mine in per_learner.items():
        passed = sum(r.status == PASSED for r in mine if r.task)
        total = sum(1 for r in mine if r.task)
        score = f"{passed}/{total}" if total else "not graded"
        by_learner.append([learner, exercise or "?", score, Path(file).name, mine[0].notes])
    problems = [
        [r.learner, Path(r.file).name, r.task or "(notebook)", r.status, r.message]
        for r in rows
        if r.status not in (PASSED, NOT_IMPLEMENTED)
    ]
    return [
        ("Pass rate per task", ["exercise", "task", *STATUSES, "pass rate"], by_task),
        ("Per learner", ["learner", "exercise", "passed", "file", "notes"], by_learner),
        ("What failed, and why", ["learner", "file", "task", "status", "message"], problems),
    ]


def summary_markdown(rows: list[TaskResult], sandbox: str = "") -> str:
    learners = len({r.learner for r in rows})
    out = [f"# Grades\n\n{learners} learner(s), {len({r.file for r in rows})} file(s).\n"]
    if sandbox:
        out.append(f"{sandbox.capitalize()}.\n")
    for title, header, body in summary_tables(rows):
        out.append(f"## {title}\n")
        if not body:
            out.append("None.\n")
            continue
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        out.extend("| " + " | ".join(_md_cell(c) for c in line) + " |" for line in body)
        out.append("")
    return "\n".join(out)


def summary_html(rows: list[TaskResult], sandbox: str = "") -> str:
    out = ["<!doctype html><meta charset='utf-8'><title>Grades</title>", "<h1>Grades</h1>"]
    if sandbox:
        out.append(f"<p>{html.escape(sandbox.capitalize())}.</p>")
    for title, header, body in summary_tables(rows):
        out.append(f"<h2>{html.escape(title)}</h2><table border='1' cellpadding='4'>")
        out.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
        for line in body:
            cells = "".join(f"<td><pre>{html.escape(str(c))}</pre></td>" for c in line)
            out.append(f"<tr>{cells}</tr>")
        out.append("</table>")
    return "\n".join(out) + "\n"


def _md_cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", "<br>")


MARKS = {
    PASSED: "✔",
    FAILED: "✘",
    NOT_IMPLEMENTED: "·",
    COURSE_ANSWER: "©",
    REVIEW: "?",
    ERROR: "!",
}


def progress_table(rows: list[TaskResult]) -> str:
    """A learner's own view: one line per exercise, a mark per task, and what to look at next."""
    lines, width = [], max((len(r.exercise) for r in rows), default=8) + 2
    for file in dict.fromkeys(r.file for r in rows):
        mine = [r for r in rows if r.file == file]
        if not mine[0].task:
            lines.append(f"{Path(file).name:<{width}}! {mine[0].message}")
            continue
        marks = "  ".join(f"{MARKS[r.status]} {r.task}" for r in mine)
        lines.append(f"{mine[0].exercise:<{width}}{marks}")
    graded = [r for r in rows if r.task]
    passed = sum(r.status == PASSED for r in graded)
    lines.append(
        f"\n{passed}/{len(graded)} tasks pass.  ✔ passed  ✘ failed  · not implemented yet  "
        "© the course's own answer  ? to review  ! error"
    )
    todo = [r for r in graded if r.status in (FAILED, COURSE_ANSWER, REVIEW, ERROR)]
    for r in todo:
        lines.append(
            f"\n{r.exercise} · {r.task} ({r.status}):\n    " + r.message.replace("\n", "\n    ")
        )
    return "\n".join(lines)
