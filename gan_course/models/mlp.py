"""The simplest GAN networks: multilayer perceptrons (Goodfellow et al. 2014).

The generator maps noise z ~ N(0, I) to a sample; the discriminator maps a sample to one logit
(a real number, > 0 means "looks real"). Both work for 2-D points and, with `image_shape`, for
small images (flattened on the way in, reshaped on the way out).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm as sn

from ..data import latent_noise


def _mlp(sizes: list[int], activation: nn.Module) -> list[nn.Module]:
    """Linear layers between consecutive `sizes`, `activation` after every one but the last."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation)
    return layers


class MLPGenerator(nn.Module):
    """Noise (N, latent_dim) -> samples (N, out_dim), or images (N, *image_shape) in [-1, 1]."""

    def __init__(
        self,
        latent_dim: int = 2,  # size of the noise vector z
        out_dim: int = 2,  # size of one sample (ignored when image_shape is given)
        hidden: tuple[int, ...] = (128, 128),  # widths of the hidden layers
        image_shape: tuple[int, ...] | None = None,  # e.g. (1, 8, 8): reshape + tanh output
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape) if image_shape else None
        self.out_dim = math.prod(self.image_shape) if self.image_shape else out_dim
        self.hparams = dict(
            latent_dim=latent_dim,
            out_dim=self.out_dim,
            hidden=list(hidden),
            image_shape=list(self.image_shape) if self.image_shape else None,
        )
        layers = _mlp([latent_dim, *hidden, self.out_dim], nn.ReLU())
        if self.image_shape:
            layers.append(nn.Tanh())  # images live in [-1, 1]; 2-D points are unbounded
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        out = self.net(z)  # (N, out_dim)
        if self.image_shape:
            out = out.view(len(z), *self.image_shape)  # (N, C, H, W)
        return out

    def sample_noise(self, n: int, device=None, generator: torch.Generator | None = None):
        """z ~ N(0, I), shape (n, latent_dim)."""
        return latent_noise(n, self.latent_dim, device, generator)


class MLPDiscriminator(nn.Module):
    """Samples (N, in_dim) or images (N, C, H, W) -> real/fake logits (N,).

    LeakyReLU(0.2) keeps a gradient flowing for negative inputs, which the generator needs:
    its only learning signal is the gradient of D's output with respect to the sample.
    """

    def __init__(
        self,
        in_dim: int = 2,  # size of one sample (flattened image size for images)
        hidden: tuple[int, ...] = (128, 128),  # widths of the hidden layers
        spectral_norm: bool = False,  # divide each weight by its largest singular value (09)
    ) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.hparams = dict(in_dim=in_dim, hidden=list(hidden))
        if spectral_norm:  # only recorded when on, so older checkpoints still load
            self.hparams["spectral_norm"] = True
        layers = _mlp([in_dim, *hidden, 1], nn.LeakyReLU(0.2))
        if spectral_norm:  # Miyato et al. 2018: each layer 1-Lipschitz, so D is too
            layers = [sn(m) if isinstance(m, nn.Linear) else m for m in layers]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        logits = self.net(x.flatten(1))  # (N, 1)
        return logits.squeeze(1)  # (N,): a logit, not a probability; no sigmoid here
