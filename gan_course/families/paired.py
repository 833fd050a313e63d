r"""Paired image-to-image translation: pix2pix (Isola et al. 2017).

Each training example is a pair: a source image $x$ (a masked digit, a noisy one, a sketch) and
its target $y$. The generator maps $x$ to $G(x)$; the discriminator judges *pairs*, so it asks
"is this $y$ a plausible output for this $x$?", not merely "is this a plausible image?":

$$\mathcal{L}_D = -\tfrac12\big(\mathbb{E}[\log D(x, y)] + \mathbb{E}[\log(1 - D(x, G(x)))]\big),$$
$$\mathcal{L}_G = -\mathbb{E}[\log D(x, G(x))] + \lambda\,\mathbb{E}\lVert y - G(x)\rVert_1 .$$

The L1 term pulls $G(x)$ towards the target (alone it gives the blurry average of the plausible
answers); the adversarial term makes it look real (alone it ignores the target). pix2pix uses
$\lambda = 100$ and divides D's objective by 2 "to slow down the rate at which D learns relative
to G". D may return one logit per image or a map of them (a PatchGAN: one per patch): the
losses average over everything.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import losses
from ..data import real_batches
from ..loop import History, TrainState, fit, stop_if_diverged
from ..runtime import device_of


@dataclass
class PairedConfig:
    """A pix2pix run: the paper's settings by default."""

    steps: int = 2000
    batch_size: int = 16
    lr: float = 2e-4  # Adam, both networks (Isola et al. 2017)
    betas: tuple[float, float] = (0.5, 0.999)
    l1_weight: float = 100.0  # lambda: the L1 term's weight against the adversarial one
    adversarial_weight: float = 1.0  # 0: G learns from L1 alone (the paper's "L1" baseline)

    def __post_init__(self) -> None:
        self.betas = tuple(self.betas)


def pix2pix_g_loss(
    fake_logits: Tensor,
    fake: Tensor,
    target: Tensor,
    l1_weight: float = 100.0,
    adversarial_weight: float = 1.0,
) -> tuple[Tensor, Tensor, Tensor]:
    r"""pix2pix's generator loss and its two terms: (total, adversarial, l1), each 0-d.

    $$\mathcal{L}_G = w_{adv}\,\big(-\log D(x, G(x))\big) + \lambda\,\lVert y - G(x)\rVert_1,$$
    with `fake_logits` D's logits for the pairs (x, G(x)), one per image or a map of them
    (N, 1, h, w), `fake` = G(x) and `target` = y, both (N, C, H, W); $\lambda$ = `l1_weight`
    (the paper's 100), $w_{adv}$ = `adversarial_weight` (0: the paper's "L1" baseline). Both
    terms are means, over the batch and the map or the pixels: neither grows with the batch
    size or the image size. `paired_step` logs the three.
    """
    adversarial = losses.g_loss_nonsaturating(fake_logits)  # -log D(x, G(x)), from logits
    l1 = F.l1_loss(fake, target)  # mean |y - G(x)|
    return adversarial_weight * adversarial + l1_weight * l1, adversarial, l1


def paired_step(state: TrainState) -> dict:
    """One pix2pix iteration on a batch of pairs (source, target) from `state.batches`."""
    config, G, D = state.config, state.generator, state.discriminator
    source, target = next(state.batches)  # (N, C, H, W) each
    # (1) Update D: real pairs (x, y) against fake pairs (x, G(x))
    state.d_optimizer.zero_grad()
    fake = G(source)
    real_logits = D(source, target)
    fake_logits = D(source, fake.detach())  # detach: no gradients into G here
    d_loss = losses.d_loss_bce(real_logits, fake_logits) / 2  # halved, as in pix2pix
    d_loss.backward()
    state.d_optimizer.step()
    metrics = {"d_loss": d_loss.item(), "d_real": torch.sigmoid(real_logits).mean().item()}
    metrics["d_fake"] = torch.sigmoid(fake_logits).mean().item()
    stop_if_diverged(metrics, state.history, "D")
    # (2) Update G: fool the updated D on the same sources, and stay near the targets
    state.g_optimizer.zero_grad()
    g_loss, adversarial, l1 = pix2pix_g_loss(
        D(source, fake), fake, target, config.l1_weight, config.adversarial_weight
    )
    g_loss.backward()  # also fills D's .grad; the next D step clears it
    state.g_optimizer.step()
    return {**metrics, "g_loss": g_loss.item(), "g_adv": adversarial.item(), "l1": l1.item()}


def train_paired(
    generator: nn.Module,
    discriminator: nn.Module,
    pairs: tuple[Tensor, Tensor],
    config: PairedConfig | None = None,
    *,
    callbacks: Sequence = (),
    resume_from: str | os.PathLike | None = None,
) -> History:
    """Train `generator` (source -> target) against `discriminator(source, image)` on `pairs`
    (sources, targets), each (N, C, H, W), through `loop.fit`; return the history."""
    config = config or PairedConfig()
    device = device_of(generator)

    def adam(net: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.Adam(net.parameters(), lr=config.lr, betas=config.betas)

    state = TrainState(
        nets={"generator": generator, "discriminator": discriminator},
        optimizers={"g_optimizer": adam(generator), "d_optimizer": adam(discriminator)},
        config=config,
        data=pairs,
        batches=real_batches(tuple(pairs), config.batch_size, device),
        device=device,
    )
    return fit(paired_step, state, config.steps, callbacks, resume_from=resume_from)
