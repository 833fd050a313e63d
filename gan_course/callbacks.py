"""What you watch while a GAN trains: a progress bar, a live monitor, checkpoints, and more.

A callback is any object with `on_train_begin(state)`, `on_step_end(state)` and
`on_train_end(state)` (`state` is a `gan_course.loop.TrainState`); subclass `Callback` and
override what you need. They follow the step: `ProgressBar` shows whatever the step logs, and
`LiveMonitor` draws the generator through a view (`gan_course.views`) that knows the data, so
both serve every family that trains through `gan_course.loop.fit`.

Lesson 06's diagnostics are callbacks too: `GradNorm` logs the size of G's gradient, and
`ModeTracker` records which modes of a mixture G's samples sit on over time.
"""

from __future__ import annotations

import copy
import time

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor, nn
from tqdm.auto import tqdm

from . import viz
from .data import GaussianMixture
from .families import progressive
from .latent import fixed_noise, sample
from .loop import save_checkpoint
from .views import NoiseGrid


class Callback:
    def on_train_begin(self, state) -> None: ...

    def on_step_end(self, state) -> None: ...

    def on_train_end(self, state) -> None: ...


class ProgressBar(Callback):
    """A tqdm bar (a widget in JupyterLab) with the means of what the step logs as its postfix.

    `keys` picks and orders what is shown; by default every metric the step logs, up to
    `max_keys` of them (the classic GAN's: d_loss, d_real, d_fake, d_acc, g_loss).
    """

    def __init__(self, every: int = 10, keys=None, max_keys: int = 6, desc: str = "training"):
        self.every = every  # update the postfix every `every` steps: tqdm is not free
        self.keys, self.max_keys, self.desc = keys, max_keys, desc

    def on_train_begin(self, state) -> None:
        h = state.history
        self.bar = tqdm(total=state.steps, initial=h.step, desc=self.desc, unit="step")

    def on_step_end(self, state) -> None:
        h = state.history
        if h.step % self.every == 0 or h.step == state.steps:
            keys = self.keys or h.logged()[: self.max_keys]
            postfix = {k: f"{h.last(k, self.every):.3f}" for k in keys if k in h}
            self.bar.set_postfix(postfix, refresh=False)
            self.bar.update(h.step - self.bar.n)

    def on_train_end(self, state) -> None:
        self.bar.update(state.history.step - self.bar.n)
        self.bar.close()


class Slot:
    """One picture in the notebook's output, replaced in place each time; nothing outside one."""

    def __init__(self) -> None:
        self.handle = None

    def show(self, png: bytes) -> None:
        try:
            from IPython import get_ipython
            from IPython.display import Image, display
        except ImportError:
            return
        if get_ipython() is None:
            return
        if self.handle is None:
            self.handle = display(Image(data=png), display_id=True)
        else:
            self.handle.update(Image(data=png))


class LiveMonitor(Callback):
    """Redraw the losses, D(x) and D(G(z)), and a picture of G every `every` steps.

    The picture is the `view`'s (`gan_course.views`): `NoiseGrid()` (the default) shows images
    from one fixed batch of noise, so successive pictures show how the *same* latent points
    move; `MixtureView(mixture)` is GAN Lab's view of 2-D data. A picture costs about a third
    of a second on a laptop CPU, so a redraw is skipped while the monitor has used more than
    `max_overhead` of the wall time since training began: training runs at most about a
    quarter slower. Monitors given the same `slot` draw into the same picture.
    """

    def __init__(
        self,
        view=None,  # default: NoiseGrid()
        every: int = 100,
        max_overhead: float = 0.2,
        slot: Slot | None = None,
        title: str = "",  # before "step N" above the picture, e.g. the run's name
    ) -> None:
        self.view = view if view is not None else NoiseGrid()
        self.every, self.max_overhead, self.title = every, max_overhead, title
        self.slot = slot if slot is not None else Slot()
        self.draws, self.spent = 0, 0.0

    def on_train_begin(self, state) -> None:
        self.view.begin(state)
        self.start, self.spent = time.perf_counter(), 0.0
        self.draw(state)

    def on_step_end(self, state) -> None:
        if state.history.step % self.every:
            return
        if self.spent > self.max_overhead * (time.perf_counter() - self.start):
            return
        self.draw(state)

    def on_train_end(self, state) -> None:
        self.draw(state)

    def figure(self, state) -> Figure:
        history = state.history
        panels = 3 if "d_real" in history or not history.step else 2
        fig = Figure(figsize=(4.4 * panels, 3.6))
        axes = fig.subplots(1, panels)
        if history.step:
            viz.plot_losses(history, axes[0])
            if panels == 3:
                viz.plot_d_outputs(history, axes[1])
        title = f"{self.title + ': ' if self.title else ''}step {history.step}"
        self.view.draw(state, axes[-1], title)
        fig.tight_layout()
        return fig

    def draw(self, state) -> None:
        t0 = time.perf_counter()
        self.slot.show(viz.figure_png(self.figure(state), dpi=72))
        self.draws += 1
        self.spent += time.perf_counter() - t0


class Checkpoint(Callback):
    """Save the nets, optimizers, config and history to `path` every `every` steps and at the
    end. Resume with `fit(..., resume_from=path)` (`train_gan(..., resume_from=path)`)."""

    def __init__(self, path, every: int = 500) -> None:
        self.path, self.every = path, every

    def on_step_end(self, state) -> None:
        if state.history.step % self.every == 0:
            save_checkpoint(self.path, state)

    def on_train_end(self, state) -> None:
        save_checkpoint(self.path, state)


class EMA(Callback):
    """Keep an exponential moving average of G's weights: `ema.generator` (Yazıcı et al. 2019).

    After each step, w_avg <- decay * w_avg + (1 - decay) * w. G's own weights keep chasing a
    moving target; their average sits near the centre of the orbit, so samples from
    `ema.generator` are usually smoother and less jittery. Training is unchanged. BatchNorm
    statistics (buffers) are copied, not averaged.
    """

    def __init__(self, decay: float = 0.999, start: int = 0) -> None:
        if not 0 < decay < 1:
            raise ValueError(f"decay={decay}; use a value in (0, 1) such as 0.999")
        self.decay, self.start = decay, start  # average from step `start` on
        self.generator = None

    def on_train_begin(self, state) -> None:
        if self.generator is None:  # a second run continues the same average
            self.generator = copy.deepcopy(state.generator).eval().requires_grad_(False)

    def on_step_end(self, state) -> None:
        decay = self.decay if state.history.step > self.start else 0.0  # copy until `start`
        ema_update(self.generator, state.generator, decay)


@torch.no_grad()  # an edit of the average, not a step autograd should record
def ema_update(averaged: nn.Module, live: nn.Module, decay: float) -> None:
    """One EMA step, in place: w_avg <- decay * w_avg + (1 - decay) * w; buffers are copied."""
    for avg, now in zip(averaged.parameters(), live.parameters(), strict=True):
        avg.lerp_(now, 1 - decay)  # avg + (1 - decay) * (now - avg)
    for avg, now in zip(averaged.buffers(), live.buffers(), strict=True):
        avg.copy_(now)  # BatchNorm's running statistics: the live network's


# ------------------------------------------------------------------------------ lesson 06


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


class ModeTracker(Callback):
    """Every `every` steps, count how many of `n` fixed-noise samples lie nearest each mode.

    Every sample counts, on its mode or far from it, so the counts show where G puts its mass.
    `counts` (T, K) and `steps` (T,) after training; `viz.plot_mode_occupancy` draws them. A
    collapsing generator shows as one bright cell that jumps from mode to mode.
    """

    def __init__(self, mixture: GaussianMixture, every: int = 100, n: int = 1000) -> None:
        self.mixture, self.every, self.n = mixture, every, n
        self.steps, self.rows = [], []

    def on_train_begin(self, state) -> None:
        self.noise = fixed_noise(self.n, state.generator.latent_dim, seed=4321)

    def on_step_end(self, state) -> None:
        if state.history.step % self.every == 0:
            samples = sample(state.generator, z=self.noise).cpu()  # (n, 2)
            nearest = torch.cdist(samples, self.mixture.means).argmin(dim=1)  # (n,)
            self.steps.append(state.history.step)
            self.rows.append(torch.bincount(nearest, minlength=len(self.mixture.means)).tolist())

    @property
    def counts(self) -> np.ndarray:
        return np.array(self.rows).reshape(len(self.rows), len(self.mixture.means))  # (T, K)


class GrowthSnapshots(Callback):
    """Keep a growing G's images of one fixed batch of noise at the milestones of its run
    (`gan_course.families.progressive.milestones`: every phase's end, every fade's middle),
    enlarged to the full size: `images` is {step: (n, C, S, S)}, `names` {step: "8x8, alpha
    0.5", ...}. Lesson 12 draws them; its pretrained file keeps them."""

    def __init__(self, n: int = 8, seed: int = 0) -> None:
        self.n, self.seed = n, seed
        self.images: dict[int, Tensor] = {}

    def on_train_begin(self, state) -> None:
        G = state.generator
        self.names = progressive.milestones(len(G.sizes), state.config)
        self.z = fixed_noise(self.n, G.latent_dim, self.seed)  # the learner's RNG left alone

    def on_step_end(self, state) -> None:
        if state.history.step in self.names:
            self.images[state.history.step] = progressive.grown(
                sample(state.generator, z=self.z).cpu(), state.generator.sizes[-1]
            )


class OracleNLL(Callback):
    """A callback: every `every` steps (and at the end), NLL-oracle of `n` fresh samples of
    the generator, kept as (step, nll) pairs in `self.values`."""

    def __init__(self, oracle: nn.Module, every: int = 50, n: int = 1000) -> None:
        self.oracle, self.every, self.n = oracle, every, n
        self.values: list[tuple[int, float]] = []

    def measure(self, state) -> None:
        nll = self.oracle.nll(state.generator.sample(self.n))
        self.values.append((state.history.step, nll))

    def on_train_begin(self, state) -> None:
        self.measure(state)

    def on_step_end(self, state) -> None:
        if state.history.step % self.every == 0:
            self.measure(state)

    def on_train_end(self, state) -> None:
        if self.values[-1][0] != state.history.step:
            self.measure(state)
