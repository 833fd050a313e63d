"""What every suite shares: timing, mean ± std, the machine, targets, and Markdown tables.

A suite returns a `Report`: a title, the machine it ran on, one line on the setup, a table (our
rows beside the published ones) and its `Target`s, each of which says plainly whether it was met.
`Report.markdown()` is what `python -m benchmarks` prints and what it writes into the README.
"""

from __future__ import annotations

import datetime
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from gan_course import runtime

# ------------------------------------------------------------------------------ measuring


@dataclass(frozen=True)
class Timed:
    """A result with the wall-clock and CPU seconds it took to make."""

    value: object
    wall: float  # seconds on the clock: what a person waits, inflated when others load the CPU
    cpu: float  # CPU seconds of this process: about the wall time on an idle machine, x threads


def timed(fn: Callable, *args, **kwargs) -> Timed:
    """Call `fn(*args, **kwargs)` and time it, on the clock and in CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn(*args, **kwargs)
    return Timed(value, time.perf_counter() - wall, time.process_time() - cpu)


def mean_std(values: Sequence[float], digits: int = 2) -> str:
    """'mean ± std' of `values` (the sample std; 0 for a single value), e.g. '7.67 ± 0.58'.

    With an infinite or NaN value among them (a reverse KL with no good sample) there is no
    meaningful mean: the values are listed instead, e.g. 'inf / 0.03'.
    """
    values = [float(v) for v in values]
    if not all(math.isfinite(v) for v in values):
        return " / ".join(f"{v:.{digits}f}" for v in values)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.{digits}f} ± {spread:.{digits}f}"


def mean(values: Sequence[float]) -> float:
    """The plain mean; infinite when a value is (`statistics.mean` refuses infinities)."""
    values = [float(v) for v in values]
    return math.fsum(values) / len(values)


def seed_runs(run_one: Callable[[int], object], seeds: int) -> list[Timed]:
    """`run_one(seed)` for seeds 0 .. seeds-1, each timed as a whole run."""
    return [timed(run_one, seed) for seed in range(seeds)]


@dataclass(frozen=True)
class Column:
    """A column of our rows: its header, how to read it off a run's result, its precision."""

    header: str
    read: Callable[[object], float]
    digits: int = 2


TIME_HEADERS = ["s / run", "CPU s / run"]


def our_row(name: str, runs: Sequence[Timed], columns: Sequence[Column]) -> list[str]:
    """A row of ours: mean ± std over the seeds of every column, then the times."""
    cells = [mean_std([c.read(r.value) for r in runs], c.digits) for c in columns]
    times = [mean_std([r.wall for r in runs], 0), mean_std([r.cpu for r in runs], 0)]
    return [f"**{name}** ({plural(len(runs), 'seed')})", *cells, *times]


def plural(n: int, word: str) -> str:
    """'1 seed', '3 seeds'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def seed_notes(name: str, runs: Sequence[Timed]) -> list[str]:
    """One line a seed: its result and its times."""
    return [
        f"{name}, seed {seed}: {r.value} in {r.wall:.0f} s ({r.cpu:.0f} CPU s)"
        for seed, r in enumerate(runs)
    ]


# ------------------------------------------------------------------------------ the machine


def cpu_model() -> str:
    """The CPU's name from /proc/cpuinfo (Linux), else what `platform` knows."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


@dataclass(frozen=True)
class Machine:
    """Where and when a suite ran: the date, CPU, cores, torch threads, versions, device, load."""

    date: str
    cpu: str
    cores: int
    threads: int  # torch's intra-op threads (runtime.set_threads, OMP_NUM_THREADS wins)
    torch: str
    python: str
    device: str
    load: float  # 1-minute load average when the suite started (> cores: others share the CPU)

    @classmethod
    def here(cls) -> Machine:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        return cls(
            date=datetime.date.today().isoformat(),
            cpu=cpu_model(),
            cores=os.cpu_count() or 1,
            threads=torch.get_num_threads(),
            torch=torch.__version__,
            python=platform.python_version(),
            device=str(runtime.get_device()),
            load=load,
        )

    @property
    def busy(self) -> bool:
        """Were other processes using the CPU (load average above the core count)?"""
        return self.load > self.cores

    def __str__(self) -> str:
        threads = plural(self.threads, "torch thread")
        return (
            f"{self.date}, {self.cpu}, {self.cores} cores, {threads}, device {self.device}, "
            f"torch {self.torch}, Python {self.python}, load average {self.load:.1f}"
        )


# ------------------------------------------------------------------------------ targets


@dataclass(frozen=True)
class Target:
    """One promise of the issue, e.g. 'modes covered >= 8', and the value we measured."""

    what: str  # e.g. "modes covered (mean of 3 seeds)"
    value: float
    limit: float
    at_least: bool = True  # True: value >= limit; False: value <= limit
    unit: str = ""
    note: str = ""  # e.g. why a time was inflated

    @property
    def met(self) -> bool:
        return self.value >= self.limit if self.at_least else self.value <= self.limit

    def __str__(self) -> str:
        sign = "≥" if self.at_least else "≤"
        got = f"{self.what}: {self.value:.4g}{self.unit} (target {sign} {self.limit:g}{self.unit})"
        verdict = (
            "met" if self.met else f"**MISSED** by {abs(self.value - self.limit):.3g}{self.unit}"
        )
        return f"{verdict}: {got}" + (f"; {self.note}" if self.note else "")


def time_target(seconds: Sequence[float], cpu_seconds: Sequence[float], limit: float, machine):
    """The 'so many seconds a run' target, on the wall clock, with the caveats that apply.

    The issue's times are for 2 cores. On a shared machine the wall time is inflated; the CPU
    time per run is then the better guess of what an idle machine gives (with one thread).
    """
    notes = []
    if machine.threads != 2:
        notes.append(
            f"measured with {plural(machine.threads, 'torch thread')}; the target is for 2"
        )
    if machine.busy:
        notes.append(
            f"the machine was shared (load {machine.load:.1f} on {machine.cores} cores): "
            f"{mean(cpu_seconds):.0f} CPU s a run"
        )
    return Target("wall time a run", mean(seconds), limit, False, " s", "; ".join(notes))


# ------------------------------------------------------------------------------ the report


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub Markdown table; every row must have one cell per column."""
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"row {list(row)} has {len(row)} cells for {len(columns)} columns")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass
class Report:
    """What a suite found: printed by `python -m benchmarks`, written into the README."""

    suite: str  # its name on the command line, e.g. "ring"
    title: str
    machine: Machine
    setup: str  # one paragraph: data, networks, steps, batch, how it is scored
    columns: list[str]
    rows: list[list[object]]
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. the seeds one by one

    @property
    def missed(self) -> list[Target]:
        return [t for t in self.targets if not t.met]

    def markdown(self) -> str:
        parts = [f"### {self.title}", f"Run on {self.machine}.", self.setup]
        parts.append(markdown_table(self.columns, self.rows))
        if self.targets:
            parts.append("\n".join(f"- {target}" for target in self.targets))
            parts.append(
                f"**{len(self.missed)} of {len(self.targets)} targets missed.**"
                if self.missed
                else "All targets met."
            )
        if self.notes:
            parts.append("\n".join(f"- {note}" for note in self.notes))
        return "\n\n".join(parts) + "\n"
