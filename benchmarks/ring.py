"""Ring of 8 Gaussians (radius 2, std 0.02): the course's best recipe, the plain GAN and WGAN-GP.

Target (on 2 cores): the best recipe covers 8/8 modes with >= 90 % high-quality samples in
<= 60 s a run. Published: Srivastava et al. 2017 (VEEGAN), Table 1.
"""

from __future__ import annotations

from gan_course import data
from gan_course.train import TrainConfig

from .common import Report
from .mixtures import MixtureBenchmark, Published, Recipe

STEPS = 10_000  # one budget for every row: the rows differ only in the recipe

BEST = Recipe(
    "course's best: GAN + lr 1e-3 + generator EMA",
    TrainConfig(steps=STEPS, batch_size=256, lr_d=1e-3, lr_g=1e-3),
    ema=0.999,  # the live G keeps circling the modes; its average sits on them
)
PLAIN = Recipe("plain GAN (lesson 05)", TrainConfig(steps=STEPS, batch_size=256))
WGAN_GP = Recipe(
    "WGAN-GP",  # Gulrajani et al. 2017: lambda 10, Adam(1e-4, (0.5, 0.9)), n_critic 5
    TrainConfig(
        steps=STEPS,
        batch_size=256,
        lr_d=1e-4,
        lr_g=1e-4,
        betas=(0.5, 0.9),
        d_steps=5,
        d_loss="wasserstein",
        g_loss="wasserstein",
        gradient_penalty=10.0,
    ),
)

BENCHMARK = MixtureBenchmark(
    suite="ring",
    title="Ring of 8",
    mixture=data.ring_of_8,
    recipes=[BEST, PLAIN, WGAN_GP],
    published=[
        Published("GAN (as reported by VEEGAN)", 1.0, 99.3),
        Published("Unrolled GAN", 7.6, 35.6),
        Published("VEEGAN", 8.0, 52.9),
    ],
    source="Srivastava et al. 2017 (VEEGAN), Table 1",
    high_quality=90.0,
    seconds=60.0,
)


def run(seeds: int = 3, quick: bool = False) -> Report:
    """The ring suite: every recipe over `seeds` seeds, beside VEEGAN's table."""
    return BENCHMARK.run(seeds, quick)
