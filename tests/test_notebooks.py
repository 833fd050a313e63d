"""The notebooks as files: stored clean, shaped like lessons, in sync with the package, linted.

(nbval runs `notebooks/` and `solutions/` themselves; see pyproject.toml.)
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
import textwrap

import nbformat
import pytest

from gan_course.tooling import layout
from gan_course.tooling.slides import slide_problems

from .conftest import REPO

LESSONS = [layout.topic(p) for p in layout.lessons()]  # "00_welcome", ...
EXERCISES = [layout.topic(p) for p in layout.solutions()]  # the lessons that have an exercise
ALL = sorted(p for d in ("notebooks", "solutions", "exercises") for p in (REPO / d).glob("*.ipynb"))


def ids(paths):
    return [str(p.relative_to(REPO)) for p in paths]


def test_the_course_has_its_lessons_and_each_exercise_its_lesson():
    assert LESSONS[:14] == [
        "00_welcome",
        "01_data_and_noise",
        "02_generator",
        "03_discriminator",
        "04_losses",
        "05_training_loop",
        "06_training_dynamics",
        "07_dcgan",
        "07_latent_space",  # a long lesson in two parts shares its number
        "08_evaluating_gans",
        "09_wasserstein",
        "09_wasserstein_friends",
        "10_conditional_gans",
        "11_lapgan",
    ]
    assert lesson_numbers_problems(LESSONS) == []
    assert len(EXERCISES) >= 9 and set(EXERCISES) <= set(LESSONS), "an exercise has its lesson"
    for exercise in EXERCISES:  # ... and it is the lesson's first part
        first = next(name for name in LESSONS if name[:2] == exercise[:2])
        assert exercise == first, f"ex{exercise} goes with the first part of lesson {first[:2]}"
    assert [layout.topic(p) for p in layout.exercises()] == EXERCISES, "gan-course release"
    stray = [
        p.name
        for kind in (layout.LESSONS, layout.EXERCISES, layout.SOLUTIONS)
        for p in (REPO / kind).glob("*.ipynb")
        if p not in layout.notebooks_in(kind)
    ]
    assert not stray, f"named unlike the course's notebooks (tooling/layout.py): {stray}"


def lesson_numbers_problems(names: list[str]) -> list[str]:
    """What is wrong with the numbering of lessons `names` (in course order): the numbers run
    00, 01, ... without a gap, each used by one lesson or by the parts of one (at most 2)."""
    numbers = [int(name[:2]) for name in names]
    problems = []
    if numbers != sorted(numbers):
        problems.append(f"not in the order of their numbers: {names}")
    missing = sorted(set(range(max(numbers, default=-1) + 1)) - set(numbers))
    if missing:
        problems.append(f"no lesson numbered {', '.join(f'{n:02d}' for n in missing)}")
    crowded = sorted({n for n in numbers if numbers.count(n) > 2})
    if crowded:
        problems.append(f"more than two parts numbered {crowded}")
    return problems


def test_the_numbering_check_allows_parts_but_no_gaps():
    parts = ["00_a", "01_b", "01_b_more", "02_c"]
    assert lesson_numbers_problems(parts) == []
    assert lesson_numbers_problems(["00_a", "02_c"]) == ["no lesson numbered 01"]
    assert lesson_numbers_problems(["01_b", "02_c"]) == ["no lesson numbered 00"]
    assert lesson_numbers_problems(["00_a", "02_c", "01_b"])[0].startswith("not in the order")
    assert lesson_numbers_problems(["00_a", "00_b", "00_c"]) == ["more than two parts numbered [0]"]


def test_each_lesson_links_the_next_one():
    """The path through the course: every lesson, or part of one, links the lesson after it."""
    paths = layout.lessons()
    for lesson, after in zip(paths, paths[1:], strict=False):
        text = "\n".join(
            c.source for c in nbformat.read(lesson, as_version=4).cells if c.cell_type == "markdown"
        )
        assert f"]({after.name})" in text, f"{lesson.name} does not link {after.name}"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_notebook_is_stored_clean_with_the_python3_kernel(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "JupyterLab would ask"
    assert set(nb.metadata) <= {"kernelspec", "language_info", "rise"}, sorted(nb.metadata)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {i} has output"
            assert "!pip" not in cell.source and "%pip" not in cell.source, f"cell {i} installs"
            assert len(cell.source.splitlines()) <= 32, f"cell {i} is too long to read aloud"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_notebook_has_a_title_a_setup_cell_and_one_budget_place(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert "seed_everything(" in code[0] and "get_device()" in code[0], "setup cell first"
    fast_mentions = sum(src.count("is_fast(") + src.count("budget(") for src in code)
    assert fast_mentions <= 2, "FAST mode is consulted in at most two places"


def twin_cells():
    found = []
    for path in ALL:
        for cell in nbformat.read(path, as_version=4).cells:
            for tag in cell.metadata.get("tags", []):
                if tag.startswith("twin:"):
                    found.append((path, tag.removeprefix("twin:"), cell.source))
    return found


def _function_ast(source: str, name: str) -> str:
    for node in ast.walk(ast.parse(textwrap.dedent(source))):
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                node.body = body[1:]  # docstrings may differ
            return ast.dump(node, annotate_fields=False)
    raise AssertionError(f"no definition of {name}")


def test_lessons_write_code_twinned_with_the_package():
    twins = twin_cells()
    assert len(twins) >= 2, "lessons 04 and 05 show package code in front of the reader"
    for path, target, source in twins:
        module_name, name = target.rsplit(".", 1)
        package_source = inspect.getsource(getattr(importlib.import_module(module_name), name))
        assert _function_ast(source, name) == _function_ast(package_source, name), (
            f"{path.name}: the cell tagged twin:{target} differs from the package"
        )


@pytest.mark.slow
@pytest.mark.parametrize("name", EXERCISES)
def test_exercise_run_unchanged_only_says_not_implemented(name):
    from nbclient import NotebookClient

    nb = nbformat.read(layout.path_in(layout.EXERCISES, name), as_version=4)
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(REPO / "exercises")}},
    ).execute()
    check_cells = [
        c
        for c in nb.cells
        if c.cell_type == "code" and "check_" in c.source and "import" not in c.source
    ]
    assert len(check_cells) >= 3
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                assert out.ename in ("NotImplementedYet", "NotImplementedError"), (
                    f"{name}: unexpected {out.ename}: {out.evalue}\n{cell.source}"
                )
    for cell in check_cells:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert errors and errors[0].ename == "NotImplementedYet", cell.source
        question = "check_question(" in cell.source
        expected = "not answered yet" if question else "not implemented yet"
        assert expected in errors[0].evalue, errors[0].evalue


def test_ruff_is_clean_over_package_tests_and_notebooks():
    for args in (["check", "."], ["format", "--check", "."]):
        run = subprocess.run(
            [sys.executable, "-m", "ruff", *args], cwd=REPO, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stdout + run.stderr


def session_plan_lessons() -> set[str]:
    """The lessons the instructor guide's session plans link to."""
    plans = sorted((REPO / "docs").glob("session-*.md"))
    assert plans, "docs/ has no session plans"
    text = "".join(p.read_text(encoding="utf-8") for p in plans)
    return set(re.findall(r"\.\./notebooks/(\d\d_\w+)\.ipynb", text))


def test_session_plans_link_lessons_that_exist():
    used = session_plan_lessons()
    assert used, "the session plans link no lesson"
    assert used <= set(LESSONS), sorted(used - set(LESSONS))


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_has_slide_metadata_for_rise(name):
    nb = nbformat.read(layout.path_in(layout.LESSONS, name), as_version=4)
    assert slide_problems(nb) == [], "run `gan-course slides`"
    kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    assert kinds.count("slide") >= 3, "a lesson is more than one or two slides"
