"""Conditional GAN: lesson 10's DCGAN with labels, asked for each digit, judged by the classifier.

Target: >= 90 % of generated digits classified as the label they were asked for
(`gan_course.models.conditional.label_accuracy`, 100 images a class from fixed noise).
"""

from __future__ import annotations

from functools import partial

from gan_course import runtime, train
from gan_course.data import digit_images
from gan_course.metrics import (
    LabelAccuracy,
    label_accuracy,
    load_digits_classifier,
    predict_digits,
)
from gan_course.models.conditional import ConditionalGenerator, ProjectionDiscriminator
from gan_course.models.dcgan import dcgan_init

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
)

LATENT_DIM, WIDTH = 32, 32  # lesson 10's networks
CONFIG = train.TrainConfig(steps=800, batch_size=64)  # lesson 10: Adam(2e-4, (0.5, 0.999))
QUICK = train.TrainConfig(steps=5, batch_size=16)
PER_CLASS, QUICK_PER_CLASS = 100, 5
ACCURACY = 90.0  # the target, %

COLUMNS = [
    Column("classified as asked %", lambda s: 100 * s.overall, 1),
    Column("worst class %", lambda s: 100 * min(s.per_class), 1),
]


def train_and_score(config: train.TrainConfig, per_class: int, seed: int) -> LabelAccuracy:
    """Lesson 10's projection-D conditional DCGAN trained from `seed`; its label accuracy."""
    runtime.seed_everything(seed)
    device = runtime.get_device()
    generator = ConditionalGenerator(LATENT_DIM, n_classes=10, width=WIDTH).to(device)
    discriminator = ProjectionDiscriminator(n_classes=10, width=WIDTH).to(device)
    generator.apply(dcgan_init)
    discriminator.apply(dcgan_init)
    images, labels = digit_images("digits", 16, "train")  # (N, 1, 16, 16), (N,)
    train.train_gan(generator, discriminator, (images.to(device), labels.to(device)), config)
    return label_accuracy(generator, n_per_class=per_class)


def real_row() -> list[str]:
    """The classifier on held-out real digits: how often it is right when the digit is real."""
    images, labels = digit_images("digits", 16, "test")
    right = predict_digits(images, load_digits_classifier("cpu")) == labels
    per_class = [right[labels == k].float().mean().item() for k in range(10)]
    return [
        "held-out real digits",
        f"{100 * right.float().mean():.1f}",
        f"{100 * min(per_class):.1f}",
        "–",
        "–",
    ]


def run(seeds: int = 3, quick: bool = False) -> Report:
    """The conditional suite: lesson 10's recipe over `seeds` seeds."""
    machine = Machine.here()
    config, per_class = (QUICK, QUICK_PER_CLASS) if quick else (CONFIG, PER_CLASS)
    runs = seed_runs(partial(train_and_score, config, per_class), seeds)
    name = "conditional DCGAN, projection D (lesson 10)"
    setup = (
        f"ConditionalGenerator (latent {LATENT_DIM}, one-hot labels, width {WIDTH}) against a "
        f"ProjectionDiscriminator (width {WIDTH}), DCGAN init, {config.steps:,} steps, batch "
        f"{config.batch_size}, Adam({config.lr_g:g}, {config.betas}), on the bundled 16×16 "
        f"digits with labels (train split). Scored: {per_class} images asked of each class, "
        f"read by the course classifier; mean ± std over seeds 0..{seeds - 1}. No published row."
    )
    accuracy = mean([100 * r.value.overall for r in runs])
    report = Report(
        "conditional",
        "Conditional GAN",
        machine,
        setup,
        ["method", *[c.header for c in COLUMNS], *TIME_HEADERS],
        [real_row(), our_row(name, runs, COLUMNS)],
        [
            Target(
                f"classified as asked (mean of {plural(len(runs), 'seed')})",
                accuracy,
                ACCURACY,
                unit=" %",
            )
        ],
    )
    report.notes += seed_notes(name, runs)
    return report
