"""The sandbox a submission's kernel runs in while it is graded (Linux: bubblewrap).

Each notebook is run by a process (the runner, and the kernel it starts) wrapped in `bwrap`
(https://github.com/containers/bubblewrap, Debian's `bubblewrap` package), which gives it:

* **no network**: a network namespace of its own, with only its own loopback (the runner talks
  to its kernel there); the machine's network and the grader's own loopback are out of reach;
* **a read-only view of the system and the course** (`/` bound read-only), and one private
  writable folder, the notebook's temporary folder; `/tmp` is its own and empty (but for the
  course and Python, read-only, when they live there);
* **no view of the other submissions, the grades or the grading user's secrets**: the folders
  the submissions came from are replaced by empty ones (or, where such a folder also holds the
  course, each notebook in it by an empty file), and so are the grade files and the grading
  user's home (or, when the course lives there, its SSH keys, tokens and configuration);
* **its own process tree**: a PID namespace, so a process it forks cannot outlive the run (when
  the runner ends, every process inside is killed);
* the grader's time and memory limits, as without the sandbox.

Where bubblewrap is missing or cannot make namespaces (macOS, Windows, a container that forbids
them), `Sandbox.detect` says why and the grader runs notebooks as before, saying so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .layout import REPO

MODES = ("auto", "on", "off")  # `gan-course grade --sandbox`


@dataclass
class Sandbox:
    tool: str | None  # bwrap's path; None: no sandbox
    why_not: str = ""  # why there is none
    hidden: list[Path] = field(default_factory=list)  # what the submission must not see

    @property
    def on(self) -> bool:
        return self.tool is not None

    def describe(self) -> str:
        if self.on:
            return "sandbox: on (bubblewrap: no network, read-only system, private folder)"
        return f"sandbox: OFF ({self.why_not}); notebooks run with the grading user's rights"

    @classmethod
    def detect(cls, mode: str = "auto", hidden=()) -> Sandbox:
        """A working sandbox, or one that says why there is none (`mode` "off": never)."""
        if mode not in MODES:
            raise ValueError(f"sandbox mode {mode!r}; choose one of {MODES}")
        if mode == "off":
            return cls(None, "turned off with --sandbox off")
        if not sys.platform.startswith("linux"):
            return cls(None, f"bubblewrap needs Linux; this is {sys.platform}")
        tool = shutil.which("bwrap")
        if tool is None:
            return cls(None, "bubblewrap is not installed (sudo apt-get install bubblewrap)")
        trial = subprocess.run(
            [tool, *BASE_ARGS, "--", "true"], capture_output=True, text=True, timeout=30
        )
        if trial.returncode != 0:
            said = trial.stderr.strip().splitlines()[-1:] or ["no message"]
            return cls(None, f"bubblewrap cannot make namespaces here ({said[0]})")
        sandbox = cls(tool, "", [Path(p).resolve() for p in [*hidden, *private_places()]])
        with tempfile.TemporaryDirectory() as folder:  # can a kernel's Python start in it?
            python = [sys.executable, "-c", "import gan_course"]
            trial = subprocess.run(
                sandbox.wrap(python, Path(folder)), capture_output=True, text=True, timeout=60
            )
        if trial.returncode != 0:
            said = trial.stderr.strip().splitlines()[-1:] or ["no message"]
            return cls(None, f"Python does not start inside bubblewrap here ({said[0]})")
        return sandbox

    def wrap(self, command: list[str], folder: Path) -> list[str]:
        """`command`, to run inside the sandbox with `folder` as its one writable place."""
        if not self.on:
            return command
        folder = Path(folder).resolve()
        args = [self.tool, *BASE_ARGS, "--tmpfs", "/tmp"]
        for path in _needed_under_tmp():  # a course or venv in /tmp stays visible
            args += ["--ro-bind", str(path), str(path)]
        for path in self.hidden:
            if not _emptied_with_tmp(path):
                args += _hide(path)
        args += ["--bind", str(folder), str(folder), "--chdir", str(folder)]
        return [*args, "--", *command]


# What every sandbox is made of: the system read-only, devices and /proc of its own, every
# namespace bwrap can make (network, PID, IPC, UTS; user and cgroup where allowed), and the
# whole tree killed with the grader.
BASE_ARGS = [
    "--ro-bind", "/", "/",
    "--dev", "/dev",
    "--proc", "/proc",
    "--unshare-all",
    "--die-with-parent",
    "--new-session",
]  # fmt: skip


CREDENTIALS = [
    ".ssh", ".gnupg", ".aws", ".azure", ".config", ".docker", ".kube", ".netrc",
    ".git-credentials", ".pypirc", ".jupyter", ".local/share/jupyter/runtime",
]  # fmt: skip


def private_places() -> list[Path]:
    """The grading user's home, or, when the course or Python lives in it, the places in it that
    hold credentials and secrets (SSH keys, cloud tokens, Jupyter's runtime files)."""
    home = Path.home().resolve()
    if not any(home == n or home in n.parents for n in _needed()):
        return [home]
    return [home / name for name in CREDENTIALS if (home / name).exists()]


def _needed() -> list[Path]:
    """What a kernel cannot run without: the course and Python."""
    return [REPO.resolve(), Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]


def _needed_under_tmp() -> list[Path]:
    """The course and Python, where they live under /tmp (which the sandbox empties)."""
    tmp = Path("/tmp").resolve()
    under = {n for n in _needed() if tmp in n.parents}
    return sorted(n for n in under if not any(o in n.parents for o in under))


def _hide(path: Path) -> list[str]:
    """Arguments that hide `path`: an empty folder over a folder, an empty file over a file.

    A folder that holds the course or Python itself cannot be hidden whole (the kernel needs
    them): its notebooks and grade files are hidden one by one instead.
    """
    if path.is_file():
        return ["--ro-bind", os.devnull, str(path)]
    if not path.is_dir():
        return []
    if any(n == path or path in n.parents for n in _needed()):
        notebooks = [p for p in path.rglob("*.ipynb") if not _tooling_part(p, path)]
        return [arg for p in notebooks for arg in ["--ro-bind", os.devnull, str(p)]]
    return ["--tmpfs", str(path), "--remount-ro", str(path)]  # empty, and nothing written there


def _emptied_with_tmp(path: Path) -> bool:
    """Under /tmp, which the sandbox empties, and not in a course or Python bound back there."""
    tmp = Path("/tmp").resolve()
    kept = _needed_under_tmp()
    return tmp in path.parents and not any(k == path or k in path.parents for k in kept)


def _tooling_part(path: Path, root: Path) -> bool:
    """Inside a virtual environment, a hidden folder or the course's own notebooks' folders."""
    parts = path.relative_to(root).parts
    return any(p.startswith(".") or p in ("site-packages", "notebooks", "solutions") for p in parts)
