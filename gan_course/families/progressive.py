r"""Progressive growing (Karras, Aila, Laine & Lehtinen 2018): train at 4x4, grow, fade in, repeat.

The networks are in `gan_course.models.progan`. A run is a list of **phases**: the first
stage is trained as it is; every later stage first **fades in** ($\alpha$ rising linearly from
0 to 1 over the phase), then is **stabilised** at $\alpha = 1$. With three stages:

    4x4 stable | 8x8 fade | 8x8 stable | 16x16 fade | 16x16 stable

`schedule(step, config)` says where a step is: the stage and $\alpha$. The real images are
shown to D at the same stage and with the same fade as the fakes: halved to the stage's size
and, while a block fades in, blended with their own coarser version,
$(1-\alpha)\,\mathrm{up}(\mathrm{halve}(x)) + \alpha\, x$, so that real and fake differ only in
what G draws (as the paper's code does).

The loss is the paper's: WGAN-GP (lesson 09) with a small **drift** term
$\epsilon_{drift}\,\mathbb{E}[D(x)^2]$ that keeps the critic's scores near zero, one D step per G
step, and Adam with $\beta_1 = 0$, $\beta_2 = 0.99$ and the paper's learning rate, $10^{-3}$ (a
large one, made safe by the equalised learning rate: at half of it, these small networks trained
far worse on the typed digits).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor, nn

from .. import losses
from ..loop import History, TrainState, fit, stop_if_diverged
from ..models.progan import double, halve
from ..train import pair_state


@dataclass
class ProgressiveConfig:
    """A progressive run: how long each phase is, the batch, and the paper's loss and Adam."""

    phase_steps: int = 300  # steps of every fade-in and every stable phase
    final_steps: int = 600  # steps of the last, full-size stable phase (the longest)
    batch_size: int = 64
    lr: float = 1e-3  # Adam, both networks, as in the paper
    betas: tuple[float, float] = (0.0, 0.99)  # the paper's
    gp_weight: float = 10.0  # WGAN-GP's lambda
    drift: float = 1e-3  # the paper's epsilon_drift

    def __post_init__(self) -> None:
        self.betas = tuple(self.betas)


@dataclass(frozen=True)
class Phase:
    stage: int  # 0 for 4x4, 1 for 8x8, ...
    fade: bool  # alpha rises from 0 to 1 over the phase (else alpha = 1)
    steps: int


def phases(stages: int, config: ProgressiveConfig) -> list[Phase]:
    """The run's phases, in order: stage 0 stable, then a fade and a stable phase per stage."""
    out = [Phase(0, False, config.phase_steps)]
    for stage in range(1, stages):
        last = stage == stages - 1
        out += [Phase(stage, True, config.phase_steps)]
        out += [Phase(stage, False, config.final_steps if last else config.phase_steps)]
    return out


def total_steps(stages: int, config: ProgressiveConfig) -> int:
    """The steps of the whole run: every phase, once."""
    return sum(p.steps for p in phases(stages, config))


def schedule(step: int, stages: int, config: ProgressiveConfig) -> tuple[int, float]:
    """(stage, alpha) for step `step` (counted from 0): alpha = (steps into the fade + 1) /
    its length while fading in, else 1. After the last phase, the last stage at alpha 1."""
    for phase in phases(stages, config):
        if step < phase.steps:
            return phase.stage, (step + 1) / phase.steps if phase.fade else 1.0
        step -= phase.steps
    return stages - 1, 1.0


def real_at(images: Tensor, size: int, alpha: float) -> Tensor:
    """Real images (N, C, S, S) as D sees them at a stage of `size` pixels with fade `alpha`:
    halved down to `size`, and blended with their own coarser version while fading in."""
    while images.shape[-1] > size:
        images = halve(images)
    if alpha < 1:
        images = (1 - alpha) * double(halve(images)) + alpha * images
    return images


def set_stage(stage: int, alpha: float, *nets: nn.Module) -> None:
    """Grow the networks to `stage`, with the new block faded in to `alpha`."""
    for net in nets:
        net.stage, net.alpha = stage, alpha


def progressive_step(state: TrainState) -> dict:
    """One iteration: set the stage and alpha from the step count, then a WGAN-GP D step with
    the drift term and a G step, at the stage's resolution."""
    G, D = state.generator, state.discriminator
    stages = len(G.sizes)
    stage, alpha = schedule(state.history.step, stages, state.config)
    set_stage(stage, alpha, G, D)
    real = real_at(next(state.batches), G.sizes[stage], alpha)  # (N, C, S, S)
    n = len(real)

    state.d_optimizer.zero_grad()
    fake = G(G.sample_noise(n, state.device)).detach()
    real_scores, fake_scores = D(real), D(fake)
    penalty = losses.gradient_penalty(D, real, fake)
    drift = real_scores.pow(2).mean()
    d_loss = losses.d_loss_wasserstein(real_scores, fake_scores)
    (d_loss + state.config.gp_weight * penalty + state.config.drift * drift).backward()
    state.d_optimizer.step()
    metrics = {
        "d_loss": d_loss.item(),  # E[D(fake)] - E[D(real)]: minus the critic's gap
        "gp": penalty.item(),
        "size": float(G.sizes[stage]),
        "alpha": alpha,
    }
    stop_if_diverged(metrics, state.history, "D")

    state.g_optimizer.zero_grad()
    g_loss = losses.g_loss_wasserstein(D(G(G.sample_noise(n, state.device))))
    g_loss.backward()  # also fills D's .grad; its next step clears it
    state.g_optimizer.step()
    return metrics | {"g_loss": g_loss.item()}


def make_progressive_state(
    generator: nn.Module, discriminator: nn.Module, images: Tensor, config: ProgressiveConfig
) -> TrainState:
    """The `TrainState` of a progressive run: both networks and an Adam each."""
    if generator.sizes != discriminator.sizes:
        raise ValueError(f"G grows through {generator.sizes}, D through {discriminator.sizes}")
    if images.shape[-1] != generator.sizes[-1]:
        raise ValueError(f"images must be {generator.sizes[-1]} pixels, got {images.shape}")
    return pair_state(generator, discriminator, images, config)


def train_progressive(
    generator: nn.Module,
    discriminator: nn.Module,
    images: Tensor,
    config: ProgressiveConfig | None = None,
    *,
    callbacks: Sequence = (),
    resume_from: str | os.PathLike | None = None,
) -> History:
    """Grow and train a `ProgressiveGenerator` and `ProgressiveDiscriminator` on `images`
    (N, C, S, S) in [-1, 1] through `loop.fit`, every phase of `phases`; return the history.
    The networks end at the full size, faded in."""
    config = config or ProgressiveConfig()
    state = make_progressive_state(generator, discriminator, images, config)
    steps = total_steps(len(generator.sizes), config)
    history = fit(progressive_step, state, steps, callbacks, resume_from=resume_from)
    set_stage(len(generator.sizes) - 1, 1.0, generator, discriminator)  # even if interrupted
    return history


def grown(images: Tensor, size: int) -> Tensor:
    """Images of any stage enlarged (nearest) to `size` pixels, to show stages side by side."""
    return F.interpolate(images, size=size, mode="nearest")


def milestones(stages: int, config: ProgressiveConfig) -> dict[int, str]:
    """The steps worth a look, each with its name: the end of every phase and the middle of
    every fade-in, e.g. {300: "4x4", 450: "8x8, alpha 0.5", 600: "8x8 faded in", ...}."""
    out, step, size = {}, 0, 4
    for phase in phases(stages, config):
        size = 4 * 2**phase.stage
        if phase.fade:
            out[step + phase.steps // 2] = f"{size}x{size}, alpha 0.5"
            out[step + phase.steps] = f"{size}x{size} faded in"
        else:
            out[step + phase.steps] = f"{size}x{size}" + (" stable" if phase.stage else "")
        step += phase.steps
    return out
