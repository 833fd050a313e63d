"""pyproject.toml and environment.yml name the same packages; the README's commands are CI's."""

from __future__ import annotations

import re

import tomllib

from .conftest import REPO

CONDA_NAMES = {"torch": "pytorch"}  # PyPI name -> conda-forge name where they differ


def split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    return match.group(1).lower(), match.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {CONDA_NAMES.get(n, n): spec for n, spec in map(split, project["dependencies"])}
    conda = {}
    text = (REPO / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        # conda packages ("  - name>=x"), and the few that come from PyPI ("      - name>=x")
        item = re.match(r"^(?:  |      )- ([A-Za-z0-9_.\-]+[^#]*?)\s*(?:#.*)?$", line)
        if item and item.group(1).strip() not in ("pip", "pip:", "-e ."):
            name, spec = split(item.group(1))
            conda[name] = spec
    python = conda.pop("python")
    assert python == ">=" + project["requires-python"].removeprefix(">=")
    assert conda == wanted


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    commands = [line.strip() for line in ci.splitlines() if line.startswith("./")]
    assert commands == ["./course test"]
    assert "./course test" in readme and "./course lab" in readme


def test_readme_syllabus_links_every_lesson_and_exercise():
    readme = (REPO / "README.md").read_text()
    for folder in ("notebooks", "exercises"):
        for path in sorted((REPO / folder).glob("*.ipynb")):
            assert f"]({folder}/{path.name})" in readme, f"README's syllabus lacks {path.name}"


def test_binder_environment_is_environment_yml_without_the_editable_install():
    def body(path):
        lines = (REPO / path).read_text().splitlines()
        return [line for line in lines if not line.startswith("#") and line.strip() != "- -e ."]

    assert body("binder/environment.yml") == body("environment.yml")
    post_build = (REPO / "binder" / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build
    assert "python -m gan_course.tooling.jupyter" in post_build  # lessons open unmodified
