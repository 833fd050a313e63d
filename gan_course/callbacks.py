"""What you watch while a GAN trains: a progress bar, a live monitor, checkpoints.

A callback is any object with `on_train_begin(state)`, `on_step_end(state)` and
`on_train_end(state)` (`state` is a `gan_course.train.TrainState`); subclass `Callback` and
override what you need.
"""

from __future__ import annotations

import copy
import time

import torch
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from . import viz
from .train import save_checkpoint


class Callback:
    def on_train_begin(self, state) -> None: ...

    def on_step_end(self, state) -> None: ...

    def on_train_end(self, state) -> None: ...


class ProgressBar(Callback):
    """A tqdm bar (a widget in JupyterLab) with the latest losses and D outputs as its postfix."""

    def __init__(self, every: int = 10) -> None:
        self.every = every  # update the postfix every `every` steps: tqdm is not free

    def on_train_begin(self, state) -> None:
        h = state.history
        self.bar = tqdm(total=state.config.steps, initial=h.step, desc="training", unit="step")

    def on_step_end(self, state) -> None:
        h = state.history
        if h.step % self.every == 0 or h.step == state.config.steps:
            self.bar.set_postfix(
                {
                    k: f"{h.last(k, self.every):.3f}"
                    for k in ("d_loss", "g_loss", "d_real", "d_fake")
                    if k in h
                },
                refresh=False,
            )
            self.bar.update(h.step - self.bar.n)

    def on_train_end(self, state) -> None:
        self.bar.update(state.history.step - self.bar.n)
        self.bar.close()


class LiveMonitor(Callback):
    """Redraw losses, D(x) and D(G(z)), and fixed-noise samples every `every` steps.

    The samples come from one fixed batch of noise, so successive pictures show how the *same*
    latent points move. For 2-D data pass `view=mixture` (or any distribution with `.sample`) to
    get the GAN-Lab view; for images the samples are shown as a grid.

    A picture costs about a third of a second on a laptop CPU, so a redraw is skipped while the
    monitor has used more than `max_overhead` of the wall time since training began: the monitor
    never dominates (with the default, training runs at most a quarter slower).
    """

    def __init__(
        self,
        every: int = 100,
        view=None,  # a 2-D distribution to draw real samples from; None for images
        n_samples: int = 64,  # fixed-noise samples shown (2-D: 512)
        max_overhead: float = 0.2,
        seed: int = 1234,
        lim: float = 3.0,  # half-width of the 2-D view
    ) -> None:
        self.every = every
        self.view = view
        self.max_overhead = max_overhead
        self.seed = seed
        self.lim = lim
        self.n_samples = 512 if view is not None and n_samples == 64 else n_samples
        self.draws = 0

    def on_train_begin(self, state) -> None:
        with torch.random.fork_rng(devices=[]):  # fixed noise, learner's RNG untouched
            torch.manual_seed(self.seed)
            self.fixed_noise = torch.randn(self.n_samples, state.generator.latent_dim)
            self.real = self.view.sample(self.n_samples) if self.view is not None else None
        self.fixed_noise = self.fixed_noise.to(state.device)
        n_classes = getattr(state.generator, "n_classes", None)  # conditional: one class a column
        self.fixed_labels = () if n_classes is None else (self._labels(n_classes, state.device),)
        self.start, self.spent, self.handle = time.perf_counter(), 0.0, None
        self.draw(state)

    def _labels(self, n_classes: int, device) -> torch.Tensor:
        return torch.arange(self.n_samples, device=device) % n_classes  # 0, 1, ..., 9, 0, ...

    def on_step_end(self, state) -> None:
        if state.history.step % self.every:
            return
        elapsed = time.perf_counter() - self.start
        if self.spent > self.max_overhead * elapsed:
            return
        self.draw(state)

    def on_train_end(self, state) -> None:
        self.draw(state)

    def figure(self, state) -> Figure:
        fig = Figure(figsize=(13, 3.6))
        ax_loss, ax_d, ax_samples = fig.subplots(1, 3)
        if state.history.step:
            viz.plot_losses(state.history, ax_loss)
            viz.plot_d_outputs(state.history, ax_d)
        was_training = state.generator.training
        state.generator.eval()
        title = f"fixed noise, step {state.history.step}"
        if self.view is not None:
            viz.gan_lab_view(
                state.generator,
                state.discriminator,
                self.real,
                self.fixed_noise,
                ax=ax_samples,
                lim=self.lim,
                title=title,
            )
        else:
            with torch.no_grad():
                images = state.generator(self.fixed_noise, *self.fixed_labels)
            nrow = getattr(state.generator, "n_classes", None) or 8
            viz.show_images(images, nrow=nrow, title=title, ax=ax_samples)
        state.generator.train(was_training)
        fig.tight_layout()
        return fig

    def draw(self, state) -> None:
        t0 = time.perf_counter()
        show_png(viz.figure_png(self.figure(state), dpi=72), self)
        self.draws += 1
        self.spent += time.perf_counter() - t0


def show_png(png: bytes, owner) -> None:
    """Show `png` in the notebook, replacing the monitor's previous picture; no-op outside one."""
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return
    if get_ipython() is None:
        return
    if owner.handle is None:
        owner.handle = display(Image(data=png), display_id=True)
    else:
        owner.handle.update(Image(data=png))


class Checkpoint(Callback):
    """Save networks, optimizers, config and history to `path` every `every` steps and at the end.

    Resume with `train_gan(..., resume_from=path)`.
    """

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

    @torch.no_grad()
    def on_step_end(self, state) -> None:
        decay = self.decay if state.history.step > self.start else 0.0  # copy until `start`
        averaged, live = self.generator, state.generator
        for avg, now in zip(averaged.parameters(), live.parameters(), strict=True):
            avg.lerp_(now, 1 - decay)  # avg + (1 - decay) * (now - avg)
        for avg, now in zip(averaged.buffers(), live.buffers(), strict=True):
            avg.copy_(now)
