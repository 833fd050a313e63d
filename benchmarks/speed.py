"""Speed: iterations per second of `train_gan`'s DCGAN step against a plain PyTorch loop.

The plain loop is the shape of pytorch/examples' `dcgan/main.py` (logits and
`BCEWithLogitsLoss` in place of its Sigmoid + BCELoss): same networks, same batch, same
Adam(2e-4, (0.5, 0.999)), on the bundled 16x16 digits, with the batches drawn the way
`train_gan` draws them (slices of a shuffled in-memory tensor) so that only the training step
differs. Its G step judges the fakes of its D step: `train_gan` does the same with
`TrainConfig(reuse_fakes=True)`. The course's default G step draws fresh noise and runs G
again (Goodfellow et al. 2014, Algorithm 1), so it races a plain loop changed in that one
place. The contestants take turns, round after round, in one process, on fresh networks, and
each run's first steps (allocations, Adam's state, caches) are left out of the clock.

Target: `train_gan` is not slower than the plain loop doing the same work (ratio >= 1).
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import NamedTuple

import torch
from torch import Tensor, nn

from gan_course import callbacks, data, runtime, train
from gan_course.models.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_init

from .common import Machine, Report, Target, mean, mean_std

BATCH_SIZES = (64, 128)
LR, BETAS = 2e-4, (0.5, 0.999)  # Radford et al. 2015, and pytorch/examples
SIZES = {
    "full": dict(warmup=10, measured=150, rounds=6),  # 6 rounds: each contestant leads once
    "quick": dict(warmup=2, measured=3, rounds=1),
}


class StepClock(callbacks.Callback):
    """Notes the time at the end of every step: as a callback of `train_gan`, or by `tick()`."""

    def __init__(self, device: torch.device) -> None:
        self.device, self.wall, self.cpu = device, [], []

    def tick(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize()  # count the work, not just its launch
        self.wall.append(time.perf_counter())
        self.cpu.append(time.process_time())

    def on_step_end(self, state) -> None:
        self.tick()

    def rates(self, warmup: int) -> Rates:
        """Steps per second after the first `warmup` steps, on the clock and in CPU time."""
        steps = len(self.wall) - warmup
        wall, cpu = (times[-1] - times[warmup - 1] for times in (self.wall, self.cpu))
        return Rates(steps / wall, steps / cpu)


class Rates(NamedTuple):
    wall: float  # iterations per second on the clock: what the issue asks for
    cpu: float  # iterations per CPU second: steadier when other processes share the CPU


# ------------------------------------------------------------------------------ the contestants


def shuffled_batches(images: Tensor, batch_size: int) -> Iterator[Tensor]:
    """Endless epochs of `images` in a new random order, ragged end dropped (as `train_gan`)."""
    while True:
        order = torch.randperm(len(images), device=images.device)
        for start in range(0, len(images) - batch_size + 1, batch_size):
            yield images[order[start : start + batch_size]]


def plain_loop(
    generator,
    discriminator,
    images,
    batch_size: int,
    steps: int,
    clock,
    fresh_noise: bool = False,
    one_backward: bool = False,
) -> None:
    """pytorch/examples' dcgan training loop, step for step (with logits).

    The example's G step judges the fakes its D step made (G has not moved since). With
    `fresh_noise`, the G step draws new noise and runs G again, as `train_gan`'s `g_step` does.
    With `one_backward`, the D step sums its two terms and backpropagates once, as lesson 05's
    `d_step` does, where the example backpropagates the real term before it makes the fakes.
    """
    criterion = nn.BCEWithLogitsLoss()
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=LR, betas=BETAS)
    opt_g = torch.optim.Adam(generator.parameters(), lr=LR, betas=BETAS)
    real_label, fake_label = 1.0, 0.0
    batches = shuffled_batches(images, batch_size)
    for _ in range(steps):
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        discriminator.zero_grad()
        real = next(batches)
        label = torch.full((batch_size,), real_label, device=real.device)
        output = discriminator(real)
        err_d_real = criterion(output, label)
        if not one_backward:
            err_d_real.backward()
        d_x = output.sigmoid().mean().item()
        noise = torch.randn(batch_size, generator.latent_dim, device=real.device)
        fake = generator(noise)
        label = torch.full((batch_size,), fake_label, device=real.device)
        output = discriminator(fake.detach())
        err_d_fake = criterion(output, label)
        err_d = err_d_real + err_d_fake
        (err_d if one_backward else err_d_fake).backward()
        d_g_z1 = output.sigmoid().mean().item()
        opt_d.step()
        # (2) Update G network: maximize log(D(G(z)))
        generator.zero_grad()
        label = torch.full((batch_size,), real_label, device=real.device)  # fakes labelled real
        if fresh_noise:
            fake = generator(torch.randn(batch_size, generator.latent_dim, device=real.device))
        output = discriminator(fake)
        err_g = criterion(output, label)
        err_g.backward()
        d_g_z2 = output.sigmoid().mean().item()
        opt_g.step()
        _ = (err_d.item(), err_g.item(), d_x, d_g_z1, d_g_z2)  # what the example prints
        clock.tick()


def ours(extra_callbacks: Callable[[], list], reuse_fakes: bool) -> Callable:
    """`train_gan` with the plain loop's settings, plus the callbacks `extra_callbacks()` makes."""

    def loop(generator, discriminator, images, batch_size: int, steps: int, clock) -> None:
        config = train.TrainConfig(
            steps=steps,
            batch_size=batch_size,
            lr_d=LR,
            lr_g=LR,
            betas=BETAS,
            reuse_fakes=reuse_fakes,
        )
        with contextlib.redirect_stderr(io.StringIO()):  # the bar draws, but not on our table
            train.train_gan(
                generator, discriminator, images, config, callbacks=[*extra_callbacks(), clock]
            )

    return loop


PLAIN = "plain PyTorch loop (pytorch/examples' dcgan)"
PLAIN_ONE = "plain loop, D step with one backward (as lesson 05's d_step)"
PLAIN_FRESH = "plain loop, G step on fresh noise (Algorithm 1)"
REUSE = "train_gan, reuse_fakes=True"
REUSE_BAR = "train_gan + ProgressBar, reuse_fakes=True"
DEFAULT = "train_gan, the course's default (fresh noise)"
CONTESTANTS = {
    PLAIN: plain_loop,
    REUSE: ours(list, reuse_fakes=True),
    REUSE_BAR: ours(lambda: [callbacks.ProgressBar()], reuse_fakes=True),
    PLAIN_ONE: partial(plain_loop, one_backward=True),
    PLAIN_FRESH: partial(plain_loop, fresh_noise=True),
    DEFAULT: ours(list, reuse_fakes=False),
}
# the targets: each train_gan row against the plain loop that does the same work
TWINS = {REUSE: PLAIN, REUSE_BAR: PLAIN, DEFAULT: PLAIN_FRESH}


# ------------------------------------------------------------------------------ measuring


def networks(device: torch.device) -> tuple[nn.Module, nn.Module]:
    """A fresh DCGAN pair with the DCGAN initialisation, the same weights every time."""
    torch.manual_seed(0)
    generator, discriminator = DCGANGenerator(), DCGANDiscriminator()
    generator.apply(dcgan_init)
    discriminator.apply(dcgan_init)
    return generator.to(device), discriminator.to(device)


def measure(loop: Callable, images: Tensor, batch_size: int, warmup: int, measured: int) -> Rates:
    """Iterations per second of `loop` on fresh networks, its first `warmup` steps left out."""
    generator, discriminator = networks(images.device)
    clock = StepClock(images.device)
    loop(generator, discriminator, images, batch_size, warmup + measured, clock)
    return clock.rates(warmup)


def race(images: Tensor, batch_size: int, warmup: int, measured: int, rounds: int) -> dict:
    """Each contestant's iterations/s in every round; the rounds interleave the contestants."""
    rates = {name: [] for name in CONTESTANTS}
    names = list(CONTESTANTS)
    for round_ in range(rounds):
        turn = round_ % len(names)  # who goes first rotates: no one always meets the same load
        for name in names[turn:] + names[:turn]:
            rates[name].append(measure(CONTESTANTS[name], images, batch_size, warmup, measured))
    return rates


def ratios(rates: dict, name: str, to: str = PLAIN, clock: str = "wall") -> list[float]:
    """`name`'s iterations/s over `to`'s, round by round (both ran in the same round)."""
    return [
        getattr(a, clock) / getattr(b, clock) for a, b in zip(rates[name], rates[to], strict=True)
    ]


def rows(batch_size: int, rates: dict) -> list[list[object]]:
    """One row a contestant: iterations/s, and the ratios to its twin, round by round."""
    return [
        [
            name,
            batch_size,
            mean_std([r.wall for r in rate], 1),
            "–" if name == PLAIN else TWINS.get(name, PLAIN),
            mean_std(ratios(rates, name, TWINS.get(name, PLAIN)), 3),
            mean_std(ratios(rates, name, TWINS.get(name, PLAIN), clock="cpu"), 3),
        ]
        for name, rate in rates.items()
    ]


def run(seeds: int = 3, quick: bool = False) -> Report:
    """Race the loops at every batch size; `seeds` is unused (the rounds are the repeats)."""
    del seeds
    sizes = SIZES["quick" if quick else "full"]
    machine = Machine.here()
    images = data.digit_images("digits", 16, "train")[0].to(runtime.get_device())  # (N, 1, 16, 16)
    report = Report(
        "speed", "Speed of the training step", machine, setup(images, sizes), COLUMNS, []
    )
    for batch_size in BATCH_SIZES:
        rates = race(images, batch_size, **sizes)
        report.rows += rows(batch_size, rates)
        for name, twin in TWINS.items():
            wall = mean(ratios(rates, name, twin))
            cpu = mean(ratios(rates, name, twin, clock="cpu"))
            what = f"{name} / {twin}, batch {batch_size}"
            report.targets.append(Target(what, wall, 1.0, note=f"in CPU time {cpu:.3f}"))
        report.notes.append(
            f"batch {batch_size}: {REUSE} / {PLAIN_ONE} = "
            f"{mean_std(ratios(rates, REUSE, PLAIN_ONE), 3)}: ≈ 1 means the gap to the example "
            "is the D step's single backward, not train_gan's machinery"
        )
        report.notes.append(
            f"batch {batch_size}: {DEFAULT} / {PLAIN} = "
            f"{mean_std(ratios(rates, DEFAULT), 3)}: the price of running G again for its "
            "step, on fresh noise"
        )
    return report


COLUMNS = ["loop", "batch", "iterations / s", "compared with", "ratio", "ratio, CPU time"]


def setup(images: Tensor, sizes: dict) -> str:
    """The setup paragraph: networks, data, optimiser, and how the clock was run."""
    g, d = networks(torch.device("cpu"))
    return (
        f"DCGAN on the bundled 16×16 digits ({len(images)} train images): G {g.hparams}, "
        f"D {d.hparams}, Adam({LR:g}, {BETAS}). {sizes['rounds']} interleaved rounds of "
        f"{sizes['measured']} steps per contestant after {sizes['warmup']} warm-up steps; "
        "iterations/s and the ratio to the loop it is compared with (round by round) are "
        "mean ± std over the rounds; the ratio of iterations per CPU second is steadier when "
        "others share the machine."
    )
