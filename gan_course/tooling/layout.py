"""The course's notebooks, found in its folders, and how their names pair up.

    notebooks/NN_topic.ipynb        lesson NN
    solutions/solNN_topic.ipynb     its exercise with the answers: the source
    exercises/exNN_topic.ipynb      the same, answers cleared (made by `gan-course release`)

The prefixes give a lesson, its exercise and its solution different names: JupyterLab's tabs show
a file's name, not its folder, and long names are cut at the end. Everything that needs a list
of lessons or exercises derives it from here, so a new lesson is a new file and nothing more.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # the checkout that holds gan_course/
LESSONS, EXERCISES, SOLUTIONS = "notebooks", "exercises", "solutions"
PREFIX = {LESSONS: "", EXERCISES: "ex", SOLUTIONS: "sol"}
_NAME = re.compile(r"^(ex|sol)?(\d\d_\w+)\.ipynb$")


def topic(path: str | Path) -> str:
    """'05_training_loop' from a lesson's, exercise's or solution's file name or path."""
    match = _NAME.match(Path(path).name)
    if match is None:
        raise ValueError(
            f"{Path(path).name!r} is not named like NN_topic.ipynb, with ex/sol or not"
        )
    return match.group(2)


def number(path: str | Path) -> str:
    """'05' from any of the three names."""
    return topic(path)[:2]


def file_name(kind: str, topic_name: str) -> str:
    """'ex05_training_loop.ipynb' for kind EXERCISES and topic '05_training_loop'."""
    return f"{PREFIX[kind]}{topic_name}.ipynb"


def path_in(kind: str, topic_name: str, repo: Path = REPO) -> Path:
    """Where `topic_name` lives in the course: `kind` is LESSONS, EXERCISES or SOLUTIONS."""
    return Path(repo) / kind / file_name(kind, topic_name)


def notebooks_in(kind: str, folder: Path | None = None) -> list[Path]:
    """The notebooks of `kind` (LESSONS, EXERCISES, SOLUTIONS) in `folder` (default: the
    course's own), in course order."""
    folder = Path(folder) if folder is not None else REPO / kind
    return sorted(folder.glob(f"{PREFIX[kind]}[0-9][0-9]_*.ipynb"))


def lessons() -> list[Path]:
    return notebooks_in(LESSONS)


def exercises() -> list[Path]:
    return notebooks_in(EXERCISES)


def solutions() -> list[Path]:
    return notebooks_in(SOLUTIONS)
