"""The 2-D mixture suites' shared part: a recipe, one seeded run of it, and its table.

The protocol is VEEGAN's and PacGAN's (see `gan_course.metrics.mode_stats`): 2,500 samples; a
sample is high quality within 3 standard deviations of its nearest mode; a mode is covered by
one such sample; reverse KL of the modes' histogram against the uniform one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from gan_course import callbacks, metrics, runtime, train
from gan_course.data import GaussianMixture
from gan_course.models import MLPDiscriminator, MLPGenerator

from .common import (
    TIME_HEADERS,
    Column,
    Machine,
    Report,
    Target,
    Timed,
    mean,
    our_row,
    plural,
    seed_notes,
    seed_runs,
    time_target,
)

QUICK_STEPS = 20  # --quick: enough to run every line, not to learn anything
# TrainConfig fields a recipe names when they differ from the defaults
OPTIMIZERS = {"adam": "Adam", "rmsprop": "RMSprop"}  # their names as people write them
SWITCHES = "d_steps label_flip label_smoothing instance_noise d_l1 d_l2 clip gradient_penalty r1"


@dataclass(frozen=True)
class Recipe:
    """Networks, training config and EMA of one row: everything but the data and the seed."""

    name: str
    config: train.TrainConfig
    hidden: tuple[int, ...] = (128, 128)  # widths of both MLPs' hidden layers
    latent_dim: int = 2
    spectral_norm: bool = False  # on D's linear layers
    ema: float = 0.0  # decay of a generator EMA (0: none); when on, the average is scored

    def quick(self) -> Recipe:
        """The same recipe with a handful of small steps, for smoke runs."""
        config = dataclasses.replace(self.config, steps=QUICK_STEPS, batch_size=32)
        return dataclasses.replace(self, config=config)

    def describe(self) -> str:
        """The recipe in one line: what a reader needs to repeat it."""
        c = self.config
        parts = [
            f"MLPs {'×'.join(map(str, self.hidden))}",
            f"latent {self.latent_dim}",
            f"{c.steps:,} steps",
            f"batch {c.batch_size}",
            f"{OPTIMIZERS[c.optimizer]}(lr_d {c.lr_d:g}, lr_g {c.lr_g:g}, betas {c.betas})",
            f"losses {c.d_loss}/{c.g_loss}",
        ]
        defaults = train.TrainConfig()
        for name in SWITCHES.split():
            if getattr(c, name) != getattr(defaults, name):
                parts.append(f"{name} {getattr(c, name):g}")
        if self.spectral_norm:
            parts.append("spectral norm in D")
        if self.ema:
            parts.append(f"scored on a generator EMA (decay {self.ema:g})")
        return ", ".join(parts)


def train_and_score(recipe: Recipe, mixture: GaussianMixture, seed: int) -> metrics.ModeStats:
    """Train `recipe` on `mixture` from `seed`; the `ModeStats` of its generator (or EMA)."""
    runtime.seed_everything(seed)
    device = runtime.get_device()
    generator = MLPGenerator(recipe.latent_dim, mixture.dim, recipe.hidden).to(device)
    discriminator = MLPDiscriminator(mixture.dim, recipe.hidden, recipe.spectral_norm).to(device)
    ema = [callbacks.EMA(recipe.ema)] if recipe.ema else []
    try:
        train.train_gan(generator, discriminator, mixture, recipe.config, callbacks=ema)
    except train.TrainingDiverged:
        pass  # scored as it stands: a broken generator covers nothing, and the table says so
    return metrics.generator_mode_stats(ema[0].generator if ema else generator, mixture)


COLUMNS = [
    Column("modes (of {k})", lambda s: s.modes_covered),
    Column("high quality %", lambda s: 100 * s.high_quality, 1),
    Column("reverse KL", lambda s: s.reverse_kl, 3),
]


def published_row(name: str, modes: float, high_quality: float, kl: float | None) -> list:
    kl_cell = "–" if kl is None else f"{kl:g}"
    return [name, f"{modes:g}", f"{high_quality:g}", kl_cell, "–", "–"]


def quality_targets(runs: Sequence[Timed], n_modes: int, high_quality: float, kl=None):
    """Modes covered, high-quality share (and reverse KL) of the best recipe, as means."""
    stats = [r.value for r in runs]
    seeds = f"(mean of {plural(len(runs), 'seed')})"
    targets = [
        Target(f"modes covered {seeds}", mean([s.modes_covered for s in stats]), n_modes),
        Target(
            f"high-quality samples {seeds}",
            mean([100 * s.high_quality for s in stats]),
            high_quality,
            unit=" %",
        ),
    ]
    if kl is not None:
        targets.append(
            Target(f"reverse KL {seeds}", mean([s.reverse_kl for s in stats]), kl, at_least=False)
        )
    return targets


class Published(NamedTuple):
    """A row of a paper's table."""

    name: str
    modes: float
    high_quality: float  # %
    reverse_kl: float | None = None  # not every paper reports it


@dataclass(frozen=True)
class MixtureBenchmark:
    """A 2-D suite: a mixture, our recipes (the first is the course's best), the papers' rows,
    and the targets of the best recipe."""

    suite: str  # its name on the command line
    title: str
    mixture: Callable[[], GaussianMixture]
    recipes: Sequence[Recipe]
    published: Sequence[Published]
    source: str  # where the published rows come from
    high_quality: float  # target: at least this % of high-quality samples, and every mode
    seconds: float  # target: at most this wall time a run (on 2 cores)
    reverse_kl: float | None = None  # target: at most this reverse KL

    def run(self, seeds: int, quick: bool = False) -> Report:
        """Run every recipe over `seeds` seeds and lay the rows out beside the published ones."""
        machine = Machine.here()
        mixture = self.mixture()
        recipes = [r.quick() for r in self.recipes] if quick else list(self.recipes)
        results = {
            recipe.name: seed_runs(partial(train_and_score, recipe, mixture), seeds)
            for recipe in recipes
        }
        best = results[recipes[0].name]
        n_modes = len(mixture.means)
        report = Report(
            self.suite,
            self.title,
            machine,
            self.setup(mixture, recipes, seeds),
            ["method", *[c.header.format(k=n_modes) for c in COLUMNS], *TIME_HEADERS],
            [published_row(*p) for p in self.published]
            + [our_row(name, runs, COLUMNS) for name, runs in results.items()],
            quality_targets(best, n_modes, self.high_quality, self.reverse_kl),
        )
        walls, cpus = [r.wall for r in best], [r.cpu for r in best]
        report.targets.append(time_target(walls, cpus, self.seconds, machine))
        for name, runs in results.items():
            report.notes += seed_notes(name, runs)
        return report

    def setup(self, mixture: GaussianMixture, recipes: Sequence[Recipe], seeds: int) -> str:
        lines = [
            f"{mixture.name} (std {mixture.std}); 2,500 samples, high quality = within 3 std "
            f"of the nearest mode; our rows are mean ± std over seeds 0..{seeds - 1}, with the "
            "wall and CPU seconds of a whole run (build, train, score). Published rows: "
            f"{self.source}.",
            "",
        ]
        return "\n".join(lines + [f"- **{r.name}**: {r.describe()}" for r in recipes])
