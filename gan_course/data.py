"""Data for the course: toy distributions made in code, and real digits that ship with packages.

Two kinds of data, one interface for training (`gan_course.train.train_gan` takes either):

* a *distribution* with `.sample(n)`: the 2-D mixtures (ring of 8, grid of 25), a spiral, two
  moons, a 1-D mixture. They are known exactly, so we can measure how well a GAN matches them.
* a *dataset*: a tensor of images `(N, 1, H, W)` in [-1, 1]: scikit-learn's handwritten digits
  (bundled, 8x8 or 16x16), or MNIST / FashionMNIST through torchvision when you ask for a download.

Lesson 14 also uses *photographs*: scikit-image's bundled ones, by name (`photo`; `PHOTOS` lists
its training and test sets), as uint8 pixels.

`load_dataset(name)` reaches all of them by name; `DATASETS` lists the names. `real_batches`
turns either kind (or a pair of tensors: images and labels, sources and targets) into the
endless stream of batches a training step draws from.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass(frozen=True)
class GaussianMixture:
    """An equal-weight mixture of isotropic Gaussians: `means` (K, D), one `std` for all."""

    means: Tensor
    std: float
    name: str = "mixture"

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """`n` samples (n, D): pick a mode uniformly, add N(0, std^2) noise."""
        modes = torch.randint(len(self.means), (n,), generator=generator)
        noise = torch.randn(n, self.dim, generator=generator)
        return self.means[modes] + self.std * noise

    def density(self, x: Tensor) -> Tensor:
        """p(x) for points `x` (N, D) -> (N,), in the dtype of `x` (float64 for fine grids)."""
        sq_dist = torch.cdist(x, self.means.to(x.dtype)).pow(2)  # (N, K)
        norm = (2 * math.pi * self.std**2) ** (self.dim / 2)
        return torch.exp(-sq_dist / (2 * self.std**2)).mean(dim=1) / norm


def ring_of_8(radius: float = 2.0, std: float = 0.02) -> GaussianMixture:
    """8 Gaussians evenly spaced on a circle: the classic mode-collapse test (Metz et al. 2017)."""
    angles = torch.arange(8) * (2 * math.pi / 8)
    means = radius * torch.stack([angles.cos(), angles.sin()], dim=1)
    return GaussianMixture(means, std, "ring of 8")


def grid_of_25(spacing: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """25 Gaussians on a 5x5 grid, means in {-4, -2, 0, 2, 4}^2 (VEEGAN / PacGAN)."""
    ticks = spacing * torch.arange(-2, 3, dtype=torch.float32)
    means = torch.cartesian_prod(ticks, ticks)
    return GaussianMixture(means, std, "grid of 25")


def mixture_1d(means=(-2.0, 0.5, 2.5), std: float = 0.4) -> GaussianMixture:
    """A 1-D mixture, for plots of densities and of the optimal discriminator."""
    return GaussianMixture(torch.tensor(means).unsqueeze(1), std, "1-D mixture")


class Spiral:
    """A noisy two-turn spiral: one connected, curved mode."""

    name = "spiral"
    dim = 2

    def __init__(self, turns: float = 2.0, noise: float = 0.05) -> None:
        self.turns, self.noise = turns, noise

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        t = torch.rand(n, generator=generator).sqrt()  # sqrt: equal density along the arc
        angle = 2 * math.pi * self.turns * t
        points = 3 * t.unsqueeze(1) * torch.stack([angle.cos(), angle.sin()], dim=1)
        return points + self.noise * torch.randn(n, 2, generator=generator)


class Moons:
    """Two interleaving half circles (as scikit-learn's make_moons), centred on the origin."""

    name = "moons"
    dim = 2

    def __init__(self, noise: float = 0.05) -> None:
        self.noise = noise

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        angle = math.pi * torch.rand(n, generator=generator)
        upper = torch.rand(n, generator=generator) < 0.5
        x = torch.where(upper, angle.cos(), 1 - angle.cos())
        y = torch.where(upper, angle.sin(), 0.5 - angle.sin())
        points = torch.stack([x - 0.5, y - 0.25], dim=1) * 1.5
        return points + self.noise * torch.randn(n, 2, generator=generator)


def latent_noise(n: int, latent_dim: int, device=None, generator=None) -> Tensor:
    """The generator's input: z ~ N(0, I), one row per sample, shape (n, latent_dim).

    With a seeded `generator` (a torch.Generator) the noise is drawn on its device, then moved.
    """
    if generator is None:
        return torch.randn(n, latent_dim, device=device)
    return torch.randn(n, latent_dim, generator=generator, device=generator.device).to(device)


# ---------------------------------------------------------------------------- image datasets


DIGITS_SPLITS = ("all", "train", "test")


def digits(size: int = 8, split: str = "all") -> Tensor:
    """scikit-learn's 1,797 handwritten digits as (N, 1, size, size) in [-1, 1].

    They ship with scikit-learn, so this works offline. `size=16` upsamples bilinearly.
    `split="train"` (1,438 images) and `split="test"` (the other 359) are a fixed split,
    the same on every machine, so that metrics can compare generated digits with held-out ones.
    """
    return digits_with_labels(size, split)[0]


def digits_with_labels(size: int = 8, split: str = "all") -> tuple[Tensor, Tensor]:
    """The bundled digits and their labels 0-9: images (N, 1, size, size), labels (N,)."""
    from sklearn.datasets import load_digits

    if size not in (8, 16):
        raise ValueError(f"digits come at size 8 or 16, not {size}")
    if split not in DIGITS_SPLITS:
        raise ValueError(f"split={split!r}; choose one of {list(DIGITS_SPLITS)}")
    bunch = load_digits()
    images = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1)  # (N, 1, 8, 8), 0..16
    images = images / 8 - 1  # -> [-1, 1], the range of a tanh generator
    if size == 16:
        images = F.interpolate(images, size=16, mode="bilinear", align_corners=False)
    labels = torch.tensor(bunch.target)
    if split != "all":
        order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))
        n_test = len(labels) // 5
        keep = order[n_test:] if split == "train" else order[:n_test]
        images, labels = images[keep], labels[keep]
    return images, labels


class StackedDigits:
    """Three digits stacked as the channels of one image: 10 x 10 x 10 = 1,000 modes.

    The stacked-MNIST benchmark of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al.
    2018), made from the bundled digits: each sample (3, size, size) takes three random images,
    so every one of the 1,000 label triples is equally likely. A generator that misses modes
    misses triples, which a digits classifier counts channel by channel.
    """

    def __init__(self, size: int = 16, split: str = "train") -> None:
        self.images, self.labels = digits_with_labels(size, split)  # (N, 1, s, s), (N,)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """`n` images (n, 3, size, size); `sample_with_modes` also returns the mode ids."""
        return self.sample_with_modes(n, generator)[0]

    def sample_with_modes(self, n: int, generator: torch.Generator | None = None):
        """Images (n, 3, size, size) and mode ids 100 * d0 + 10 * d1 + d2 (n,)."""
        picks = torch.randint(len(self.labels), (n, 3), generator=generator)  # (n, 3)
        images = self.images[picks].squeeze(2)  # (n, 3, 1, s, s) -> (n, 3, s, s)
        digits_ = self.labels[picks]  # (n, 3)
        return images, digits_[:, 0] * 100 + digits_[:, 1] * 10 + digits_[:, 2]


# ---------------------------------------------------------------------------- typed digits

# The typefaces matplotlib ships that have the ten digits in their usual shapes (cmmi10's are
# old-style figures, the Display fonts have none): four families of DejaVu and STIX in four
# weights and slants each, and five Computer Modern faces.
TYPED_FONTS = (
    *(f"DejaVuSans{s}" for s in ("", "-Bold", "-Oblique", "-BoldOblique")),
    *(f"DejaVuSansMono{s}" for s in ("", "-Bold", "-Oblique", "-BoldOblique")),
    *(f"DejaVuSerif{s}" for s in ("", "-Bold", "-Italic", "-BoldItalic")),
    *(f"STIXGeneral{s}" for s in ("", "Bol", "Italic", "BolIta")),
    "cmr10",
    "cmb10",
    "cmss10",
    "cmtt10",
    "cmti10",
)
TYPED_SPLITS = {"train": (6000, 1), "test": (1000, 2)}  # images, seed of their jitter
TYPED_SIZES = (16, 32)
_GLYPH_SIZE = 64  # each font's digits are drawn once at 64x64, then jittered and shrunk


def typed_digits(size: int = 16, split: str = "train", n: int | None = None) -> Tensor:
    """Digits typed in the fonts matplotlib ships, jittered: (N, 1, size, size) in [-1, 1].

    `typed_digits_with_labels` also returns the labels; see there.
    """
    return typed_digits_with_labels(size, split, n)[0]


def typed_digits_with_labels(
    size: int = 16, split: str = "train", n: int | None = None, fill_frame: bool = False
) -> tuple[Tensor, Tensor]:
    """Typed digits and their labels: images (N, 1, size, size) in [-1, 1], labels (N,).

    Each digit of each of the 21 `TYPED_FONTS` is drawn from its outline, then placed with a
    random small rotation, scale, shear and shift and a random stroke weight, so every image
    differs: 6,000 in `split="train"`, 1,000 in `"test"` (another draw of the jitter, same
    fonts), 7,000 in `"all"`. Image i shows digit i % 10, so any first `n` (a multiple of
    10) are balanced. `size` is 16 or 32 (the 16 is the 32 averaged over 2x2 blocks).
    Unlike the bundled handwritten digits, whose 16x16 version is an enlarged 8x8 one, these
    have real detail at 16 and 32 pixels. Made in code from the fonts, seeded, the same on
    every machine; computed once per session (about a second), then served from memory.

    The typed digits fill about three quarters of the frame's height, the handwritten ones all
    of it. `fill_frame=True` enlarges every image by one fixed rule, its centre 26x26 of 32
    (where the ink is) shrunk to `size` by averaging: the ink then spans about 14 of 16 rows.
    """
    if size not in TYPED_SIZES:
        raise ValueError(f"typed digits come at size 16 or 32, not {size}")
    if split not in DIGITS_SPLITS:
        raise ValueError(f"split={split!r}; choose one of {list(DIGITS_SPLITS)}")
    if split == "all":
        parts = [_typed_digits32(s) for s in TYPED_SPLITS]
        images, labels = torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
    else:
        images, labels = _typed_digits32(split)
    if n is not None:
        if not 0 < n <= len(labels):
            raise ValueError(f"n={n}: the {split} split has {len(labels)} typed digits")
        images, labels = images[:n], labels[:n]
    if fill_frame:  # the centre 26x26, shrunk by area averaging: a new tensor
        return F.interpolate(images[..., 3:29, 3:29], size=size, mode="area"), labels.clone()
    if size == 16:
        images = F.avg_pool2d(images, 2)  # (N, 1, 16, 16): each pixel the mean of 2x2
    return images.clone(), labels.clone()  # copies: the cached tensors stay as they are


FACES_SPLITS = {"train": slice(0, 80), "test": slice(80, 100)}


def faces(size: int = 16, split: str = "train", flips: bool = False) -> Tensor:
    """The 100 face crops of scikit-image's `lfw_subset` (Labeled Faces in the Wild), grey:
    (N, 1, size, size) in [-1, 1], shrunk from 25x25 by averaging (antialiased).

    `split="train"`: the first 80, `"test"`: the last 20 (to measure memorisation), `"all"`:
    the 100. `flips=True` adds each face mirrored left to right (StyleGAN's augmentation for
    FFHQ), doubling the set. Bundled with scikit-image: no download.
    """
    from skimage.data import lfw_subset

    if split not in {**FACES_SPLITS, "all": None}:
        raise ValueError(f"split={split!r}; choose one of {[*FACES_SPLITS, 'all']}")
    crops = torch.from_numpy(lfw_subset()[:100]).float()[:, None]  # (100, 1, 25, 25) in [0, 1]
    crops = crops if split == "all" else crops[FACES_SPLITS[split]]
    images = F.interpolate(crops, size=(size, size), mode="area") * 2 - 1
    return torch.cat([images, images.flip(-1)]) if flips else images


# ---------------------------------------------------------------------------- translation pairs


def inpainting_pairs(
    images: Tensor, mask_size: int = 6, seed: int = 0, fill: float = 0.0
) -> tuple[Tensor, Tensor, Tensor]:
    """Inpainting (pix2pix, lesson 15): each image with a `mask_size` square blanked out.

    images (N, C, H, W) in [-1, 1] -> sources (the square set to `fill`), targets (a copy of
    `images`) and masks (N, 1, H, W), True on the blanked square, for measuring the repair
    there (`metrics.masked_psnr`). Each square sits at its own random place, anywhere it fits
    whole. The default fill, mid-grey (0), is neither ink (1) nor paper (-1), so the hole shows
    in the image itself; painted as paper (`fill=-1`) it would hide where to repair (lesson 15
    measured the difference: about 1.6 dB on the hole). Seeded with a generator of its own: the
    learner's RNG and `images` are left as they are.
    """
    n, _, height, width = images.shape
    if not 0 < mask_size <= min(height, width):
        raise ValueError(f"mask_size={mask_size} does not fit images of {height}x{width}")
    rng = torch.Generator().manual_seed(seed)
    top = torch.randint(height - mask_size + 1, (n, 1, 1, 1), generator=rng)  # (N, 1, 1, 1)
    left = torch.randint(width - mask_size + 1, (n, 1, 1, 1), generator=rng)
    rows, cols = torch.arange(height).view(1, 1, -1, 1), torch.arange(width).view(1, 1, 1, -1)
    inside_rows = (rows >= top) & (rows < top + mask_size)  # (N, 1, H, 1)
    inside_cols = (cols >= left) & (cols < left + mask_size)  # (N, 1, 1, W)
    masks = (inside_rows & inside_cols).to(images.device)  # (N, 1, H, W) by broadcasting
    sources = images.masked_fill(masks, fill)  # a new tensor; the mask spans every channel
    return sources, images.clone(), masks


def denoising_pairs(images: Tensor, std: float = 0.5, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Denoising (pix2pix, lesson 15): images (N, C, H, W) in [-1, 1] -> sources, targets.

    Sources: the images plus Gaussian noise of standard deviation `std` (the range is 2 wide),
    clamped back to [-1, 1]; targets: a copy of the images. Seeded with a generator of its
    own: the learner's RNG and `images` are left as they are.
    """
    rng = torch.Generator().manual_seed(seed)
    noise = torch.randn(images.shape, generator=rng).to(images.device)  # drawn on the CPU
    return (images + std * noise).clamp(-1, 1), images.clone()


def unpaired_digits(
    split: str = "train", n_typed: int | None = None, fill_frame: bool = True
) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
    """The two domains of CycleGAN in lesson 15: (typed, labels), (handwritten, labels).

    Domain A: `typed_digits_with_labels(16, split, n_typed, fill_frame)` (6,000 in "train",
    1,000 in "test"; sharp, thin strokes), enlarged by default to fill the frame as the
    handwritten ones do. Domain B: the bundled handwritten digits at 16x16,
    `digits_with_labels(16, split)` (1,438 in "train", 359 in "test"), which are 8x8 scans
    enlarged, so blurred, with thick strokes. Images (N, 1, 16, 16) in [-1, 1], labels (N,).
    Nothing pairs them: the labels are only for measuring (does a translated 3 still read 3?).
    """
    return typed_digits_with_labels(16, split, n_typed, fill_frame), digits_with_labels(16, split)


PHOTOS = {  # scikit-image's bundled photographs (no download): lesson 14's
    "train": ("astronaut", "rocket", "stereo_motorcycle", "coins", "clock", "brick", "grass",
              "gravel", "moon"),
    "test": ("chelsea", "camera", "coffee"),  # as in the course's bicubic reference numbers
}  # fmt: skip


def photo(name: str, multiple: int = 4) -> Tensor:
    """One of scikit-image's bundled photographs, as it ships: uint8 (C, H, W), C = 3 (colour)
    or 1 (grey), cropped at the bottom and right to a multiple of `multiple` pixels, so that
    it shrinks by that factor exactly (chelsea, 300x451, becomes 300x448).

    `PHOTOS` lists the names lesson 14 trains and tests on; `data.cat()` is chelsea itself,
    so it is not among them.
    """
    import skimage.data

    names = [*PHOTOS["train"], *PHOTOS["test"]]
    if name not in names:
        raise ValueError(f"unknown photo {name!r}; valid names are: {', '.join(names)}")
    pixels = getattr(skimage.data, name)()
    if name == "stereo_motorcycle":
        pixels = pixels[0]  # (left, right, disparity): the left view
    image = torch.from_numpy(pixels.copy())
    image = image[..., :3].permute(2, 0, 1) if image.dim() == 3 else image[None]  # (C, H, W)
    h, w = image.shape[1] // multiple * multiple, image.shape[2] // multiple * multiple
    return image[:, :h, :w].contiguous()


@lru_cache(maxsize=1)
def _typed_glyphs() -> Tensor:
    """Every font's ten digits, blurred: (fonts, 10, 64, 64), ink in [0, 1], each digit's box
    centred and 3/4 of the frame high. The blur lets a threshold set the stroke weight."""
    glyphs = torch.stack([_glyphs_of(font) for font in TYPED_FONTS])  # (F, 10, 64, 64), 0 or 1
    return _gaussian_blur(glyphs.flatten(0, 1).unsqueeze(1), sigma=1.5).view(glyphs.shape)


def _glyphs_of(font: str) -> Tensor:
    """A font's ten digits as 0/1 masks (10, 64, 64): is a pixel's centre inside the outline?"""
    import matplotlib
    import numpy as np
    from matplotlib.font_manager import FontProperties
    from matplotlib.path import Path as MplPath
    from matplotlib.textpath import TextPath
    from matplotlib.transforms import Affine2D

    prop = FontProperties(fname=Path(matplotlib.get_data_path()) / "fonts" / "ttf" / f"{font}.ttf")
    centres = (np.arange(_GLYPH_SIZE) + 0.5) / _GLYPH_SIZE * 2 - 1  # the frame is [-1, 1]^2
    xs, ys = np.meshgrid(centres, centres)
    points = np.stack([xs.ravel(), ys.ravel()], axis=1)
    masks = []
    for digit in "0123456789":
        outline = TextPath((0, 0), digit, size=1, prop=prop)
        (x0, y0), (x1, y1) = outline.vertices.min(axis=0), outline.vertices.max(axis=0)
        scale = 1.5 / (y1 - y0)  # 3/4 of the frame's height; y flipped: rows go down
        box = Affine2D().translate(-(x0 + x1) / 2, -(y0 + y1) / 2).scale(scale, -scale)
        inside = np.zeros(len(points), dtype=bool)
        for contour in outline.transformed(box).to_polygons(closed_only=True):
            inside ^= MplPath(contour).contains_points(points)  # even-odd: holes stay open
        masks.append(torch.tensor(inside.reshape(_GLYPH_SIZE, _GLYPH_SIZE), dtype=torch.float32))
    return torch.stack(masks)


@lru_cache(maxsize=2)
def _typed_digits32(split: str) -> tuple[Tensor, Tensor]:
    """One split's typed digits at 32x32 in [-1, 1], and their labels."""
    count, seed = TYPED_SPLITS[split]
    rng = torch.Generator().manual_seed(seed)
    index = torch.arange(count)
    labels, fonts = index % 10, (index // 10) % len(TYPED_FONTS)

    def uniform(low: float, high: float) -> Tensor:
        return low + (high - low) * torch.rand(count, generator=rng, dtype=torch.float64)

    angle = uniform(-10, 10) * math.pi / 180  # rotation, radians
    scale = uniform(0.8, 1.05)  # the digit's height: 60 % to 79 % of the frame
    width = uniform(0.9, 1.1)  # and its width relative to that
    shear = uniform(-0.15, 0.15)  # a slant of up to about 8.5 degrees either way
    shift = torch.stack([uniform(-0.1, 0.1), uniform(-0.1, 0.1)], dim=1)  # 1/20 of the frame
    weight = uniform(0.12, 0.4).float().view(-1, 1, 1, 1)  # ink threshold: lower is bolder
    # where each output point comes from: input = A^-1 (output - shift), A = R @ Shear @ S
    cos, sin = angle.cos(), angle.sin()
    rotate = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)
    lean = torch.eye(2, dtype=torch.float64).repeat(count, 1, 1)
    lean[:, 0, 1] = -shear  # x moves with -y: rows go down, so the top leans right
    stretch = torch.diag_embed(torch.stack([scale * width, scale], 1))
    inverse = torch.linalg.inv(rotate @ lean @ stretch)  # (N, 2, 2)
    theta = torch.cat([inverse, -(inverse @ shift.unsqueeze(2))], dim=2).float()  # (N, 2, 3)
    glyph = _typed_glyphs()
    centres = (torch.arange(_GLYPH_SIZE) + 0.5) / _GLYPH_SIZE * 2 - 1  # pixel centres in [-1, 1]
    x, y = centres.view(1, 1, -1), centres.view(1, -1, 1)
    images = []
    for part in torch.arange(count).split(1000):  # 1,000 at a time: about 100 MB of temporaries
        # F.affine_grid's grid, by broadcasting (several times faster for small images)
        rows = [theta[part, i].reshape(-1, 3, 1, 1) for i in range(2)]  # (n, 3, 1, 1) each
        grid = torch.stack([r[:, 0] * x + r[:, 1] * y + r[:, 2] for r in rows], -1)  # (n, H, W, 2)
        glyphs = glyph[fonts[part], labels[part]].unsqueeze(1)  # (n, 1, 64, 64), blurred ink
        placed = F.grid_sample(glyphs, grid, align_corners=False)  # rotated, sheared, moved
        ink = ((placed - weight[part]) * 8 + 0.5).clamp(0, 1)  # a steep ramp: crisp strokes
        images.append(F.avg_pool2d(ink, 2))  # (n, 1, 32, 32): 2x2 averages, edges anti-aliased
    ink = torch.round(torch.cat(images) * 255) / 255  # 8-bit levels, as an image file holds them
    return ink * 2 - 1, labels


def _gaussian_blur(images: Tensor, sigma: float) -> Tensor:
    """A separable Gaussian blur of (N, 1, H, W), zero padding (the background is 0)."""
    radius = math.ceil(3 * sigma)
    x = torch.arange(-radius, radius + 1, dtype=images.dtype)
    kernel = torch.exp(-(x**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    images = F.conv2d(images, kernel.view(1, 1, 1, -1), padding=(0, radius))
    return F.conv2d(images, kernel.view(1, 1, -1, 1), padding=(radius, 0))


def default_data_dir() -> Path:
    """Where downloads go: `GAN_COURSE_DATA`, else ~/.cache/gan-course."""
    return Path(os.environ.get("GAN_COURSE_DATA", Path.home() / ".cache" / "gan-course"))


class DownloadError(RuntimeError):
    """A dataset could not be fetched; the message names the offline alternative."""


def mnist(
    *, fashion: bool = False, train: bool = True, download: bool = False, root=None
) -> Tensor:
    """MNIST (or FashionMNIST) as (N, 1, 28, 28) in [-1, 1], through torchvision.

    Nothing is downloaded unless you pass `download=True`. Files already under `root`
    (default `default_data_dir()`) are used as they are.
    """
    return mnist_with_labels(fashion=fashion, train=train, download=download, root=root)[0]


def mnist_with_labels(*, fashion=False, train=True, download=False, root=None):
    """MNIST or FashionMNIST images (N, 1, 28, 28) in [-1, 1] and labels (N,)."""
    from torchvision import datasets

    cls = datasets.FashionMNIST if fashion else datasets.MNIST
    name = cls.__name__
    root = Path(root) if root is not None else default_data_dir()
    try:
        ds = cls(root=str(root), train=train, download=download)
    except RuntimeError as err:
        if download:
            raise _download_error(name, err) from err
        raise DownloadError(
            f"{name} is not under {root}. Call with download=True to fetch it "
            f"(about 30 MB), or use the bundled digits: load_dataset('digits')."
        ) from err
    except OSError as err:  # URLError and friends: no network
        raise _download_error(name, err) from err
    images = ds.data.unsqueeze(1).float() / 127.5 - 1  # uint8 (N, 28, 28) -> [-1, 1]
    return images, ds.targets.clone()


def _download_error(name: str, err: Exception) -> DownloadError:
    return DownloadError(
        f"Could not download {name} ({type(err).__name__}: {err}). Are you offline? "
        "The bundled digits need no network: load_dataset('digits')."
    )


def digit_images(
    source: str = "digits", size: int = 16, split: str = "train", download: bool = False, root=None
) -> tuple[Tensor, Tensor]:
    """Digit images (N, 1, size, size) in [-1, 1] and labels: bundled digits, or MNIST on request.

    `source="mnist"` uses MNIST resized to `size` (files already on disk, or `download=True`).
    When MNIST cannot be had it says why and falls back to the bundled digits, resized to
    `size`, so a lesson that offers MNIST still runs offline. `split` is "train" or "test".
    """
    if source not in ("digits", "mnist"):
        raise ValueError(f"source={source!r}; choose 'digits' (bundled) or 'mnist'")
    if source == "mnist":
        try:
            images, labels = mnist_with_labels(train=split != "test", download=download, root=root)
            images = F.interpolate(images, size=size, mode="bilinear", antialias=True)
            return images.clamp(-1, 1), labels
        except DownloadError as err:
            print(f"{err}\nUsing the bundled digits instead.")
    images, labels = digits_with_labels(8 if size <= 8 else 16, split)
    if images.shape[-1] != size:  # e.g. 32 for a network sized for MNIST
        images = F.interpolate(images, size=size, mode="bilinear", align_corners=False)
    return images, labels


DATASETS = {
    "ring": ring_of_8,
    "grid": grid_of_25,
    "mixture-1d": mixture_1d,
    "spiral": Spiral,
    "moons": Moons,
    "digits": lambda: digits(8),
    "digits16": lambda: digits(16),
    "stacked-digits": StackedDigits,
    "typed-digits": lambda: typed_digits(16),
    "typed-digits32": lambda: typed_digits(32),
    "faces": lambda: faces(16),
    "mnist": lambda **kw: mnist(**kw),
    "fashion-mnist": lambda **kw: mnist(fashion=True, **kw),
}
BUNDLED = [name for name in DATASETS if "mnist" not in name]


def load_dataset(name: str, **kwargs):
    """Any course dataset by name: a distribution with `.sample(n)` or an image tensor."""
    key = name.strip().lower().replace("_", "-")
    if key not in DATASETS:
        valid = ", ".join(repr(n) for n in DATASETS)
        raise ValueError(f"unknown dataset {name!r}; valid names are: {valid}")
    return DATASETS[key](**kwargs)


# ------------------------------------------------------------------------------ batches


def real_batches(data, batch_size: int, device) -> Iterator:
    """Endless real batches: from `data.sample(n)`, or shuffled epochs of a tensor dataset.

    `data` may also be a pair `(images, labels)`: then each batch is a pair too (lesson 10).
    """
    if hasattr(data, "sample"):
        while True:
            yield data.sample(batch_size).to(device)
    tensors = tuple(data) if isinstance(data, tuple | list) else (data,)
    if not all(isinstance(t, Tensor) for t in tensors) or len(tensors) > 2:
        raise TypeError(
            "data must be a tensor of samples, a pair (samples, labels), or have .sample(n); "
            f"got {type(data).__name__}"
        )
    if len({len(t) for t in tensors}) > 1:
        raise ValueError(f"samples and labels differ in length: {[len(t) for t in tensors]}")
    n = len(tensors[0])
    if n < batch_size:
        raise ValueError(f"batch_size={batch_size} but the dataset has only {n} items")
    tensors = tuple(t.to(device) for t in tensors)
    while True:
        order = torch.randperm(len(tensors[0]), device=device)
        for start in range(0, len(order) - batch_size + 1, batch_size):  # drop the ragged end
            picked = order[start : start + batch_size]
            batch = tuple(t[picked] for t in tensors)
            yield batch if len(batch) == 2 else batch[0]


# ------------------------------------------------------------------------------ text (lesson 16)


def text_corpus() -> str:
    """A small real text for lesson 16's character model: the descriptions of the datasets
    scikit-learn ships (`sklearn/datasets/descr/*.rst`, about 40,000 characters of English with
    some tables), in a fixed order, runs of spaces squeezed. Offline, on every install; the
    same for a given scikit-learn version."""
    folder = files("sklearn.datasets.descr")
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.iterdir(), key=lambda p: p.name)
             if p.name.endswith(".rst")]  # fmt: skip
    return "\n".join(" ".join(line.split()) for text in texts for line in text.splitlines())


def char_windows(text: str, length: int = 40, stride: int = 3) -> tuple[Tensor, list[str]]:
    """Overlapping windows of `text` as token ids (N, length), and the alphabet (id -> char).
    Id 0 is the newline, the start token a `TokenLSTM` reads first."""
    alphabet = ["\n"] + sorted(set(text) - {"\n"})
    index = {c: i for i, c in enumerate(alphabet)}
    ids = torch.tensor([index[c] for c in text])
    starts = range(0, len(ids) - length, stride)
    return torch.stack([ids[s : s + length] for s in starts]), alphabet


def decode_chars(tokens: Tensor, alphabet: list[str]) -> list[str]:
    """Token ids (N, L) back to N strings."""
    return ["".join(alphabet[i] for i in row.tolist()) for row in tokens]
