"""The GAN training loop: a discriminator step, a generator step, and the loop around them.

Each iteration (Goodfellow et al. 2014, Algorithm 1; the recipe of pytorch/examples' dcgan):

1. `d_step`: update D to tell a real batch from a fake batch, G frozen.
2. `g_step`: update G so that D calls its fakes real, D frozen.

`train_gan` runs them `config.steps` times, logs a `History`, and calls callbacks (progress bar,
live monitor, checkpoints). It keeps what it has when you interrupt it, stops with a clear message
when a loss becomes NaN, and resumes from a checkpoint.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from . import losses
from .metrics import d_accuracy

# ------------------------------------------------------------------------------ the two steps


def d_diagnostics(d_loss: Tensor, real_logits: Tensor, fake_logits: Tensor) -> dict[str, float]:
    """What to watch after a D step: its loss, D(x), D(G(z)), and its accuracy on both batches."""
    with torch.no_grad():
        return {
            "d_loss": d_loss.item(),
            "d_real": torch.sigmoid(real_logits).mean().item(),  # D(x): 1 = sure it is real
            "d_fake": torch.sigmoid(fake_logits).mean().item(),  # D(G(z)): 0 = sure it is fake
            "d_acc": d_accuracy(real_logits, fake_logits),
        }


def d_step(
    generator: nn.Module,
    discriminator: nn.Module,
    d_optimizer: torch.optim.Optimizer,
    real: Tensor,
    noise: Tensor,
    loss_fn: Callable[[Tensor, Tensor], Tensor] = losses.d_loss_bce,
) -> dict[str, float]:
    """One update of D: maximise log D(x) + log(1 - D(G(z))), i.e. minimise `loss_fn`."""
    d_optimizer.zero_grad()  # gradients accumulate in .grad until cleared
    fake = generator(noise).detach()  # detach: no gradients into G here
    real_logits = discriminator(real)  # (N,)
    fake_logits = discriminator(fake)  # (N,)
    loss = loss_fn(real_logits, fake_logits)
    loss.backward()
    d_optimizer.step()
    return d_diagnostics(loss, real_logits, fake_logits)


def g_step(
    generator: nn.Module,
    discriminator: nn.Module,
    g_optimizer: torch.optim.Optimizer,
    noise: Tensor,
    loss_fn: Callable[[Tensor], Tensor] = losses.g_loss_nonsaturating,
) -> dict[str, float]:
    """One update of G: make D call the fakes real, i.e. minimise `loss_fn` (-log D(G(z)))."""
    g_optimizer.zero_grad()
    fake_logits = discriminator(generator(noise))  # recompute the fakes: D has changed
    loss = loss_fn(fake_logits)
    loss.backward()  # also fills D's .grad; d_step clears it before D's next update
    g_optimizer.step()  # only G's parameters move
    return {"g_loss": loss.item()}


def train_discriminator(
    discriminator: nn.Module,
    real: Tensor,
    fake: Tensor,
    steps: int = 200,
    lr: float = 1e-2,
    on_step: Callable[[int, float], None] | None = None,  # called with (step, loss) after each
) -> list[float]:
    """Train D alone to tell `real` (label 1) from fixed `fake` (label 0); return its losses.

    No generator yet: this is plain binary classification, and shows how fast D can win.
    """
    optimizer = torch.optim.Adam(discriminator.parameters(), lr=lr)
    history = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = losses.d_loss_bce(discriminator(real), discriminator(fake))
        loss.backward()
        optimizer.step()
        history.append(loss.item())
        if on_step is not None:
            on_step(len(history), history[-1])
    return history


# ------------------------------------------------------------------------------ configuration


@dataclass
class TrainConfig:
    """Everything that defines a run besides the networks and the data."""

    steps: int = 2000  # generator updates in total (a resumed run continues up to this)
    batch_size: int = 128  # real samples (and fakes) per step
    lr_d: float = 2e-4  # Adam learning rate of D (Radford et al. 2015)
    lr_g: float = 2e-4  # Adam learning rate of G
    betas: tuple[float, float] = (0.5, 0.999)  # beta1 = 0.5 damps Adam's momentum for GANs
    d_steps: int = 1  # D updates per G update
    g_loss: str = "non-saturating"  # a key of losses.G_LOSSES
    d_loss: str = "bce"  # a key of losses.D_LOSSES

    def __post_init__(self) -> None:
        self.betas = tuple(self.betas)
        for name, table in (("g_loss", losses.G_LOSSES), ("d_loss", losses.D_LOSSES)):
            if getattr(self, name) not in table:
                raise ValueError(f"{name}={getattr(self, name)!r}; choose one of {list(table)}")


def make_optimizers(generator, discriminator, config: TrainConfig):
    """Adam for each network, with the config's learning rates and betas: (g_opt, d_opt)."""
    g_opt = torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=config.betas)
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=config.betas)
    return g_opt, d_opt


# ------------------------------------------------------------------------------ history


class History:
    """Per-step metrics of a run: `history["d_loss"]` is a NumPy array, `history.step` the count."""

    def __init__(self, records: dict[str, list[float]] | None = None) -> None:
        self.records: dict[str, list[float]] = {k: list(v) for k, v in (records or {}).items()}

    @property
    def step(self) -> int:
        return len(self.records.get("step", []))

    def log(self, **metrics: float) -> None:
        for key, value in metrics.items():
            self.records.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> np.ndarray:
        return np.asarray(self.records[key])

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def keys(self):
        return self.records.keys()

    def last(self, key: str, n: int = 1) -> float:
        """Mean of the last `n` values of `key`."""
        return float(np.mean(self.records[key][-n:]))

    def summary(self, n: int = 50) -> str:
        keys = [k for k in ("d_loss", "g_loss", "d_real", "d_fake", "d_acc") if k in self]
        values = "  ".join(f"{k}={self.last(k, n):.3f}" for k in keys)
        return f"step {self.step}: {values}" if keys else "empty history"

    def __repr__(self) -> str:
        return f"History({self.summary(1)})"


# ------------------------------------------------------------------------------ the loop


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; `.history` holds the run up to that point."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


@dataclass
class TrainState:
    """What callbacks see: the networks, optimizers, config and history of the current run."""

    generator: nn.Module
    discriminator: nn.Module
    g_optimizer: torch.optim.Optimizer
    d_optimizer: torch.optim.Optimizer
    config: TrainConfig
    history: History
    data: object
    device: torch.device
    interrupted: bool = False
    extra: dict = field(default_factory=dict)  # room for callbacks to keep things


def real_batches(data, batch_size: int, device) -> Iterator[Tensor]:
    """Endless real batches: from `data.sample(n)`, or shuffled epochs of a tensor dataset."""
    if hasattr(data, "sample"):
        while True:
            yield data.sample(batch_size).to(device)
    if not isinstance(data, Tensor):
        raise TypeError(f"data must be a tensor of samples or have .sample(n), not {type(data)}")
    if len(data) < batch_size:
        raise ValueError(f"batch_size={batch_size} but the dataset has only {len(data)} items")
    data = data.to(device)
    while True:
        order = torch.randperm(len(data), device=device)
        for start in range(0, len(data) - batch_size + 1, batch_size):  # drop the ragged end
            yield data[order[start : start + batch_size]]


def train_gan(
    generator: nn.Module,
    discriminator: nn.Module,
    data,
    config: TrainConfig | None = None,
    *,
    callbacks: Sequence = (),
    resume_from: str | os.PathLike | None = None,
    d_step: Callable = d_step,
    g_step: Callable = g_step,
) -> History:
    """Train `generator` against `discriminator` on `data`; return the history.

    `data` is a distribution with `.sample(n)` or a tensor of samples. The networks are trained
    in place on the device their parameters are on. `d_step`/`g_step` can be swapped for your own
    functions with the same signature. `resume_from` continues a checkpointed run up to
    `config.steps`. Ctrl-C (or the stop button) ends the run early and keeps everything.
    """
    config = config or TrainConfig()
    device = next(generator.parameters()).device
    g_opt, d_opt = make_optimizers(generator, discriminator, config)
    history = History()
    if resume_from is not None:
        history = load_checkpoint(resume_from, generator, discriminator, g_opt, d_opt, config)
    state = TrainState(generator, discriminator, g_opt, d_opt, config, history, data, device)
    d_loss_fn = losses.D_LOSSES[config.d_loss]
    g_loss_fn = losses.G_LOSSES[config.g_loss]
    batches = real_batches(data, config.batch_size, device)
    latent_dim = generator.latent_dim

    def noise() -> Tensor:
        return torch.randn(config.batch_size, latent_dim, device=device)

    generator.train()
    discriminator.train()
    try:
        for cb in callbacks:
            cb.on_train_begin(state)
        while history.step < config.steps:
            # (1) Update D: maximize log D(x) + log(1 - D(G(z)))
            for _ in range(config.d_steps):
                d_metrics = _as_metrics(
                    d_step(generator, discriminator, d_opt, next(batches), noise(), d_loss_fn),
                    "d_loss",
                )
                _stop_if_diverged(d_metrics, history, "D")  # before G learns from a broken D
            # (2) Update G: maximize log D(G(z))
            g_metrics = _as_metrics(
                g_step(generator, discriminator, g_opt, noise(), g_loss_fn), "g_loss"
            )
            _stop_if_diverged(g_metrics, history, "G")
            history.log(step=history.step + 1, **d_metrics, **g_metrics)
            for cb in callbacks:
                cb.on_step_end(state)
    except KeyboardInterrupt:
        state.interrupted = True
        print(f"Interrupted at step {history.step}/{config.steps}: models and history are kept.")
    finally:
        for cb in callbacks:
            cb.on_train_end(state)
    return history


def _as_metrics(result, loss_key: str) -> dict[str, float]:
    """A step may return a dict of metrics or just its loss (a float or a 0-d tensor)."""
    if isinstance(result, dict):
        return {k: float(v) for k, v in result.items()}
    if isinstance(result, Tensor | float | int):
        return {loss_key: float(result)}
    raise TypeError(f"a training step returned {type(result).__name__}; return a dict or a loss")


def _stop_if_diverged(metrics: dict[str, float], history: History, who: str) -> None:
    bad = {k: v for k, v in metrics.items() if k.endswith("_loss") and not math.isfinite(v)}
    if bad:
        raise TrainingDiverged(
            f"training stopped at step {history.step + 1}: {bad} is not finite. Usual causes: "
            "a learning rate too high, or a log taken of probabilities (log(sigmoid(x))) "
            "instead of softplus on logits. The history up to here is in err.history. "
            f"{who} has just stepped on a NaN gradient, so its weights are broken: "
            "reload a Checkpoint.",
            history,
        )


# ------------------------------------------------------------------------------ checkpoints

CHECKPOINT_FORMAT = "gan-course-checkpoint-v1"


class CheckpointError(RuntimeError):
    """A checkpoint file is corrupt, not ours, or made for other networks."""


def save_checkpoint(path: str | os.PathLike, state: TrainState) -> Path:
    """Write networks, optimizers, config and history to `path` (atomically: never half a file)."""
    path = Path(path)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "generator": state.generator.state_dict(),
        "discriminator": state.discriminator.state_dict(),
        "g_optimizer": state.g_optimizer.state_dict(),
        "d_optimizer": state.d_optimizer.state_dict(),
        "generator_hparams": getattr(state.generator, "hparams", None),
        "discriminator_hparams": getattr(state.discriminator, "hparams", None),
        "config": asdict(state.config),
        "history": state.history.records,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def read_checkpoint(path: str | os.PathLike) -> dict:
    """Load a checkpoint's contents safely (`weights_only=True`), with clear errors."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise CheckpointError(
            f"{path} is corrupt or not a checkpoint ({type(err).__name__}: {err})"
        ) from err
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not a gan-course checkpoint")
    return payload


def load_checkpoint(
    path, generator, discriminator, g_optimizer=None, d_optimizer=None, config=None
) -> History:
    """Restore networks (and optimizers) from `path`; return the saved history.

    Raises `CheckpointError` when the file is corrupt or was made for networks of another shape.
    """
    payload = read_checkpoint(path)
    for key, net in (("generator", generator), ("discriminator", discriminator)):
        saved = payload[f"{key}_hparams"]
        mine = getattr(net, "hparams", None)
        if saved is not None and mine is not None and saved != mine:
            raise CheckpointError(f"{path} holds a {key} built with {saved}, this one has {mine}")
        try:
            net.load_state_dict(payload[key])
        except RuntimeError as err:
            raise CheckpointError(f"{path}: its {key} does not fit this network:\n{err}") from err
    if config is not None and payload["config"]["batch_size"] != config.batch_size:
        print(f"note: {path} was trained with batch_size={payload['config']['batch_size']}")
    for key, opt in (("g_optimizer", g_optimizer), ("d_optimizer", d_optimizer)):
        if opt is not None:
            opt.load_state_dict(payload[key])
    return History(payload["history"])
