"""No dead link: every relative link in the notebooks and the Markdown files leads somewhere.

A link is resolved the way JupyterLab and GitHub resolve it, from the folder of the file it is
in; with `./course lab` the server is rooted at the repository, so a link that resolves here
opens there. A `#fragment` must name a heading of its target (GitHub's anchors for Markdown
files; for notebooks, JupyterLab's, which keep the heading's text with `-` for spaces, or
GitHub's). Web links are not followed: the tests run offline.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from .conftest import REPO

MARKDOWN_FILES = [
    REPO / "README.md",
    REPO / "CONTRIBUTING.md",
    REPO / "benchmarks" / "README.md",
    *sorted((REPO / "docs").glob("*.md")),
]
NOTEBOOKS = sorted(
    p for d in ("notebooks", "exercises", "solutions") for p in (REPO / d).glob("*.ipynb")
)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"""<a\s[^>]*href=["']([^"']+)["']""", re.IGNORECASE)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _without_code(markdown: str, inline: bool = True) -> str:
    """`markdown` without its fenced code blocks, and without inline code when `inline`."""
    return re.sub(r"```.*?```" + (r"|`[^`\n]*`" if inline else ""), "", markdown, flags=re.DOTALL)


def links_in(markdown: str) -> list[str]:
    prose = _without_code(markdown)
    return LINK.findall(prose) + HTML_LINK.findall(prose)


def github_anchor(heading: str) -> str:
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    if path.suffix == ".ipynb":
        cells = nbformat.read(path, as_version=4).cells
        text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
        headings = HEADING.findall(_without_code(text, inline=False))
        return {h.replace(" ", "-") for h in headings} | {github_anchor(h) for h in headings}
    text = _without_code(path.read_text("utf-8"), inline=False)
    return {github_anchor(h) for h in HEADING.findall(text)}


def markdown_of(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = nbformat.read(path, as_version=4).cells
        return "\n".join(c.source for c in cells if c.cell_type == "markdown")
    return path.read_text(encoding="utf-8")


def dead_links(path: Path) -> list[str]:
    dead = []
    for link in links_in(markdown_of(path)):
        if re.match(r"[a-z][a-z0-9+.-]*:", link, re.IGNORECASE):  # https:, mailto:, data: ...
            continue
        target_name, _, fragment = link.partition("#")
        target = (path.parent / target_name).resolve() if target_name else path
        if not target.exists():
            dead.append(f"{link}: no such file {target}")
        elif not target.resolve().is_relative_to(REPO):
            dead.append(f"{link}: outside the repository")
        elif fragment and target.suffix in (".md", ".ipynb") and fragment not in anchors_of(target):
            dead.append(f"{link}: {target.name} has no heading with the anchor #{fragment}")
    return dead


def _ids(paths):
    return [str(p.relative_to(REPO)) for p in paths]


@pytest.mark.parametrize("path", MARKDOWN_FILES + NOTEBOOKS, ids=_ids(MARKDOWN_FILES + NOTEBOOKS))
def test_every_relative_link_leads_somewhere(path):
    assert not dead_links(path), "\n".join(dead_links(path))


def test_the_link_checker_finds_dead_links_and_bad_anchors(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    (tmp_path / "b.md").write_text("# A heading, with `code`\n", encoding="utf-8")
    page = tmp_path / "a.md"
    page.write_text(
        "[ok](b.md#a-heading-with-code) [web](https://example.org) [self](#top)\n"
        "# Top\n[gone](missing.ipynb) [anchor](b.md#nope) `[in code](nowhere.md)`\n"
        '<a href="also-missing.md">x</a> ![picture](pic.png "title")\n',
        encoding="utf-8",
    )
    dead = dead_links(page)
    assert [d.split(":")[0] for d in dead] == [
        "missing.ipynb",
        "b.md#nope",
        "pic.png",
        "also-missing.md",
    ], dead


def test_lessons_and_exercises_link_each_other():
    """The path a learner follows: lesson 00 -> exercise 02; each lesson with an exercise links
    it, each exercise links its lesson and its solution."""
    from gan_course.tooling import layout

    welcome = links_in(markdown_of(layout.lessons()[0]))
    assert "../exercises/ex02_generator.ipynb" in welcome, welcome
    for solution in layout.solutions():
        topic = layout.topic(solution)
        lesson = links_in(markdown_of(layout.path_in(layout.LESSONS, topic)))
        assert f"../exercises/ex{topic}.ipynb" in lesson, f"lesson {topic} never links its exercise"
        exercise = links_in(markdown_of(layout.path_in(layout.EXERCISES, topic)))
        for wanted in (f"../notebooks/{topic}.ipynb", f"../solutions/sol{topic}.ipynb"):
            assert wanted in exercise, f"exercise {topic} does not link {wanted}"
