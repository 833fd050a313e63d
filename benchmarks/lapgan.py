"""LAPGAN: lesson 11's two-level LAPGAN against a single-scale DCGAN given the same time.

Denton et al. (2015) claim **better samples** from a Laplacian pyramid of GANs: in their human
study, people took LAPGAN's CIFAR-10 samples for real images about 40 % of the time, a
single-scale GAN's (fully connected, before DCGAN) about 10 %. We test the claim at our scale:
the typed digits at 16×16 (`gan_course.data.typed_digits`), LAPGAN 8 → 16 as in lesson 11, and
lesson 07's DCGAN trained for the same time on the same images.

Target: LAPGAN's Fréchet distance at most the DCGAN's (ratio <= 1, mean of the seeds). Scored in
the course classifier's features (lesson 08): 1,000 samples from fixed noise against the typed
digits' train split, beside the floor of the 1,000 held-out typed digits.
"""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass
from functools import lru_cache, partial

import torch

from gan_course import metrics, runtime, train
from gan_course.callbacks import Callback
from gan_course.data import typed_digits
from gan_course.families.lapgan import LapganConfig, train_lapgan
from gan_course.latent import sample
from gan_course.models.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_init
from gan_course.models.lapgan import LAPGANGenerator, lapgan_discriminators

from .common import (
    TIME_HEADERS,
    Column,
    Machine,
    Report,
    Target,
    mean,
    mean_std,
    our_row,
    plural,
    seed_notes,
    seed_runs,
)

LAPGAN_STEPS, BATCH, SAMPLES = 1500, 64, 1000  # lesson 11's run; samples scored
QUICK_STEPS, QUICK_BATCH, QUICK_SAMPLES = 5, 16, 50
LATENT_DIM, G_WIDTH, D_WIDTH = 32, 64, 32  # lesson 07's DCGAN, the LAPGAN base's noise
PUBLISHED = (
    "Denton et al. 2015 (CIFAR-10, 32×32, human study): samples taken for real images about "
    "40 % of the time for LAPGAN, about 10 % for a single-scale GAN. No FD was published."
)

COLUMNS = [
    Column("FD", lambda s: s.fd, 1),
    Column("FD / held-out floor", lambda s: s.fd / s.fd_floor, 1),
    Column("precision", lambda s: s.precision),
    Column("recall", lambda s: s.recall),
    Column("classes (of 10)", lambda s: s.classes_covered, 1),
    Column("steps", lambda s: s.steps, 0),
]


@dataclass(frozen=True)
class TypedScores:
    """Lesson 08's metrics of n images against the typed digits' train split."""

    n: int
    fd: float
    fd_floor: float
    precision: float
    recall: float
    classes_covered: int
    steps: int  # training steps the run made in its time
    seconds: float  # the time it trained (CPU seconds on a CPU, wall seconds on a GPU)

    def __str__(self) -> str:
        return (
            f"FD {self.fd:.1f} (floor {self.fd_floor:.1f}), precision {self.precision:.2f}, "
            f"recall {self.recall:.2f}, {self.classes_covered}/10 classes, {self.steps} steps "
            f"(trained {self.seconds:.1f} s)"
        )


@lru_cache(maxsize=1)
def _reference():
    train_images = typed_digits(16, "train")
    classifier = metrics.load_digits_classifier("cpu")
    return train_images, metrics.digit_features(train_images, classifier), classifier


@lru_cache(maxsize=4)
def _floor(n: int) -> float:
    train_images, _, classifier = _reference()
    return metrics.frechet_distance(train_images, typed_digits(16, "test")[:n], classifier)


def score(images: torch.Tensor, steps: int, seconds: float) -> TypedScores:
    """The metrics of generated images (n, 1, 16, 16) against the typed train split."""
    train_images, train_feats, classifier = _reference()
    images = images.cpu()
    labels = metrics.predict_digits(images, classifier)
    return TypedScores(
        len(images),
        metrics.frechet_distance(train_images, images, classifier),
        _floor(len(images)),
        *metrics.precision_recall(train_feats, metrics.digit_features(images, classifier)),
        int(labels.unique().numel()),
        steps,
        seconds,
    )


def _clock(device: torch.device):
    """CPU seconds on a CPU (robust to other load on a shared machine), else the wall clock."""
    return time.process_time if device.type == "cpu" else time.perf_counter


class TimeLimit(Callback):
    """Stop a run (as Ctrl-C would) once it has trained for `seconds` on `clock`."""

    def __init__(self, seconds: float, clock) -> None:
        self.seconds, self.clock = seconds, clock

    def on_train_begin(self, state) -> None:
        self.start = self.clock()

    def on_step_end(self, state) -> None:
        if self.clock() - self.start >= self.seconds:
            raise KeyboardInterrupt  # `fit` keeps the model and the history


def train_both(steps: int, batch: int, n: int, seed: int) -> dict[str, TypedScores]:
    """From `seed`: lesson 11's LAPGAN for `steps` steps, timed; then lesson 07's DCGAN on the
    same images for the same time. Both scored on `n` samples of fixed noise."""
    runtime.seed_everything(seed)
    device = runtime.get_device()
    clock = _clock(device)
    images = typed_digits(16, "train").to(device)
    lapgan = LAPGANGenerator(16, 8, base_latent_dim=LATENT_DIM).to(device)
    discriminators = {k: d.to(device) for k, d in lapgan_discriminators(16, 8).items()}
    for net in (lapgan, *discriminators.values()):
        net.apply(dcgan_init)
    start = clock()
    train_lapgan(lapgan, discriminators, images, LapganConfig(steps=steps, batch_size=batch))
    budget = clock() - start
    results = {"LAPGAN": score(sample(lapgan, n, seed=0), steps, budget)}

    runtime.seed_everything(seed)
    generator = DCGANGenerator(LATENT_DIM, width=G_WIDTH).to(device)
    discriminator = DCGANDiscriminator(width=D_WIDTH).to(device)
    generator.apply(dcgan_init)
    discriminator.apply(dcgan_init)
    config = train.TrainConfig(steps=10**9, batch_size=batch)  # until the time is up
    start = clock()
    with contextlib.redirect_stdout(io.StringIO()):  # "Interrupted at step ...": expected
        history = train.train_gan(
            generator, discriminator, images, config, callbacks=[TimeLimit(budget, clock)]
        )
    spent = clock() - start
    results["DCGAN"] = score(sample(generator, n, seed=0), history.step, spent)
    return results


def run(seeds: int = 3, quick: bool = False) -> Report:
    """The LAPGAN suite: both models over `seeds` seeds, beside the held-out floor."""
    machine = Machine.here()
    steps, batch, n = (QUICK_STEPS, QUICK_BATCH, QUICK_SAMPLES) if quick else (
        LAPGAN_STEPS, BATCH, SAMPLES)  # fmt: skip
    runs = seed_runs(partial(train_both, steps, batch, n), seeds)
    names = {
        "LAPGAN": "LAPGAN 8 → 16 (lesson 11)",
        "DCGAN": "DCGAN 16×16 (lesson 07), same time",
    }
    per_model = {
        key: [type(r)(r.value[key], r.wall, r.cpu) for r in runs] for key in ("LAPGAN", "DCGAN")
    }
    floor = _floor(n)
    rows = [
        [f"held-out typed digits ({n})", f"{floor:.1f}", "1.0", "–", "–", "–", "–", "–", "–"],
        *[our_row(names[key], model_runs, COLUMNS) for key, model_runs in per_model.items()],
    ]
    fds = {key: [r.value.fd for r in model_runs] for key, model_runs in per_model.items()}
    ratio = mean(fds["LAPGAN"]) / mean(fds["DCGAN"])
    seconds = [r.value.seconds for r in per_model["LAPGAN"]]
    setup = "\n".join(
        [
            "Typed digits, 16×16, train split (6,000). **LAPGAN**: lesson 11's networks (an 8×8 "
            f"DCGAN generator from {LATENT_DIM} numbers with a fully connected D, a 16×16 band "
            "generator with a D on band and condition), "
            f"{steps:,} steps, batch {batch}, Adam(2e-4, (0.5, 0.999)), every level trained on "
            "the real pyramid. **DCGAN**: lesson 07's networks (latent "
            f"{LATENT_DIM}, G width {G_WIDTH}, D width {D_WIDTH}), same Adam and batch, trained "
            "for as long as that seed's LAPGAN trained (CPU seconds on a CPU, so that other load "
            f"on a shared machine does not change the budget; LAPGAN took {mean_std(seconds, 1)} "
            "s). Scored by lesson 08's metrics in the course classifier's features: "
            f"{n} samples from fixed noise against the train split; the classifier was trained on "
            "the handwritten digits, so here it serves as a feature space. Mean ± std over seeds "
            f"0..{seeds - 1}; the time columns are whole runs (both models and their scoring).",
            "",
            f"Published: {PUBLISHED}",
        ]
    )
    verdict = (
        "The paper's claim holds here: LAPGAN's FD is lower than the DCGAN's at the same time."
        if ratio <= 1
        else "The paper's claim does **not** hold here: at 16×16 and the same time, the "
        "single-scale DCGAN reaches a lower FD than the LAPGAN. (The paper's single-scale "
        "baseline was a fully connected GAN; ours is a convolutional DCGAN.)"
    )
    report = Report(
        "lapgan",
        "LAPGAN against DCGAN at equal time",
        machine,
        setup,
        ["method", *[c.header for c in COLUMNS], *TIME_HEADERS],
        rows,
        [
            Target(
                f"LAPGAN FD / DCGAN FD at equal time (mean of {plural(len(runs), 'seed')})",
                ratio,
                1.0,
                at_least=False,
                note="the paper's claim, better samples, read as a lower FD",
            )
        ],
    )
    report.notes.append(verdict)
    for key, model_runs in per_model.items():
        report.notes += seed_notes(names[key], model_runs)
    return report
