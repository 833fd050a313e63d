"""Every lesson and solution notebook, run whole on one core: its time and its kernel's peak memory.

A JupyterHub seat is typically one core and 2 GB. Each notebook runs top to bottom in a fresh
kernel (nbclient, as nbval does), pinned to one CPU core with one torch thread, in FAST mode and
in full; the time includes the kernel's start. The kernel's peak resident memory is read at the
end of the run (`ru_maxrss`). Budgets: FAST ≤ 20 s, full ≤ 3 min (≤ 5 min from lesson 11 on, the
families' budget), memory ≤ 2 GB.

`python -m benchmarks notebooks` times them all (the README's syllabus columns);
`python -m benchmarks.notebooks notebooks/07_dcgan.ipynb ...` times only the notebooks named,
for the rows of a lesson just changed (`--fast-only` skips the full runs).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat

from gan_course.tooling import layout

from . import common

FAST_BUDGET_S, FULL_BUDGET_S, MEMORY_BUDGET_MB = 20.0, 180.0, 2048.0
LATER_FULL_BUDGET_S = 300.0  # lessons 11-18 (the families): 5 minutes, their issue's budget


def full_budget(name: str) -> float:
    """The full-mode budget of notebook `name` (e.g. "notebooks/12_progressive_growing.ipynb")."""
    number = "".join(ch for ch in Path(name).name.split("_")[0] if ch.isdigit())
    return LATER_FULL_BUDGET_S if number and int(number) >= 11 else FULL_BUDGET_S


PEAK = (  # appended to each notebook: the kernel's peak memory in MiB (Linux: KiB; macOS: bytes)
    "import resource, sys\n"
    "_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print('peak', _peak / (2**20 if sys.platform == 'darwin' else 2**10))"
)


def run_notebook(path: Path, fast: bool) -> tuple[float, float]:
    """(wall seconds, kernel peak MiB) of running `path` top to bottom in a fresh kernel."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK))
    os.environ.pop("MPLBACKEND", None)  # a learner's kernel draws with the inline backend
    if fast:
        os.environ["GAN_COURSE_FAST"] = "1"
    else:
        os.environ.pop("GAN_COURSE_FAST", None)
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    return wall, float(text.split()[-1])


def one_core() -> tuple[str, set | None]:
    """Pin this process (and so every kernel it starts) to one core: (which, the cores before)."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)", None
    before = os.sched_getaffinity(0)
    core = max(before)
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}", before


def run(
    seeds: int = 1, quick: bool = False, paths: list[Path] | None = None, fast_only: bool = False
) -> common.Report:
    """Time `paths` (default: every lesson and solution); `quick`: the first one, FAST only."""
    saved = {k: os.environ.get(k) for k in ("GAN_COURSE_FAST", "MPLBACKEND", "OMP_NUM_THREADS")}
    os.environ["OMP_NUM_THREADS"] = "1"
    pinned, cores_before = one_core()
    machine = common.Machine.here()
    paths = list(paths) if paths else layout.lessons() + layout.solutions()
    if quick:
        paths, fast_only = paths[:1], True
    rows, fast_times, full_times, peaks = [], [], [], []
    try:
        for path in paths:
            fast_s, fast_mb = run_notebook(path, fast=True)
            full_s, full_mb = (fast_s, fast_mb) if fast_only else run_notebook(path, fast=False)
            name = f"{path.parent.name}/{path.name}"
            peak = max(fast_mb, full_mb)
            rows.append([name, f"{fast_s:.0f}", f"{full_s:.0f}", f"{peak:.0f}"])
            fast_times.append((fast_s, name))
            full_times.append((full_s, name))
            peaks.append((peak, name))
            full = "not run" if fast_only else f"{full_s:.0f} s"
            print(f"  {name}: FAST {fast_s:.0f} s, full {full}, {peak:.0f} MiB", flush=True)
    finally:
        if cores_before is not None:
            os.sched_setaffinity(0, cores_before)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    targets = [
        common.Target(f"the slowest {what} ({max(values)[1]})", max(values)[0], limit, False, unit)
        for what, values, limit, unit in (
            ("notebook in FAST mode", fast_times, FAST_BUDGET_S, " s"),
            ("kernel's peak memory", peaks, MEMORY_BUDGET_MB, " MiB"),
        )
    ]
    share, name = max((seconds / full_budget(name), name) for seconds, name in full_times)
    targets.insert(1, common.Target(
        f"the fullest notebook in full, its time over its budget ({name}; 3 min for lessons "
        "00-10 and their exercises, 5 min from lesson 11 on)", share, 1.0, False))  # fmt: skip
    setup = (
        f"Each notebook run top to bottom by nbclient in a fresh kernel, {pinned}, one torch "
        "thread, the inline plot backend; seconds include the kernel's start. Memory: the "
        "kernel's peak resident set over both runs."
    )
    columns = ["notebook", "FAST s", "full s", "peak MiB"]
    return common.Report(
        "notebooks", "Notebooks on one core", machine, setup, columns, rows, targets
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.notebooks",
        description="Time a few notebooks on one core, FAST and full (see the module docstring).",
    )
    parser.add_argument("notebooks", nargs="+", type=Path, help="paths of .ipynb files")
    parser.add_argument("--fast-only", action="store_true", help="skip the full runs")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    paths = [p.resolve() for p in args.notebooks]
    print(run(paths=paths, fast_only=args.fast_only).markdown(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
