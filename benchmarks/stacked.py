"""Stacked digits: three bundled digits as the channels of one image, 1,000 modes.

The stacked-MNIST test of VEEGAN and PacGAN on the course's digits
(`gan_course.data.StackedDigits`): the classifier reads each channel of 26,000 samples (PacGAN's
count); a mode is a triple of digits, covered once it appears
(`gan_course.metrics.stacked_mode_stats`).

Target (on 2 cores): >= 950 of 1,000 modes and KL <= 0.3 in <= 10 min a run. Published:
Lin et al. 2018 (PacGAN), stacked MNIST: DCGAN 78.9 / 4.50, PacDCGAN2 1000 / 0.06 after about
100k iterations on a GPU.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import torch

from gan_course import metrics, runtime, train
from gan_course.data import StackedDigits
from gan_course.latent import sample
from gan_course.models.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_init

from .common import (
    TIME_HEADERS,
    Column,
    Machine,
    Report,
    Target,
    mean,
    our_row,
    plural,
    seed_notes,
    seed_runs,
    time_target,
)

LATENT_DIM, G_WIDTH, D_WIDTH = 64, 64, 32
# R1 (Mescheder et al. 2018), as for the digits: 1000/1000 modes and KL ~0.13 after 6,000 steps
CONFIG = train.TrainConfig(steps=6000, batch_size=64, r1=3.0)  # Adam(2e-4, (0.5, 0.999))
SAMPLES = 26_000  # PacGAN's count
QUICK, QUICK_SAMPLES = dataclasses.replace(CONFIG, steps=5, batch_size=16), 500
MODES, KL, SECONDS = 950, 0.3, 600.0  # the targets
PUBLISHED = [("DCGAN (PacGAN's table)", 78.9, 4.50), ("PacDCGAN2", 1000, 0.06)]

COLUMNS = [
    Column("modes (of 1,000)", lambda s: s.modes_covered, 1),
    Column("KL", lambda s: s.kl, 3),
]


def samples(generator, n: int, seed: int = 0, chunk: int = 2000) -> torch.Tensor:
    """`n` images from fixed noise (seed `seed`; the global RNG untouched), in eval mode."""
    noise = torch.Generator().manual_seed(seed)
    chunks = []
    for start in range(0, n, chunk):
        z = torch.randn(min(chunk, n - start), generator.latent_dim, generator=noise)
        chunks.append(sample(generator, z=z).cpu())  # eval mode: BatchNorm's running statistics
    return torch.cat(chunks)  # (n, 3, 16, 16)


def train_and_score(
    config: train.TrainConfig, n_samples: int, seed: int
) -> metrics.StackedModeStats:
    """A 3-channel DCGAN trained on stacked digits from `seed`; its mode count over `n_samples`."""
    runtime.seed_everything(seed)
    device = runtime.get_device()
    generator = DCGANGenerator(latent_dim=LATENT_DIM, channels=3, width=G_WIDTH).to(device)
    discriminator = DCGANDiscriminator(channels=3, width=D_WIDTH).to(device)
    generator.apply(dcgan_init)
    discriminator.apply(dcgan_init)
    train.train_gan(generator, discriminator, StackedDigits(16, "train"), config)
    return metrics.stacked_mode_stats(samples(generator, n_samples))


def real_row(n_samples: int) -> list[str]:
    """Stacks of held-out real digits, counted the same way: what a perfect generator scores."""
    real = metrics.stacked_mode_stats(
        StackedDigits(16, "test").sample(n_samples, torch.Generator().manual_seed(0))
    )
    return [
        f"held-out real stacks ({n_samples:,})",
        f"{real.modes_covered}",
        f"{real.kl:.3f}",
        "–",
        "–",
    ]


def setup(config: train.TrainConfig, n_samples: int, seeds: int) -> str:
    return (
        f"DCGAN (latent {LATENT_DIM}, G width {G_WIDTH}, D width {D_WIDTH}, 3 channels, DCGAN "
        f"init), {config.steps:,} steps, batch {config.batch_size}, Adam({config.lr_g:g}, "
        f"{config.betas}), R1 γ {config.r1:g}, on stacks of three bundled 16×16 digits (train "
        f"split); {n_samples:,} samples, each channel read by the course classifier; our row is "
        f"mean ± std over seeds 0..{seeds - 1}. Published rows: PacGAN (Lin et al. 2018), "
        "stacked MNIST (28×28, after ~100k GPU iterations)."
    )


def targets(runs, machine: Machine) -> list[Target]:
    stats = [r.value for r in runs]
    per = f"(mean of {plural(len(runs), 'seed')})"
    return [
        Target(f"modes covered {per}", mean([s.modes_covered for s in stats]), MODES),
        Target(f"KL {per}", mean([s.kl for s in stats]), KL, at_least=False),
        time_target([r.wall for r in runs], [r.cpu for r in runs], SECONDS, machine),
    ]


def run(seeds: int = 3, quick: bool = False) -> Report:
    """The stacked suite: a 3-channel DCGAN over `seeds` seeds, beside PacGAN's table."""
    machine = Machine.here()
    config, n_samples = (QUICK, QUICK_SAMPLES) if quick else (CONFIG, SAMPLES)
    runs = seed_runs(partial(train_and_score, config, n_samples), seeds)
    name = "course's best: DCGAN + R1 (γ 3), 3 channels"
    published = [[n, f"{m:g}", f"{k:g}", "–", "–"] for n, m, k in PUBLISHED]
    report = Report(
        "stacked",
        "Stacked digits (1,000 modes)",
        machine,
        setup(config, n_samples, seeds),
        ["method", *[c.header for c in COLUMNS], *TIME_HEADERS],
        [*published, real_row(n_samples), our_row(name, runs, COLUMNS)],
        targets(runs, machine),
    )
    report.notes += seed_notes(name, runs)
    return report
