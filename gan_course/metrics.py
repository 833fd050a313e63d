"""How good is a generator? Numbers we can trust because we know the true distribution.

For a 2-D Gaussian mixture we follow the protocol of VEEGAN (Srivastava et al. 2017) and PacGAN
(Lin et al. 2018): draw 2,500 samples, call a sample *high quality* when it lies within 3 standard
deviations of its nearest mode, and call a mode *covered* when at least one high-quality sample
lands on it (`min_count` raises that bar).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .data import GaussianMixture


def d_accuracy(real_logits: Tensor, fake_logits: Tensor) -> float:
    """Fraction of samples D classifies right: real when logit > 0, fake when logit < 0.

    Pooled over both batches, so unequal batch sizes weigh each sample equally.
    """
    correct = torch.cat([real_logits > 0, fake_logits < 0]).float()
    return correct.mean().item()


@dataclass(frozen=True)
class ModeStats:
    """How `n` samples spread over the modes of a mixture."""

    modes_covered: int  # modes with >= min_count high-quality samples
    n_modes: int
    high_quality: float  # fraction of samples within `threshold` std of their nearest mode
    counts: tuple[int, ...]  # high-quality samples per mode
    reverse_kl: float  # KL(generated mode histogram || uniform), over high-quality samples

    def __str__(self) -> str:
        return (
            f"{self.modes_covered}/{self.n_modes} modes covered, "
            f"{100 * self.high_quality:.1f}% high-quality samples, reverse KL {self.reverse_kl:.3f}"
        )


def mode_stats(
    samples: Tensor, mixture: GaussianMixture, threshold: float = 3.0, min_count: int = 1
) -> ModeStats:
    """Mode coverage and quality of `samples` (N, D) against `mixture`'s modes."""
    samples = samples.detach().float().cpu()
    dist = torch.cdist(samples, mixture.means)  # (N, K)
    nearest_dist, nearest = dist.min(dim=1)
    good = nearest_dist <= threshold * mixture.std
    counts = torch.bincount(nearest[good], minlength=len(mixture.means))
    covered = int((counts >= min_count).sum())
    if good.any():
        p = counts.float() / counts.sum()
        nonzero = p > 0
        reverse_kl = float((p[nonzero] * (p[nonzero] * len(p)).log()).sum())
    else:
        reverse_kl = float("inf")
    return ModeStats(
        covered, len(mixture.means), float(good.float().mean()), tuple(counts.tolist()), reverse_kl
    )


@torch.no_grad()
def generator_mode_stats(generator, mixture: GaussianMixture, n: int = 2500, seed: int = 0):
    """`mode_stats` of `n` samples from `generator`, drawn with a fixed seed (RNG untouched)."""
    device = next(generator.parameters()).device
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        noise = torch.randn(n, generator.latent_dim)
    was_training = generator.training
    generator.eval()
    samples = generator(noise.to(device))
    generator.train(was_training)
    return mode_stats(samples, mixture)
