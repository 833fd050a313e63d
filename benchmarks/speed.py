"""Speed: what `loop.fit` costs, and the course's DCGAN step against pytorch/examples' loop.

`fit` calls a step function, logs what it returns, checks it for NaN and runs the callbacks.
Its own cost is measured by racing it against a bare `for` loop that calls the same step
function on the same networks and batches: once with the course's classic step
(`train.gan_step`, what `train_gan` runs) and once with pytorch/examples' algorithm written as
a step function (`examples_step`: the D step backpropagates the real and fake terms one after
the other, and the G step judges the fakes of the D step instead of drawing fresh noise).
A plain loop in the shape of pytorch/examples' `dcgan/main.py` (logits and `BCEWithLogitsLoss`
in place of its Sigmoid + BCELoss) is the reference row. Same networks (lesson 07's DCGAN
defaults), batch, Adam(2e-4, (0.5, 0.999)) and bundled 16x16 digits everywhere, the batches
drawn the way `train_gan` draws them. The contestants take turns, round after round, in one
process, on fresh networks, and each run's first steps are left out of the clock.

Target: `fit`'s overhead over the bare loop running the same step is at most 2 % (ratio
>= 0.98), at batch 64 and 128.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import Tensor, nn

from gan_course import callbacks, data, loop, runtime, train
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


def plain_loop(generator, discriminator, images, batch_size: int, steps: int, clock) -> None:
    """pytorch/examples' dcgan training loop, step for step (with logits), as a plain loop."""
    criterion = nn.BCEWithLogitsLoss()
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=LR, betas=BETAS)
    opt_g = torch.optim.Adam(generator.parameters(), lr=LR, betas=BETAS)
    real_label, fake_label = 1.0, 0.0
    batches = data.real_batches(images, batch_size, images.device)
    for _ in range(steps):
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        discriminator.zero_grad()
        real = next(batches)
        label = torch.full((batch_size,), real_label, device=real.device)
        output = discriminator(real)
        err_d_real = criterion(output, label)
        err_d_real.backward()
        d_x = output.sigmoid().mean().item()
        noise = torch.randn(batch_size, generator.latent_dim, device=real.device)
        fake = generator(noise)
        label = torch.full((batch_size,), fake_label, device=real.device)
        output = discriminator(fake.detach())
        err_d_fake = criterion(output, label)
        err_d_fake.backward()
        d_g_z1 = output.sigmoid().mean().item()
        err_d = err_d_real + err_d_fake
        opt_d.step()
        # (2) Update G network: maximize log(D(G(z)))
        generator.zero_grad()
        label = torch.full((batch_size,), real_label, device=real.device)  # fakes labelled real
        output = discriminator(fake)
        err_g = criterion(output, label)
        err_g.backward()
        d_g_z2 = output.sigmoid().mean().item()
        opt_g.step()
        _ = (err_d.item(), err_g.item(), d_x, d_g_z1, d_g_z2)  # what the example prints
        clock.tick()


def examples_step(state) -> dict:
    """pytorch/examples' dcgan algorithm as a step function for `loop.fit` (with logits).

    (1) D: backpropagate the real term, then make the fakes and backpropagate the fake term;
    (2) G: judge *the same fakes* with the updated D (the course's `gan_step` draws fresh noise
    and runs G again instead: Goodfellow et al. 2014, Algorithm 1)."""
    G, D, opt_d, opt_g = state.generator, state.discriminator, state.d_optimizer, state.g_optimizer
    criterion = nn.BCEWithLogitsLoss()
    real = next(state.batches)
    n = len(real)
    ones, zeros = torch.ones(n, device=real.device), torch.zeros(n, device=real.device)
    # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
    D.zero_grad()
    real_logits = D(real)
    err_d_real = criterion(real_logits, ones)
    err_d_real.backward()
    fake = G(torch.randn(n, G.latent_dim, device=real.device))
    fake_logits = D(fake.detach())
    err_d_fake = criterion(fake_logits, zeros)
    err_d_fake.backward()
    opt_d.step()
    # (2) Update G network: maximize log(D(G(z)))
    G.zero_grad()
    err_g = criterion(D(fake), ones)  # the fakes of the D step, labelled real
    err_g.backward()
    opt_g.step()
    metrics = train.d_diagnostics(err_d_real + err_d_fake, real_logits, fake_logits)
    return {**metrics, "g_loss": err_g.item()}


def dcgan_state(generator, discriminator, images, batch_size: int) -> loop.TrainState:
    """The run's state as `train_gan` builds it: named nets, Adam for each, the batches."""
    config = train.TrainConfig(batch_size=batch_size, lr_d=LR, lr_g=LR, betas=BETAS)
    g_opt, d_opt = train.make_optimizers(generator, discriminator, config)
    return loop.TrainState(
        nets={"generator": generator, "discriminator": discriminator},
        optimizers={"g_optimizer": g_opt, "d_optimizer": d_opt},
        config=config,
        batches=data.real_batches(images, batch_size, images.device),
        device=images.device,
    )


def through_fit(step: Callable, extra_callbacks: Callable[[], list] = list) -> Callable:
    """`fit` running `step`, with the callbacks `extra_callbacks()` makes."""

    def run(generator, discriminator, images, batch_size: int, steps: int, clock) -> None:
        state = dcgan_state(generator, discriminator, images, batch_size)
        with contextlib.redirect_stderr(io.StringIO()):  # the bar draws, but not on our table
            loop.fit(step, state, steps, callbacks=[*extra_callbacks(), clock])

    return run


def bare(step: Callable) -> Callable:
    """A bare `for` loop calling `step`: no history, no NaN check, no callbacks."""

    def run(generator, discriminator, images, batch_size: int, steps: int, clock) -> None:
        state = dcgan_state(generator, discriminator, images, batch_size)
        generator.train()
        discriminator.train()
        for _ in range(steps):
            step(state)
            clock.tick()

    return run


PLAIN = "plain PyTorch loop (pytorch/examples' dcgan)"
BARE_EXAMPLES = "bare for loop, examples_step"
FIT_EXAMPLES = "fit, examples_step"
BARE_GAN = "bare for loop, gan_step (the course's default)"
FIT_GAN = "fit, gan_step (= train_gan)"
FIT_GAN_BAR = "fit, gan_step + ProgressBar"
CONTESTANTS = {
    PLAIN: plain_loop,
    BARE_EXAMPLES: bare(examples_step),
    FIT_EXAMPLES: through_fit(examples_step),
    BARE_GAN: bare(train.gan_step),
    FIT_GAN: through_fit(train.gan_step),
    FIT_GAN_BAR: through_fit(train.gan_step, lambda: [callbacks.ProgressBar()]),
}
# the targets: fit against the bare loop running the same step
TWINS = {FIT_EXAMPLES: BARE_EXAMPLES, FIT_GAN: BARE_GAN, FIT_GAN_BAR: BARE_GAN}
OVERHEAD_LIMIT = 0.98  # fit's speed over the bare loop's: at most 2 % slower


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
            report.targets.append(Target(what, wall, OVERHEAD_LIMIT, note=f"in CPU time {cpu:.3f}"))
        for name in (FIT_EXAMPLES, FIT_GAN):
            report.notes.append(
                f"batch {batch_size}: {name} / {PLAIN} = {mean_std(ratios(rates, name), 3)}"
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
