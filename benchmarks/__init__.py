"""Benchmarks of gan-course: suites that print our numbers beside published ones.

    python -m benchmarks [suite ...] [--seeds 3] [--quick] [--readme]

They report; they do not assert (the tests are in `tests/`). `benchmarks/README.md` explains
each suite's targets and holds the latest tables.

**Adding a suite** is one module: write `benchmarks/NAME.py` with

    def run(seeds: int = 3, quick: bool = False) -> common.Report: ...

(`quick`: tiny sizes that run every line in seconds) and add NAME to `SUITES`. Import what the
suite needs from `gan_course` at the top of the module: while a piece it needs is not written
yet, `load` catches the ImportError and the command skips the suite and says why.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# the order they run in
SUITES = (
    "ring",
    "grid",
    "digits",
    "stacked",
    "conditional",
    "lapgan",
    "progressive",
    "stylegan",
    "superres",
    "pix2pix",
    "cyclegan",
    "speed",
    "grading",
    "threads",
    "notebooks",
)


class SuiteUnavailable(Exception):
    """A suite that cannot run here, e.g. because a piece of gan_course it needs is missing."""


def load(name: str) -> ModuleType:
    """The module of suite `name`; `SuiteUnavailable` (with the reason) when it cannot run."""
    if name not in SUITES:
        raise ValueError(f"no suite {name!r}; choose from {', '.join(SUITES)}")
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ImportError as err:
        raise SuiteUnavailable(f"{name}: needs {err.name or err} ({err})") from err
    if not callable(getattr(module, "run", None)):
        raise SuiteUnavailable(f"{name}: benchmarks/{name}.py defines no run(seeds, quick)")
    return module
