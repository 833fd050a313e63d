"""Write a suite's latest table into benchmarks/README.md, between its two markers.

    <!-- benchmark:ring -->
    ... replaced by the latest `Report.markdown()` ...
    <!-- /benchmark:ring -->

A suite without markers yet gets them, with its table, at the end of the file.
"""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).with_name("README.md")


def markers(suite: str) -> tuple[str, str]:
    return f"<!-- benchmark:{suite} -->", f"<!-- /benchmark:{suite} -->"


def replace_section(text: str, suite: str, body: str) -> str:
    """`text` with the part between `suite`'s markers replaced by `body` (added if absent)."""
    begin, end = markers(suite)
    section = f"{begin}\n{body.strip()}\n{end}"
    start = text.find(begin)
    if start == -1:
        return text.rstrip("\n") + f"\n\n{section}\n"
    stop = text.find(end, start)
    if stop == -1:
        raise ValueError(f"{begin} has no closing {end}")
    return text[:start] + section + text[stop + len(end) :]


def write_section(suite: str, body: str, path: Path = README) -> None:
    """Put `body` between `suite`'s markers in the README at `path`."""
    path.write_text(replace_section(path.read_text(), suite, body))
