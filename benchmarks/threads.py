"""Threads on a busy machine: training steps per second with the other core idle, then busy.

Two torch threads on two cores, one of them busy with another program (a browser, a video call,
a second kernel), spin-wait for each other: OpenMP's threads wait for their partner by spinning
before they sleep, and a partner that the OS has descheduled makes every parallel region wait.
`OMP_WAIT_POLICY=passive` makes them sleep at once; it is read when torch loads, so every row
runs in a fresh process with its own environment. The course's policy (one thread per kernel,
`gan_course.runtime.set_threads`) is the last row of each workload.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from . import common

# A fresh process: `warmup` steps, then whole chunks of steps for about `seconds`; prints the rate.
TRAIN = r"""
import json, sys, time
workload, seconds, warmup = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
from gan_course import data, runtime
from gan_course.models import dcgan
from gan_course.models.mlp import MLPDiscriminator, MLPGenerator
from gan_course.train import TrainConfig, train_gan
runtime.seed_everything(0)
threads = runtime.set_threads()
if workload == "ring":  # lesson 05
    G = MLPGenerator(latent_dim=2, out_dim=2, hidden=(128, 128))
    D = MLPDiscriminator(in_dim=2, hidden=(128, 128))
    real, batch, chunk = data.ring_of_8(), 256, 100
else:  # lesson 07
    G = dcgan.DCGANGenerator(latent_dim=32, channels=1, image_size=16, width=64)
    D = dcgan.DCGANDiscriminator(channels=1, image_size=16, width=32)
    real, batch, chunk = data.digit_images("digits", 16, "train")[0], 64, 20
train_gan(G, D, real, TrainConfig(steps=warmup, batch_size=batch))
steps, start = 0, time.perf_counter()
while steps == 0 or time.perf_counter() - start < seconds:
    train_gan(G, D, real, TrainConfig(steps=chunk, batch_size=batch))
    steps += chunk
print(json.dumps({"rate": steps / (time.perf_counter() - start), "threads": threads}))
"""

SPIN = "while True:\n    pass\n"  # what keeps the other core busy

WORKLOADS = {  # name: (row label, what it is)
    "ring": ("ring GAN (05)", "lesson 05's ring GAN (MLPs 2→128→128→2, batch 256)"),
    "dcgan": ("DCGAN (07)", "lesson 07's DCGAN on 16×16 digits (widths 64/32, batch 64)"),
}

# (row, OMP_NUM_THREADS, OMP_WAIT_POLICY); None: the variable is unset
SETTINGS = [
    ("2 threads, OpenMP's default wait (the course's old default)", "2", None),
    ("2 threads, passive wait", "2", "passive"),
    ("1 thread (the course's default: nothing set)", None, None),
]


def rate(workload: str, threads: str | None, policy: str | None, seconds: float, warmup: int):
    """Steps per second of one fresh process with these settings: {"rate", "threads"}."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
    env.pop("GAN_COURSE_FAST", None)
    if threads is not None:
        env["OMP_NUM_THREADS"] = threads
    if policy is not None:
        env["OMP_WAIT_POLICY"] = policy
    out = subprocess.run(
        [sys.executable, "-c", TRAIN, workload, str(seconds), str(warmup)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def while_a_core_is_busy(fn):
    """`fn()` while another process spins on one core."""
    spinner = subprocess.Popen([sys.executable, "-c", SPIN])
    try:
        time.sleep(0.5)
        return fn()
    finally:
        spinner.kill()
        spinner.wait()


def run(seeds: int = 3, quick: bool = False) -> common.Report:
    seconds, warmups = (
        (0.2, {"ring": 5, "dcgan": 2}) if quick else (6.0, {"ring": 300, "dcgan": 40})
    )
    machine = common.Machine.here()
    rounds = 1 if quick else seeds
    rows, targets = [], []
    settings = SETTINGS[-1:] if quick else SETTINGS  # quick: every line, in a few processes
    for workload, (label, _what) in WORKLOADS.items():
        warmup = warmups[workload]
        for name, threads, policy in settings:
            idle, busy, used = [], [], 0
            for _ in range(rounds):  # interleaved: idle, busy, idle, busy ...
                measured = rate(workload, threads, policy, seconds, warmup)
                idle.append(measured["rate"])
                used = measured["threads"]
                busy.append(
                    while_a_core_is_busy(
                        lambda: rate(workload, threads, policy, seconds, warmup)  # noqa: B023
                    )["rate"]
                )
            slowdown = common.mean(idle) / common.mean(busy)
            rows.append(
                [label, f"**{name}**", str(used), policy or "default",
                 common.mean_std(idle, 0), common.mean_std(busy, 0), f"{slowdown:.1f} ×"]
            )  # fmt: skip
            if threads is None:
                targets.append(
                    common.Target(f"{workload}: slowdown of the course's default, busy vs idle",
                                  slowdown, 2.0, False, " ×")
                )  # fmt: skip
    workloads = "; ".join(f"{label}: {what}" for label, what in WORKLOADS.values())
    setup = (
        f"{workloads}. Each cell: a fresh process trains for about {seconds:g} s after a "
        "warm-up and counts steps (`train_gan`, one D and one G step each); 'busy' runs a "
        f"Python loop spinning on one core meanwhile. {machine.cores} cores; the idle and busy "
        f"runs alternate, {common.plural(rounds, 'round')} of each."
    )
    columns = ["workload", "setting", "torch threads", "OMP_WAIT_POLICY",
               "steps/s, other core idle", "steps/s, other core busy",
               "slowdown when busy"]  # fmt: skip
    return common.Report(
        "threads", "Threads on a busy machine", machine, setup, columns, rows, targets
    )
