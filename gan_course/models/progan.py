r"""Progressive growing of GANs (Karras, Aila, Laine & Lehtinen 2018), small.

Both networks start at $4 \times 4$ and **grow**: a new block doubles the resolution, $4 \to 8 \to
16$. A new block is not switched on at once; it **fades in**. While $\alpha$ goes from 0 to 1, the
generator's output is

$$x = (1 - \alpha)\, \mathrm{up}\big(\mathrm{toRGB}_{old}(h)\big)
+ \alpha\, \mathrm{toRGB}_{new}\big(\mathrm{block}_{new}(\mathrm{up}(h))\big),$$

with $h$ the features at the old resolution and $\mathrm{up}$ a nearest-neighbour doubling, so that
at $\alpha = 0$ the grown network draws exactly what the old one drew, doubled. The discriminator
mirrors it: it reads a new-size image through its new block and, with weight $1 - \alpha$, through
the old input layer on the image halved by average pooling.

Three more of the paper's ideas, each one small layer here:

* **pixel norm** (`PixelNorm`, in G after every convolution): each pixel's feature vector divided
  by its root mean square, $b = a / \sqrt{\tfrac1C \sum_j a_j^2 + \epsilon}$, so that no
  feature can grow without bound when G and D escalate (Section 4.2);
* **minibatch standard deviation** (`MinibatchStdDev`, at the end of D): the standard deviation of
  every feature at every pixel over the batch, averaged into one number and added as one more
  feature map, so D can see how *varied* a batch is and G is pushed away from collapse (Section 3);
* **equalised learning rate** (`EqualizedConv2d`, `EqualizedLinear`, every layer): weights
  drawn from $\mathcal{N}(0, 1)$ and scaled at **run time** by He's constant
  $c = \sqrt{2 / \text{fan in}}$, $\hat w = c\, w$. The forward pass is He's initialisation;
  the difference is in the update: Adam moves every stored weight by about the same step, so
  with the scale outside the parameter every layer learns at the same speed relative to its
  size (Section 4.1).

The networks here take `stage` (0 for $4 \times 4$, 1 for $8 \times 8$, ...) and `alpha` as
attributes, which the training step sets (`gan_course.families.progressive`); `forward` draws at
the current stage's size.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data import latent_noise

# ---------------------------------------------------------------------------- the paper's layers


class EqualizedConv2d(nn.Module):
    """A convolution with the equalised learning rate: the stored weight is N(0, 1), the weight
    used is `scale` times it, scale = gain / sqrt(fan_in), applied in every forward pass."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int, padding: int = 0, gain: float = math.sqrt(2)
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel))  # N(0, 1)
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.scale = gain / math.sqrt(c_in * kernel * kernel)  # He's constant, not a parameter
        self.padding = padding

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)


class EqualizedLinear(nn.Module):
    """A fully connected layer with the equalised learning rate (see `EqualizedConv2d`).

    `lr_mul` slows the layer down by that factor (StyleGAN's mapping network uses 0.01): the
    stored numbers are 1 / lr_mul times larger and scaled back at run time, so Adam's steps of
    about lr move the weight used by lr * lr_mul. `bias_init` is the bias's starting value."""

    def __init__(
        self,
        n_in: int,
        n_out: int,
        gain: float = math.sqrt(2),
        lr_mul: float = 1.0,
        bias_init: float = 0.0,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_out, n_in) / lr_mul)  # N(0, 1) / lr_mul
        self.bias = nn.Parameter(torch.full((n_out,), bias_init / lr_mul))
        self.scale, self.lr_mul = gain / math.sqrt(n_in) * lr_mul, lr_mul

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class PixelNorm(nn.Module):
    """(N, C, ...) -> the same, every pixel's C features divided by their root mean square."""

    def __init__(self, eps: float = 1e-8) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        return x / torch.sqrt(x.pow(2).mean(dim=1, keepdim=True) + self.eps)  # dim 1: features


class MinibatchStdDev(nn.Module):
    """(N, C, H, W) -> (N, C + 1, H, W): one more feature map, everywhere the same number, the
    standard deviation over the batch of each feature at each pixel, averaged over all of them.

    The paper's text, over the whole minibatch; its code splits the batch into groups of 4
    and gives each group its own number, a detail left out here.
    """

    def __init__(self, eps: float = 1e-8) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        variance = x.var(dim=0, unbiased=False)  # (C, H, W): over the batch, divided by N
        spread = torch.sqrt(variance + self.eps).mean()  # one number for the whole batch
        n, _, height, width = x.shape
        return torch.cat([x, spread.expand(n, 1, height, width)], dim=1)


def double(x: Tensor) -> Tensor:
    """(N, C, H, W) -> (N, C, 2H, 2W), every pixel repeated 2x2: the paper's upsampling."""
    return F.interpolate(x, scale_factor=2, mode="nearest")


def halve(x: Tensor) -> Tensor:
    """(N, C, H, W) -> (N, C, H/2, W/2), each 2x2 block averaged: the paper's downsampling."""
    return F.avg_pool2d(x, 2)


def fade_in(old: Tensor, new: Tensor, alpha: float) -> Tensor:
    r"""The grown network's output while its new block fades in: `old` is the old block's image
    (N, C, S, S), `new` the new block's (N, C, 2S, 2S); $(1 - \alpha)\,\mathrm{up}(old) + \alpha\,
    new$. At alpha = 0 it is the old network's image, doubled; at alpha = 1 the new block's."""
    return (1 - alpha) * double(old) + alpha * new


# ---------------------------------------------------------------------------- the networks


def stage_sizes(image_size: int, widths: tuple[int, ...]) -> list[int]:
    """The resolutions the networks grow through, [4, 8, ..., image_size], one width each."""
    stages = round(math.log2(image_size)) - 1 if image_size > 0 else 0
    if image_size < 8 or 2 ** (stages + 1) != image_size:
        raise ValueError(f"image_size must be a power of two >= 8, not {image_size}")
    sizes = [4 * 2**k for k in range(stages)]
    if len(widths) != len(sizes):
        raise ValueError(f"one width a stage {sizes}, got {tuple(widths)}")
    return sizes


def _conv(c_in: int, c_out: int, kernel: int = 3) -> list[nn.Module]:
    return [EqualizedConv2d(c_in, c_out, kernel, padding=kernel // 2), nn.LeakyReLU(0.2)]


class ProgressiveGenerator(nn.Module):
    """Noise z (N, latent_dim) -> images (N, channels, S, S) at the current stage's size S.

    blocks[0]: z -> 4x4 features (a dense layer to 4x4, then a 3x3 conv); blocks[k]: double,
    then two 3x3 convs; pixel norm after each. to_rgb[k]: a 1x1 conv from block k's features
    to an image, then a Tanh. `stage` and `alpha` choose the output.

    The paper's toRGB is linear. The typed digits are nearly binary (-1 paper, +1 ink), and a
    linear output overshoots them: in the course's runs (seed 0, lesson 12's schedule) 61 % of
    the pixels of a linear G's samples lay outside [-1, 1], and its FD was 56 against 30 with the
    Tanh, which keeps every stage's image, and so every blend of two, in the data's range.
    """

    def __init__(
        self,
        latent_dim: int = 32,
        channels: int = 1,
        image_size: int = 16,
        widths: tuple[int, ...] = (32, 32, 16),  # features at 4x4, 8x8, 16x16
    ) -> None:
        super().__init__()
        self.sizes = stage_sizes(image_size, widths)
        self.hparams = dict(
            latent_dim=latent_dim, channels=channels, image_size=image_size, widths=list(widths)
        )
        self.latent_dim, self.image_shape = latent_dim, (channels, image_size, image_size)
        first = nn.Sequential(
            PixelNorm(),  # z itself is normalised first (the paper's G, Table 2)
            EqualizedLinear(latent_dim, widths[0] * 16, gain=math.sqrt(2) / 4),
            nn.Unflatten(1, (widths[0], 4, 4)),  # (N, w0, 4, 4)
            nn.LeakyReLU(0.2),
            PixelNorm(),
            *_conv(widths[0], widths[0]),
            PixelNorm(),
        )
        blocks = [first]
        for c_in, c_out in zip(widths[:-1], widths[1:], strict=True):
            blocks.append(
                nn.Sequential(*_conv(c_in, c_out), PixelNorm(), *_conv(c_out, c_out), PixelNorm())
            )
        self.blocks = nn.ModuleList(blocks)
        self.to_rgb = nn.ModuleList(  # a Tanh: the paper's toRGB is linear (see the docstring)
            nn.Sequential(EqualizedConv2d(w, channels, 1, gain=1), nn.Tanh()) for w in widths
        )
        self.stage, self.alpha = len(self.sizes) - 1, 1.0  # grown, faded in: the final network

    @property
    def size(self) -> int:
        return self.sizes[self.stage]

    def forward(self, z: Tensor) -> Tensor:
        h = self.blocks[0](z)  # (N, w0, 4, 4)
        for k in range(1, self.stage + 1):
            old = h
            h = self.blocks[k](double(h))  # (N, w_k, 2S, 2S)
        image = self.to_rgb[self.stage](h)
        if self.stage > 0 and self.alpha < 1:  # the new block still fading in
            image = fade_in(self.to_rgb[self.stage - 1](old), image, self.alpha)
        return image

    def sample_noise(self, n: int, device=None, generator=None) -> Tensor:
        return latent_noise(n, self.latent_dim, device, generator)


class ProgressiveDiscriminator(nn.Module):
    """Images (N, channels, S, S) at the current stage's size -> logits (N,).

    from_rgb[k]: a 1x1 conv from an image of size 4 * 2^k to block k's features; blocks[k]
    (k > 0): two 3x3 convs, then halve; blocks[0]: minibatch stddev, a 3x3 conv, a dense layer
    over the 4x4 map, and one linear output.
    """

    def __init__(
        self,
        channels: int = 1,
        image_size: int = 16,
        widths: tuple[int, ...] = (32, 32, 16),  # features at 4x4, 8x8, 16x16
    ) -> None:
        super().__init__()
        self.sizes = stage_sizes(image_size, widths)
        self.hparams = dict(channels=channels, image_size=image_size, widths=list(widths))
        last = nn.Sequential(
            MinibatchStdDev(),  # (N, w0 + 1, 4, 4)
            *_conv(widths[0] + 1, widths[0]),
            nn.Flatten(),
            EqualizedLinear(widths[0] * 16, widths[0]),
            nn.LeakyReLU(0.2),
            EqualizedLinear(widths[0], 1, gain=1),  # (N, 1)
        )
        blocks = [last]
        for c_in, c_out in zip(widths[1:], widths[:-1], strict=True):  # block k: w_k -> w_{k-1}
            blocks.append(nn.Sequential(*_conv(c_in, c_in), *_conv(c_in, c_out)))
        self.blocks = nn.ModuleList(blocks)
        self.from_rgb = nn.ModuleList(
            nn.Sequential(EqualizedConv2d(channels, w, 1), nn.LeakyReLU(0.2)) for w in widths
        )
        self.stage, self.alpha = len(self.sizes) - 1, 1.0

    def forward(self, images: Tensor) -> Tensor:
        size = self.sizes[self.stage]
        if images.shape[-1] != size:
            raise ValueError(f"stage {self.stage} reads {size}x{size} images, got {images.shape}")
        h = self.from_rgb[self.stage](images)
        if self.stage > 0:
            h = halve(self.blocks[self.stage](h))  # (N, w_{k-1}, S/2, S/2)
            if self.alpha < 1:  # the old input layer, on the image halved, fades out
                old = self.from_rgb[self.stage - 1](halve(images))
                h = (1 - self.alpha) * old + self.alpha * h
            for k in range(self.stage - 1, 0, -1):
                h = halve(self.blocks[k](h))
        return self.blocks[0](h).flatten()  # (N,)
