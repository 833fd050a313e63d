"""Train several configurations from the same start and show them side by side.

Lesson 06 compares remedies with it, lesson 09 compares losses. `compare_runs` trains each
`Variant` from the same seed (so every variant starts from the same weights and draws the same
random stream, until a switch such as label flipping draws extra numbers), watching it with a
progress bar and a live monitor that every run shares; `show_runs` draws the finished runs one
column each; `runs_table` lists their numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch
from torch import nn

from . import viz
from .callbacks import EMA, GradNorm, LiveMonitor, ProgressBar, Slot
from .data import GaussianMixture
from .latent import fixed_noise, sample
from .loop import History, TrainingDiverged
from .metrics import ModeStats, generator_mode_stats
from .runtime import get_device
from .train import TrainConfig, train_gan
from .views import MixtureView, NoiseGrid


@dataclass
class Variant:
    """One entry of a comparison: a config, and optionally other networks or an EMA of G."""

    config: TrainConfig
    make_models: Callable[[], tuple[nn.Module, nn.Module]] | None = None  # None: the shared ones
    ema: float | None = None  # decay of a generator EMA (callbacks.EMA), e.g. 0.999


@dataclass
class Run:
    """What `compare_runs` returns for each variant."""

    name: str
    config: TrainConfig
    generator: nn.Module
    discriminator: nn.Module
    history: History
    stats: ModeStats | None  # of the generator; None without a mixture to measure against
    seconds: float  # wall time of the training, the live monitor's drawing included
    ema_generator: nn.Module | None = None
    ema_stats: ModeStats | None = None
    diverged: bool = False  # a loss turned NaN: the history ends there

    def summary(self) -> str:
        """One line: mode statistics (of the EMA too) or, without them, D's outputs."""
        if self.stats is None:
            h = self.history
            return f"D(x) {h.last('d_real', 100):.2f}, D(G(z)) {h.last('d_fake', 100):.2f}"
        ema = f"; EMA: {_short(self.ema_stats)}" if self.ema_stats is not None else ""
        return _short(self.stats) + ema


def _short(stats: ModeStats) -> str:
    return (
        f"{stats.modes_covered}/{stats.n_modes} modes, {100 * stats.high_quality:.0f}% HQ, "
        f"KL {stats.reverse_kl:.2f}"
    )


def runs_table(runs: dict[str, Run]) -> str:
    """A plain-text table of the runs' metrics and times, one line a run."""
    width = max(len(name) for name in runs)
    return "\n".join(
        f"{name:<{width}}  {run.summary()}  ({run.seconds:.0f} s)" for name, run in runs.items()
    )


def compare_runs(
    variants: dict[str, Variant | TrainConfig],
    make_models: Callable[[], tuple[nn.Module, nn.Module]],
    data,
    *,
    mixture: GaussianMixture | None = None,
    seed: int = 0,
    live: bool = True,
    every: int = 200,  # live: redraw every `every` steps (at most: see LiveMonitor)
    device=None,  # default: get_device()
    progress: bool | None = None,  # a progress bar per run; default: when `live`
) -> dict[str, Run]:
    """Train every variant on `data` from the same seed; return a `Run` for each, by name.

    Each run starts with `torch.manual_seed(seed)`, then builds its networks with
    `make_models()` (or the variant's own). The learner's random state is left untouched.
    `mixture` (by default `data`, when it is a mixture) gives the mode statistics; a variant
    with `ema` also gets its averaged generator's. With `live=True` one picture, redrawn in
    place, follows the run that is training. The stop button ends the whole comparison and
    keeps the runs done so far; a run whose loss turns NaN is reported and kept, and the
    comparison goes on.
    """
    device = torch.device(device) if device is not None else get_device()
    if mixture is None and isinstance(data, GaussianMixture):
        mixture = data
    progress = live if progress is None else progress
    slot = Slot()  # the live picture, shared by the runs one after the other
    runs = {}
    for name, variant in dict(variants).items():
        variant = variant if isinstance(variant, Variant) else Variant(variant)
        callbacks = [ProgressBar(desc=name)] if progress else []
        if live:
            view = MixtureView(mixture) if mixture is not None else NoiseGrid()
            callbacks.append(
                LiveMonitor(view, every=every, max_overhead=0.1, slot=slot, title=name)
            )
        runs[name] = run = _train(
            name, variant, make_models, data, mixture, seed, device, callbacks
        )
        if run.history.step < variant.config.steps and not run.diverged:  # the stop button
            print(f"Comparison stopped during {name!r}: later variants were not trained.")
            break
    return runs


def _train(name, variant, make_models, data, mixture, seed, device, callbacks) -> Run:
    """Train one variant from `seed` and measure it."""
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)  # same start, same stream for every variant
        generator, discriminator = (variant.make_models or make_models)()
        generator, discriminator = generator.to(device), discriminator.to(device)
        ema = EMA(variant.ema) if variant.ema else None
        callbacks = [GradNorm(), *([ema] if ema is not None else []), *callbacks]
        start, diverged = time.perf_counter(), False
        try:
            history = train_gan(generator, discriminator, data, variant.config, callbacks=callbacks)
        except TrainingDiverged as err:  # keep comparing: this run's failure is a result too
            print(f"{name}: {err}")
            history, diverged = err.history, True
        seconds = time.perf_counter() - start
    ema_g = ema.generator if ema is not None else None
    stats = ema_stats = None
    if mixture is not None:
        stats = generator_mode_stats(generator, mixture)
        ema_stats = generator_mode_stats(ema_g, mixture) if ema_g is not None else None
    return Run(
        name, variant.config, generator, discriminator, history, stats, seconds,
        ema_g, ema_stats, diverged,
    )  # fmt: skip


# ------------------------------------------------------------------------------ drawing runs

VIEW_SEED = 1234  # the fixed noise and real points of every picture
COLUMN_SIZE = (3.4, 7.8)  # inches: one run's column
HEIGHTS = (1.5, 1, 1)  # the sample view is drawn a little taller than the curves


def show_runs(runs: dict[str, Run], mixture: GaussianMixture | None = None, n: int = 2500):
    """One column a run: samples (2-D view or image grid) with the metrics in the title, the
    losses, and D(x) / D(G(z)). Returns the figure. A run with an EMA shows its EMA's samples."""
    width, height = COLUMN_SIZE
    fig, axes = plt.subplots(
        3,
        len(runs),
        figsize=(width * len(runs), height),
        squeeze=False,
        gridspec_kw=dict(height_ratios=HEIGHTS),
    )
    for i, (column, run) in enumerate(zip(axes.T, runs.values(), strict=True)):
        _draw_column(column, run, mixture, n, legend=i == 0)
    fig.tight_layout()
    return fig


def _draw_column(axes, run: Run, mixture, n: int, legend: bool = True) -> None:
    ax_view, ax_loss, ax_d = axes
    generator = run.generator if run.ema_generator is None else run.ema_generator
    fake = sample(generator, z=fixed_noise(n, generator.latent_dim, VIEW_SEED)).cpu()  # (n, ...)
    label = f"{run.name} (EMA of G)" if run.ema_generator is not None else run.name
    heading = f"{label}\n{run.summary()}".replace("; EMA: ", "\nEMA: ")
    if fake.dim() == 2 and fake.shape[1] == 2:  # 2-D points
        with torch.random.fork_rng(devices=[]):  # the same real points in every column
            torch.manual_seed(VIEW_SEED)
            real = mixture.sample(n) if mixture is not None else None
        viz.scatter_real_fake(real, fake, ax=ax_view, lim=_limit(mixture, fake))
        if not legend:  # one legend for the whole row is enough: it hides a mode
            ax_view.get_legend().remove()
    else:  # images
        viz.show_images(fake[:64], nrow=8, ax=ax_view)
    ax_view.set_title(heading, fontsize=9)
    if run.history.step:
        viz.plot_losses(run.history, ax_loss)
        viz.plot_d_outputs(run.history, ax_d)
    else:
        for ax in (ax_loss, ax_d):
            ax.set_axis_off()


def _limit(mixture, fake) -> float:
    """Half-width of a 2-D view: the mixture with a margin, or where most fakes are."""
    if mixture is not None:
        return float(mixture.means.abs().max()) + 1.5
    return float(fake.abs().quantile(0.98)) * 1.1 + 1e-3
