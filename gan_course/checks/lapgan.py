"""Checks for exercise 11: LAPGAN.

`from gan_course.checks.lapgan import check_laplacian_pyramid, check_reconstruct,
check_training_pair, check_sample_chain`, and the exercise's concept questions ("11.*").
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import images as pyramids
from ..families import lapgan as family
from ..images import downsample, upsample
from ..models import lapgan as models
from . import questions
from .core import Check, CheckFailed, _close

EXACT = 1e-6  # the largest reconstruction error an exact pyramid may show (float32 rounding)
SAME_U = (
    "build the bands and reconstruct with the same u, `upsample` (bilinear): a band is what "
    "that u missed, so another u (nearest, F.interpolate's default) leaves the error in"
)


def _images(n: int, channels: int, size: int, seed: int) -> Tensor:
    """Digit-like test images: smooth blobs and sharp edges, (n, channels, size, size)."""
    rng = torch.Generator().manual_seed(seed)
    noise = torch.rand(n, channels, size // 4, size // 4, generator=rng)
    smooth = F.interpolate(noise, size=size, mode="bilinear", align_corners=False)
    return torch.where(smooth > 0.5, 1.0, -1.0) * 0.8 + 0.2 * (smooth * 2 - 1)


def _max_error(a: Tensor, b: Tensor) -> float:
    return (a.detach().double() - b.detach().double()).abs().max().item()


# ------------------------------------------------------------------------------ 1 the pyramid

CASES = ((5, 1, 16, 1), (3, 2, 32, 2), (4, 1, 16, 3))  # (N, C, size, levels): varied on purpose


def _pyramid_mistakes(images: Tensor, levels: int) -> list[tuple[list[Tensor], str]]:
    """Pyramids as plausible mistakes build them, each with its hint."""
    gaussian = pyramids.gaussian_pyramid(images, levels)
    nearest = [
        fine - F.interpolate(coarse, scale_factor=2)
        for fine, coarse in zip(gaussian[:-1], gaussian[1:], strict=True)
    ]
    flipped = [upsample(c) - f for f, c in zip(gaussian[:-1], gaussian[1:], strict=True)]
    pooled, image = [], images
    for _ in range(levels):
        coarse = F.avg_pool2d(image, 2)
        pooled.append(image - upsample(coarse))
        image = coarse
    return [
        ([*nearest, gaussian[-1]], SAME_U),
        ([*flipped, gaussian[-1]], "the sign of the band: h_k = I_k - u(I_{k+1}), the image "
         "minus its upsampled coarser level, so that u(I_{k+1}) + h_k gives I_k back"),
        ([*pooled, image], "halve with the task's d, `downsample` (a [1, 3, 3, 1] blur, then "
         "every second pixel): the pyramid is still invertible with F.avg_pool2d, but it is "
         "another pyramid"),
    ]  # fmt: skip


def check_laplacian_pyramid(fn) -> None:
    """`laplacian_pyramid(images, levels)`: [h_0, ..., h_{levels-1}, I_levels], finest first,
    h_k = I_k - u(I_{k+1}); `reconstruct` must give the images back within 1e-6."""
    with Check("laplacian_pyramid", reference=pyramids.laplacian_pyramid) as c:
        for case, (n, channels, size, levels) in enumerate(CASES):
            images = _images(n, channels, size, seed=case)
            call = f"laplacian_pyramid(images {tuple(images.shape)}, levels={levels})"
            given = images.clone()
            got = c.call(fn, given, levels)
            c.expect_kept(given, images, f"the images you gave {call}")
            c.expect(
                isinstance(got, list | tuple) and all(isinstance(p, Tensor) for p in got),
                f"{call} returns",
                "a list of tensors [h_0, ..., I_K]",
                type(got).__name__,
                hint="collect the bands in a list and append the low-pass residual at the end",
            )
            want = pyramids.laplacian_pyramid(images, levels)
            c.expect(
                len(got) == levels + 1,
                f"how many images {call} returns",
                f"{levels + 1}: {levels} band(s), then the residual",
                len(got),
                hint="the low-pass residual I_K is missing at the end: return [*bands, I_K]"
                if len(got) == levels
                else "one band per halving, then the residual: use `levels`, don't hard-code it",
            )
            shapes = [tuple(p.shape) for p in got]
            expected = [tuple(p.shape) for p in want]
            if shapes != expected:
                hint = "each element (N, C, S, S), finest (largest) first"
                if shapes == expected[::-1]:
                    hint = "finest first: index 0 is the full-size band h_0, the residual last"
                elif [s[-2:] for s in shapes] == [s[-2:] for s in expected]:
                    hint = "keep the batch and channel axes: every image stays (N, C, H, W)"
                c.expect(False, f"the shapes from {call}", expected, shapes, hint=hint)
            error = _max_error(pyramids.reconstruct(list(got)), images)
            mistakes = _pyramid_mistakes(images, levels)
            if error > EXACT:
                hint = next(
                    (h for wrong, h in mistakes[:2] if all(map(_close_enough, got, wrong))),
                    "every band is I_k - upsample(I_{k+1}), with I_{k+1} = downsample(I_k); "
                    "the last element is I_K itself",
                )
                want_text = f"the images, max error <= {EXACT:g}"
                got_text = f"max error {error:.2g}"
                c.expect(False, f"reconstruct(your pyramid) for {call}", want_text, got_text, hint)
            for k, (part, right) in enumerate(zip(got, want, strict=True)):
                name = f"h_{k}" if k < levels else f"the residual I_{levels}"
                wrong = [(w[k], h) for w, h in mistakes]
                c.expect_close(
                    part,
                    right,
                    f"{name} of {call}",
                    hint="I_{k+1} = downsample(I_k) and h_k = I_k - upsample(I_{k+1})",
                    mistakes=wrong,
                )


def _close_enough(a: Tensor, b: Tensor) -> bool:
    return _close(a, b, 1e-5, 1e-4)


# ------------------------------------------------------------------------------ 2 reconstruct


def check_reconstruct(fn) -> None:
    """`reconstruct(pyramid)`: from [h_0, ..., h_{K-1}, I_K] back to the images, exactly."""
    with Check("reconstruct", reference=pyramids.reconstruct) as c:
        for case, (n, channels, size, levels) in enumerate(CASES):
            images = _images(n, channels, size, seed=10 + case)
            pyramid = pyramids.laplacian_pyramid(images, levels)
            call = f"reconstruct(a pyramid of {levels + 1} for images {tuple(images.shape)})"
            got = c.expect_tensor(c.call(fn, [p.clone() for p in pyramid]), call)
            c.expect_shape(
                got,
                images.shape,
                f"the shape of {call}",
                hint="start from the residual pyramid[-1] and double it once per band, up to "
                "the size of pyramid[0]",
            )
            error = _max_error(got, images)
            if error > EXACT:
                residual = pyramid[-1]
                for _ in range(levels):
                    residual = upsample(residual)
                subtracted, nearest = pyramid[-1], pyramid[-1]
                for band in reversed(pyramid[:-1]):
                    subtracted = upsample(subtracted) - band
                    nearest = F.interpolate(nearest, scale_factor=2) + band
                two_levels = upsample(pyramid[1]) + pyramid[0]
                mistakes = [
                    (subtracted, "add the band back: I_k = u(I_{k+1}) + h_k"),
                    (nearest, SAME_U),
                    (residual, "the bands hold the detail: add one at every level"),
                    (two_levels, "start from the residual, the last element, and go through "
                     "every band: the pyramid may have any number of levels"),
                ]  # fmt: skip
                hint = next(
                    (h for wrong, h in mistakes if _close_enough(got, wrong)),
                    "image = pyramid[-1]; then for each band from the coarsest (pyramid[-2]) "
                    "to the finest (pyramid[0]): image = upsample(image) + band",
                )
                c.expect(False, call, f"the images, max error <= {EXACT:g}",
                         f"max error {error:.2g}", hint=hint)  # fmt: skip


# ------------------------------------------------------------------------------ 3 training pair


def check_training_pair(fn) -> None:
    """`training_pair(images)`: the condition l = u(d(I)) and the real band h = I - l."""
    with Check("training_pair", reference=family.training_pair) as c:
        for case, (n, channels, size) in enumerate(((6, 1, 16), (4, 2, 32))):
            images = _images(n, channels, size, seed=20 + case)
            call = f"training_pair(images {tuple(images.shape)})"
            got = c.call(fn, images.clone())
            c.expect(
                isinstance(got, tuple | list)
                and len(got) == 2
                and all(isinstance(x, Tensor) for x in got),
                f"{call} returns",
                "two tensors: (condition, band)",
                type(got).__name__,
                hint="return condition, band",
            )
            condition, band = got
            blurred = upsample(downsample(images))
            if _close_enough(condition, images - blurred) and _close_enough(band, blurred):
                hint = "the condition first, then the band: return condition, band"
                swapped = "(band, condition)"
                c.expect(False, f"the order of {call}", "(condition, band)", swapped, hint)
            c.expect_shape(
                condition,
                images.shape,
                f"the condition's shape for {call}",
                hint="the condition is upsampled back to the level's size: u(d(I)), not d(I)",
            )
            c.expect_close(
                condition,
                blurred,
                f"the condition l of {call}",
                hint="the real image's own coarser level, upsampled: upsample(downsample(images))",
                mistakes=[
                    (images, "the condition is the image blurred to the level below, "
                     "u(d(I)): with the image itself, every real band would be zero"),
                    (F.interpolate(downsample(images), scale_factor=2), SAME_U),
                ],
            )  # fmt: skip
            c.expect_shape(band, images.shape, f"the band's shape for {call}")
            c.expect_close(
                band,
                images - blurred,
                f"the band h of {call}",
                hint="the band is what the condition lacks: images - condition",
                mistakes=[(blurred - images, "the sign: h = I - l, so that l + h gives I back")],
            )


# ------------------------------------------------------------------------------ 4 the chain


class _Base(nn.Module):
    """A stand-in G_K: z (N, 4) -> an image (N, 1, S, S), through a fixed linear map."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.net = nn.Linear(4, size * size)
        self.calls = 0

    def forward(self, z: Tensor) -> Tensor:
        self.calls += 1
        return torch.tanh(self.net(z)).view(len(z), 1, self.size, self.size)


class _Level(nn.Module):
    """A stand-in G_k that checks what it is given and records it: (noise, condition) -> band."""

    def __init__(self, size: int, task: str) -> None:
        super().__init__()
        self.size, self.task = size, task
        self.net = nn.Conv2d(2, 1, 3, padding=1)
        self.seen: list[tuple[Tensor, Tensor]] = []

    def forward(self, noise: Tensor, condition: Tensor) -> Tensor:
        shapes = f"noise {tuple(noise.shape)}, condition {tuple(condition.shape)}"
        if tuple(condition.shape[-2:]) != (self.size, self.size):
            raise CheckFailed(
                self.task,
                f"the {self.size}x{self.size} level's generator got a condition of another size",
                f"condition (N, 1, {self.size}, {self.size})",
                shapes,
                hint="coarse to fine: the level just above the base comes first, so walk the "
                "levels (finest first) reversed, and upsample the image below once: "
                "condition = upsample(images[-1])",
            )
        if tuple(noise.shape[-2:]) != (self.size, self.size) or noise.dim() != 4:
            raise CheckFailed(
                self.task,
                f"the {self.size}x{self.size} level's generator got a noise plane of another size",
                f"noise (N, 1, {self.size}, {self.size})",
                shapes,
                hint="pair each level with its own plane: `levels` and `planes` are both finest "
                "first, so walk both reversed, together (zip(reversed(levels), reversed(planes)))",
            )
        self.seen.append((noise.detach().clone(), condition.detach().clone()))
        return 0.5 * torch.tanh(self.net(torch.cat([condition, noise], dim=1)))


def check_sample_chain(fn) -> None:
    """`sample_chain(base, levels, z, planes)`: [I_K, ..., I_0], coarsest first; each level's
    condition is the level below's *sample*, upsampled, and I_k = l_k + G_k(z_k, l_k)."""
    with Check("sample_chain", reference=models.sample_chain) as c:
        for n, sizes in ((3, [16, 8, 4]), (2, [16, 8]), (2, [32, 16, 8, 4])):
            base = _Base(sizes[-1])
            levels = [_Level(s, "sample_chain") for s in sizes[:-1]]  # finest first
            z = torch.randn(n, 4)
            planes = [torch.randn(n, 1, s, s) for s in sizes[:-1]]
            with torch.no_grad():
                want = models.sample_chain(base, levels, z, planes)
            for level in levels:
                level.seen.clear()
            call = f"sample_chain for sizes {sizes[::-1]} (coarsest first)"
            with torch.no_grad():
                got = c.call(fn, base, levels, z, planes)
            c.expect(
                isinstance(got, list | tuple) and all(isinstance(x, Tensor) for x in got),
                f"{call} returns",
                "a list of images [I_K, ..., I_0]",
                type(got).__name__,
                hint="collect every image of the way in a list, starting with base(z)",
            )
            got_sizes = [x.shape[-1] for x in got]
            c.expect(
                got_sizes == sizes[::-1],
                f"the sizes of the images from {call}",
                sizes[::-1],
                got_sizes,
                hint="coarsest first, in the order they are made: [base(z), then one per level]"
                if got_sizes == sizes
                else "one image per level: base(z) first, then each finer level's image",
            )
            c.expect(
                all(len(level.seen) == 1 for level in levels),
                "how often each level's generator ran",
                "once each",
                [len(level.seen) for level in levels],
                hint="call each level's generator once, on its own noise plane and condition",
            )
            c.expect_close(got[0], want[0], "the coarsest image", hint="images[0] is base(z)")
            for k in reversed(range(len(levels))):  # coarse to fine, as it ran
                noise, condition = levels[k].seen[0]
                size = sizes[k]
                below = got[len(sizes) - 2 - k]  # the image one level down, as returned
                c.expect(
                    torch.equal(noise, planes[k]),
                    f"the noise of the {size}x{size} level",
                    f"planes[{k}]",
                    "another tensor",
                    hint="each level gets its own plane, as given: planes[k] goes with levels[k]",
                )
                c.expect_close(
                    condition,
                    upsample(below),
                    f"the condition given to the {size}x{size} level",
                    hint=_condition_hint(condition, want, k, sizes),
                )
                band = levels[k](noise, condition).detach()
                levels[k].seen.pop()
                c.expect_close(
                    got[len(sizes) - 1 - k],
                    condition + band,
                    f"the {size}x{size} image",
                    hint="the image is the condition plus the band: I_k = l_k + G_k(z_k, l_k)",
                    mistakes=[(band, "the generator makes only the band (the detail): add it "
                               "to its condition, I_k = l_k + G_k(z_k, l_k)")],
                )  # fmt: skip


def _condition_hint(condition, want, k, sizes) -> str:
    """Why a level's condition is wrong: which image it was made from instead."""
    size = sizes[k]
    scale = size // sizes[-1]
    from_base = F.interpolate(want[0], scale_factor=scale, mode="bilinear", align_corners=False)
    repeated = want[0]
    while repeated.shape[-1] < size:
        repeated = upsample(repeated)
    if _close_enough(condition, repeated) or _close_enough(condition, from_base):
        return (
            "condition each level on the level just below's *sample*, images[-1], which already "
            "holds the bands added so far, not on the base image"
        )
    nearest = F.interpolate(want[len(sizes) - 2 - k], scale_factor=2)
    if _close_enough(condition, nearest):
        return SAME_U
    return "condition = upsample(images[-1]): the image just made, doubled"


__all__ = [
    "check_laplacian_pyramid",
    "check_reconstruct",
    "check_training_pair",
    "check_sample_chain",
]


# ---------------------------------------------------------------------------- concept questions

questions.choice(
    "11.any_down",
    "abcd",
    right="a80354e2f3cb23aa",
    meaning="A band is defined as what u(I_{k+1}) missed, h_k = I_k - u(I_{k+1}), so u(I_{k+1}) + "
    "h_k is I_k again whatever d made I_{k+1}: exactness needs the same u both ways, not a "
    "particular d (a better d only makes the bands smaller and smoother).",
    why={
        "5fa8160cb652eb8b": "d and u need not undo each other: u(d(I)) is a blurred I whatever "
        "the pair, and the band stores exactly the difference, so adding it back is exact",
        "5f2fa1bc7ee1c07e": "any u works, bilinear included, as long as reconstruction uses the "
        "same u that built the bands",
        "592fc8537ac088d6": "the sizes only have to halve evenly; which d halves them does not "
        "matter for exactness, since each band stores what its own upsampling missed",
    },
)
questions.number(
    "11.noise_numbers",
    1312,
    0.5,
    meaning="32 numbers for the 8x8 base, then one noise plane per finer level: 16 x 16 = 256 "
    "and 32 x 32 = 1,024, so 32 + 256 + 1,024 = 1,312 numbers make one sample.",
    traps=[
        (
            288,
            0.5,
            "that is the 16x16 model of the lesson (32 + 256): a 32x32 LAPGAN has one "
            "more level, with a 32 x 32 plane",
        ),
        (1056, 0.5, "the 16x16 level needs its plane too: 32 + 16 x 16 + 32 x 32"),
        (1376, 0.5, "the base gets its noise as a vector of 32, not as an 8 x 8 plane"),
        (96, 0.5, "a noise *plane* has one number per pixel of its level, not 32"),
    ],  # fmt: skip
    off="count the base's 32, then one number per pixel for each finer level's plane",
)
questions.choice(
    "11.independent",
    "abcd",
    right="93d18d2e807ffd05",
    meaning="While training, level k's condition is u(d(I)) of a real image, so its inputs never "
    "depend on another level's generator: each level is a GAN of its own, trainable in any "
    "order or in parallel. Only sampling chains them.",
    why={
        "e90b7070af8cce7f": "separate noise does not separate the games: if a level's condition "
        "came from the generator below, its training would still wait on that generator",
        "e46f34f73a0c61a4": "separate weights are not enough: a level conditioned on the "
        "generator below would depend on it through its input",
        "4e4b71421daf57a2": "exact reconstruction is why the pyramid is a faithful representation; "
        "independence comes from where the training condition is taken: from the real image",
    },
)
