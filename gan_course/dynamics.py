r"""Training dynamics: why GAN training goes round in circles, and a bench to compare remedies.

* `gda_step` / `bilinear_game`: the smallest game that shows the trouble,
  $\min_x \max_y f(x, y) = xy$, played by gradient descent-ascent (Mescheder et al. 2018;
  Gidel et al. 2019), and `plot_bilinear_game` to draw it.
* `GradNorm` and `ModeTracker`: callbacks that log what the live monitor does not show, the size
  of G's gradient and which modes G's samples sit on over time (`plot_mode_occupancy`).
* `compare_runs` / `show_runs`: train several configurations from the same seed and show them
  side by side (lesson 06 compares remedies with it, lesson 09 compares losses).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from torch import nn

from . import viz
from .callbacks import EMA, Callback, ProgressBar, show_png
from .data import GaussianMixture
from .metrics import ModeStats, generator_mode_stats
from .runtime import get_device
from .train import History, TrainConfig, TrainingDiverged, train_gan

# ------------------------------------------------------------------------------ the bilinear game

GDA_MODES = ("simultaneous", "alternating")


def gda_step(x: float, y: float, lr: float, mode: str = "simultaneous") -> tuple[float, float]:
    """One step of gradient descent-ascent on f(x, y) = x y: x descends, y ascends."""
    if mode not in GDA_MODES:
        raise ValueError(f"mode={mode!r}; choose one of {list(GDA_MODES)}")
    new_x = x - lr * y  # df/dx = y; x minimises f
    seen_x = new_x if mode == "alternating" else x  # alternating: y answers the x that moved
    new_y = y + lr * seen_x  # df/dy = x; y maximises f
    return new_x, new_y


def bilinear_game(
    steps: int, lr: float, mode: str = "simultaneous", start=(1.0, 1.0)
) -> np.ndarray:
    r"""Play $\min_x \max_y xy$ for `steps` steps of `gda_step`; the path (steps + 1, 2).

    The only equilibrium is (0, 0), and the players' joint gradient field $(y, -x)$ is a pure
    rotation around it: in continuous time they circle at a fixed distance for ever. Discrete
    steps make it worse or keep it so (Mescheder et al. 2018, "Which training methods for GANs do
    actually converge?", the Dirac-GAN; Gidel et al. 2019, "Negative momentum for improved game
    dynamics"):

    * **simultaneous** updates apply $\begin{pmatrix}1 & -\eta\\ \eta & 1\end{pmatrix}$, whose
      eigenvalues $1 \pm i\eta$ have modulus $\sqrt{1 + \eta^2} > 1$: each step turns the point
      and pushes it out by that factor, so the path **spirals outwards**,
      $r_t = r_0 (1 + \eta^2)^{t/2}$;
    * **alternating** updates ($y$ answers the new $x$) apply
      $\begin{pmatrix}1 & -\eta\\ \eta & 1 - \eta^2\end{pmatrix}$, whose determinant is 1: for
      $\eta < 2$ both eigenvalues lie on the unit circle and the path **orbits** for ever on the
      ellipse $x^2 - \eta x y + y^2 = \text{const}$, bounded but never converging.

    Lesson 05's loop alternates; the swings of D(x) and D(G(z)) in a GAN are orbits of this kind.
    """
    x, y = float(start[0]), float(start[1])
    path = [(x, y)]
    for _ in range(steps):
        x, y = gda_step(x, y, lr, mode)
        path.append((x, y))
    return np.array(path)  # (steps + 1, 2)


def plot_bilinear_game(paths: dict[str, np.ndarray], axes=None):
    """Paths of `bilinear_game` in the (x, y) plane, and their distance to the equilibrium."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 4))
    ax_plane, ax_radius = axes
    for name, path in paths.items():
        (line,) = ax_plane.plot(path[:, 0], path[:, 1], lw=1, marker=".", ms=3, label=name)
        ax_plane.plot(*path[-1], marker="o", color=line.get_color())  # where it ended
        ax_radius.plot(np.linalg.norm(path, axis=1), color=line.get_color(), label=name)
    start = next(iter(paths.values()))[0]
    ax_plane.plot(*start, marker="s", color="black", label="start")
    ax_plane.plot(0, 0, marker="*", ms=14, color="gold", mec="black", label="equilibrium")
    ax_plane.set(xlabel="x (descends f)", ylabel="y (ascends f)", title="min_x max_y  x·y")
    ax_plane.set_aspect("equal", adjustable="datalim")
    ax_plane.legend(fontsize=8)
    ax_radius.set(xlabel="step", ylabel="distance to (0, 0)", title="distance to the equilibrium")
    ax_radius.set_ylim(bottom=0)
    ax_radius.legend(fontsize=8)
    return axes


# ------------------------------------------------------------------------------ what to log


class GradNorm(Callback):
    r"""Log the size of G's last gradient, $\lVert\nabla_{\theta_G}\mathcal{L}_G\rVert$ ("g_grad").

    After the G step G's `.grad` still holds the gradient it has just stepped along. When D rejects
    the fakes with confidence and G uses the saturating loss, this norm collapses (lesson 04)
    while the loss looks calm. (Adam divides each step by the gradient's running size, so its
    steps shrink far less than the gradient; plain SGD's steps shrink with it.)
    """

    def on_step_end(self, state) -> None:
        grads = [p.grad.flatten() for p in state.generator.parameters() if p.grad is not None]
        norm = torch.cat(grads).norm().item() if grads else 0.0
        state.history.log(g_grad=norm)


def plot_gradient_norms(runs: dict, smooth: int = 20, axes=None):
    """‖∇G‖ (log scale) and D(G(z)) against the step, one line a run (of `compare_runs`)."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.5))
    ax_grad, ax_fake = axes
    for name, run in runs.items():
        steps = run.history["step"]
        ax_grad.plot(steps, viz.running_mean(run.history["g_grad"], smooth), label=name)
        ax_fake.plot(steps, viz.running_mean(run.history["d_fake"], smooth), label=name)
    ax_grad.set(yscale="log", xlabel="step", title="size of G's gradient, ‖∇G‖")
    ax_fake.set(ylim=(0, 1), xlabel="step", title="D(G(z))")
    for ax in axes:
        ax.legend(fontsize=8)
    return axes


class ModeTracker(Callback):
    """Every `every` steps, count how many of `n` fixed-noise samples lie nearest each mode.

    Every sample counts, on its mode or far from it, so the counts show where G puts its mass.
    `counts` (T, K) and `steps` (T,) after training; `plot_mode_occupancy` draws them. A
    collapsing generator shows as one bright cell that jumps from mode to mode.
    """

    def __init__(self, mixture: GaussianMixture, every: int = 100, n: int = 1000) -> None:
        self.mixture, self.every, self.n = mixture, every, n
        self.steps, self.rows = [], []

    def on_train_begin(self, state) -> None:
        with torch.random.fork_rng(devices=[]):  # the learner's RNG is left alone
            torch.manual_seed(4321)
            self.noise = torch.randn(self.n, state.generator.latent_dim).to(state.device)

    def on_step_end(self, state) -> None:
        if state.history.step % self.every == 0:
            with torch.no_grad():
                samples = state.generator(self.noise).cpu()  # (n, 2)
            nearest = torch.cdist(samples, self.mixture.means).argmin(dim=1)  # (n,)
            self.steps.append(state.history.step)
            self.rows.append(torch.bincount(nearest, minlength=len(self.mixture.means)).tolist())

    @property
    def counts(self) -> np.ndarray:
        return np.array(self.rows).reshape(len(self.rows), len(self.mixture.means))  # (T, K)


def plot_mode_occupancy(tracker: ModeTracker, ax=None, title="where G's samples are, over time"):
    """Mode (rows) against step (columns): the share of the samples nearest each mode."""
    ax = ax or plt.subplots(figsize=(9, 3.5))[1]
    share = tracker.counts.T / tracker.n  # (K, T)
    half = tracker.every / 2  # each column covers the `every` steps around its step
    span = (tracker.steps[0] - half, tracker.steps[-1] + half, len(share) - 0.5, -0.5)
    image = ax.imshow(
        share, aspect="auto", cmap="magma", interpolation="nearest", extent=span, vmin=0, vmax=1
    )
    ax.figure.colorbar(image, ax=ax, label="share of samples nearest the mode")
    ax.set(xlabel="step", ylabel="mode", title=title)
    return ax


# ------------------------------------------------------------------------------ comparing runs


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
    seconds: float  # wall time of the training, drawing excluded
    ema_generator: nn.Module | None = None
    ema_stats: ModeStats | None = None

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
    every: int = 200,  # live: redraw every `every` steps (at most, see _Board)
    device=None,  # default: get_device()
    progress: bool | None = None,  # a progress bar per run; default: when `live`
) -> dict[str, Run]:
    """Train every variant on `data` from the same seed; return a `Run` for each, by name.

    Each run starts with `torch.manual_seed(seed)`, then builds its networks with
    `make_models()` (or the variant's own), so every variant starts from the same weights and
    draws the same random stream (until a switch such as label flipping draws extra numbers).
    The learner's random state is left untouched. `mixture` (by default `data`, when it is a
    mixture) gives the mode statistics; a variant with `ema` also gets its averaged generator's.
    With `live=True`, one figure, one column a run, is redrawn in place while they train.
    """
    device = torch.device(device) if device is not None else get_device()
    if mixture is None and isinstance(data, GaussianMixture):
        mixture = data
    variants = {k: v if isinstance(v, Variant) else Variant(v) for k, v in variants.items()}
    board = _Board(list(variants), mixture, every) if live and _in_notebook() else None
    progress = live if progress is None else progress
    runs = {}
    for name, variant in variants.items():
        runs[name], stopped = _train(
            name, variant, make_models, data, mixture, seed, device, board, progress
        )
        if board is not None:
            board.finished(runs[name])
        if stopped:  # the stop button ends the whole comparison, keeping what is done
            print(f"Comparison stopped during {name!r}: later variants were not trained.")
            break
    if board is not None:
        board.close()
    return runs


def _train(name, variant, make_models, data, mixture, seed, device, board, progress):
    """Train one variant from `seed`; return its `Run`, and whether the learner pressed stop."""
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)  # same start, same stream for every variant
        generator, discriminator = (variant.make_models or make_models)()
        generator, discriminator = generator.to(device), discriminator.to(device)
        ema = EMA(variant.ema) if variant.ema else None
        stop = _StopWatch()
        callbacks = [GradNorm(), stop, *([ema] if ema is not None else [])]
        callbacks += [_NamedProgressBar(name)] if progress else []
        callbacks += [board.watch(name, ema)] if board is not None else []  # after EMA
        drawing = lambda: board.spent if board is not None else 0.0  # time spent drawing so far
        drawn_before, start = drawing(), time.perf_counter()
        try:
            history = train_gan(generator, discriminator, data, variant.config, callbacks=callbacks)
        except TrainingDiverged as err:  # keep comparing: this run's failure is a result too
            print(f"{name}: {err}")
            history = err.history
        seconds = time.perf_counter() - start - (drawing() - drawn_before)
    ema_g = ema.generator if ema is not None else None
    stats = ema_stats = None
    if mixture is not None:
        stats = generator_mode_stats(generator, mixture)
        ema_stats = generator_mode_stats(ema_g, mixture) if ema_g is not None else None
    run = Run(name, variant.config, generator, discriminator, history, stats, seconds)
    run.ema_generator, run.ema_stats = ema_g, ema_stats
    return run, stop.interrupted


class _StopWatch(Callback):
    """Notes whether the run was stopped with the stop button (Ctrl-C)."""

    interrupted = False

    def on_train_end(self, state) -> None:
        self.interrupted = state.interrupted


class _NamedProgressBar(ProgressBar):
    """A progress bar that says which run it is counting."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def on_train_begin(self, state) -> None:
        super().on_train_begin(state)
        self.bar.set_description(self.name)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


# ------------------------------------------------------------------------------ drawing runs

VIEW_SEED = 1234  # the fixed noise and real points of every view
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
        _draw_column(column, run.name, run, mixture, n, legend=i == 0)
    fig.tight_layout()
    return fig


def _view(mixture, n: int, latent_dim: int):
    """The same real points and the same noise for every picture of a comparison."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(VIEW_SEED)
        noise = torch.randn(n, latent_dim)  # (n, latent_dim)
        real = mixture.sample(n) if mixture is not None else None  # (n, 2)
    return real, noise


def _draw_column(axes, title: str, run, mixture, n: int, legend: bool = True) -> None:
    """Draw one run (a `Run`, or a `_Live` one still training) into three axes."""
    ax_view, ax_loss, ax_d = axes
    generator = run.generator if run.ema_generator is None else run.ema_generator
    real, noise = _view(mixture, n, generator.latent_dim)
    was_training = generator.training
    generator.eval()
    with torch.no_grad():
        fake = generator(noise.to(next(generator.parameters()).device)).cpu()  # (n, ...)
    generator.train(was_training)
    label = f"{title} (EMA of G)" if run.ema_generator is not None else title
    heading = f"{label}\n{run.summary()}".replace("; EMA: ", "\nEMA: ")
    if fake.dim() == 2 and fake.shape[1] == 2:  # 2-D points
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


@dataclass
class _Live:
    """A run still training, shaped like a `Run` for `_draw_column`."""

    generator: nn.Module
    history: History
    stats: ModeStats | None
    ema_generator: nn.Module | None = None
    ema_stats: ModeStats | None = None
    summary = Run.summary


class _Board:
    """The live picture of `compare_runs`: one column a run, shown as one image updated in place.

    Each column is rendered on its own and kept as pixels, so a redraw renders only the run that
    has changed. A redraw is skipped while drawing has used more than `max_overhead` of the wall
    time since the comparison began (as `LiveMonitor` does); `close` brings every column up to
    date at the end.
    """

    def __init__(self, names, mixture, every: int, n: int = 1000, max_overhead=0.1) -> None:
        self.mixture, self.every, self.n, self.max_overhead = mixture, every, n, max_overhead
        self.columns = dict.fromkeys(names)  # name -> Run, _Live, or None (not started)
        self.pixels = {name: self._render(name, None) for name in names}  # name -> (H, W, 4)
        self.stale: set[str] = set()  # columns whose pixels are older than their run
        self.handle, self.spent, self.start, self.draws = None, 0.0, time.perf_counter(), 0

    def watch(self, name: str, ema: EMA | None) -> Callback:
        """A callback that redraws `name`'s column while it trains."""
        board = self

        class Watch(Callback):
            def on_train_begin(self, state) -> None:
                board.update(name, state, ema)

            def on_step_end(self, state) -> None:
                if state.history.step % board.every == 0:
                    board.update(name, state, ema)

        return Watch()

    def busy(self) -> bool:
        """Has drawing used up its share of the time?"""
        return self.spent > self.max_overhead * (time.perf_counter() - self.start)

    def update(self, name: str, state, ema: EMA | None) -> None:
        if self.busy():
            return
        ema_g = ema.generator if ema is not None else None
        stats = ema_stats = None
        if self.mixture is not None:
            stats = generator_mode_stats(state.generator, self.mixture, n=self.n)
            if ema_g is not None:
                ema_stats = generator_mode_stats(ema_g, self.mixture, n=self.n)
        self.columns[name] = _Live(state.generator, state.history, stats, ema_g, ema_stats)
        self.show([name])

    def finished(self, run: Run) -> None:
        self.columns[run.name] = run
        self.stale.add(run.name)
        if not self.busy():
            self.show([run.name])

    def close(self) -> None:
        if self.stale:
            self.show(sorted(self.stale))

    def show(self, names) -> None:
        """Render the columns `names`, then show the whole picture in place of the last one."""
        t0 = time.perf_counter()
        for name in names:
            self.pixels[name] = self._render(name, self.columns[name])
            self.stale.discard(name)
        picture = Image.fromarray(np.concatenate(list(self.pixels.values()), axis=1))
        buffer = io.BytesIO()
        picture.save(buffer, format="png")
        show_png(buffer.getvalue(), self)
        self.draws += 1
        self.spent += time.perf_counter() - t0

    def _render(self, name: str, run) -> np.ndarray:
        """One column as pixels (H, W, 4)."""
        fig = Figure(figsize=COLUMN_SIZE, dpi=60)
        axes = fig.subplots(3, 1, gridspec_kw=dict(height_ratios=HEIGHTS))
        if run is None:
            axes[0].set_title(f"{name}\n(waiting)", fontsize=9)
            for ax in axes:
                ax.set_axis_off()
        else:
            first = name == next(iter(self.columns))
            _draw_column(axes, name, run, self.mixture, self.n, legend=first)
        fig.subplots_adjust(left=0.17, right=0.95, top=0.91, bottom=0.06, hspace=0.5)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())
