"""Exercises, check modules, check tests and `gan_course.checks.__all__` stay in step: each
exercise `exNN_topic.ipynb` has `gan_course/checks/topic.py` and `tests/test_checks_topic.py`,
calls only checks that module defines and exports, and every exported check is called by an
exercise and tested. Concept questions (`checks/questions.py`, `check_question("NN.name", ...)`)
are asked by id: each id an exercise asks is registered, and under its own exercise's number."""

from __future__ import annotations

import importlib
import re

import nbformat
import pytest

from gan_course import checks
from gan_course.tooling import layout

from .conftest import REPO

TOPICS = [layout.topic(p) for p in layout.exercises()]
CHECK_CALL = re.compile(r"^\s*(check_\w+)\(", re.MULTILINE)
QUESTION = re.compile(r"^\s*check_question\(\s*\"([\w.]+)\"", re.MULTILINE)


def slug(topic: str) -> str:
    return topic[3:]  # "05_training_loop" -> "training_loop"


def checks_called(topic: str) -> list[str]:
    nb = nbformat.read(layout.path_in(layout.EXERCISES, topic), as_version=4)
    return [m for c in nb.cells if c.cell_type == "code" for m in CHECK_CALL.findall(c.source)]


@pytest.mark.parametrize("topic", TOPICS)
def test_an_exercise_has_its_check_module_and_test_file(topic):
    module = importlib.import_module(f"gan_course.checks.{slug(topic)}")
    assert (REPO / "tests" / f"test_checks_{slug(topic)}.py").is_file()
    called = checks_called(topic)
    assert len(called) >= 3, f"{topic}: an exercise has at least three checked tasks"
    for name in set(called) - {"check_question"}:
        assert getattr(module, name, None) is not None, f"{name} is not in checks/{slug(topic)}.py"
        assert name in checks.__all__, f"{name} is not exported by gan_course.checks"
        tests = (REPO / "tests" / f"test_checks_{slug(topic)}.py").read_text(encoding="utf-8")
        assert name in tests, f"{name} has no test in tests/test_checks_{slug(topic)}.py"


@pytest.mark.parametrize("topic", TOPICS)
def test_an_exercise_asks_concept_questions_of_its_own(topic):
    nb = nbformat.read(layout.path_in(layout.EXERCISES, topic), as_version=4)
    asked = [m for c in nb.cells if c.cell_type == "code" for m in QUESTION.findall(c.source)]
    assert 2 <= len(asked) <= 4, f"{topic}: an exercise ends with 2-3 concept questions"
    for qid in asked:
        assert qid in checks.questions.QUESTIONS, f"{topic} asks {qid}, which no module registers"
        assert qid.split(".")[0] == topic[:2], f"{topic} asks another exercise's question {qid}"


def test_every_exported_check_is_used_by_an_exercise():
    used = {name for topic in TOPICS for name in checks_called(topic)}
    exported = {name for name in checks.__all__ if name.startswith("check_")}
    assert exported == used, f"exported but unused: {exported - used}; used: {used - exported}"


def test_no_check_module_or_test_file_without_its_exercise():
    modules = {p.stem for p in (REPO / "gan_course" / "checks").glob("*.py")}
    modules -= {"__init__", "core", "questions"}
    assert modules == {slug(t) for t in TOPICS}
    tests = {p.stem.removeprefix("test_checks_") for p in (REPO / "tests").glob("test_checks_*.py")}
    assert tests - {"core", "layout", "questions"} == {slug(t) for t in TOPICS}
