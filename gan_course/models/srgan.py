r"""Super-resolution networks: SRResNet and SRGAN's discriminator (Ledig et al. 2017), small.

**SRResNet** maps a low-resolution image $x$ (N, C, h, w) to one $s$ times larger. It works at
the low resolution for as long as it can, where convolutions are cheap: a head convolution,
residual blocks, a long skip over them, and only then the upsampler, $\log_2 s$ times a
convolution to $4\times$ the channels and a **pixel shuffle** (Shi et al. 2016) that rearranges
each group of 4 channels into a $2 \times 2$ block of pixels. Two changes from the paper, both
for a laptop CPU: the residual blocks have no batch norm (EDSR, Lim et al. 2017, found it hurts
super-resolution and it costs time), and the network predicts only what bicubic interpolation
misses, $G(x) = \mathrm{bicubic}(x) + r(x)$ (VDSR, Kim et al. 2016), with the last layer
initialised to zero, so that training starts from bicubic and never has to learn to copy.

**The discriminator** is the paper's VGG-like stack at a quarter of the width: pairs of $3
\times 3$ convolutions, the second of each with stride 2 and twice the channels, LeakyReLU(0.2),
then a global average (the paper: a dense layer of 1,024) and one logit an image. No batch norm:
SRGAN's discriminator has it, but our batches of 16 patches make its statistics noisy.

**The feature network** gives SRGAN's content loss, $\frac{1}{CHW}\lVert \phi(G(x)) -
\phi(y)\rVert^2$, with $\phi$ a frozen network's feature maps. The paper's $\phi$ is VGG19
trained on ImageNet; nothing can be downloaded here, so `FeatureNet` is a small VGG-like stack
that the course trains itself, on the training photographs (`families.superres`), or leaves at
its random initialisation: lesson 14 measures both.
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn


class ResidualBlock(nn.Module):
    """conv 3x3 -> PReLU -> conv 3x3, added to the input: (N, w, h, w') -> the same shape."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, 1, 1),
            nn.PReLU(width),
            nn.Conv2d(width, width, 3, 1, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class SRResNet(nn.Module):
    """Low-resolution images (N, C, h, w) in [-1, 1] -> (N, C, s*h, s*w), about [-1, 1].

    `scale` must be a power of 2. Unbounded output (no Tanh): what bicubic overshoots, the
    residual may too; metrics clip to the valid range.
    """

    def __init__(self, channels: int = 1, width: int = 32, blocks: int = 4, scale: int = 4):
        super().__init__()
        if scale < 2 or scale & (scale - 1):
            raise ValueError(f"scale must be a power of 2 (2, 4, 8), got {scale}")
        self.scale = scale
        self.head = nn.Sequential(nn.Conv2d(channels, width, 3, 1, 1), nn.PReLU(width))
        self.body = nn.Sequential(
            *[ResidualBlock(width) for _ in range(blocks)],
            nn.Conv2d(width, width, 3, 1, 1),  # then the long skip from the head
        )
        upsampler = []
        for _ in range(int(math.log2(scale))):
            upsampler += [
                nn.Conv2d(width, 4 * width, 3, 1, 1),  # (N, 4w, h, w')
                nn.PixelShuffle(2),  # (N, w, 2h, 2w'): 4 channels -> a 2x2 block of pixels
                nn.PReLU(width),
            ]
        self.upsampler = nn.Sequential(*upsampler)
        self.tail = nn.Conv2d(width, channels, 3, 1, 1)  # (N, C, s*h, s*w)
        nn.init.zeros_(self.tail.weight)  # r(x) = 0 at the start: G begins as bicubic
        nn.init.zeros_(self.tail.bias)

    def forward(self, x: Tensor) -> Tensor:
        h = self.head(x)  # (N, w, h, w')
        r = self.tail(self.upsampler(h + self.body(h)))  # (N, C, s*h, s*w'): what bicubic misses
        return upsample_bicubic(x, self.scale) + r


def upsample_bicubic(x: Tensor, scale: int) -> Tensor:
    """Bicubic interpolation by `scale`: (N, C, h, w) -> (N, C, s*h, s*w)."""
    return F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False)


def _vgg_stack(channels: int, width: int, pairs: int) -> list[nn.Module]:
    """`pairs` times: conv 3x3 stride 1, conv 3x3 stride 2 to twice the width, LeakyReLU(0.2)."""
    layers, c_in = [], channels
    for i in range(pairs):
        c_out = width * 2**i
        layers += [nn.Conv2d(c_in, c_out, 3, 1, 1), nn.LeakyReLU(0.2)]
        layers += [nn.Conv2d(c_out, c_out, 3, 2, 1), nn.LeakyReLU(0.2)]  # halves H and W
        c_in = c_out
    return layers


class SRDiscriminator(nn.Module):
    """High-resolution images (N, C, H, W) in [-1, 1], H and W divisible by 8 -> logits (N,)."""

    def __init__(self, channels: int = 1, width: int = 16, pairs: int = 3) -> None:
        super().__init__()
        self.features = nn.Sequential(*_vgg_stack(channels, width, pairs))  # (N, 4w, H/8, W/8)
        self.head = nn.Linear(width * 2 ** (pairs - 1), 1)

    def forward(self, x: Tensor) -> Tensor:
        pooled = self.features(x).mean(dim=(2, 3))  # (N, 4w): the average over the image
        return self.head(pooled).squeeze(1)  # (N,)


class FeatureNet(nn.Module):
    """A small VGG-like feature network: images (N, C, H, W) -> feature maps (N, 2w, H/4, W/4)
    from `forward`, and logits (N, classes) from `classify` (how the course trains it).

    Frozen, its feature maps give SRGAN's content loss.
    """

    def __init__(self, channels: int = 1, width: int = 16, classes: int = 9) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, width, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(width, width, 3, 1, 1), nn.ReLU(),
            nn.AvgPool2d(2),  # (N, w, H/2, W/2)
            nn.Conv2d(width, 2 * width, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(2 * width, 2 * width, 3, 1, 1), nn.ReLU(),
            nn.AvgPool2d(2),  # (N, 2w, H/4, W/4)
        )  # fmt: skip
        self.head = nn.Linear(2 * width, classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.features(x)

    def classify(self, x: Tensor) -> Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))  # (N, classes)
