"""A GAN playground in the notebook, after GAN Lab (Kahng et al. 2018): paint a 2-D distribution,
then step D, step G or train, and watch D's verdict and G's samples move.

    from gan_course.playground import playground
    playground()            # a widget: paint on the left, watch on the right

On the left, a canvas: drag the mouse to paint the real data (or pick a preset). On the right,
the course's `viz.decision_view`: D's verdict over the plane (blue "real", red "fake"), the
painted points, G's samples from one fixed batch of noise, and the arrows along which G's loss
pushes them. The buttons run the course's own steps: "step D" one `d_step`, "step G" one
`g_step`, "train" `gan_step` through `loop.fit` (k D steps for each G step). The knobs change
the learning rates, k, the loss and a penalty while the game runs; the networks and Adam's
state carry on.

`PaintedData` is the painted distribution: sampling it picks painted points and adds a little
noise, from the global RNG, as the course's mixtures do.
"""

from __future__ import annotations

from dataclasses import replace

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure
from torch import Tensor

from . import data, losses, train, viz
from .latent import fixed_noise, sample
from .loop import History, TrainState, fit
from .models.mlp import MLPDiscriminator, MLPGenerator


class PaintedData:
    """Points painted in the plane, as a distribution with `.sample(n)`: painted points picked
    uniformly, plus Gaussian noise of std `spread`."""

    def __init__(self, points=(), spread: float = 0.05) -> None:
        self.points: list[tuple[float, float]] = [tuple(map(float, p)) for p in points]
        self.spread = spread

    def add(self, x: float, y: float) -> None:
        self.points.append((float(x), float(y)))

    def clear(self) -> None:
        self.points.clear()

    def __len__(self) -> int:
        return len(self.points)

    def sample(self, n: int) -> Tensor:
        if not self.points:
            raise ValueError("nothing painted yet: drag the mouse over the canvas, or pick data")
        painted = torch.tensor(self.points)  # (P, 2)
        picked = painted[torch.randint(len(painted), (n,))]  # (n, 2)
        return picked + self.spread * torch.randn(n, 2)


PRESETS = {  # name -> how to make 300 points of it
    "ring of 8": lambda: data.ring_of_8().sample(300),
    "grid of 25 (scaled)": lambda: data.grid_of_25().sample(300) * 0.6,
    "two moons": lambda: data.load_dataset("moons").sample(300),
    "spiral": lambda: data.load_dataset("spiral").sample(300),
}

# loss name -> (d_loss, g_loss) of losses.D_LOSSES / G_LOSSES, and the penalty the slider sets
LOSSES = {
    "BCE, non-saturating G": ("bce", "non-saturating", "r1"),
    "BCE, saturating G": ("bce", "saturating", "r1"),
    "Wasserstein + gradient penalty": ("wasserstein", "wasserstein", "gradient_penalty"),
    "least squares": ("least-squares", "least-squares", "r1"),
    "hinge": ("hinge", "hinge", "r1"),
}


class Playground(widgets.VBox):
    """The widget `playground()` returns; `paint(x, y)`, `step_d()`, `step_g()` and
    `train(n)` are what its canvas and buttons call."""

    def __init__(self, lim: float = 3.0, size: int = 360, seed: int = 0, hidden=(64, 64)):
        from ipycanvas import Canvas  # the canvas the learner paints on

        self.lim, self.size, self.hidden = lim, size, tuple(hidden)
        self.data = PaintedData()
        self.noise = fixed_noise(512, 2, seed)  # G's samples in the picture: the same z always
        self.seed = seed
        frame = widgets.Layout(border="1px solid #aaa")
        self.canvas = Canvas(width=size, height=size, layout=frame)
        self.canvas.on_mouse_down(self._pen_down)
        self.canvas.on_mouse_move(self._pen_move)
        self.canvas.on_mouse_up(self._pen_up)
        self._drawing = False
        self.view = widgets.Image(format="png", layout=widgets.Layout(width=f"{size}px"))
        self.status = widgets.HTML()
        wide = {"style": {"description_width": "initial"}}
        rate = {"base": 10, "min": -4, "max": -1.5, **wide}
        self.lr_d = widgets.FloatLogSlider(2e-3, description="lr D", **rate)
        self.lr_g = widgets.FloatLogSlider(2e-3, description="lr G", **rate)
        self.k = widgets.IntSlider(1, min=1, max=5, description="D steps per G step", **wide)
        self.loss = widgets.Dropdown(options=list(LOSSES), description="loss", **wide)
        penalty = "penalty (R1 γ / GP λ)"
        self.penalty = widgets.FloatSlider(
            0.0, min=0, max=10, step=0.5, description=penalty, **wide
        )
        self.preset = widgets.Dropdown(options=["(paint)", *PRESETS], description="data", **wide)
        buttons = {
            "step D": self.step_d,
            "step G": self.step_g,
            "train 100 steps": lambda: self.train(100),
            "new networks": self.reset,
            "clear": self.clear,
        }
        self.buttons = [widgets.Button(description=name) for name in buttons]
        for button, action in zip(self.buttons, buttons.values(), strict=True):
            button.on_click(lambda _, action=action: self._run(action))
        for knob in (self.lr_d, self.lr_g, self.k, self.loss, self.penalty):
            knob.observe(lambda _: self._configure(), names="value")
        self.preset.observe(lambda c: self._run(lambda: self.use_preset(c["new"])), names="value")
        knobs = [self.preset, self.lr_d, self.lr_g, self.k, self.loss, self.penalty]
        controls = widgets.VBox(knobs)
        super().__init__(
            [
                widgets.HBox([self.canvas, self.view]),
                widgets.HBox(self.buttons),
                controls,
                self.status,
            ]
        )
        self.reset()

    # -- the game ------------------------------------------------------------------------------

    def reset(self) -> None:
        """Fresh networks and optimizers (seeded), keeping the painting and the knobs."""
        with torch.random.fork_rng(devices=[]):  # the learner's RNG is left alone
            torch.manual_seed(self.seed)
            self.G = MLPGenerator(latent_dim=2, out_dim=2, hidden=self.hidden)
            self.D = MLPDiscriminator(in_dim=2, hidden=self.hidden)
        self.config = train.TrainConfig(batch_size=128, betas=(0.5, 0.999))
        g_opt, d_opt = train.make_optimizers(self.G, self.D, self.config)
        self.state = TrainState(
            nets={"generator": self.G, "discriminator": self.D},
            optimizers={"g_optimizer": g_opt, "d_optimizer": d_opt},
            config=self.config,
            history=History(),
            data=self.data,
            # a batch of the painting as it is now, every time (it changes while the game runs)
            batches=iter(lambda: self.data.sample(self.config.batch_size), None),
        )
        self.d_steps = self.g_steps = 0
        self._configure()

    def _configure(self) -> None:
        """The knobs into the config and the optimizers (whose Adam state carries on)."""
        d_loss, g_loss, penalty = LOSSES[self.loss.value]
        switches = {"r1": 0.0, "gradient_penalty": 0.0, penalty: self.penalty.value}
        self.config = replace(
            self.config, d_loss=d_loss, g_loss=g_loss, d_steps=self.k.value, **switches
        )
        self.state.config = self.config
        rates = {"d_optimizer": self.lr_d.value, "g_optimizer": self.lr_g.value}
        for name, lr in rates.items():
            for group in self.state.optimizers[name].param_groups:
                group["lr"] = lr
        self.redraw()

    def step_d(self) -> dict:
        """One update of D on a painted batch and fresh noise: the course's switched D step."""
        real, z = next(self.state.batches), torch.randn(self.config.batch_size, 2)
        loss_fn = losses.D_LOSSES[self.config.d_loss]
        opt = self.state.d_optimizer  # with nothing switched on, the same update as `d_step`
        metrics = train.d_step_switched(self.G, self.D, opt, real, z, loss_fn, config=self.config)
        self.d_steps += 1
        self.redraw(metrics)
        return metrics

    def step_g(self) -> dict:
        """One update of G on fresh noise: the course's G step."""
        z, loss_fn = torch.randn(self.config.batch_size, 2), losses.G_LOSSES[self.config.g_loss]
        metrics = train.g_step(self.G, self.D, self.state.g_optimizer, z, loss_fn)
        self.g_steps += 1
        self.redraw(metrics)
        return metrics

    def train(self, steps: int = 100) -> History:
        """`steps` iterations of the course's `gan_step` (k D steps, one G step) through `fit`."""
        d_step, g_step = train.default_steps(self.config, conditional=False)
        step = lambda state: train.gan_step(state, d_step, g_step)  # noqa: E731
        history = fit(step, self.state, self.state.history.step + steps)
        self.d_steps += steps * self.config.d_steps
        self.g_steps += steps
        self.redraw({k: history.last(k) for k in history.logged()})
        return history

    # -- painting ------------------------------------------------------------------------------

    def to_plane(self, px: float, py: float) -> tuple[float, float]:
        """Canvas pixels -> the plane [-lim, lim]², y pointing up."""
        return (2 * px / self.size - 1) * self.lim, (1 - 2 * py / self.size) * self.lim

    def to_canvas(self, x: float, y: float) -> tuple[float, float]:
        return (x / self.lim + 1) * self.size / 2, (1 - y / self.lim) * self.size / 2

    def paint(self, x: float, y: float) -> None:
        """Add the point (x, y) of the plane to the data, and show it on the canvas."""
        self.data.add(x, y)
        self.canvas.fill_style = viz.REAL_COLOR
        self.canvas.fill_circle(*self.to_canvas(x, y), 3)

    def _pen_down(self, px, py) -> None:
        self._drawing = True
        self.paint(*self.to_plane(px, py))

    def _pen_move(self, px, py) -> None:
        if self._drawing:
            self.paint(*self.to_plane(px, py))

    def _pen_up(self, px, py) -> None:
        self._drawing = False
        self.redraw()

    def use_preset(self, name: str) -> None:
        if name not in PRESETS:
            return
        self.clear()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            points = PRESETS[name]()
        for x, y in points.tolist():
            if abs(x) < self.lim and abs(y) < self.lim:
                self.paint(x, y)
        self.redraw()

    def clear(self) -> None:
        self.data.clear()
        self.canvas.clear()
        self.redraw()

    # -- what the learner sees -----------------------------------------------------------------

    def figure(self) -> Figure:
        fig = Figure(figsize=(4.6, 4.6))
        ax = fig.subplots()
        real = torch.tensor(self.data.points) if self.data.points else torch.empty(0, 2)
        fake = sample(self.G, z=self.noise)  # eval mode, no gradients
        viz.decision_view(self.D, real, fake, ax=ax, lim=self.lim, title="D's verdict, G's samples")
        fig.tight_layout()
        return fig

    def redraw(self, metrics: dict | None = None) -> None:
        self.view.value = viz.figure_png(self.figure(), dpi=72)
        shown = "  ".join(f"{k} {v:.3f}" for k, v in (metrics or {}).items())
        counts = (
            f"{len(self.data)} painted points · {self.d_steps} D steps · {self.g_steps} G steps"
        )
        self.status.value = f"<code>{counts}{' · ' + shown if shown else ''}</code>"

    def _run(self, action) -> None:
        try:
            action()
        except ValueError as err:  # nothing painted yet
            self.status.value = f"<b>{err}</b>"


def playground(lim: float = 3.0, size: int = 360, seed: int = 0) -> Playground:
    """GAN Lab in the notebook: paint a 2-D distribution and play the game step by step.

    Show it as the last expression of a cell. `lim` is the half-width of the plane, `size` the
    canvas in pixels, `seed` fixes the networks' start and the noise of the picture.
    """
    return Playground(lim=lim, size=size, seed=seed)
