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

Every pyramid function takes images `(N, C, H, W)` with H and W divisible by 2 at every level.

**Photographs** (lesson 14) come as uint8 `(C, H, W)`, C = 3 or 1. `resize_bicubic` is PIL's
bicubic filter, the one super-resolution papers' tables use (MATLAB's `imresize` is close to it):
it shrinks with an antialiasing filter as wide as the shrink, and enlarges with Keys' cubic.
Super-resolution is measured on the **luma** Y of ITU-R BT.601 (`luma`), in the "studio" range
16-235, as those tables are; a grey photograph's luma is its grey value. `chroma` gives the two
colour channels Cb, Cr, and `to_rgb` puts Y, Cb, Cr back together.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
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


# ------------------------------------------------------------------------------ photographs
# ITU-R BT.601 for RGB in [0, 1], the rows giving Y, Cb, Cr in 0..255 (plus `_OFFSET`)
_YCBCR = torch.tensor(
    [[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]]
)
_OFFSET = torch.tensor([16.0, 128.0, 128.0])


def _check_photo(image: Tensor) -> None:
    if not isinstance(image, Tensor) or image.dim() != 3 or image.shape[0] not in (1, 3):
        shape = tuple(image.shape) if isinstance(image, Tensor) else type(image).__name__
        raise ValueError(f"a photograph is a tensor (C, H, W) with C = 1 or 3, got {shape}")


def resize_bicubic(image: Tensor, size: tuple[int, int]) -> Tensor:
    """PIL's bicubic resize of a uint8 photograph (C, H, W) to `size` = (h, w): uint8 (C, h, w)."""
    _check_photo(image)
    if image.dtype != torch.uint8:
        raise ValueError(f"resize_bicubic takes uint8 pixels (0..255), got {image.dtype}")
    pixels = image.permute(1, 2, 0).numpy()  # (H, W, C): PIL's layout
    pil = Image.fromarray(pixels[..., 0] if image.shape[0] == 1 else pixels)
    out = np.asarray(pil.resize((size[1], size[0]), Image.BICUBIC))  # PIL sizes are (w, h)
    return torch.from_numpy(out.copy()).reshape(size[0], size[1], -1).permute(2, 0, 1)


def luma(image: Tensor) -> Tensor:
    """The luma Y (1, H, W), float, of a photograph (C, H, W) with pixels in 0..255: BT.601's
    16-235 for colour, the grey value itself for grey."""
    _check_photo(image)
    pixels = image.float()
    if image.shape[0] == 1:
        return pixels
    return torch.einsum("c,chw->hw", _YCBCR[0], pixels / 255)[None] + _OFFSET[0]


def chroma(image: Tensor) -> Tensor:
    """Cb and Cr (2, H, W), float, of a colour photograph (3, H, W) with pixels in 0..255."""
    _check_photo(image)
    ycbcr = torch.einsum("kc,chw->khw", _YCBCR[1:], image.float() / 255)
    return ycbcr + _OFFSET[1:, None, None]


def to_rgb(y: Tensor, cbcr: Tensor | None = None) -> Tensor:
    """Luma (1, H, W) and chroma (2, H, W) back to RGB: uint8 (3, H, W); without chroma, the
    grey image uint8 (1, H, W)."""
    if cbcr is None:
        return y.round().clamp(0, 255).to(torch.uint8)
    ycbcr = torch.cat([y, cbcr]) - _OFFSET[:, None, None]  # (3, H, W)
    rgb = torch.einsum("ck,khw->chw", torch.linalg.inv(_YCBCR), ycbcr) * 255
    return rgb.round().clamp(0, 255).to(torch.uint8)
