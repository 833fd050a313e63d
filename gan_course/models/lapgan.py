r"""LAPGAN: a Laplacian pyramid of GANs (Denton, Chintala, Szlam & Fergus 2015).

An image is generated coarse to fine. The coarsest level $K$ is a plain GAN: $G_K$ turns noise
$z_K$ into a small image $\tilde I_K$ (here $8 \times 8$, lesson 07's DCGAN generator at that
size). Every finer level $k$ upsamples the image below it, $l_k = u(\tilde I_{k+1})$, and a
generator adds the detail the upsampling cannot know, a **band-pass image**:

$$\tilde h_k = G_k(z_k, l_k), \qquad \tilde I_k = l_k + \tilde h_k .$$

$G_k$ sees the blurry image and a plane of noise (one number a pixel, as in the paper) and
returns a residual of the same size; it never has to draw the whole image. Its discriminator
$D_k(h, l)$ judges a band together with the image it was added to, real ($h_k = I_k - u(I_{k+1})$
of a training image) or generated. While training, $l_k$ comes from the *real* image's pyramid,
so the levels train independently of each other (`gan_course.families.lapgan`); only sampling
chains them, each level conditioned on what the level below made.

`LAPGANGenerator` holds the whole chain. Its noise is one vector, $z = [z_K, z_{K-1}, \dots,
z_0]$ (the base's `base_latent_dim` numbers, then one plane of noise per finer level), so that
`latent_dim` and `forward(z)` behave like any generator's: `gan_course.latent.sample` draws it
from a fixed seed, and the metrics and the live monitor see the final images. `chain(z)`
returns every step of the way.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..data import latent_noise
from ..images import upsample
from .dcgan import DCGANGenerator, dcgan_widths, down_stack, to_logit
from .mlp import MLPDiscriminator


class LevelGenerator(nn.Module):
    """G_k: noise (N, 1, S, S) and the upsampled coarser image l (N, C, S, S) -> band (N, C, S, S).

    Convolutions at the level's own size, no up- or downsampling: the noise plane is stacked on
    l as one more channel, `depth` 3x3 conv + BatchNorm + ReLU blocks of `width` channels mix
    them (each block sees one pixel further: a 9x9 neighbourhood with depth 4), and a last 3x3
    conv writes the band. No Tanh: a band is a difference of two images, positive and
    negative, up to about 1.6 in size for the typed digits.
    """

    def __init__(
        self,
        channels: int = 1,  # image channels
        image_size: int = 16,  # this level's size
        width: int = 32,  # channels of the hidden maps
        depth: int = 3,  # conv + BatchNorm + ReLU blocks before the output conv
    ) -> None:
        super().__init__()
        self.image_shape = (channels, image_size, image_size)
        self.hparams = dict(channels=channels, image_size=image_size, width=width, depth=depth)
        layers: list[nn.Module] = []
        c_in = channels + 1  # l, and the noise plane
        for _ in range(depth):
            layers += [nn.Conv2d(c_in, width, 3, 1, 1, bias=False)]  # (N, width, S, S)
            layers += [nn.BatchNorm2d(width), nn.ReLU()]
            c_in = width
        layers.append(nn.Conv2d(width, channels, 3, 1, 1))  # (N, C, S, S): the band
        self.net = nn.Sequential(*layers)

    def forward(self, noise: Tensor, condition: Tensor) -> Tensor:
        if noise.dim() != 4 or noise.shape[1] != 1 or noise.shape[2:] != condition.shape[2:]:
            raise ValueError(
                f"the noise must be one plane (N, 1, H, W) of the condition's size; got noise "
                f"{tuple(noise.shape)} for the condition {tuple(condition.shape)}"
            )
        return self.net(torch.cat([condition, noise], dim=1))  # (N, C, S, S)


class BandDiscriminator(nn.Module):
    """D_k: a band h (N, C, S, S) and its condition l (N, C, S, S) -> real/fake logits (N,).

    Lesson 07's DCGAN discriminator reading the two stacked as 2C channels: it judges the
    detail *together with* the image it is added to, so a plausible band drawn on the wrong
    digit is caught. For S = 16, width 32: (N, 2, 16, 16) -> (N, 32, 8, 8) -> (N, 64, 4, 4) -> (N,).
    (The paper's code adds l to h before D's first convolution, so D sees the image l + h;
    stacked, the two channels let the first convolution make that sum, or anything else.)
    """

    def __init__(
        self,
        channels: int = 1,  # image channels
        image_size: int = 16,  # this level's size, a power of two >= 8
        width: int = 32,  # channels after the first layer; doubled at every halving
    ) -> None:
        super().__init__()
        self.hparams = dict(channels=channels, image_size=image_size, width=width)
        self.features = down_stack(2 * channels, image_size, width)  # (N, C', 4, 4)
        self.head = to_logit(dcgan_widths(image_size, width)[0])  # (N, 1, 1, 1)

    def forward(self, band: Tensor, condition: Tensor) -> Tensor:
        pair = torch.cat([band, condition], dim=1)  # (N, 2C, S, S): the band beside its image
        return self.head(self.features(pair)).flatten()  # (N,) logits


def sample_chain(
    base: nn.Module, levels: list[nn.Module], z: Tensor, planes: list[Tensor]
) -> list[Tensor]:
    """Sample coarse to fine: [I_K, I_{K-1}, ..., I_0], coarsest first.

    `base` makes I_K from z; `levels` and `planes` are the finer levels' generators and noise
    planes, finest first (index 0 makes the full-size band). At each level the image below is
    upsampled, l_k = u(I_{k+1}), and the generator's band is added to it: I_k = l_k + G_k(z_k, l_k).
    """
    images = [base(z)]  # I_K (N, C, base, base)
    for generator, noise in zip(reversed(levels), reversed(planes), strict=True):
        condition = upsample(images[-1])  # l_k = u(I_{k+1}): the level below, made here
        images.append(condition + generator(noise, condition))  # I_k = l_k + h_k
    return images


def pyramid_sizes(image_size: int, base_size: int) -> list[int]:
    """The sizes of the levels, finest first: 16, 8 for image_size 16, base_size 8."""
    levels = round(math.log2(image_size / base_size))
    if base_size < 8 or levels < 1 or base_size * 2**levels != image_size:
        raise ValueError(
            f"image_size {image_size} must be base_size {base_size} (at least 8) times a power of 2"
        )
    return [image_size // 2**k for k in range(levels + 1)]


class LAPGANGenerator(nn.Module):
    """Noise z (N, latent_dim) -> images (N, channels, image_size, image_size), coarse to fine.

    `base`: G_K, a DCGAN generator of base_size images from the first `base_latent_dim`
    numbers of z. `levels[k]`: G_k for the finer levels, finest first (levels[0] makes the
    image_size band). The rest of z is their noise planes, coarsest level's first.
    For image_size 16, base 8: z = [z_8 (32), z_16 (256)] -> 8x8 -> upsample + band -> 16x16.
    """

    def __init__(
        self,
        image_size: int = 16,  # the final size
        base_size: int = 8,  # the coarsest level's size: image_size / 2^K
        base_latent_dim: int = 32,  # G_K's noise z_K
        base_width: int = 64,  # G_K's width (lesson 07's DCGAN generator at base_size)
        width: int = 32,  # each G_k's hidden channels
        depth: int = 3,  # each G_k's conv blocks
        channels: int = 1,  # image channels
    ) -> None:
        super().__init__()
        self.hparams = dict(
            image_size=image_size,
            base_size=base_size,
            base_latent_dim=base_latent_dim,
            base_width=base_width,
            width=width,
            depth=depth,
            channels=channels,
        )
        self.sizes = pyramid_sizes(image_size, base_size)  # e.g. [16, 8], finest first
        self.image_shape = (channels, image_size, image_size)
        self.base = DCGANGenerator(base_latent_dim, channels, base_size, base_width)
        self.levels = nn.ModuleList(
            LevelGenerator(channels, size, width, depth) for size in self.sizes[:-1]
        )
        self.base_latent_dim = base_latent_dim
        self.latent_dim = base_latent_dim + sum(s * s for s in self.sizes[:-1])

    def split_noise(self, z: Tensor) -> tuple[Tensor, list[Tensor]]:
        """z (N, latent_dim) -> z_K (N, base_latent_dim) and the noise planes (N, 1, S, S) of
        the finer levels, finest first (as `levels`)."""
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must be (N, {self.latent_dim}), got {tuple(z.shape)}")
        planes, start = [], self.base_latent_dim
        for size in reversed(self.sizes[:-1]):  # coarsest first, as they are stored in z
            planes.append(z[:, start : start + size * size].view(len(z), 1, size, size))
            start += size * size
        return z[:, : self.base_latent_dim], planes[::-1]

    def chain(self, z: Tensor) -> list[Tensor]:
        """Every image of the way, coarsest first: [I_K, ..., I_0] (see `sample_chain`)."""
        z_base, planes = self.split_noise(z)
        return sample_chain(self.base, list(self.levels), z_base, planes)

    def forward(self, z: Tensor) -> Tensor:
        """The final images, clamped to [-1, 1] (the data's range) like a Tanh output."""
        return self.chain(z)[-1].clamp(-1, 1)

    def sample_noise(self, n: int, device=None, generator=None) -> Tensor:
        """z ~ N(0, I), shape (n, latent_dim): the base's noise and every noise plane."""
        return latent_noise(n, self.latent_dim, device, generator)


def lapgan_discriminators(
    image_size: int = 16,
    base_size: int = 8,
    width: int = 32,
    channels: int = 1,
    base_hidden: tuple[int, ...] = (256, 256),
) -> dict[str, nn.Module]:
    """One discriminator a level, by size: {"d8": D_K, "d16": D_k (a `BandDiscriminator`), ...}.

    D_K judges the whole base_size images: a fully connected `MLPDiscriminator` with
    `base_hidden` units: an 8x8 image is only 64 numbers, and a DCGAN discriminator of 8x8
    images would be one convolution deep, too weak to teach G_K. (The paper's code,
    `facebook/eyescream`, builds its plain CIFAR-10 GANs from fully connected layers too.)
    """
    sizes = pyramid_sizes(image_size, base_size)
    base = MLPDiscriminator(channels * sizes[-1] ** 2, base_hidden)
    nets: dict[str, nn.Module] = {f"d{sizes[-1]}": base}
    for size in reversed(sizes[:-1]):
        nets[f"d{size}"] = BandDiscriminator(channels, size, width)
    return nets
