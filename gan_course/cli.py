"""The `gan-course` command: `doctor` checks an install, `release` makes the exercises,
`clean` strips notebooks for committing."""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


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
        "sklearn",
        "skimage",
        "tqdm",
        "nbformat",
        "torchmetrics",
        "jupyterlab",
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

    from . import data, runtime

    device = runtime.get_device()
    print(f"device       {device}" + ("" if device.type != "cpu" else " (no CUDA or MPS found)"))
    print(f"threads      {runtime.set_threads()} for torch (CPU cores: {os.cpu_count()})")
    print(f"FAST mode    {'on' if runtime.is_fast() else 'off'} ({runtime.FAST_ENV})")
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
    from .assets import SCRIPTS, AssetError, verified_path

    for name in SCRIPTS:  # weights the course ships, checked against their SHA-256
        try:
            verified_path(name)
            print(f"weights      {name:<24} ok (checksum verified)")
        except AssetError as err:
            print(f"weights      {name:<24} FAILED ({err})")
            problems.append(f"weights {name!r} failed their checksum")
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
    from .release import ReleaseError, release

    try:
        changed = release(Path(args.solutions), Path(args.exercises), check=args.check)
    except ReleaseError as err:
        print(f"release failed: {err}", file=sys.stderr)
        return 2
    stale = [p for p in changed if not (Path(args.solutions) / p.name).exists()]
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
    args = parser.parse_args(argv)
    if args.command == "doctor":
        return doctor()
    if args.command == "clean":
        return clean_command(args)
    return release_command(args)


if __name__ == "__main__":
    sys.exit(main())
