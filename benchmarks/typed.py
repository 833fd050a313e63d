"""What the suites on the typed digits share (`lapgan`, `progressive`, `stylegan`): lesson 08's
metrics against the typed digits' train split, a clock for equal-time comparisons, and the DCGAN
baseline row.

Scores are taken in the course classifier's features (lesson 08): n samples from fixed noise
against the 6,000 training digits, beside the floor of n held-out typed digits. The classifier was
trained on the handwritten digits, so here it serves as a feature space; its reading of the
samples gives the class KL (the held-out digits' own is 0.148: it reads typed digits imperfectly).
Memorisation is measured in pixels against the 1,000 held-out digits (lesson 08). Images smaller
than 16×16 (a growing GAN's early stages) are scored at their size: the real digits are halved to
it too, and both are enlarged back to 16×16 by repeating pixels, so that the classifier reads them.
"""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F

from gan_course import metrics, runtime, train
from gan_course.callbacks import Callback
from gan_course.data import typed_digits
from gan_course.latent import sample
from gan_course.models.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_init

from .common import Column

LATENT_DIM, G_WIDTH, D_WIDTH = 32, 64, 32  # lesson 07's DCGAN
DCGAN_NAME = "DCGAN 16×16 (lesson 07), same time"
COLUMNS = [  # of a row of `TypedScores`
    Column("FD", lambda s: s.fd, 1),
    Column("FD / held-out floor", lambda s: s.fd / s.fd_floor, 1),
    Column("precision", lambda s: s.precision),
    Column("recall", lambda s: s.recall),
    Column("classes (of 10)", lambda s: s.classes_covered, 1),
    Column("class KL", lambda s: s.class_kl, 3),
    Column("memorisation ratio", lambda s: s.memorised),
    Column("steps", lambda s: s.steps, 0),
]
TIMED_COLUMNS = [*COLUMNS, Column("trained s", lambda s: s.seconds, 0)]


@dataclass(frozen=True)
class TypedScores:
    """Lesson 08's metrics of n images against the typed digits' train split."""

    n: int
    fd: float
    fd_floor: float
    precision: float
    recall: float
    classes_covered: int
    class_kl: float  # KL(the samples' class histogram, as the classifier reads them || uniform)
    memorised: float  # median nearest-train distance, samples / held-out digits: << 1 copies
    steps: int  # training steps the run made in its time
    seconds: float  # the time it trained (CPU seconds on a CPU, wall seconds on a GPU)

    def __str__(self) -> str:
        return (
            f"FD {self.fd:.1f} (floor {self.fd_floor:.1f}), precision {self.precision:.2f}, "
            f"recall {self.recall:.2f}, {self.classes_covered}/10 classes (KL "
            f"{self.class_kl:.3f}), memorisation ratio {self.memorised:.2f}, {self.steps} steps "
            f"(trained {self.seconds:.1f} s)"
        )


def at_size(images: torch.Tensor, size: int) -> torch.Tensor:
    """16×16 images (N, 1, 16, 16) as a stage of `size` pixels sees them (halved by averaging),
    enlarged back to 16×16 by repeating pixels: what the classifier reads."""
    while images.shape[-1] > size:
        images = F.avg_pool2d(images, 2)
    return F.interpolate(images, size=16, mode="nearest")


@lru_cache(maxsize=4)
def _reference(size: int = 16):
    train_images = at_size(typed_digits(16, "train"), size)
    classifier = metrics.load_digits_classifier("cpu")
    return train_images, metrics.digit_features(train_images, classifier), classifier


@lru_cache(maxsize=4)
def _held_out(size: int = 16) -> torch.Tensor:
    return at_size(typed_digits(16, "test"), size)  # the 1,000 held-out digits, seen at `size`


@lru_cache(maxsize=8)
def floor(n: int, size: int = 16) -> float:
    """The FD of n held-out typed digits (at `size`) against the train split: the best possible."""
    train_images, _, classifier = _reference(size)
    held_out = at_size(typed_digits(16, "test")[:n], size)
    return metrics.frechet_distance(train_images, held_out, classifier)


def score(images: torch.Tensor, steps: int, seconds: float) -> TypedScores:
    """The metrics of generated images (n, 1, S, S), S = 4, 8 or 16, clamped to [-1, 1], against
    the typed train split seen at the same size."""
    size = images.shape[-1]
    train_images, train_feats, classifier = _reference(size)
    images = F.interpolate(images.detach().cpu().clamp(-1, 1), size=16, mode="nearest")
    labels = metrics.predict_digits(images, classifier)
    return TypedScores(
        len(images),
        metrics.frechet_distance(train_images, images, classifier),
        floor(len(images), size),
        *metrics.precision_recall(train_feats, metrics.digit_features(images, classifier)),
        int(labels.unique().numel()),
        metrics.class_kl(labels),
        metrics.memorisation(images, train_images, _held_out(size)).ratio,
        steps,
        seconds,
    )


def clock_for(device: torch.device):
    """CPU seconds on a CPU (robust to other load on a shared machine), else the wall clock."""
    return time.process_time if device.type == "cpu" else time.perf_counter


class SampleAt(Callback):
    """Keep n samples of fixed noise each time the run has trained for one of `seconds` (on
    `clock`), with the step count; stop the run after the last."""

    def __init__(self, seconds, clock, n: int) -> None:
        self.seconds, self.clock, self.n = sorted(seconds), clock, n
        self.kept: list[tuple[torch.Tensor, int, float]] = []  # (samples, step, seconds)

    def on_train_begin(self, state) -> None:
        self.start = self.clock()

    def on_step_end(self, state) -> None:
        spent = self.clock() - self.start
        if spent >= self.seconds[len(self.kept)]:
            samples = sample(state.generator, self.n, seed=0).cpu()
            self.kept.append((samples, state.history.step, spent))
            self.start += self.clock() - self.start - spent  # sampling is not training time
            if len(self.kept) == len(self.seconds):
                raise KeyboardInterrupt  # `fit` keeps the model and the history


def dcgan_along(seconds, images: torch.Tensor, batch: int, n: int, seed: int) -> list[TypedScores]:
    """Lesson 07's DCGAN trained from `seed` on `images`, scored on n samples of fixed noise each
    time it has trained for one of `seconds` (on `clock_for`): the baseline every typed-digit
    suite compares with, at the same time as the model it is set against."""
    runtime.seed_everything(seed)
    device = images.device
    generator = DCGANGenerator(LATENT_DIM, width=G_WIDTH).to(device)
    discriminator = DCGANDiscriminator(width=D_WIDTH).to(device)
    generator.apply(dcgan_init)
    discriminator.apply(dcgan_init)
    config = train.TrainConfig(steps=10**9, batch_size=batch)  # until the time is up
    at = SampleAt(seconds, clock_for(device), n)
    with contextlib.redirect_stdout(io.StringIO()):  # "Interrupted at step ...": expected
        train.train_gan(generator, discriminator, images, config, callbacks=[at])
    return [score(samples, step, spent) for samples, step, spent in at.kept]


def dcgan_for(seconds: float, images: torch.Tensor, batch: int, n: int, seed: int) -> TypedScores:
    """Lesson 07's DCGAN trained for `seconds`, scored on n samples of fixed noise."""
    return dcgan_along([seconds], images, batch, n, seed)[-1]
