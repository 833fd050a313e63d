"""gan-course release (exercises from solutions), gan-course clean, and gan-course doctor."""

from __future__ import annotations

import nbformat
import pytest

from gan_course import data
from gan_course.tooling import cli
from gan_course.tooling.release import ReleaseError, make_exercise, release, strip_solutions

from .conftest import REPO


def test_strip_solutions_keeps_the_skeleton_at_the_right_indent():
    source = (
        "def d_loss(real, fake):\n"
        '    """Docstring stays."""\n'
        "    ### BEGIN SOLUTION\n"
        "    loss = real + fake\n"
        "    ### END SOLUTION\n"
        "    return loss"
    )
    assert strip_solutions(source) == (
        "def d_loss(real, fake):\n"
        '    """Docstring stays."""\n'
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()\n"
        "    return loss"
    )


@pytest.mark.parametrize(
    "source, problem",
    [
        ("### BEGIN SOLUTION\nx = 1", "never closed"),
        ("x = 1\n### END SOLUTION", "without BEGIN"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
    ],
)
def test_unbalanced_markers_are_reported(source, problem):
    with pytest.raises(ReleaseError, match=problem):
        strip_solutions(source, "nb.ipynb, cell 3")


def solution_notebook():
    nb = nbformat.v4.new_notebook()
    answer = nbformat.v4.new_code_cell("x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION")
    answer.outputs = [nbformat.v4.new_output("stream", text="hello")]
    answer.execution_count = 3
    secret = nbformat.v4.new_code_cell("print('answer key')")
    secret.metadata["tags"] = ["solution-only"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Task"), answer, secret]
    nb.metadata["widgets"] = {"state": {}}
    return nb


def test_make_exercise_drops_answers_outputs_and_widget_state():
    solution = solution_notebook()
    exercise = make_exercise(solution)
    assert len(exercise.cells) == 2
    cell = exercise.cells[1]
    assert cell.source == "x = 1\n# YOUR CODE HERE\nraise NotImplementedError()"
    assert cell.outputs == [] and cell.execution_count is None
    assert "widgets" not in exercise.metadata
    assert exercise.metadata.kernelspec.name == "python3"
    assert solution.cells[1].source.startswith("x = 1\n### BEGIN")  # the input is untouched


def test_release_writes_then_reports_up_to_date(tmp_path):
    (tmp_path / "sol").mkdir()
    nbformat.write(solution_notebook(), tmp_path / "sol" / "sol02_x.ipynb")
    assert release(tmp_path / "sol", tmp_path / "ex") == [tmp_path / "ex" / "ex02_x.ipynb"]
    assert release(tmp_path / "sol", tmp_path / "ex", check=True) == []
    args = ["release", "--solutions", str(tmp_path / "sol"), "--exercises", str(tmp_path / "ex")]
    assert cli.main([*args, "--check"]) == 0


def test_exercises_are_what_release_makes_from_solutions(capsys):
    assert sorted(p.name for p in (REPO / "solutions").glob("*.ipynb")), "no solutions yet"
    stale = release(REPO / "solutions", REPO / "exercises", check=True)
    assert stale == [], f"run `gan-course release`: {stale} are out of date"


def test_clean_command_strips_outputs_in_place(tmp_path, capsys):
    path = tmp_path / "nb.ipynb"
    nbformat.write(solution_notebook(), path)
    assert cli.main(["clean", str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[1].outputs == [] and "widgets" not in nb.metadata
    assert len(nb.cells) == 3  # clean keeps every cell, answers included


def test_doctor_reports_a_healthy_install(capsys):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    for expected in (
        "torch",
        "device",
        "threads",
        "FAST mode    on",
        "digits16",
        "checksum verified",
        "All good",
    ):
        assert expected in out


def test_doctor_fails_clearly_when_a_dataset_is_broken(monkeypatch, capsys):
    def broken():
        raise OSError("scikit-learn's data files are missing")

    monkeypatch.setitem(data.DATASETS, "digits", broken)
    assert cli.main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "digits         FAILED (OSError" in out and "The install is broken" in out


def test_doctor_fails_clearly_when_shipped_weights_are_corrupt(monkeypatch, tmp_path, capsys):
    import shutil

    from gan_course import assets

    folder = tmp_path / "assets"
    shutil.copytree(assets.ASSETS_DIR, folder)
    with open(folder / "digits_classifier.pt", "r+b") as f:
        f.write(b"garbage")  # one damaged file, checksum file intact
    monkeypatch.setattr(assets, "ASSETS_DIR", folder)
    monkeypatch.setattr(assets.verified_path, "__defaults__", (folder,))
    assert cli.main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "digits_classifier.pt" in out and "does not match its checksum" in out


def test_slides_command_marks_headings_and_keeps_hand_made_choices(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("setup()"),
        nbformat.v4.new_markdown_cell("## A section"),
        nbformat.v4.new_code_cell("plot()"),
        nbformat.v4.new_markdown_cell("What the plot shows."),
        nbformat.v4.new_markdown_cell("More of the same thought."),
        nbformat.v4.new_code_cell("aside()"),
    ]
    nb.cells[6].metadata["slideshow"] = {"slide_type": "skip"}  # an instructor's own choice
    path = tmp_path / "lesson.ipynb"
    nbformat.write(nb, path)
    assert cli.main(["slides", "--check", str(path)]) == 1
    assert "cell 0 has slide type None" in capsys.readouterr().out
    assert cli.main(["slides", str(path)]) == 0
    marked = nbformat.read(path, as_version=4)
    kinds = [c.metadata["slideshow"]["slide_type"] for c in marked.cells]
    assert kinds == ["slide", "subslide", "slide", "-", "subslide", "-", "skip"]
    assert marked.metadata.rise["scroll"] is True
    assert cli.main(["slides", "--check", str(path)]) == 0
    marked.cells[2].metadata["slideshow"]["slide_type"] = "fragment"  # a heading must start one
    nbformat.write(marked, path)
    assert cli.main(["slides", "--check", str(path)]) == 1
    assert "cell 2 is a section heading" in capsys.readouterr().out


def test_slides_command_splits_text_cells_at_headings(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\nIntro.\n\n## Part two\n\nText.\n### A detail"),
        nbformat.v4.new_markdown_cell("Code to read:\n```python\n# a comment, not a heading\n```"),
    ]
    first_id = nb.cells[0].id
    path = tmp_path / "lesson.ipynb"
    nbformat.write(nb, path)
    assert cli.main(["slides", str(path)]) == 0
    cells = nbformat.read(path, as_version=4).cells
    assert [c.source.splitlines()[0] for c in cells] == [
        "# Title",
        "## Part two",
        "### A detail",
        "Code to read:",
    ]
    assert cells[0].id == first_id and cells[0].source == "# Title\n\nIntro."
    kinds = [c.metadata["slideshow"]["slide_type"] for c in cells]
    assert kinds == ["slide", "slide", "subslide", "-"]
