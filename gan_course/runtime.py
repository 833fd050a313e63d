"""Where and how big things run: seeds, device, threads, and FAST mode.

Every notebook's setup cell ends with the same lines::

    seed_everything(0)
    device = get_device()
    set_threads()
    print(describe())

and takes its sizes from `budget`, e.g. `steps = budget(full=4000, fast=60)`.

`GAN_COURSE_FAST=1` (what the tests set) shrinks every run to seconds while still executing every
line; `budget` is the one place that reads it, so a notebook never tests FAST itself.

`GAN_COURSE_PRETRAINED=1` (an instructor starts JupyterLab with it) makes `use_pretrained()` True:
lessons 05, 07 and 10 then load the course's trained weights (`gan_course.assets`) instead of
training, so a class never waits for a run.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

FAST_ENV = "GAN_COURSE_FAST"
DEVICE_ENV = "GAN_COURSE_DEVICE"
PRETRAINED_ENV = "GAN_COURSE_PRETRAINED"


def _switched_on(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def is_fast() -> bool:
    """True when `GAN_COURSE_FAST` is set to something other than "", "0", "false" or "no"."""
    return _switched_on(FAST_ENV)


def use_pretrained() -> bool:
    """True when `GAN_COURSE_PRETRAINED` is set (to anything but "", "0", "false" or "no").

    A lesson's setup cell reads it once, `PRETRAINED = use_pretrained()`, and its training cell
    then loads the course's weights (`gan_course.assets.load_pretrained`) instead of training.
    """
    return _switched_on(PRETRAINED_ENV)


def budget(full, fast):
    """Pick the size for the current mode: `fast` under `GAN_COURSE_FAST=1`, else `full`.

    Works for anything: step counts, batch sizes, dataset sizes, tuples of them.
    """
    return fast if is_fast() else full


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (all devices) so a run can be repeated."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA and MPS


def get_device(prefer: str | None = None) -> torch.device:
    """The best device here: CUDA, then Apple's MPS, then the CPU.

    `prefer` (or the `GAN_COURSE_DEVICE` variable) forces one, e.g. "cpu" to compare timings.
    """
    prefer = prefer or os.environ.get(DEVICE_ENV)
    if prefer:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_of(module: torch.nn.Module) -> torch.device:
    """The device a network's parameters (or, without parameters, its buffers) are on."""
    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return torch.device("cpu")


THREADS_ENV = "OMP_NUM_THREADS"


def set_threads(n: int | None = None) -> int:
    """Give PyTorch its CPU threads (one, unless told otherwise) and return how many.

    One thread per kernel is the course's policy, chosen by measuring (`python -m benchmarks
    threads`, in benchmarks/README.md): the course's networks are small, so a second thread
    gains little on an idle machine (lesson 05's ring GAN: nothing; lesson 07's DCGAN: about
    1.3x), and loses a lot on a busy one. While another program keeps a core busy (a browser,
    a video call, another kernel), two threads spin-wait for each other: 3-5x slower than one.

    `n`, or else `OMP_NUM_THREADS`, asks for more; `describe` then warns about busy machines.
    """
    if n is None:
        env = os.environ.get(THREADS_ENV, "")
        n = int(env) if env.isdigit() and int(env) > 0 else 1
    torch.set_num_threads(n)
    return n


def thread_warning() -> str | None:
    """A warning when torch runs on more than one CPU thread (see `set_threads`), else None."""
    threads = torch.get_num_threads()
    if threads <= 1 or get_device().type != "cpu":
        return None
    return (
        f"note: torch uses {threads} CPU threads. That is a little faster on an idle machine, "
        "but 3-5x slower than one thread while another program keeps a core busy. The "
        f"course's default is one thread: unset {THREADS_ENV} (now "
        f"{os.environ.get(THREADS_ENV, 'unset')!r}) or call set_threads(1)."
    )


def describe() -> str:
    """One line for the top of a notebook: device, threads and mode (and a thread warning)."""
    mode = "FAST (smoke-test sizes)" if is_fast() else "full"
    line = f"device={get_device()}  threads={torch.get_num_threads()}  mode={mode}"
    warning = thread_warning()
    return line if warning is None else f"{line}\n{warning}"
