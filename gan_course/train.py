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
    fake_logits = discriminator(generator(noise))  # fresh fakes, scored by the updated D
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
    optimizer: str = "adam"  # or "rmsprop" (the clipped WGAN of Arjovsky et al. 2017)
    # Switches, all off by default. Lesson 06: remedies for an unstable game.
    label_flip: float = 0.0  # probability that a real sample is labelled fake in D's loss
    label_smoothing: float = 0.0  # one-sided: real target 1 - label_smoothing (e.g. 0.1)
    instance_noise: float = 0.0  # std of noise added to D's inputs, annealed to 0 over the run
    d_l1: float = 0.0  # L1 penalty on D's weights
    d_l2: float = 0.0  # L2 penalty on D's weights
    # Lesson 09: keeping a critic Lipschitz (or D smooth).
    clip: float = 0.0  # clip D's weights to [-clip, clip] after each step (WGAN: 0.01)
    gradient_penalty: float = 0.0  # lambda of WGAN-GP (10)
    r1: float = 0.0  # gamma of the R1 penalty on real data
    # Speed: G's step judges the fakes of the last D step (pytorch/examples' dcgan) instead of
    # a fresh batch; one pass through G fewer per step (lesson 05, "Why recompute the fakes?").
    reuse_fakes: bool = False

    def __post_init__(self) -> None:
        self.betas = tuple(self.betas)
        for name, table in (("g_loss", losses.G_LOSSES), ("d_loss", losses.D_LOSSES)):
            if getattr(self, name) not in table:
                raise ValueError(f"{name}={getattr(self, name)!r}; choose one of {list(table)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer={self.optimizer!r}; choose one of {list(OPTIMIZERS)}")
        if (self.label_flip or self.label_smoothing) and self.d_loss != "bce":
            raise ValueError("label flipping and smoothing change BCE targets: use d_loss='bce'")

    @property
    def switched(self) -> bool:
        """Is any switch of lessons 06/09 on? Then `train_gan` uses `d_step_switched`."""
        names = ("label_flip", "label_smoothing", "instance_noise", "d_l1", "d_l2")
        return any(getattr(self, n) for n in (*names, "clip", "gradient_penalty", "r1"))


OPTIMIZERS = {
    "adam": lambda params, lr, betas: torch.optim.Adam(params, lr=lr, betas=betas),
    "rmsprop": lambda params, lr, betas: torch.optim.RMSprop(params, lr=lr),  # no momentum
}


def make_optimizers(generator, discriminator, config: TrainConfig):
    """An optimizer for each network (Adam unless `config.optimizer` says otherwise): (g, d)."""
    make = OPTIMIZERS[config.optimizer]
    g_opt = make(generator.parameters(), config.lr_g, config.betas)
    d_opt = make(discriminator.parameters(), config.lr_d, config.betas)
    return g_opt, d_opt


# ------------------------------------------------------------------------------ the switches
# `d_step` and `g_step` above are the textbook steps of lesson 05. The two below are the same
# steps with the switches of lessons 06 (label noise, instance noise, weight penalties),
# 09 (weight clipping, gradient penalty, R1) and 10 (labels for conditional GANs). `train_gan`
# uses them only when a switch is on, so every plain run still goes through `d_step`/`g_step`.


def _split(batch) -> tuple[Tensor, tuple]:
    """`x` -> (x, ()); `(x, labels)` -> (x, (labels,)): labels go to conditional networks."""
    if isinstance(batch, tuple | list):
        return batch[0], tuple(batch[1:])
    return batch, ()


def real_targets(n: int, flip: float, smoothing: float, device=None) -> Tensor:
    """D's targets for `n` real samples: 1 - `smoothing`, or 0 with probability `flip`."""
    targets = torch.full((n,), 1.0 - smoothing, device=device)
    flipped = torch.rand(n, device=device) < flip
    return targets.masked_fill(flipped, 0.0)


def instance_noise_std(config: TrainConfig, progress: float) -> float:
    """The std of the instance noise at `progress` (0 -> 1) through training: linear to 0."""
    return config.instance_noise * max(0.0, 1.0 - progress)  # Sønderby et al. 2016


def d_step_switched(
    generator: nn.Module,
    discriminator: nn.Module,
    d_optimizer: torch.optim.Optimizer,
    real,  # images (N, ...) or (images, labels)
    noise,  # z (N, latent_dim) or (z, labels)
    loss_fn: Callable[[Tensor, Tensor], Tensor] = losses.d_loss_bce,
    config: TrainConfig | None = None,
    progress: float = 0.0,  # fraction of training done: anneals the instance noise
) -> dict[str, float]:
    """`d_step` with the switches of `config` (see `TrainConfig`)."""
    config = config or TrainConfig()
    real, real_labels = _split(real)
    noise, fake_labels = _split(noise)
    d_optimizer.zero_grad()
    fake = generator(noise, *fake_labels).detach()  # detach: no gradients into G here
    sigma = instance_noise_std(config, progress)
    if sigma > 0:  # blur both distributions so that they overlap and D's gradients are useful
        real, fake = real + sigma * torch.randn_like(real), fake + sigma * torch.randn_like(fake)
    if config.r1:
        real = real.detach().requires_grad_(True)  # R1 needs d D(x) / d x
    real_logits = discriminator(real, *real_labels)  # (N,)
    fake_logits = discriminator(fake, *fake_labels)  # (N,)
    if config.label_flip or config.label_smoothing:
        targets = real_targets(len(real), config.label_flip, config.label_smoothing, real.device)
        loss = losses.d_loss_bce_targets(real_logits, fake_logits, targets)
    else:
        loss = loss_fn(real_logits, fake_logits)
    metrics = d_diagnostics(loss, real_logits, fake_logits)
    if config.gradient_penalty:
        gp = losses.gradient_penalty(lambda x: discriminator(x, *real_labels), real, fake)
        loss = loss + config.gradient_penalty * gp
        metrics["gp"] = gp.item()
    if config.r1:
        loss = loss + config.r1 / 2 * losses.r1_penalty(real_logits, real)
    if config.d_l1 or config.d_l2:
        loss = loss + losses.weight_penalty(discriminator, config.d_l1, config.d_l2)
    loss.backward()
    d_optimizer.step()
    if config.clip:  # WGAN: keep the critic Lipschitz by boxing its weights in
        clip_weights(discriminator, config.clip)
    return metrics


def clip_weights(module: nn.Module, clip: float) -> None:
    """Clamp every parameter of `module` to [-clip, clip], in place (Arjovsky et al. 2017)."""
    with torch.no_grad():  # an edit of the weights, not a step autograd should record
        for p in module.parameters():
            p.clamp_(-clip, clip)


def g_step_switched(
    generator: nn.Module,
    discriminator: nn.Module,
    g_optimizer: torch.optim.Optimizer,
    noise,  # z (N, latent_dim) or (z, labels)
    loss_fn: Callable[[Tensor], Tensor] = losses.g_loss_nonsaturating,
    config: TrainConfig | None = None,
    progress: float = 0.0,
) -> dict[str, float]:
    """`g_step` for conditional networks (the fakes are judged against the labels asked for)
    and for instance noise (D sees noisy fakes here too, as in its own step)."""
    noise, labels = _split(noise)
    g_optimizer.zero_grad()
    fake = generator(noise, *labels)
    sigma = instance_noise_std(config, progress) if config is not None else 0.0
    if sigma > 0:
        fake = fake + sigma * torch.randn_like(fake)
    fake_logits = discriminator(fake, *labels)
    loss = loss_fn(fake_logits)
    loss.backward()
    g_optimizer.step()
    return {"g_loss": loss.item()}


def made_once(generator: nn.Module) -> Callable:
    """A stand-in for G that runs G on its first call and hands back that batch on every call.

    With `TrainConfig.reuse_fakes`, `train_gan` gives the stand-in to the D step (which
    detaches the batch) and then to the G step (which backpropagates through it into G).
    """
    made = []

    def stand_in(*noise_and_labels):
        if not made:
            made.append(generator(*noise_and_labels))
        return made[0]

    return stand_in


def default_steps(config: TrainConfig, history, conditional: bool) -> tuple[Callable, Callable]:
    """Lesson 05's `d_step`/`g_step`, or the switched ones when they are needed."""
    if not (config.switched or conditional):
        return d_step, g_step

    def d_step_now(*args):  # the switched steps, told how far training has got
        return d_step_switched(*args, config=config, progress=history.step / config.steps)

    def g_step_now(*args):
        return g_step_switched(*args, config=config, progress=history.step / config.steps)

    return d_step_now, (g_step_now if conditional or config.instance_noise else g_step)


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


def real_batches(data, batch_size: int, device) -> Iterator:
    """Endless real batches: from `data.sample(n)`, or shuffled epochs of a tensor dataset.

    `data` may also be a pair `(images, labels)`: then each batch is a pair too (lesson 10).
    """
    if hasattr(data, "sample"):
        while True:
            yield data.sample(batch_size).to(device)
    tensors = tuple(data) if isinstance(data, tuple | list) else (data,)
    if not all(isinstance(t, Tensor) for t in tensors) or len(tensors) > 2:
        raise TypeError(
            "data must be a tensor of samples, a pair (samples, labels), or have .sample(n); "
            f"got {type(data).__name__}"
        )
    if len({len(t) for t in tensors}) > 1:
        raise ValueError(f"samples and labels differ in length: {[len(t) for t in tensors]}")
    n = len(tensors[0])
    if n < batch_size:
        raise ValueError(f"batch_size={batch_size} but the dataset has only {n} items")
    tensors = tuple(t.to(device) for t in tensors)
    while True:
        order = torch.randperm(len(tensors[0]), device=device)
        for start in range(0, len(order) - batch_size + 1, batch_size):  # drop the ragged end
            picked = order[start : start + batch_size]
            batch = tuple(t[picked] for t in tensors)
            yield batch if len(batch) == 2 else batch[0]


def train_gan(
    generator: nn.Module,
    discriminator: nn.Module,
    data,
    config: TrainConfig | None = None,
    *,
    callbacks: Sequence = (),
    resume_from: str | os.PathLike | None = None,
    d_step: Callable | None = None,
    g_step: Callable | None = None,
) -> History:
    """Train `generator` against `discriminator` on `data`; return the history.

    `data` is a distribution with `.sample(n)`, a tensor of samples, or a pair (samples, labels)
    for conditional networks (a generator with `n_classes`). The networks are trained in place
    on the device their parameters are on. `d_step`/`g_step` can be swapped for your own
    functions with the same signature; by default they are lesson 05's `d_step`/`g_step`, or
    the `*_switched` versions when a switch of `config` is on or the networks are conditional.
    `resume_from` continues a checkpointed run up to `config.steps`. Ctrl-C (or the stop
    button) ends the run early and keeps everything.
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
    latent_dim, n_classes = generator.latent_dim, getattr(generator, "n_classes", None)
    default_d_step, default_g_step = default_steps(config, history, n_classes is not None)
    d_step, g_step = d_step or default_d_step, g_step or default_g_step

    def noise():  # z, and for a conditional G the labels to ask for (uniform over classes)
        z = torch.randn(config.batch_size, latent_dim, device=device)
        if n_classes is None:
            return z
        return z, torch.randint(n_classes, (config.batch_size,), device=device)

    generator.train()
    discriminator.train()
    try:
        for cb in callbacks:
            cb.on_train_begin(state)
        while history.step < config.steps:
            # (1) Update D: maximize log D(x) + log(1 - D(G(z)))
            for _ in range(config.d_steps):
                real, z = next(batches), noise()  # in this order, as every seeded run so far
                g = made_once(generator) if config.reuse_fakes else generator
                d_metrics = _as_metrics(
                    d_step(g, discriminator, d_opt, real, z, d_loss_fn), "d_loss"
                )
                _stop_if_diverged(d_metrics, history, "D")  # before G learns from a broken D
            # (2) Update G: maximize log D(G(z)), on fresh noise unless the fakes are reused
            if not config.reuse_fakes:
                g, z = generator, noise()
            g_metrics = _as_metrics(g_step(g, discriminator, g_opt, z, g_loss_fn), "g_loss")
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
