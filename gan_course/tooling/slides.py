"""Slide metadata for presenting a lesson with jupyterlab-rise (`gan-course slides`).

RISE reads each cell's `metadata.slideshow.slide_type`; the lessons carry it so that an
instructor can press Alt+R and teach from the notebook itself, running cells live. The layout:

* a heading cell (`#` or `##`) starts a new slide, a `###` heading a sub-slide (reached with ↓);
* the setup cell (the first code cell) gets a sub-slide of its own, below the title;
* text that follows a code cell starts a sub-slide: text, its code and the code's output share a
  screen, and the next idea gets the next one;
* everything else continues the slide it follows (`-`).

A heading in the middle of a text cell could not start a slide, so `split_at_headings` first
splits such cells (`gan-course slides` does both). `mark_slides` fills in only cells that have
no slide type yet, so a hand-made choice (a cell
marked `skip` or `notes`, a `fragment`) survives when the command runs again.
The notebook's `rise` metadata turns on scrolling, for slides taller than the screen.
"""

from __future__ import annotations

import re

import nbformat

SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
RISE_SETTINGS = {"scroll": True, "start_slideshow_at": "beginning"}


HEADING = re.compile(r"#{1,3} ")


def _heading_lines(source: str) -> list[int]:
    """Indices of the lines (after the first, outside ``` fences) that are headings."""
    found, fence = [], False
    for i, line in enumerate(source.splitlines()):
        fence ^= line.startswith("```")
        if i and not fence and HEADING.match(line):
            found.append(i)
    return found


def split_at_headings(nb: nbformat.NotebookNode) -> int:
    """Split text cells before every heading that is not their first line; return how many new
    cells that made. The first part keeps the cell's id and metadata."""
    cells, made = [], 0
    for cell in nb.cells:
        cuts = _heading_lines(cell.source) if cell.cell_type == "markdown" else []
        if not cuts:
            cells.append(cell)
            continue
        lines = cell.source.splitlines()
        parts = [lines[a:b] for a, b in zip([0, *cuts], [*cuts, len(lines)], strict=True)]
        cell.source = "\n".join(parts[0]).rstrip("\n")
        cells.append(cell)
        for part in parts[1:]:
            cells.append(nbformat.v4.new_markdown_cell("\n".join(part).rstrip("\n")))
            made += 1
    nb.cells = cells
    return made


def _starts_section(cell) -> bool:
    """A `#` or `##` heading: the cell starts a slide."""
    return cell.cell_type == "markdown" and cell.source.lstrip().startswith(("# ", "## "))


def _slide_type(cell) -> str | None:
    return cell.metadata.get("slideshow", {}).get("slide_type")


def default_slide_type(cell, previous, first_code: bool = False) -> str:
    text = cell.source.lstrip() if cell.cell_type == "markdown" else ""
    if previous is None or _starts_section(cell):
        return "slide"
    if first_code:
        return "subslide"
    if text.startswith("### ") or (text and previous.cell_type == "code"):
        return "subslide"
    return "-"


def mark_slides(nb: nbformat.NotebookNode) -> int:
    """Give every cell without one a slide type (see the module docstring); return how many."""
    added = 0
    code = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    for i, cell in enumerate(nb.cells):
        if _slide_type(cell) not in SLIDE_TYPES:
            previous = nb.cells[i - 1] if i else None
            kind = default_slide_type(cell, previous, code[:1] == [i])
            cell.metadata.setdefault("slideshow", {})["slide_type"] = kind
            added += 1
    nb.metadata["rise"] = {**RISE_SETTINGS, **nb.metadata.get("rise", {})}
    return added


def slide_problems(nb: nbformat.NotebookNode) -> list[str]:
    """What would make RISE show a lesson badly: unknown slide types, no title slide."""
    problems = []
    if nb.cells and _slide_type(nb.cells[0]) != "slide":
        problems.append("the first cell does not start a slide")
    for i, cell in enumerate(nb.cells):
        kind = _slide_type(cell)
        if kind not in SLIDE_TYPES:
            problems.append(f"cell {i} has slide type {kind!r}, not one of {SLIDE_TYPES}")
        if cell.cell_type == "markdown" and _heading_lines(cell.source):
            problems.append(f"cell {i} has a heading below its first line: split the cell there")
        if _starts_section(cell) and kind != "slide":
            problems.append(f"cell {i} is a section heading but does not start a slide")
    if not nb.metadata.get("rise", {}).get("scroll"):
        problems.append("the notebook's rise metadata does not turn on scrolling")
    return problems
