r"""StyleGAN's training (Karras, Laine & Aila 2019): the logistic loss with R1, style mixing, w_avg.

The networks are `gan_course.models.stylegan.StyleGenerator` and lesson 12's discriminator, fully
grown (StyleGAN keeps ProGAN's discriminator; StyleGAN2 stopped growing, and so does the course:
the generator trains at full size from the first step). One step:

* **style mixing regularisation**: with probability `mixing` a batch's styles come from two
  latents, the first `crossover` layers from $w_1$ and the rest from $w_2$, the crossover drawn
  uniformly (the paper: 90 % of the images);
* D's step: the non-saturating logistic loss of lesson 04 plus the **R1 penalty** on real
  images, $\frac{\gamma}{2}\,\mathbb{E}\big[\lVert \nabla_x D(x) \rVert^2\big]$ (Mescheder et
  al. 2018; lesson 09b), the paper's loss for FFHQ; computed on every 4th step only and
  weighted 4 times, as StyleGAN2 does ("lazy regularisation"), which saves most of its cost;
* G's step: the non-saturating loss, through fresh (mixed) styles;
* $\bar w$, the centre of the truncation trick, follows the batch's mean $w$:
  $\bar w \leftarrow \bar w + (1 - \beta)(\mathrm{mean}(w) - \bar w)$, $\beta = 0.995$.

Adam with $\beta_1 = 0$, $\beta_2 = 0.99$, as in ProGAN and StyleGAN.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .. import losses
from ..loop import History, TrainState, fit, stop_if_diverged
from ..models.stylegan import mix_styles
from ..train import pair_state


@dataclass
class StyleGANConfig:
    """A StyleGAN run: the loss's R1 weight, style mixing, and the paper's Adam."""

    steps: int = 1500
    batch_size: int = 64
    lr: float = 1e-3  # Adam, both networks (the mapping network 100 times slower: lr_mul)
    betas: tuple[float, float] = (0.0, 0.99)
    r1_gamma: float = 1.0  # R1's gamma (the paper: 10 on FFHQ; these tiny images want less)
    r1_every: int = 4  # R1 on every 4th D step only, weighted 4 times (StyleGAN2's lazy R1)
    mixing: float = 0.9  # the share of a batch whose styles come from two latents
    w_avg_beta: float = 0.995  # how slowly w_avg follows the batches' mean w

    def __post_init__(self) -> None:
        self.betas = tuple(self.betas)


def training_styles(generator: nn.Module, n: int, mixing: float, device) -> Tensor:
    """Per-layer styles (n, n_styles, w_dim) for a training batch: each sample's own w for every
    layer, except that with probability `mixing` a sample switches to a second latent's w at a
    random crossover (1 .. n_styles - 1)."""
    layers = generator.n_styles
    w1 = generator.mapping(generator.sample_noise(n, device))
    w2 = generator.mapping(generator.sample_noise(n, device))
    crossover = torch.randint(1, layers, (n, 1, 1), device=device)
    crossover = torch.where(torch.rand(n, 1, 1, device=device) < mixing, crossover, layers)
    return mix_styles(w1, w2, crossover, layers)  # a crossover (n, 1, 1) per sample


def stylegan_step(state: TrainState) -> dict:
    """One iteration: a D step (logistic loss and R1), a G step through fresh mixed styles, and
    w_avg moved towards the batch's mean w."""
    G, D, config, device = state.generator, state.discriminator, state.config, state.device
    lazy = state.history.step % config.r1_every == 0  # this step pays for R1
    real = next(state.batches).requires_grad_(lazy)  # R1 differentiates D at the real images
    n = len(real)

    state.d_optimizer.zero_grad()
    with torch.no_grad():
        fake = G.synthesis(training_styles(G, n, config.mixing, device))
    real_logits, fake_logits = D(real), D(fake)
    d_loss = losses.d_loss_bce(real_logits, fake_logits)
    metrics = {
        "d_loss": d_loss.item(),
        "d_real": torch.sigmoid(real_logits).mean().item(),
        "d_fake": torch.sigmoid(fake_logits).mean().item(),
    }
    if lazy:
        r1 = losses.r1_penalty(real_logits, real)
        d_loss = d_loss + config.r1_every * config.r1_gamma / 2 * r1
        metrics["r1"] = r1.item()
    d_loss.backward()
    state.d_optimizer.step()
    stop_if_diverged(metrics, state.history, "D")

    state.g_optimizer.zero_grad()
    ws = training_styles(G, n, config.mixing, device)
    g_loss = losses.g_loss_nonsaturating(D(G.synthesis(ws)))
    g_loss.backward()  # also fills D's .grad; its next step clears it
    state.g_optimizer.step()
    with torch.no_grad():
        G.w_avg.lerp_(ws[:, 0].mean(dim=0), 1 - config.w_avg_beta)
    return metrics | {"g_loss": g_loss.item()}


def make_stylegan_state(
    generator: nn.Module, discriminator: nn.Module, images: Tensor, config: StyleGANConfig
) -> TrainState:
    """The `TrainState` of a StyleGAN run: both networks and an Adam each."""
    return pair_state(generator, discriminator, images, config)


def train_stylegan(
    generator: nn.Module,
    discriminator: nn.Module,
    images: Tensor,
    config: StyleGANConfig | None = None,
    *,
    callbacks: Sequence = (),
    resume_from: str | os.PathLike | None = None,
) -> History:
    """Train a `StyleGenerator` against a discriminator of its full size (lesson 12's
    `ProgressiveDiscriminator`, fully grown) on `images` (N, C, S, S) in [-1, 1] through
    `loop.fit`; return the history."""
    config = config or StyleGANConfig()
    state = make_stylegan_state(generator, discriminator, images, config)
    return fit(stylegan_step, state, config.steps, callbacks, resume_from=resume_from)


__all__ = ["StyleGANConfig", "mix_styles", "stylegan_step", "train_stylegan", "training_styles"]
