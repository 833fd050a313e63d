"""The `gan-course` command: `doctor` checks an install, `release` makes the exercises, `clean`
strips notebooks for committing, `slides` marks lessons' slides, `grade` grades a class's
notebooks, `progress` shows a learner's."""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
from pathlib import Path

from .layout import REPO


def doctor() -> int:
    """Print versions, device, threads, mode, and whether each bundled dataset loads."""
    problems = []
    print(f"python       {platform.python_version()} ({sys.executable})")
    for name in (
        "torch",
        "torchvision",
        "numpy",
        "matplotlib",
        "ipywidgets",
        "ipycanvas",
        "sklearn",
        "skimage",
        "tqdm",
        "nbformat",
        "torchmetrics",
        "jupyterlab",
        "jupyterlab_rise",
        "gan_course",
    ):
        try:
            module = importlib.import_module(name)
            print(f"{name:<12} {getattr(module, '__version__', '?')}")
        except Exception as err:  # a broken install shows up here
            print(f"{name:<12} MISSING ({type(err).__name__}: {err})")
            problems.append(f"{name} does not import")
    if problems:
        return _verdict(problems)

    import torch

    from .. import data, runtime

    device = runtime.get_device()
    print(f"device       {device}" + ("" if device.type != "cpu" else " (no CUDA or MPS found)"))
    print(f"threads      {runtime.set_threads()} for torch (CPU cores: {os.cpu_count()})")
    if runtime.thread_warning():
        print(f"             {runtime.thread_warning()}")
    print(f"FAST mode    {'on' if runtime.is_fast() else 'off'} ({runtime.FAST_ENV})")
    loading = "on: lessons 05, 07, 10 to 13 load"
    pretrained = loading if runtime.use_pretrained() else "off: lessons train"
    print(f"pretrained   {pretrained} ({runtime.PRETRAINED_ENV})")
    try:
        torch.ones(2, device=device).sum().item()
    except Exception as err:
        problems.append(f"a tensor op on {device} failed: {err}")
    for name in data.BUNDLED:
        try:
            loaded = data.load_dataset(name)
            sample = loaded.sample(4) if hasattr(loaded, "sample") else loaded
            print(f"data         {name:<14} ok  {tuple(sample.shape)}")
        except Exception as err:
            print(f"data         {name:<14} FAILED ({type(err).__name__}: {err})")
            problems.append(f"dataset {name!r} does not load")
    from ..assets import AssetError, verified_path
    from ..assets.make_weights import NAMES

    for name in NAMES:  # weights the course ships, checked against their SHA-256
        try:
            verified_path(name)
            print(f"weights      {name:<24} ok (checksum verified)")
        except AssetError as err:
            print(f"weights      {name:<24} FAILED ({err})")
            problems.append(f"weights {name!r} failed their checksum")
    from . import jupyter

    if jupyter.is_enabled():
        print("jupyter      course notebooks open unmodified (gan_course.tooling.jupyter enabled)")
    else:  # not broken, but JupyterLab will mark every lesson modified when it opens it
        print(
            "jupyter      note: JupyterLab will mark lessons modified on opening; to stop it: "
            f"{sys.executable} -m gan_course.tooling.jupyter"
        )
    mnist_dir = data.default_data_dir()
    print(f"data         mnist          optional, downloads to {mnist_dir} on request")
    return _verdict(problems)


def _verdict(problems: list[str]) -> int:
    if problems:
        print("\nThe install is broken: " + "; ".join(problems) + ".")
        print("Re-run the set-up command from the README (./course lab) and try again.")
        return 1
    print("\nAll good: open notebooks/00_welcome.ipynb to start.")
    return 0


def release_command(args) -> int:
    from .layout import SOLUTIONS, file_name, topic
    from .release import ReleaseError, release

    try:
        changed = release(Path(args.solutions), Path(args.exercises), check=args.check)
    except ReleaseError as err:
        print(f"release failed: {err}", file=sys.stderr)
        return 2
    solutions = Path(args.solutions)
    stale = [p for p in changed if not (solutions / file_name(SOLUTIONS, topic(p))).exists()]
    for path in stale:
        print(f"warning: {path} has no solution in {args.solutions}; left as it is")
    fresh = [p for p in changed if p not in stale]
    if args.check:
        for path in fresh:
            print(f"out of date: {path}")
        print("exercises are up to date" if not changed else "run `gan-course release`")
        return 1 if changed else 0
    print(f"wrote {len(fresh)} exercise notebook(s)" + "".join(f"\n  {p}" for p in fresh))
    return 0


def clean_command(args) -> int:
    import nbformat

    from .release import clean

    for name in args.notebooks:
        path = Path(name)
        before = path.read_text(encoding="utf-8")
        after = nbformat.writes(clean(nbformat.reads(before, as_version=4))) + "\n"
        if after != before:
            path.write_text(after, encoding="utf-8")
            print(f"cleaned {path}")
    return 0


def slides_command(args) -> int:
    import nbformat

    from .release import clean
    from .slides import mark_slides, slide_problems, split_at_headings

    paths = [Path(p) for p in args.notebooks] or sorted((REPO / "notebooks").glob("*.ipynb"))
    bad = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if args.check:
            for problem in slide_problems(nb):
                print(f"{path}: {problem}")
                bad += 1
            continue
        before = nbformat.writes(nb)
        split_at_headings(nb)
        added = mark_slides(nb)
        if nbformat.writes(nb) != before:
            path.write_text(nbformat.writes(clean(nb)) + "\n", encoding="utf-8")
            print(f"{path}: slide types for {added} cell(s)")
    if args.check:
        print("slide metadata is complete" if not bad else "run `gan-course slides`")
    return 1 if bad else 0


def _grading_setup(args, command: str):
    """(exercises, limits, jobs) for `grade` and `progress`; None, said why, if no exercises."""
    from .grading import GradingError, Limits, load_exercises
    from .sandbox import Sandbox

    try:
        exercises = load_exercises(Path(args.exercises))
    except GradingError as err:
        print(f"{command}: {err}", file=sys.stderr)
        return None
    jobs = args.jobs or os.cpu_count() or 1
    if args.memory < 2:
        print(
            f"{command}: warning: --memory {args.memory:g} GB is tight. A kernel with PyTorch and "
            "a correct exercise 05 uses about 1.3 GB; below 2 GB right answers may hit the cap.",
            file=sys.stderr,
        )
    threads = os.environ.get("OMP_NUM_THREADS", "")
    limits = Limits(
        notebook_seconds=args.timeout,
        cell_seconds=args.cell_timeout,
        memory_bytes=int(args.memory * 2**30),
        fast=not args.full,
        # each kernel's torch threads: OMP_NUM_THREADS when set, else one (runtime.set_threads:
        # parallel kernels with more threads than free cores spin-wait for each other)
        threads=int(threads) if threads.isdigit() and int(threads) > 0 else 1,
    )
    hidden = [*getattr(args, "submissions", []), *_grade_files(args)]
    limits.sandbox = Sandbox.detect(args.sandbox, hidden)
    if args.sandbox == "on" and not limits.sandbox.on:
        print(f"{command}: --sandbox on, but {limits.sandbox.why_not}", file=sys.stderr)
        return None
    print(f"{command}: {limits.sandbox.describe()}", file=sys.stderr)
    return exercises, limits, jobs


def _grade_files(args) -> list[Path]:
    """The grades a run writes, and any kept from before: hidden from every submission."""
    if not getattr(args, "out", None):
        return []
    out = Path(args.out)
    summary = Path(args.summary) if args.summary else out.with_suffix(".md")
    return [p for f in (out, summary) for p in [f, *f.parent.glob(f.name + ".~*~")] if p.exists()]


def grade_command(args) -> int:
    import time

    from . import gradebook

    setup = _grading_setup(args, "grade")
    if setup is None:
        return 2
    exercises, limits, jobs = setup
    missing = [p for p in args.submissions if not Path(p).exists()]
    if missing:
        print(f"grade: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    submissions = gradebook.find_submissions([Path(p) for p in args.submissions])
    if not submissions:
        print("grade: no files found in " + ", ".join(args.submissions), file=sys.stderr)
        return 2
    start, done = time.monotonic(), []
    mode = "FAST" if limits.fast else "full"
    print(f"grading {len(submissions)} file(s), {jobs} at a time, {mode} mode", file=sys.stderr)

    def report(submission, rows):
        done.append(submission)
        passed = sum(r.status == "passed" for r in rows if r.task)
        verdict = f"{passed}/{len(rows)} passed" if rows[0].task else rows[0].message[:80]
        print(f"  [{len(done)}/{len(submissions)}] {submission.path}: {verdict}", file=sys.stderr)

    rows = gradebook.grade_all(submissions, exercises, limits, jobs, on_done=report)
    out = Path(args.out)
    summary = Path(args.summary) if args.summary else out.with_suffix(".md")
    for path in (out, summary):
        if kept := gradebook.keep_previous(path):
            print(f"kept the previous {path.name} as {kept.name}", file=sys.stderr)
    gradebook.write_csv(rows, out)
    as_html = summary.suffix.lower() in (".html", ".htm")
    sandbox = limits.sandbox.describe()
    text = (gradebook.summary_html if as_html else gradebook.summary_markdown)(rows, sandbox)
    summary.write_text(text, encoding="utf-8")
    minutes = (time.monotonic() - start) / 60
    print(
        f"wrote {out} ({len(rows)} rows) and {summary}; {len(submissions)} file(s) in "
        f"{minutes:.1f} min ({len(submissions) / max(minutes, 1e-9):.1f} per minute)"
    )
    return 0


def progress_command(args) -> int:
    from . import gradebook

    setup = _grading_setup(args, "progress")
    if setup is None:
        return 2
    exercises, limits, jobs = setup
    folder = Path(args.folder)
    notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else [folder]
    if not notebooks or not notebooks[0].exists():
        print(f"progress: no notebooks in {folder}", file=sys.stderr)
        return 2
    print(f"running the checks of {len(notebooks)} notebook(s) in {folder} ...", file=sys.stderr)
    submissions = gradebook.find_submissions(notebooks)

    def report(submission, rows):  # a sign of life: a notebook takes 5-15 s
        print(f"  checked {submission.path.name}", file=sys.stderr)

    rows = gradebook.grade_all(submissions, exercises, limits, jobs, on_done=report)
    print(gradebook.progress_table(rows))
    return 0


def _add_run_options(parser) -> None:
    parser.add_argument(
        "--exercises",
        default=str(REPO / "exercises"),
        help="the released exercises to grade against (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600,
        help="seconds a notebook may run in all (default: %(default)s)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=120,
        help="seconds a cell may run before it is interrupted (default: %(default)s)",
    )
    parser.add_argument(
        "--memory",
        type=float,
        default=4,
        help="GB of memory a notebook may use (default: %(default)s)",
    )
    parser.add_argument(
        "--jobs", type=int, default=0, help="notebooks run at a time (default: one per CPU core)"
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="full-size training cells instead of FAST mode (checks are the same)",
    )
    parser.add_argument(
        "--sandbox",
        choices=("auto", "on", "off"),
        default="auto",
        help="run each notebook in a bubblewrap sandbox: no network, read-only system, no view "
        "of other submissions or the grades (auto: when it works here; on: refuse to grade "
        "without it; default: %(default)s)",
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="gan-course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="check the install: versions, device, data")
    rel = sub.add_parser("release", help="make exercises/ from solutions/")
    rel.add_argument("--solutions", default=str(REPO / "solutions"))
    rel.add_argument("--exercises", default=str(REPO / "exercises"))
    rel.add_argument("--check", action="store_true", help="only report what is out of date")
    cln = sub.add_parser("clean", help="strip outputs and metadata from notebooks, in place")
    cln.add_argument("notebooks", nargs="+")
    sld = sub.add_parser("slides", help="give lesson cells slide types for jupyterlab-rise")
    sld.add_argument("notebooks", nargs="*", help="default: every lesson in notebooks/")
    sld.add_argument("--check", action="store_true", help="only report what is missing")
    grd = sub.add_parser(
        "grade", help="grade a class's exercise notebooks into a CSV and a summary"
    )
    grd.add_argument("submissions", nargs="+", help="notebooks, or folders (one per learner)")
    grd.add_argument("--out", default="grades.csv", help="the CSV to write (default: %(default)s)")
    grd.add_argument("--summary", help="the summary, .md or .html (default: next to --out, .md)")
    _add_run_options(grd)
    prg = sub.add_parser("progress", help="which exercises and tasks pass in your copy")
    prg.add_argument(
        "folder",
        nargs="?",
        default="exercises" if Path("exercises").is_dir() else str(REPO / "exercises"),
        help="your exercise notebooks (default: ./exercises if there is one, else the course's)",
    )
    _add_run_options(prg)
    args = parser.parse_args(argv)
    if args.command == "grade":
        return grade_command(args)
    if args.command == "slides":
        return slides_command(args)
    if args.command == "progress":
        return progress_command(args)
    if args.command == "doctor":
        return doctor()
    if args.command == "clean":
        return clean_command(args)
    return release_command(args)


if __name__ == "__main__":
    sys.exit(main())
