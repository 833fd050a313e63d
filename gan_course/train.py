"""The classic GAN of lessons 05-10: a discriminator step, a generator step, and `train_gan`.

Each iteration (Goodfellow et al. 2014, Algorithm 1; the recipe of pytorch/examples' dcgan):

1. `d_step`: update D to tell a real batch from a fake batch, G frozen.
2. `g_step`: update G so that D calls its fakes real, D frozen.

`gan_step` is one iteration; `train_gan` runs it `config.steps` times through `loop.fit`, which
logs a `History`, calls callbacks (progress bar, live monitor, checkpoints), keeps what it has
when you interrupt it, stops with a clear message when a loss becomes NaN, and resumes from a
checkpoint. `TrainConfig` holds the classic GAN's settings and the switches of lessons 06, 09
and 10; it stops growing there: a new family brings its own step and config
(`gan_course.families`).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields

import torch
from torch import Tensor, nn

from . import losses
from .data import real_batches
from .latent import noise_batch
from .loop import History, TrainState, as_metrics, fit, stop_if_diverged
from .losses import d_accuracy
from .runtime import device_of

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
        history.append(d_step_alone(discriminator, optimizer, real, fake))
        if on_step is not None:
            on_step(len(history), history[-1])
    return history


def d_step_alone(
    discriminator: nn.Module, optimizer: torch.optim.Optimizer, real: Tensor, fake: Tensor
) -> float:
    """One update of D alone, on fixed batches: real (label 1) vs fake (label 0).

    Returns the loss before the update. `d_step` is the same with a generator making the fakes.
    """
    optimizer.zero_grad()  # gradients accumulate in .grad until cleared
    loss = losses.d_loss_bce(discriminator(real), discriminator(fake))
    loss.backward()
    optimizer.step()
    return loss.item()


# ------------------------------------------------------------------------------ configuration


SWITCH = {"switch": True}  # marks a TrainConfig field as a switch: see `TrainConfig.switched`


@dataclass
class TrainConfig:
    """Everything that defines a classic GAN run besides the networks and the data."""

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
    label_flip: float = field(default=0.0, metadata=SWITCH)  # P(a real sample labelled fake)
    label_smoothing: float = field(default=0.0, metadata=SWITCH)  # one-sided: real target 1 - s
    instance_noise: float = field(default=0.0, metadata=SWITCH)  # noise std, annealed to 0
    d_l1: float = field(default=0.0, metadata=SWITCH)  # L1 penalty on D's weights
    d_l2: float = field(default=0.0, metadata=SWITCH)  # L2 penalty on D's weights
    # Lesson 09: keeping a critic Lipschitz (or D smooth).
    clip: float = field(default=0.0, metadata=SWITCH)  # clip D's weights to [-clip, clip] (0.01)
    gradient_penalty: float = field(default=0.0, metadata=SWITCH)  # lambda of WGAN-GP (10)
    r1: float = field(default=0.0, metadata=SWITCH)  # gamma of the R1 penalty on real data

    def __post_init__(self) -> None:
        self.betas = tuple(self.betas)
        for name, table in (("g_loss", losses.G_LOSSES), ("d_loss", losses.D_LOSSES)):
            if getattr(self, name) not in table:
                raise ValueError(f"{name}={getattr(self, name)!r}; choose one of {list(table)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer={self.optimizer!r}; choose one of {list(OPTIMIZERS)}")
        if (self.label_flip or self.label_smoothing) and self.d_loss != "bce":
            raise ValueError("label flipping and smoothing change BCE targets: use d_loss='bce'")

    @classmethod
    def switches(cls) -> list[str]:
        """The fields marked as switches: `d_step_switched` (and `g_step_switched`) read them."""
        return [f.name for f in fields(cls) if f.metadata.get("switch")]

    @property
    def switched(self) -> bool:
        """Is any switch on (away from its default)? Then `train_gan` uses `d_step_switched`."""
        defaults = {f.name: f.default for f in fields(self)}
        return any(getattr(self, name) != defaults[name] for name in self.switches())


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


def pair_state(generator, discriminator, data, config, optimizers=None) -> TrainState:
    """The `TrainState` of one generator against one discriminator: `optimizers` (g, d), by
    default an Adam each with `config.lr` and `config.betas` (the families of lessons 12 and
    13), the config, and endless batches of `data` on the generator's device."""
    device = device_of(generator)
    if optimizers is None:
        optimizers = [torch.optim.Adam(net.parameters(), lr=config.lr, betas=config.betas)
                      for net in (generator, discriminator)]  # fmt: skip
    g_opt, d_opt = optimizers
    return TrainState(
        nets={"generator": generator, "discriminator": discriminator},
        optimizers={"g_optimizer": g_opt, "d_optimizer": d_opt},
        config=config,
        data=data,
        batches=real_batches(data, config.batch_size, device),
        device=device,
    )


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


def instance_noise(x: Tensor, std: float) -> Tensor:
    """`x` plus Gaussian noise of standard deviation `std`, fresh for every sample: what D sees."""
    return x + std * torch.randn_like(x)  # a new tensor: the batch itself is left alone


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
        real, fake = instance_noise(real, sigma), instance_noise(fake, sigma)
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


def train_critic(
    critic: nn.Module, data, generator, config: TrainConfig, steps: int, batch_size: int = 256
) -> None:
    """Train `critic` (or a D) alone against a fixed `generator`, with `d_step_switched`.

    Lesson 09's experiments: `data` is the real distribution (anything with `.sample(n)`),
    `generator` a fixed function of noise (N, dim) -> samples (N, dim). Fresh real samples and
    fresh noise, shaped like the data, at every step; the optimizer, loss and switches of `config`.
    """
    optimizer = OPTIMIZERS[config.optimizer](critic.parameters(), config.lr_d, config.betas)
    loss_fn = losses.D_LOSSES[config.d_loss]
    device = device_of(critic)
    for _ in range(steps):
        real = data.sample(batch_size).to(device)  # (N, dim)
        noise = torch.randn_like(real)  # (N, dim): the fixed generator's input
        d_step_switched(generator, critic, optimizer, real, noise, loss_fn, config)


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
        fake = instance_noise(fake, sigma)
    fake_logits = discriminator(fake, *labels)
    loss = loss_fn(fake_logits)
    loss.backward()
    g_optimizer.step()
    return {"g_loss": loss.item()}


def default_steps(config: TrainConfig, conditional: bool) -> tuple[Callable, Callable]:
    """Lesson 05's `d_step`/`g_step`, or the switched ones when they are needed.

    The switched steps take two more arguments, `config` and `progress` (how far training has
    got, for annealing): `gan_step` passes them to any step that asks for them by name.
    """
    if not (config.switched or conditional):
        return d_step, g_step
    return d_step_switched, (g_step_switched if conditional or config.instance_noise else g_step)


# ------------------------------------------------------------------------------ the loop


def _switches_for(step: Callable, state: TrainState) -> dict:
    """`config` and `progress` for a step that takes them (the switched steps), else nothing."""
    if "progress" not in inspect.signature(step).parameters:
        return {}
    return dict(config=state.config, progress=state.history.step / max(state.steps, 1))


def gan_step(state: TrainState, d_step: Callable = d_step, g_step: Callable = g_step) -> dict:
    """One iteration of the classic GAN: `config.d_steps` D steps, then one G step.

    Real batches come from `state.batches`; noise (and, for a conditional G, the labels asked
    for) is drawn fresh for every D step and again for the G step, from the global RNG.
    """
    config, G, D = state.config, state.generator, state.discriminator
    n, device = config.batch_size, state.device
    d_loss_fn, g_loss_fn = losses.D_LOSSES[config.d_loss], losses.G_LOSSES[config.g_loss]
    # (1) Update D: maximize log D(x) + log(1 - D(G(z)))
    for _ in range(config.d_steps):
        real, z = next(state.batches), noise_batch(G, n, device)  # this order: seeded runs
        more = _switches_for(d_step, state)
        d_metrics = as_metrics(
            d_step(G, D, state.d_optimizer, real, z, d_loss_fn, **more), "d_loss"
        )
        stop_if_diverged(d_metrics, state.history, "D")  # before G learns from a broken D
    # (2) Update G: maximize log D(G(z)), on fresh noise
    z, more = noise_batch(G, n, device), _switches_for(g_step, state)
    g_metrics = as_metrics(g_step(G, D, state.g_optimizer, z, g_loss_fn, **more), "g_loss")
    stop_if_diverged(g_metrics, state.history, "G")
    return {**d_metrics, **g_metrics}


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
    state = pair_state(generator, discriminator, data, config,
                       make_optimizers(generator, discriminator, config))  # fmt: skip
    conditional = getattr(generator, "n_classes", None) is not None
    default_d, default_g = default_steps(config, conditional)
    steps = dict(d_step=d_step or default_d, g_step=g_step or default_g)
    return fit(
        lambda state: gan_step(state, **steps),
        state,
        config.steps,
        callbacks,
        resume_from=resume_from,
    )
