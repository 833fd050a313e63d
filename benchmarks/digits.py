"""Digits: DCGANs on the bundled 16x16 digits, judged by the course's classifier.

Rows: the course's best recipe (lesson 07's DCGAN with an R1 penalty) and lesson 07's recipe.

Target (on 2 cores): Fréchet distance <= 5 x the floor that held-out real digits reach, 10/10
classes, class KL <= 0.05, <= 3 min a run. The scores are `gan_course.metrics.digit_scores`:
359 samples from fixed noise against the train split, in the classifier's features.
"""

from __future__ import annotations

import dataclasses
from functools import partial

from gan_course import metrics, runtime, train
from gan_course.data import digit_images
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

LATENT_DIM, G_WIDTH, D_WIDTH = 32, 64, 32  # lesson 07's networks
RECIPES = {  # the first is the course's best: the targets are its
    # R1 (Mescheder et al. 2018) keeps D flat on the real digits: the classes come out even
    # (class KL ~0.02 against ~0.06 without it) and FD drops from ~3.4 to ~1.7 x the floor.
    "course's best: DCGAN + R1 (γ 3)": train.TrainConfig(steps=3000, batch_size=64, r1=3.0),
    "DCGAN (lesson 07)": train.TrainConfig(steps=3000, batch_size=64),  # Adam(2e-4, (0.5, 0.999))
}
QUICK = dict(steps=5, batch_size=16)
FD_RATIO, CLASS_KL, SECONDS = 5.0, 0.05, 180.0  # the targets

COLUMNS = [
    Column("FD", lambda s: s.fd, 1),
    Column("FD / held-out floor", lambda s: s.fd / s.fd_floor),
    Column("precision", lambda s: s.precision),
    Column("recall", lambda s: s.recall),
    Column("classes (of 10)", lambda s: s.classes_covered, 1),
    Column("class KL", lambda s: s.class_kl, 3),
]


def train_and_score(config: train.TrainConfig, seed: int) -> metrics.DigitScores:
    """Lesson 07's DCGAN trained from `seed` with `config`; its `digit_scores`."""
    runtime.seed_everything(seed)
    device = runtime.get_device()
    generator = DCGANGenerator(latent_dim=LATENT_DIM, width=G_WIDTH).to(device)
    discriminator = DCGANDiscriminator(width=D_WIDTH).to(device)
    generator.apply(dcgan_init)
    discriminator.apply(dcgan_init)
    images = digit_images("digits", 16, "train")[0].to(device)  # (N, 1, 16, 16) in [-1, 1]
    train.train_gan(generator, discriminator, images, config)
    return metrics.digit_scores(generator)


def real_row() -> list[str]:
    """Held-out real digits scored like a generator: the best a row can hope for."""
    real = metrics.digit_scores(digit_images("digits", 16, "test")[0])
    cells = [f"{c.read(real):.{c.digits}f}" for c in COLUMNS]
    return [f"held-out real digits ({real.n})", *cells, "–", "–"]


def targets(runs, machine: Machine) -> list[Target]:
    scores = [r.value for r in runs]
    seeds = f"(mean of {plural(len(runs), 'seed')})"
    return [
        Target(
            f"FD / held-out floor {seeds}",
            mean([s.fd / s.fd_floor for s in scores]),
            FD_RATIO,
            False,
        ),
        Target(f"classes covered {seeds}", mean([s.classes_covered for s in scores]), 10),
        Target(f"class KL {seeds}", mean([s.class_kl for s in scores]), CLASS_KL, False),
        time_target([r.wall for r in runs], [r.cpu for r in runs], SECONDS, machine),
    ]


def run(seeds: int = 3, quick: bool = False) -> Report:
    """The digits suite: every recipe over `seeds` seeds, beside held-out real digits."""
    machine = Machine.here()
    recipes = {
        name: dataclasses.replace(config, **QUICK) if quick else config
        for name, config in RECIPES.items()
    }
    results = {
        name: seed_runs(partial(train_and_score, config), seeds) for name, config in recipes.items()
    }
    setup = "\n".join(
        [
            f"Lesson 07's DCGAN (latent {LATENT_DIM}, G width {G_WIDTH}, D width {D_WIDTH}, DCGAN "
            "init) on the bundled 16×16 digits (train split). Scored by "
            "`gan_course.metrics.digit_scores`: FD, k-NN precision/recall and the class histogram "
            "of 359 samples, in the course classifier's features, against the train split; our "
            f"rows are mean ± std over seeds 0..{seeds - 1}. No published row: these are our "
            "digits.",
            "",
            *[f"- **{name}**: {describe(config)}" for name, config in recipes.items()],
        ]
    )
    columns = ["method", *[c.header for c in COLUMNS], *TIME_HEADERS]
    rows = [real_row(), *[our_row(name, runs, COLUMNS) for name, runs in results.items()]]
    best = next(iter(results.values()))
    report = Report(
        "digits", "Digits (DCGAN)", machine, setup, columns, rows, targets(best, machine)
    )
    for name, runs in results.items():
        report.notes += seed_notes(name, runs)
    return report


def describe(config: train.TrainConfig) -> str:
    """A recipe in one line: steps, batch, optimiser, R1."""
    adam = f"Adam({config.lr_g:g}, {config.betas})"
    r1 = f", R1 γ {config.r1:g}" if config.r1 else ""
    return f"{config.steps:,} steps, batch {config.batch_size}, {adam}{r1}"
