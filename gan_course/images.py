r"""Image helpers: halving and doubling images, and the Gaussian and Laplacian pyramids.

**Down and up.** `downsample` blurs an image with the binomial kernel $[1, 3, 3, 1]/8$ (along
each axis) and keeps every second pixel: each coarse pixel is a weighted average of the $4
\times 4$ fine pixels around the centre of its $2 \times 2$ block. `upsample` is bilinear
interpolation (`F.interpolate`, `align_corners=False`), which puts the coarse pixels at the same
centres, so that `upsample(downsample(x))` is a blurred `x`, not a shifted one. (Bilinear
doubling is the same kernel run backwards: a transposed convolution with $[1, 3, 3, 1]/4$.)

**Pyramids** (Burt & Adelson 1983; Denton et al. 2015). The Gaussian pyramid of an
image $I$ is $[I_0, I_1, \dots, I_K]$ with $I_0 = I$ and $I_{k+1} = d(I_k)$: the same image at
half the size, and half again. The Laplacian pyramid keeps what each halving threw away,

$$h_k = I_k - u(I_{k+1}) \quad (k < K), \qquad h_K = I_K,$$

band-pass images an octave apart, plus the small low-pass residual $I_K$. It is exactly
invertible, whatever $d$ and $u$ are, as long as the same $u$ serves both ways:
$I_k = u(I_{k+1}) + h_k$, from the coarsest level up (`reconstruct`). Lists are ordered from
the finest level (index 0, full size) to the coarsest (index K), as in the paper.

Every function takes images `(N, C, H, W)` with H and W divisible by 2 at every level.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

BLUR_KERNEL = (1.0, 3.0, 3.0, 1.0)  # binomial weights of `downsample`, divided by their sum 8


def _check_images(images: Tensor, what: str = "images") -> None:
    if not isinstance(images, Tensor) or images.dim() != 4:
        shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise ValueError(f"{what} must be a tensor (N, C, H, W), got {shape}")


def downsample(images: Tensor) -> Tensor:
    """Blur with [1, 3, 3, 1]/8 along each axis and keep every second pixel:
    (N, C, H, W) -> (N, C, H/2, W/2). Borders are padded by repeating the edge pixel."""
    _check_images(images)
    n, c, h, w = images.shape
    if h % 2 or w % 2:
        raise ValueError(f"downsample halves the size: H and W must be even, got {h}x{w}")
    kernel_1d = torch.tensor(BLUR_KERNEL, dtype=images.dtype, device=images.device)
    kernel = torch.outer(kernel_1d, kernel_1d) / kernel_1d.sum() ** 2  # (4, 4), sums to 1
    padded = F.pad(images.reshape(n * c, 1, h, w), (1, 1, 1, 1), mode="replicate")
    coarse = F.conv2d(padded, kernel.view(1, 1, 4, 4), stride=2)  # (N*C, 1, H/2, W/2)
    return coarse.reshape(n, c, h // 2, w // 2)


def upsample(images: Tensor) -> Tensor:
    """Bilinear doubling: (N, C, H, W) -> (N, C, 2H, 2W)."""
    _check_images(images)
    return F.interpolate(images, scale_factor=2, mode="bilinear", align_corners=False)


def gaussian_pyramid(images: Tensor, levels: int) -> list[Tensor]:
    """[I_0, I_1, ..., I_levels]: the images, then `levels` times halved (finest first)."""
    _check_images(images)
    pyramid = [images]
    for _ in range(levels):
        pyramid.append(downsample(pyramid[-1]))
    return pyramid


def laplacian_pyramid(images: Tensor, levels: int) -> list[Tensor]:
    """[h_0, ..., h_{levels-1}, I_levels]: the band-pass images h_k = I_k - u(I_{k+1}),
    finest first, then the low-pass residual. `reconstruct` inverts it exactly."""
    gaussian = gaussian_pyramid(images, levels)
    bands = [
        fine - upsample(coarse) for fine, coarse in zip(gaussian[:-1], gaussian[1:], strict=True)
    ]
    return [*bands, gaussian[-1]]


def reconstruct(pyramid: list[Tensor]) -> Tensor:
    """The image a Laplacian pyramid [h_0, ..., h_{K-1}, I_K] came from: start at the
    residual I_K and go up, I_k = u(I_{k+1}) + h_k."""
    image = pyramid[-1]
    for band in reversed(pyramid[:-1]):
        image = upsample(image) + band
    return image
