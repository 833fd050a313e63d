"""What the live monitor shows of a generator while it trains: one view per kind of data.

`callbacks.LiveMonitor(view)` redraws the loss curves, D(x) and D(G(z)), and a picture of the
generator; the view draws that picture, so the monitor never asks what kind of generator it has.
A view is any object with two methods:

    begin(state)               once, when training begins: fix what the pictures will share
                               (the noise, the real samples), leaving the learner's RNG alone
    draw(state, ax, title)     draw the generator as it is now on the matplotlib axes `ax`

The views here: `NoiseGrid`, images from one fixed batch of noise (one class a column for a
conditional generator), and `GrowingGrid`, the same for a generator that grows (with its size
and fade); `MixtureView`, GAN Lab's 2-D view of a mixture of Gaussians;
`TranslationGrid`, fixed source images above what an image-to-image generator makes of them
(and the targets, when there are). Later families bring theirs (text samples) beside their step.
"""

from __future__ import annotations

import torch
from torch import Tensor

from . import viz
from .latent import class_labels, fixed_noise, sample


class NoiseGrid:
    """A grid of images from one fixed batch of noise: the same latent points, step after step.

    For a conditional generator (one with `n_classes`) the labels go 0, 1, ..., a class a column.
    """

    def __init__(self, n: int = 64, nrow: int = 8, seed: int = 1234) -> None:
        self.n, self.nrow, self.seed = n, nrow, seed

    def begin(self, state) -> None:
        generator = state.generator
        self.z = fixed_noise(self.n, generator.latent_dim, self.seed)
        n_classes = getattr(generator, "n_classes", None)
        self.labels = None if n_classes is None else class_labels(self.n, n_classes)
        self.columns = n_classes or self.nrow

    def draw(self, state, ax, title: str) -> None:
        images = sample(state.generator, z=self.z, labels=self.labels)
        viz.show_images(images, nrow=self.columns, title=title, ax=ax)


class GrowingGrid(NoiseGrid):
    """`NoiseGrid` for a growing generator (`gan_course.models.progan`): its images at the size it
    has reached, titled with that size and, while a new block fades in, its alpha."""

    def draw(self, state, ax, title: str) -> None:
        G = state.generator
        size = G.sizes[G.stage]
        fading = f", fading in: alpha {G.alpha:.2f}" if G.stage and G.alpha < 1 else ""
        super().draw(state, ax, f"{title}: {size}x{size}{fading}")


class MixtureView:
    """GAN Lab's view of a 2-D mixture (Kahng et al. 2018): D's verdict over the plane, fixed
    real samples, G's samples from fixed noise, and where G's loss pushes them."""

    def __init__(self, mixture, n: int = 512, seed: int = 1234, lim: float = 3.0) -> None:
        self.mixture, self.n, self.seed, self.lim = mixture, n, seed, lim

    def begin(self, state) -> None:
        self.z = fixed_noise(self.n, state.generator.latent_dim, self.seed)
        with torch.random.fork_rng(devices=[]):  # the mixture samples from the global RNG
            torch.manual_seed(self.seed + 1)
            self.real = self.mixture.sample(self.n)

    def draw(self, state, ax, title: str) -> None:
        viz.gan_lab_view(
            state.generator,
            state.discriminator,
            self.real,
            self.z,
            ax=ax,
            lim=self.lim,
            title=title,
        )


class TranslationGrid:
    """Fixed source images (top row), what the generator `net` makes of them (next row), and
    their targets (bottom row) when there are targets: for pix2pix, CycleGAN, super-resolution.
    """

    def __init__(self, sources: Tensor, targets: Tensor | None = None, net: str = "generator"):
        self.sources, self.targets, self.net = sources, targets, net

    def begin(self, state) -> None:
        pass  # the sources are fixed already

    def draw(self, state, ax, title: str) -> None:
        made = sample(getattr(state, self.net), inputs=self.sources).cpu()
        rows = [self.sources.cpu(), made] + (
            [self.targets.cpu()] if self.targets is not None else []
        )
        viz.show_images(torch.cat(rows), nrow=len(self.sources), title=title, ax=ax)
