r"""LAPGAN: one GAN per level of a Laplacian pyramid (Denton, Chintala, Szlam & Fergus 2015).

The networks are in `gan_course.models.lapgan`. Training a real image $I$ of the data, with its
Gaussian pyramid $I_0 = I, I_{k+1} = d(I_k)$ (`gan_course.images`):

* the coarsest level $K$ is a plain GAN on the small images $I_K$: lesson 05's `d_step` and
  `g_step` with $G_K$ and $D_K$;
* every finer level $k$ is a **conditional** GAN. The condition is the real image's own coarser
  level, upsampled, $l_k = u(I_{k+1})$; the real example is its band $h_k = I_k - l_k$, the
  fake one $\tilde h_k = G_k(z_k, l_k)$, and $D_k$ judges either beside $l_k$:

$$\min_{G_k} \max_{D_k}\; \mathbb{E}_{I}\big[\log D_k(h_k, l_k)\big]
+ \mathbb{E}_{I, z_k}\big[\log\big(1 - D_k(G_k(z_k, l_k), l_k)\big)\big].$$

Because every condition comes from real data, no level waits for the one below to be good:
the levels could be trained one after another or, as here, side by side in one step. Only
sampling chains them (`LAPGANGenerator.chain`): there each $l_k$ is the upsampled output of
the level below, which is why a level must cope with conditions a little unlike the real ones.

`lapgan_step` does one iteration (a D step and a G step at every level, on one real batch);
`train_lapgan` runs it through `loop.fit`. The paper's code (`facebook/eyescream`) trains
with SGD (learning rate 0.02, momentum 0.5, batches of 128); the course uses DCGAN's
Adam(2e-4, 0.5), which came later and trains these small networks more reliably on a CPU.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .. import losses
from ..data import real_batches
from ..images import downsample, gaussian_pyramid, upsample
from ..loop import History, TrainState, fit, stop_if_diverged
from ..runtime import device_of
from ..train import d_diagnostics, d_step, g_step


@dataclass
class LapganConfig:
    """A LAPGAN run: DCGAN's optimiser settings (the paper used SGD with momentum)."""

    steps: int = 3000  # iterations; each updates every level's D and G once
    batch_size: int = 64  # real images per step (and as many fakes per level)
    lr: float = 2e-4  # Adam, every network (Radford et al. 2015)
    betas: tuple[float, float] = (0.5, 0.999)

    def __post_init__(self) -> None:
        self.betas = tuple(self.betas)


def training_pair(images: Tensor) -> tuple[Tensor, Tensor]:
    """What a finer level trains on, from its real images I_k (N, C, S, S): the condition
    l_k = u(d(I_k)) = u(I_{k+1}), the real image's own coarser level upsampled, and the real
    band h_k = I_k - l_k. Both (N, C, S, S). No generator here: while training, every
    condition is real."""
    condition = upsample(downsample(images))  # l_k: the real image, blurred to the level below
    return condition, images - condition  # (l_k, h_k)


def level_d_step(
    generator: nn.Module,
    discriminator: nn.Module,
    d_optimizer: torch.optim.Optimizer,
    band: Tensor,  # real bands h_k (N, C, S, S)
    condition: Tensor,  # their conditions l_k (N, C, S, S)
    noise: Tensor,  # noise planes z_k (N, 1, S, S)
) -> dict[str, float]:
    """One update of D_k: real bands against generated ones, each judged beside its condition."""
    d_optimizer.zero_grad()
    fake_band = generator(noise, condition).detach()  # detach: no gradients into G_k here
    real_logits = discriminator(band, condition)  # (N,)
    fake_logits = discriminator(fake_band, condition)  # (N,): the same conditions, made-up bands
    loss = losses.d_loss_bce(real_logits, fake_logits)
    loss.backward()
    d_optimizer.step()
    return d_diagnostics(loss, real_logits, fake_logits)


def level_g_step(
    generator: nn.Module,
    discriminator: nn.Module,
    g_optimizer: torch.optim.Optimizer,
    condition: Tensor,  # l_k (N, C, S, S)
    noise: Tensor,  # z_k (N, 1, S, S)
) -> dict[str, float]:
    """One update of G_k: make D_k call its bands real, beside the same conditions."""
    g_optimizer.zero_grad()
    fake_logits = discriminator(generator(noise, condition), condition)  # scored by the new D_k
    loss = losses.g_loss_nonsaturating(fake_logits)  # -log D_k(G_k(z_k, l_k), l_k)
    loss.backward()  # also fills D_k's .grad; its next step clears it
    g_optimizer.step()
    return {"g_loss": loss.item()}


def _named(metrics: dict[str, float], size: int) -> dict[str, float]:
    """ "d_loss" -> "d16_loss", "d_real" -> "d16_real": which level a number belongs to."""
    return {f"{k[0]}{size}{k[1:]}": v for k, v in metrics.items() if k != "d_acc"}


def lapgan_step(state: TrainState) -> dict:
    """One LAPGAN iteration on a real batch from `state.batches`: at every level a D step and
    a G step, the finer levels conditioned on the real images' own coarser levels."""
    G, device, optimizers = state.generator, state.device, state.optimizers
    real = next(state.batches)  # (N, C, S, S)
    n, sizes = len(real), G.sizes  # sizes finest first, e.g. [16, 8]
    gaussian = gaussian_pyramid(real, len(G.levels))  # [I_0, ..., I_K], the real images
    # (1) The coarsest level: a plain GAN on I_K, with lesson 05's steps
    base, D = sizes[-1], state.nets[f"d{sizes[-1]}"]
    z = torch.randn(n, G.base_latent_dim, device=device)
    metrics = _named(d_step(G.base, D, optimizers[f"d{base}_optimizer"], gaussian[-1], z), base)
    stop_if_diverged(metrics, state.history, "D")
    z = torch.randn(n, G.base_latent_dim, device=device)  # fresh noise for G's step
    metrics |= _named(g_step(G.base, D, optimizers[f"g{base}_optimizer"], z), base)
    # (2) Each finer level, coarse to fine: a conditional GAN on the real bands
    for k in reversed(range(len(G.levels))):
        size, level, D = sizes[k], G.levels[k], state.nets[f"d{sizes[k]}"]
        condition, band = training_pair(gaussian[k])  # from the real images, never from G
        noise = torch.randn(n, 1, size, size, device=device)
        level_metrics = level_d_step(
            level, D, optimizers[f"d{size}_optimizer"], band, condition, noise
        )
        stop_if_diverged(_named(level_metrics, size), state.history, "D")
        noise = torch.randn(n, 1, size, size, device=device)  # fresh noise for G's step
        level_metrics |= level_g_step(level, D, optimizers[f"g{size}_optimizer"], condition, noise)
        metrics |= _named(level_metrics, size)
    return metrics


def make_lapgan_state(
    generator: nn.Module,
    discriminators: dict[str, nn.Module],
    images: Tensor,
    config: LapganConfig,
) -> TrainState:
    """The `TrainState` of a LAPGAN run: the generator (all levels), a discriminator a level
    ("d8", "d16", ...), and one Adam per level and player ("g8_optimizer", "d8_optimizer", ...)."""
    device = device_of(generator)
    sizes = generator.sizes
    expected = {f"d{s}" for s in sizes}
    if set(discriminators) != expected:
        got = sorted(discriminators)
        raise ValueError(f"one discriminator a level: {sorted(expected)}, got {got}")

    def adam(net: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.Adam(net.parameters(), lr=config.lr, betas=config.betas)

    g_parts = {sizes[-1]: generator.base} | dict(zip(sizes[:-1], generator.levels, strict=True))
    optimizers = {f"g{s}_optimizer": adam(g_parts[s]) for s in reversed(sizes)}
    optimizers |= {f"d{s}_optimizer": adam(discriminators[f"d{s}"]) for s in reversed(sizes)}
    return TrainState(
        nets={"generator": generator} | {f"d{s}": discriminators[f"d{s}"] for s in reversed(sizes)},
        optimizers=optimizers,
        config=config,
        data=images,
        batches=real_batches(images, config.batch_size, device),
        device=device,
    )


def train_lapgan(
    generator: nn.Module,
    discriminators: dict[str, nn.Module],
    images: Tensor,
    config: LapganConfig | None = None,
    *,
    callbacks: Sequence = (),
    resume_from: str | os.PathLike | None = None,
) -> History:
    """Train a `LAPGANGenerator` and its discriminators (`lapgan_discriminators`) on `images`
    (N, C, S, S) in [-1, 1] through `loop.fit`; return the history. The networks are trained
    in place, on the device the generator is on."""
    config = config or LapganConfig()
    state = make_lapgan_state(generator, discriminators, images, config)
    return fit(lapgan_step, state, config.steps, callbacks, resume_from=resume_from)
