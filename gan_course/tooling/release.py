"""Make the exercise notebooks from the solution notebooks (`gan-course release`).

`solutions/solNN_topic.ipynb` becomes `exercises/exNN_topic.ipynb` (`tooling.layout`). In
`solutions/`, code between nbgrader's markers is the answer::

    def d_loss(real_logits, fake_logits):
        ### BEGIN SOLUTION
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
        ### END SOLUTION

In `exercises/` it becomes, at the same indentation::

    def d_loss(real_logits, fake_logits):
        # YOUR CODE HERE
        raise NotImplementedError()

A concept question's answer is one line ending in `### ANSWER` (what follows it is kept as the
learner's instructions)::

    why_detach = "b"  ### ANSWER: one of "a", "b", "c", "d"

and becomes `why_detach = None  # YOUR CODE HERE: one of "a", "b", "c", "d"`.

Cells tagged `solution-only` are dropped; outputs, execution counts and widget state are
cleared. The same function serves the test that `exercises/` is up to date.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from .layout import EXERCISES, SOLUTIONS, file_name, notebooks_in, topic

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SOLUTION_ONLY = "solution-only"
_MARKER = re.compile(r"^(\s*)### (BEGIN|END) SOLUTION\s*$")
_ANSWER = re.compile(r"^(\s*)(\w+)\s*=.*?\s*### ANSWER(?::\s*(.*?))?\s*$")  # a question's answer


class ReleaseError(ValueError):
    """A solution notebook's markers are unbalanced."""


def strip_solutions(source: str, where: str = "cell") -> str:
    """Replace each marked region of `source` with a stub at the region's indentation."""
    out: list[str] = []
    inside = False
    for lineno, line in enumerate(source.splitlines(), 1):
        match = _MARKER.match(line)
        if match and match.group(2) == "BEGIN":
            if inside:
                raise ReleaseError(f"{where}, line {lineno}: BEGIN SOLUTION inside another")
            inside = True
            indent = match.group(1)
            out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
        elif match:
            if not inside:
                raise ReleaseError(f"{where}, line {lineno}: END SOLUTION without BEGIN")
            inside = False
        elif not inside and (answer := _ANSWER.match(line)):
            indent, name, said = answer.groups()
            out.append(f"{indent}{name} = None  # YOUR CODE HERE" + (f": {said}" if said else ""))
        elif not inside:
            out.append(line)
    if inside:
        raise ReleaseError(f"{where}: BEGIN SOLUTION is never closed")
    return "\n".join(out)


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Outputs, execution counts and widget state removed; the python3 kernelspec kept."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in ("execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def make_exercise(solution: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The exercise version of one solution notebook (a new object; the input is untouched)."""
    nb = nbformat.from_dict(solution)  # deep copy
    nb.cells = [c for c in nb.cells if SOLUTION_ONLY not in c.metadata.get("tags", [])]
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, f"{name}, cell {i}")
    return clean(nb)


def exercise_path(solution: Path, exercises_dir: Path) -> Path:
    """Where the exercise made from `solution` goes: `solNN_topic` -> `exNN_topic`."""
    return Path(exercises_dir) / file_name(EXERCISES, topic(solution))


def release(solutions_dir: Path, exercises_dir: Path, check: bool = False) -> list[Path]:
    """Write (or with `check`, only compare) every exercise; return the paths that changed.

    An exercise without a solution any more is listed too (last), and left where it is.
    """
    changed, made = [], set()
    for src in notebooks_in(SOLUTIONS, solutions_dir):
        dest = exercise_path(src, exercises_dir)
        made.add(dest)
        text = nbformat.writes(make_exercise(nbformat.read(src, as_version=4), src.name)) + "\n"
        if not dest.exists() or dest.read_text(encoding="utf-8") != text:
            changed.append(dest)
            if not check:
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_text(text, encoding="utf-8")
    return changed + [p for p in notebooks_in(EXERCISES, exercises_dir) if p not in made]
