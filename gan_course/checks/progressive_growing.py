"""Checks for exercise 12: progressive growing.

`from gan_course.checks.progressive_growing import check_pixel_norm, check_minibatch_stddev,
check_equalized_conv, check_fade_in, check_real_at`, and the exercise's concept questions
("12.*").
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from ..families import progressive as family
from ..models import progan as models
from . import questions
from .core import Check, _close

NEAREST = (
    "double the old image with nearest-neighbour upsampling, `double` (every pixel repeated 2x2), "
    "as the paper does: the grown network then draws exactly the old one's image at alpha = 0"
)


def _tensor(c: Check, got, call: str, shape) -> Tensor:
    c.expect_tensor(got, f"what {call} returns")
    c.expect_shape(got, shape, f"the shape of {call}")
    return got


# ------------------------------------------------------------------------------ 1 pixel norm

PIXEL_CASES = ((5, 8, 4, 4), (3, 16, 8, 8), (6, 32))  # (N, C, H, W) maps, and (N, C) vectors


def _pixel_mistakes(x: Tensor) -> list[tuple[Tensor, str]]:
    def rms(t: Tensor, dim) -> Tensor:
        return torch.sqrt(t.pow(2).mean(dim=dim, keepdim=True) + 1e-8)

    wrong = [
        (x / rms(x, -1), "normalise over the features, dim=1 (the channels), not the last axis "
         "(a row of pixels)"),
        (x / rms(x, 0), "normalise each sample's own pixel, over its channels (dim=1), not over "
         "the batch (dim=0): that would be a batch norm without its mean"),
        (x / (x.norm(dim=1, keepdim=True) + 1e-8), "divide by the root *mean* square, "
         "sqrt(mean(a^2) + eps), not the L2 norm: a unit vector is sqrt(C) times too small"),
        ((x - x.mean(dim=1, keepdim=True)) / rms(x - x.mean(dim=1, keepdim=True), 1),
         "pixel norm does not subtract the mean: it only divides by the root mean square"),
    ]  # fmt: skip
    if x.dim() == 4:
        every = tuple(range(1, x.dim()))
        wrong.append((x / rms(x, every), "one pixel at a time: the mean of a^2 over the "
                      "channels only (dim=1, keepdim=True), not over the whole map"))  # fmt: skip
    return wrong


def check_pixel_norm(fn) -> None:
    """`pixel_norm(x)`: every pixel's feature vector (dim 1) over its root mean square,
    x / sqrt(mean(x^2 over dim 1) + 1e-8); for (N, C, H, W) maps and (N, C) vectors alike."""
    with Check("pixel_norm", reference=models.PixelNorm) as c:
        for case, shape in enumerate(PIXEL_CASES):
            x = torch.randn(*shape) * (1 + 3 * torch.rand(*shape[:2], *([1] * (len(shape) - 2))))
            x[0, :, ...] = 0  # a pixel (a whole sample) of zeros: needs the eps
            call = f"pixel_norm(x of shape {tuple(shape)})"
            given = x.clone()
            got = _tensor(c, c.call(fn, given), call, shape)
            c.expect_kept(given, x, f"the tensor you gave {call}")
            c.expect(
                bool(torch.isfinite(got).all()),
                f"{call} where every feature of a pixel is 0",
                "0, finite",
                "nan or inf",
                hint="add the eps inside the square root, sqrt(mean(a^2) + 1e-8): a pixel whose "
                "features are all 0 would divide 0 by 0",
            )
            want = models.PixelNorm()(x)
            c.expect_close(
                got,
                want,
                f"{call}",
                hint="x / torch.sqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)",
                mistakes=_pixel_mistakes(x),
            )
            if case == 0:
                rms = got[1:].pow(2).mean(dim=1)
                c.expect_close(
                    rms,
                    torch.ones_like(rms),
                    "the mean square of each pixel's features after pixel_norm",
                    hint="each pixel's features, squared and averaged over the channels, are 1",
                )


# ------------------------------------------------------------------------------ 2 minibatch std

STD_CASES = ((4, 3, 4, 4), (7, 2, 4, 4), (3, 5, 2, 2))  # unequal batch sizes on purpose


def _std_mistakes(x: Tensor) -> list[tuple[Tensor, str]]:
    n, _, h, w = x.shape

    def appended(value: Tensor) -> Tensor:
        return torch.cat([x, value.expand(n, 1, h, w)], dim=1)

    unbiased = torch.sqrt(x.var(dim=0, unbiased=True) + 1e-8).mean()
    over_channels = torch.sqrt(x.var(dim=1, unbiased=False) + 1e-8).mean()
    no_eps = torch.sqrt(x.var(dim=0, unbiased=False)).mean()
    return [
        (appended(unbiased), "divide by N, not N - 1: torch.std and torch.var correct for bias "
         "by default; pass unbiased=False (or correction=0)"),
        (appended(over_channels), "the spread over the *batch*, dim=0: each feature at each "
         "pixel, across the samples; not across the channels of one sample"),
        (appended(no_eps), "add 1e-8 inside the square root: a batch of identical samples has "
         "variance 0, and the square root's gradient at 0 is infinite"),
    ]  # fmt: skip


def check_minibatch_stddev(fn) -> None:
    """`minibatch_stddev(x)`: (N, C, H, W) -> (N, C + 1, H, W), the extra map holding one number
    everywhere: sqrt(var over the batch + 1e-8) of each feature at each pixel, averaged."""
    with Check("minibatch_stddev", reference=models.MinibatchStdDev) as c:
        for case, shape in enumerate((*STD_CASES, (4, 2, 4, 4))):
            n, channels, h, w = shape
            x = torch.randn(*shape) * (0.5 + torch.rand(1, channels, 1, 1))
            if case == len(STD_CASES):
                x = x[:1].expand(*shape).clone()  # identical samples: no spread at all
            call = f"minibatch_stddev(x of shape {shape})"
            given = x.clone().requires_grad_(True)
            got = c.call(fn, given)
            c.expect_tensor(got, f"what {call} returns")
            if tuple(got.shape) == (n, 2 * channels, h, w):
                hint = "average the standard deviations over features and pixels into ONE number"
            else:
                hint = "append one feature map: torch.cat([x, stat.expand(n, 1, h, w)], dim=1)"
            c.expect_shape(got, (n, channels + 1, h, w), f"the shape of {call}", hint=hint)
            c.expect_kept(given.detach(), x, f"the tensor you gave {call}")
            c.expect(
                not _close(got[:, 1:], x, 1e-5, 1e-4),
                f"where {call} puts the new map",
                "last, after x's feature maps",
                "first",
                hint="append the new map after the features: torch.cat([x, stat], dim=1)",
            )
            c.expect_close(
                got[:, :channels],
                x,
                f"the first {channels} feature maps of {call}",
                hint="keep x as it is and append the new map after it",
            )
            extra = got[:, channels]
            c.expect(
                _close(extra, extra.flatten()[0].expand_as(extra), 1e-6, 1e-5),
                f"the appended map of {call}",
                "one number, the same for every sample and pixel",
                "values that vary",
                hint="one statistic for the whole batch: .mean() over all its features and "
                "pixels, then expand it to (N, 1, H, W)",
            )
            want = models.MinibatchStdDev()(x)
            c.expect_close(
                got,
                want,
                f"{call}",
                hint="torch.sqrt(x.var(dim=0, unbiased=False) + 1e-8).mean(), appended as a map",
                mistakes=_std_mistakes(x),
            )
            if case == 0:
                got[:, channels].sum().backward()
                c.expect(
                    given.grad is not None and given.grad.abs().sum().item() > 0,
                    "a gradient from the appended map back to x",
                    "a non-zero gradient",
                    "none",
                    hint="keep the statistic a tensor of the graph (no .item(), .detach() or "
                    ".data): G has to feel through it how varied its batch is",
                )


# ------------------------------------------------------------------------------ 3 equalised lr


def _he(c_in: int, kernel: int) -> float:
    return math.sqrt(2 / (c_in * kernel * kernel))


def check_equalized_conv(cls) -> None:
    """`EqualizedConv2d(c_in, c_out, kernel, padding=0)`: weight (c_out, c_in, k, k) stored as
    N(0, 1), bias zeros; the forward pass convolves with weight * sqrt(2 / (c_in k k)),
    computed at run time, never folded into the stored weight."""
    with Check("EqualizedConv2d", reference=models.EqualizedConv2d) as c:
        for c_in, c_out, kernel, padding in ((16, 24, 3, 1), (5, 3, 1, 0), (8, 4, 3, 0)):
            made = f"EqualizedConv2d({c_in}, {c_out}, {kernel}, padding={padding})"
            conv = c.call(cls, c_in, c_out, kernel, padding=padding)
            c.expect_module(conv, made)
            params = dict(conv.named_parameters())
            c.expect(
                set(params) == {"weight", "bias"},
                f"the parameters of {made}",
                "weight and bias, and nothing else",
                sorted(params),
                hint="self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel)) and "
                "self.bias = nn.Parameter(torch.zeros(c_out)); the scale is a plain number, not "
                "a parameter (it must not learn), and no nn.Conv2d inside",
            )
            weight, bias = params["weight"], params["bias"]
            c.expect_shape(weight, (c_out, c_in, kernel, kernel), f"{made}.weight's shape")
            c.expect_shape(bias, (c_out,), f"{made}.bias's shape")
            if weight.numel() >= 1000:  # enough weights to tell N(0, 1) from He's N(0, c^2)
                std, he = weight.std().item(), _he(c_in, kernel)
                hint = "store weights drawn from N(0, 1), torch.randn"
                if abs(std - he) < 0.3 * he:
                    hint = (
                        "the scale belongs in forward, not in the stored weight: a weight drawn "
                        "with std sqrt(2/fan_in) is He's initialisation, and Adam would still "
                        "move every weight by about lr, too much for it; store N(0, 1) and "
                        "multiply by the scale at run time"
                    )
                c.expect(0.9 < std < 1.1, f"the std of {made}.weight", "about 1", std, hint)
            c.expect(
                bool((bias == 0).all()),
                f"{made}.bias at the start",
                "zeros",
                "other values",
                hint="torch.zeros(c_out)",
            )
            with torch.no_grad():  # weights a few Adam steps would have moved anywhere
                weight.copy_(torch.randn_like(weight) * 2 + 0.5)
                bias.copy_(torch.randn_like(bias))
            x = torch.randn(3, c_in, 6, 6)
            got = c.call(conv, x)
            c.expect_tensor(got, f"{made}(x)")
            size = 6 + 2 * padding - kernel + 1
            c.expect_shape(
                got,
                (3, c_out, size, size),
                f"the shape of {made}(x of shape (3, {c_in}, 6, 6))",
                hint="pass the padding on: F.conv2d(x, w, b, padding=self.padding)",
            )
            w = weight.detach()
            want = F.conv2d(x, w * _he(c_in, kernel), bias.detach(), padding=padding)
            c.expect_close(
                got,
                want,
                f"{made}(x) after its weight was changed (as training does)",
                hint="F.conv2d(x, self.weight * self.scale, self.bias, padding=...), with "
                "scale = sqrt(2 / (c_in * kernel * kernel)), in forward",
                mistakes=[
                    (F.conv2d(x, w, bias.detach(), padding=padding), "multiply the weight by "
                     "the scale in forward, on every call: a scale applied once at init is lost "
                     "as soon as training moves the weight"),
                    (F.conv2d(x, w * math.sqrt(2 / c_in), bias.detach(), padding=padding),
                     "fan in counts every input a weight sees: c_in * kernel * kernel"),
                    (F.conv2d(x, w * math.sqrt(2 / (c_out * kernel**2)), bias.detach(),
                              padding=padding), "the fan *in*, c_in * kernel * kernel, not c_out"),
                    (F.conv2d(x, w * math.sqrt(1 / (c_in * kernel**2)), bias.detach(),
                              padding=padding), "He's constant has a 2 for the LeakyReLUs: "
                     "sqrt(2 / fan_in)"),
                ],
            )  # fmt: skip


# ------------------------------------------------------------------------------ 4 the fade-in

FADE_CASES = ((4, 1, 4, 0.0), (4, 1, 4, 0.3), (2, 3, 8, 0.75), (5, 2, 8, 1.0))


def check_fade_in(fn) -> None:
    """`fade_in(old, new, alpha)`: (1 - alpha) * double(old) + alpha * new, with `old`
    (N, C, S, S) the old block's image and `new` (N, C, 2S, 2S) the new block's."""
    with Check("fade_in", reference=models.fade_in) as c:
        for n, channels, size, alpha in FADE_CASES:
            old, new = (
                torch.randn(n, channels, size, size),
                torch.randn(n, channels, 2 * size, 2 * size),
            )
            call = f"fade_in(old {tuple(old.shape)}, new {tuple(new.shape)}, alpha={alpha})"
            kept = old.clone(), new.clone()
            got = c.call(fn, kept[0], kept[1], alpha)
            c.expect_tensor(got, f"what {call} returns")
            c.expect_shape(
                got,
                new.shape,
                f"the shape of {call}",
                hint="the old image is half the size: double(old) before blending",
            )
            c.expect_kept(kept[0], old, f"the tensor you gave {call}")
            c.expect_kept(kept[1], new, f"the tensor you gave {call}")
            up = models.double(old)
            bilinear = F.interpolate(old, scale_factor=2, mode="bilinear", align_corners=False)
            what = {0.0: " (at alpha = 0: the old network's image, doubled)", 1.0: " (at alpha "
                    "= 1: the new block's image alone)"}.get(alpha, "")  # fmt: skip
            c.expect_close(
                got,
                models.fade_in(old, new, alpha),
                f"{call}{what}",
                hint="(1 - alpha) * double(old) + alpha * new",
                mistakes=[
                    (alpha * up + (1 - alpha) * new, "alpha is the *new* block's weight: it "
                     "rises from 0 (old network only) to 1 (new block only)"),
                    ((1 - alpha) * bilinear + alpha * new, NEAREST),
                    (up + alpha * new, "weigh the old image by (1 - alpha) so that the two "
                     "weights add up to 1"),
                ],
            )  # fmt: skip


# ------------------------------------------------------------------------------ 5 the real images

REAL_CASES = ((6, 1, 16, 8, 0.4), (4, 2, 16, 16, 0.25), (3, 1, 16, 4, 1.0), (5, 1, 8, 8, 1.0))


def check_real_at(fn) -> None:
    """`real_at(images, size, alpha)`: real images as D sees them at a stage of `size` pixels,
    halved (average pooling) down to `size`, then, while fading in, blended with their own
    coarser version as the fakes are: (1 - alpha) * double(halve(x)) + alpha * x."""
    with Check("real_at", reference=family.real_at) as c:
        for n, channels, full, size, alpha in REAL_CASES:
            images = torch.rand(n, channels, full, full) * 2 - 1
            call = f"real_at(images {tuple(images.shape)}, size={size}, alpha={alpha})"
            given = images.clone()
            got = c.call(fn, given, size, alpha)
            c.expect_tensor(got, f"what {call} returns")
            c.expect_shape(
                got,
                (n, channels, size, size),
                f"the shape of {call}",
                hint="halve the images until they have the stage's size; the size is a "
                "parameter, not always 16 or 8",
            )
            c.expect_kept(given, images, f"the tensor you gave {call}")
            small = images
            while small.shape[-1] > size:
                small = models.halve(small)
            strided = images[..., :: full // size, :: full // size]
            c.expect_close(
                got,
                family.real_at(images, size, alpha),
                call,
                hint="halve (average pooling) down to the size, then, if alpha < 1, "
                "(1 - alpha) * double(halve(x)) + alpha * x",
                mistakes=[
                    (small, "while a block fades in, the fakes are a blend of the old block's "
                     "coarse image and the new one's: blend the reals the same way, or D tells "
                     "them apart by sharpness alone"),
                    (strided if alpha == 1 else strided * alpha + (1 - alpha) * models.double(
                        models.halve(strided)), "halve by averaging each 2x2 block (`halve`, "
                     "average pooling): keeping every second pixel aliases thin strokes away"),
                    (alpha * models.double(models.halve(small)) + (1 - alpha) * small,
                     "alpha is the weight of the image at the new size: (1 - alpha) goes to "
                     "the coarse version"),
                ],
            )  # fmt: skip


__all__ = [
    "check_pixel_norm",
    "check_minibatch_stddev",
    "check_equalized_conv",
    "check_fade_in",
    "check_real_at",
]


# ---------------------------------------------------------------------------- concept questions

questions.choice(
    "12.alpha_zero",
    "abcd",
    right="96f351ca3ba599f6",
    meaning="At alpha = 0 the output is (1 - 0) * double(old) + 0 * new: the old network's "
    "image, each pixel repeated 2x2. Growing changes nothing the moment it happens; the new "
    "block takes over only as alpha rises, so what the smaller network learned is not shaken up.",
    why={
        "2c5afd7063ba0e57": "the new block is untrained, but at alpha = 0 its image has weight "
        "0: the output is the old image, doubled",
        "9d7465bd2b9bafde": "a blend of both comes later, while alpha is between 0 and 1; at "
        "alpha = 0 the new block's weight is 0",
        "0963961d8a7d3c85": "nothing restarts: the old blocks keep their weights and go on "
        "training; the fade-in exists precisely so that the grown network starts where the "
        "small one was",
    },
)
questions.number(
    "12.he_constant",
    math.sqrt(2 / 288),
    0.001,
    meaning="fan in = 32 channels x 3 x 3 = 288 inputs per output, so c = sqrt(2 / 288) = "
    "0.0833: the stored N(0, 1) weights are multiplied by 0.0833 in every forward pass.",
    traps=[
        (math.sqrt(2 / 32), 0.001, "fan in counts the kernel too: 32 x 3 x 3 inputs"),
        (math.sqrt(2 / 9), 0.001, "fan in counts the input channels too: 32 x 3 x 3 inputs"),
        (2 / 288, 0.0005, "He's constant is a square root: sqrt(2 / fan_in)"),
        (math.sqrt(1 / 288), 0.001, "He's constant has a 2 (for the LeakyReLUs): sqrt(2 / fan_in)"),
    ],
    off="c = sqrt(2 / fan_in), and fan_in = input channels x kernel x kernel",
)
questions.choice(
    "12.stddev_why",
    "abcd",
    right="6a4dd63213095063",
    meaning="The extra map tells D how varied the batch in front of it is. A generator that "
    "collapses makes batches of near copies, with a far smaller spread than real batches, which "
    "D can now call fake; G's gradient flows through the statistic too, towards variety.",
    why={
        "004208909f23d3cf": "it normalises nothing: x is passed on unchanged and one map is "
        "added, a statistic D can read",
        "deedda82c5433136": "it adds no randomness: the map is a fixed function of the batch, "
        "the same number for every sample in it",
        "e47e21abefc9b195": "on the contrary: D's output now depends on the whole batch, not "
        "only on each image",
    },
)
