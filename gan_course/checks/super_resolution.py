"""Checks for exercise 14: super-resolution.

`from gan_course.checks.super_resolution import check_pixel_shuffle, check_psnr_y,
check_content_loss, check_srgan_g_loss`, and the exercise's concept questions ("14.*").
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import metrics
from ..families import superres
from ..models.srgan import FeatureNet
from . import questions
from .core import Check, LearnerError, _names_in

# ------------------------------------------------------------------------------ 1 pixel shuffle

# (N, C, h, w); the first case square, so that a block or an image transposed gives wrong
# values instead of a wrong shape; C > 1, so that channels grouped the wrong way show; the sizes
# vary and h != w later, so that nothing is hard-coded
SHUFFLE_CASES = ((2, 3, 4, 4), (1, 2, 3, 5), (3, 1, 2, 6), (2, 4, 5, 3))
SHUFFLE_RULE = (
    "pixel (2i + a, 2j + b) of output map c is input channel 4c + 2a + b at (i, j): "
    "x.view(N, C, 2, 2, h, w), then permute so that the axes read (N, C, h, 2, w, 2), then "
    "reshape to (N, C, 2h, 2w)"
)

HEIGHT_FIRST = (
    "height first: the image comes out transposed; the axes must read (N, C, h, 2, w, 2), "
    "h and its row offset before w and its column offset"
)


def _blocks(x: Tensor, order, grouping: str = "C4") -> Tensor:
    """x (N, 4C, h, w) as (N, C, a, b, h, w) (or (N, a, b, C, h, w) with `grouping` "4C",
    then put in the axis order (N, C, a, b, h, w) once more), permuted by `order`, flattened."""
    n, c4, h, w = x.shape
    c = c4 // 4
    if grouping == "C4":
        blocks = x.reshape(n, c, 2, 2, h, w)
    else:
        blocks = x.reshape(n, 2, 2, c, h, w).permute(0, 3, 1, 2, 4, 5)
    return blocks.permute(order).reshape(n, c, 2 * h, 2 * w)


def _shuffle_mistakes(x: Tensor) -> list[tuple[Tensor, str]]:
    n, c4, h, w = x.shape
    return [
        (_blocks(x, (0, 1, 4, 3, 5, 2)), "each 2x2 block comes out transposed: the row offset "
         "a (dim 2 of x.view(N, C, 2, 2, h, w)) goes beside h, and the column offset b (dim 3) "
         "beside w: permute(0, 1, 4, 2, 5, 3)"),
        (_blocks(x, (0, 1, 4, 2, 5, 3), "4C"), "channels 4c, 4c + 1, 4c + 2, 4c + 3 make output "
         "map c: view the channels as (C, 2, 2), not (2, 2, C)"),
        (_blocks(x, (0, 1, 4, 3, 5, 2), "4C"), "channels 4c .. 4c + 3 make output map c (view "
         "them as (C, 2, 2), not (2, 2, C)), and each block comes out transposed as well"),
        (x.reshape(n, c4 // 4, 2 * h, 2 * w), "reshape alone moves no pixel: it reads the "
         "numbers in their order in memory; a permute must bring each 2x2 block's offsets next "
         "to h and w first"),
        (_blocks(x, (0, 1, 2, 4, 3, 5)), "that tiles four h x w images side by side: each "
         "block's offsets go *after* h and w, (N, C, h, 2, w, 2), so that neighbouring output "
         "pixels come from the same input pixel"),
        (_blocks(x, (0, 1, 5, 3, 4, 2)), HEIGHT_FIRST),
        (_blocks(x, (0, 1, 5, 2, 4, 3)), HEIGHT_FIRST),
    ]  # fmt: skip


def check_pixel_shuffle(fn) -> None:
    """`pixel_shuffle(x)`: (N, 4C, h, w) -> (N, C, 2h, 2w), channels 4c .. 4c + 3 of each input
    pixel (i, j) making the 2x2 block of output map c at (2i, 2j), as `F.pixel_shuffle(x, 2)`;
    written with reshape and permute."""
    with Check("pixel_shuffle") as c:
        used = _names_in(fn.__code__) if hasattr(fn, "__code__") else set()
        c.expect(
            not used & {"pixel_shuffle", "PixelShuffle"},
            "how your pixel_shuffle is written",
            "with reshape (or view) and permute",
            "with PyTorch's own pixel shuffle",
            hint="write it with .reshape and .permute: F.pixel_shuffle is what the check "
            "compares yours with",
        )
        for i, shape in enumerate(SHUFFLE_CASES):
            n, c4, h, w = shape[0], 4 * shape[1], shape[2], shape[3]
            x = torch.randn(n, c4, h, w)
            call = f"pixel_shuffle(x {(n, c4, h, w)})"
            given = x.clone()
            try:
                got = c.call(fn, given)
            except LearnerError as err:
                if i == 0:
                    raise
                n0, c0, h0, w0 = SHUFFLE_CASES[0]
                hint = f"it ran on x {(n0, 4 * c0, h0, w0)}: are sizes hard-coded? Read N, h "
                hint += f"and w from x.shape, and C as x.shape[1] // 4 ({err.hint})"
                raise LearnerError(c.task, f"{call}: {err.what}", hint=hint) from err
            c.expect_tensor(got, f"what {call} returns")
            want_shape = (n, c4 // 4, 2 * h, 2 * w)
            hint = "4 channels become one 2x2 block: (N, 4C, h, w) -> (N, C, 2h, 2w)"
            if tuple(got.shape) == (n, c4, h, w):
                hint = "that is the input's shape: rearrange it into (N, C, 2h, 2w)"
            elif tuple(got.shape) == (n, c4 // 4, 2 * w, 2 * h):
                hint = HEIGHT_FIRST.replace("comes out transposed", "is (N, C, 2h, 2w)")
            c.expect_shape(got, want_shape, f"the shape of {call}", hint=hint)
            c.expect_kept(given, x, f"the x you gave {call}")
            c.expect_close(
                got,
                F.pixel_shuffle(x, 2),
                f"{call}, against F.pixel_shuffle(x, 2)",
                hint=SHUFFLE_RULE,
                mistakes=_shuffle_mistakes(x),
            )


# ------------------------------------------------------------------------------ 2 PSNR

# (H, W, border): the border as given (None: left to the default, 4); 0 and 2 catch a crop
# that ignores it, and 0 the slice y[b:-b], which is empty when b = 0
PSNR_CASES = ((24, 20, None), (17, 31, None), (16, 16, 0), (20, 28, 2))
PEAK = 255.0


def _psnr_inputs(h: int, w: int):
    """A true luma (1, H, W), 16..235, and an estimate of it: small errors inside, large ones
    in a 4-pixel frame (so that the crop matters), and a few pixels beyond 0..255, as a
    network's output can overshoot (so that the clipping matters)."""
    truth = 16 + 219 * torch.rand(1, h, w)
    image = truth + 6 * torch.randn(1, h, w)
    frame = torch.ones(h, w, dtype=torch.bool)
    frame[4:-4, 4:-4] = False
    image[0][frame] += 40 * torch.randn(int(frame.sum()))
    image[0, h // 2, w // 2], image[0, h // 2 + 1, w // 3] = -60.0, 330.0  # overshoots
    return image, truth


def _psnr_from(mse, peak=PEAK, log=math.log10) -> float:
    return 10 * log(peak**2 / mse)


def _psnr_mistakes(image: Tensor, truth: Tensor, border: int) -> list[tuple[float, str]]:
    def cropped(y: Tensor, b: int) -> Tensor:
        return y.double()[0, b : y.shape[1] - b, b : y.shape[2] - b]

    def mse(b: int = border, clip: bool = True, sums: bool = False) -> float:
        diff = cropped(image.clamp(0, 255) if clip else image, b) - cropped(truth, b)
        return float(diff.pow(2).sum() if sums else diff.pow(2).mean())

    wrong = [
        (_psnr_from(mse(b=0)), "crop `border` pixels off each side of both images first "
         "(y[:, b:H - b, b:W - b]): the network cannot see past the edge of the small image, "
         "and the published tables leave the border out"),
        (_psnr_from(mse(clip=False)), "clip the image to 0..255 first (.clamp(0, 255)): a "
         "network's output can overshoot, and a saved image cannot"),
        (_psnr_from(mse(), peak=1.0), "the peak is 255, not 1: these lumas are 0..255"),
        (_psnr_from(mse(), log=math.log), "decibels use the base-10 logarithm: torch.log10 or "
         "math.log10, not torch.log"),
        (10 * math.log10(PEAK / mse()), "the peak *squared* over the MSE: 10 log10(255**2 / "
         "MSE), or 20 log10(255 / sqrt(MSE))"),
        (20 * math.log10(PEAK / mse()), "20 log10(255 / RMSE) takes the *root* of the mean "
         "squared error: 20 log10(255 / sqrt(MSE)), or 10 log10(255**2 / MSE)"),
        (_psnr_from(mse(sums=True)), "the *mean* squared error: .mean(), not .sum()"),
        (_psnr_from(mse(), peak=float(truth.max())), "the peak is the largest value a pixel "
         "can take, 255, not the largest one in this image"),
        (_psnr_from(mse(), peak=float(image.clamp(0, 255).max())), "the peak is the largest "
         "value a pixel can take, 255, not the largest one in this image"),
    ]  # fmt: skip
    if border != 4:
        wrong.insert(0, (_psnr_from(mse(b=4)), "crop `border` pixels, the argument: the check "
                         f"passes border={border} here (4 is only the default)"))  # fmt: skip
    return wrong


def check_psnr_y(fn) -> None:
    """`psnr_y(image, truth, border=4)`: lumas (1, H, W) in 0..255, `border` pixels cropped
    off each side, the image clipped to 0..255, then 10 log10(255^2 / MSE) in dB."""
    with Check("psnr_y", reference=metrics.psnr_y) as c:
        for h, w, border in PSNR_CASES:
            image, truth = _psnr_inputs(h, w)
            args = "" if border is None else f", border={border}"
            call = f"psnr_y(image (1, {h}, {w}), truth (1, {h}, {w}){args})"
            given = image.clone(), truth.clone()
            kwargs = {} if border is None else {"border": border}
            got = c.call(fn, *given, **kwargs)
            value = c.expect_scalar(
                got, f"what {call} returns", hint="one number in dB: return a float (or a 0-d "
                "tensor), the PSNR of the whole image"
            )  # fmt: skip
            c.expect_kept(given[0], image, f"the image you gave {call}",
                          hint="don't clip or crop the image in place (.clamp_, -=): clip a "
                          "copy, image.clamp(0, 255)")  # fmt: skip
            c.expect_kept(given[1], truth, f"the truth you gave {call}")
            b = 4 if border is None else border
            hint = "10 log10(255**2 / MSE)"
            if b == 0:
                hint = "y[b:-b] is empty when b = 0 (-0 is 0): slice to H - b, y[:, b:H - b]"
            c.expect_finite(value, call, hint)
            c.expect_close(
                value,
                metrics.psnr_y(image, truth, b),
                call,
                hint="crop, clip the image to 0..255, then 10 log10(255**2 / MSE)",
                mistakes=_psnr_mistakes(image, truth, b),
                atol=1e-3,
                rtol=1e-5,
            )


# ------------------------------------------------------------------------------ 3 content loss

# (which feature network, N, H, W, whether `real` requires grad): `real` that requires grad (as
# if a network had made it) shows gradients flowing into the target branch
CONTENT_CASES = (("FeatureNet", 3, 16, 16, True), ("conv", 2, 12, 20, False),
                 ("FeatureNet", 4, 8, 12, True))  # fmt: skip
NO_DETACH = (
    "the real image's features are the target, a constant: compute them under torch.no_grad() "
    "or .detach() them (in the division too), so that no gradient flows into the target branch"
)

FAKE_BRANCH = (
    "G learns from this loss through the fake images: compute features(fake) with autograd on "
    "(no .detach(), .item() or torch.no_grad() on the fake branch)"
)


def _feature_net(kind: str) -> nn.Module:
    """A frozen feature network, in eval mode: the course's FeatureNet or a small conv stack."""
    if kind == "FeatureNet":
        net = FeatureNet(channels=1, width=4)
    else:
        net = nn.Sequential(nn.Conv2d(1, 6, 3, 1, 1), nn.ReLU(), nn.Conv2d(6, 5, 3, 2, 1))
    return net.requires_grad_(False).eval()


def _content_mistakes(phi: nn.Module, fake: Tensor, real: Tensor) -> list[tuple[Tensor, str]]:
    with torch.no_grad():
        pf, pr = phi(fake), phi(real)
        mse = F.mse_loss(pf, pr)
        size = pr.pow(2).mean()
        pixels = F.mse_loss(fake, real)
        of_difference = phi(fake - real).pow(2).mean()
    relative = "the loss is relative: divide by the real features' mean square, "
    relative += "features(real).pow(2).mean()"
    return [
        (pixels / real.pow(2).mean(), "compare the feature maps, features(fake) and "
         "features(real), not the pixels: the features let G draw detail that differs pixel "
         "by pixel yet has the same texture"),
        (pixels, "compare the feature maps, features(fake) and features(real), not the pixels; "
         "then divide by the real features' mean square"),
        (mse, relative),
        ((pf - pr).pow(2).sum() / size, "the *mean* squared difference of the features (or "
         "sum over sum): .sum() in the numerator alone grows with the batch and the image size"),
        (mse / pf.pow(2).mean(), "relative to the *real* features, the target: "
         "features(real).pow(2).mean(), not the fake ones"),
        (mse / real.pow(2).mean(), "divide by the real *features'* mean square, not the real "
         "pixels'"),
        (mse / pr.abs().mean(), "divide by the mean *square* of the real features, "
         "features(real).pow(2).mean()"),
        (mse / pr.pow(2).mean().sqrt(), "divide by the mean square of the real features, not "
         "its square root"),
        (mse / pr.norm(), "divide by the *mean* square of the real features, "
         "features(real).pow(2).mean(), not their norm"),
        ((pf - pr).abs().mean() / size, "the *squared* difference of the features, "
         "F.mse_loss, not the absolute one"),
        (of_difference / size, "the features of each image, then their difference: "
         "features(fake) - features(real); the network is not linear, so features(fake - real) "
         "is something else"),
        (of_difference, "the features of each image, then their difference; and divide by the "
         "real features' mean square"),
    ]  # fmt: skip


def check_content_loss(fn) -> None:
    """`content_loss(features, fake, real)`: mean((features(fake) - features(real))^2) /
    mean(features(real)^2), the real features a constant (no gradient), a 0-d tensor that
    autograd can follow back to `fake`."""
    with Check("content_loss", reference=superres.content_loss) as c:
        for kind, n, h, w, real_grad in CONTENT_CASES:
            phi = _feature_net(kind)
            real = torch.rand(n, 1, h, w) * 2 - 1
            # G's output, duller and noisier than the truth: its features' size differs
            fake = (0.6 * real + 0.2 + 0.3 * torch.randn(n, 1, h, w)).clamp(-1, 1)
            call = f"content_loss({kind}, fake {(n, 1, h, w)}, real {(n, 1, h, w)})"
            given_fake = fake.clone().requires_grad_(True)
            given_real = real.clone().requires_grad_(real_grad)
            got = c.call(fn, phi, given_fake, given_real)
            c.expect_tensor(got, f"what {call} returns", hint="return the loss as a tensor "
                            "(no .item()), so that G can learn from it")  # fmt: skip
            c.expect_scalar(got, f"what {call} returns", hint="one number for the batch: "
                            "average with .mean() (F.mse_loss does)")  # fmt: skip
            c.expect_kept(given_fake.detach(), fake, f"the fake you gave {call}")
            c.expect_kept(given_real.detach(), real, f"the real you gave {call}")
            c.expect(
                given_real.requires_grad == real_grad,
                f"the real you gave {call}, after the call",
                "as it was (requires_grad=True)",
                "detached in place",
                hint="real.detach_() detaches the caller's tensor itself: use real.detach() "
                "or torch.no_grad(), which leave it alone",
            )
            c.expect_close(
                got,
                superres.content_loss(phi, fake, real),
                call,
                hint="F.mse_loss(features(fake), target) / target.pow(2).mean(), with "
                "target = features(real).detach()",
                mistakes=_content_mistakes(phi, fake, real),
                atol=1e-7,
            )
            c.expect(
                got.requires_grad,
                f"can autograd follow {call} back to the fake images?",
                "a tensor with a gradient",
                "a tensor without one",
                hint=FAKE_BRANCH,
            )
            c.run(got.backward)
            wanted = given_fake.detach().clone().requires_grad_(True)
            superres.content_loss(phi, wanted, real).backward()
            c.expect(
                given_fake.grad is not None and _all_close(given_fake.grad, wanted.grad),
                f"the gradient of {call} with respect to fake",
                "the gradient of the content loss",
                "none" if given_fake.grad is None else "a different one",
                hint=FAKE_BRANCH,
            )
            if real_grad:
                leak = given_real.grad is not None and bool(given_real.grad.abs().max() > 0)
                c.expect(
                    not leak,
                    f"the gradient of {call} with respect to real, which requires grad here",
                    "none: the target is a constant",
                    "a gradient",
                    hint=NO_DETACH,
                )


def _all_close(a: Tensor, b: Tensor) -> bool:
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=1e-6, rtol=1e-4))


# ------------------------------------------------------------------------------ 4 SRGAN's G loss

# (N, content); the logits spread from D fooled (+) to D sure (-8): there the saturating loss
# and the non-saturating one differ most
G_LOSS_CASES = ((16, 0.31), (5, 1.7), (9, 0.05))
ADVERSARIAL_WEIGHT = 1e-3


def _g_loss_mistakes(content: Tensor, logits: Tensor) -> list[tuple[Tensor, str]]:
    w = ADVERSARIAL_WEIGHT
    adversarial = F.softplus(-logits).mean()  # -log D(G(x))
    return [
        (content - w * F.softplus(logits).mean(), "log(1 - D(G(x))) is the *saturating* loss: "
         "its gradient vanishes when D rejects the fakes; use -log D(G(x)) = "
         "F.softplus(-fake_logits).mean()"),
        (content - w * adversarial, "G *minimises* -log D(G(x)): add the adversarial term; "
         "subtracting it rewards G for being caught"),
        (content + w * F.softplus(logits).mean(), "that is D's loss on the fakes, "
         "-log(1 - D(G(x))), which G would minimise by being caught: G wants D to say real, "
         "BCE against label 1, F.softplus(-fake_logits).mean()"),
        (content + adversarial, "weigh the adversarial term by 1e-3 (the paper's): at weight "
         "1 it drowns the content loss"),
        (content + 1e-2 * adversarial, "the adversarial weight is 1e-3, not 1e-2"),
        (w * content + adversarial, "the weight 1e-3 goes on the adversarial term; the content "
         "loss counts fully"),
        (w * adversarial, "add the content loss: the adversarial term alone keeps G realistic "
         "but not faithful to the small image"),
        (content + w * F.softplus(-logits).sum(), "the *mean* over the batch: .mean(), not "
         ".sum()"),
        ((content + w * adversarial) / 2, "add the two terms, content + 1e-3 * adversarial; "
         "don't average them"),
    ]  # fmt: skip


def check_srgan_g_loss(fn) -> None:
    """`srgan_g_loss(content, fake_logits)`: content + 1e-3 * (-log D(G(x))) with
    -log D(G(x)) = mean(softplus(-fake_logits)), a 0-d tensor that autograd can follow back to
    both."""
    with Check("srgan_g_loss") as c:
        for n, value in G_LOSS_CASES:
            logits = torch.randn(n) * 3
            logits[0], logits[-1] = -8.0, 2.5  # D sure it is a fake; D fooled
            call = f"srgan_g_loss(content={value}, fake_logits ({n},))"
            content = torch.tensor(value)
            given_content = content.clone().requires_grad_(True)
            given_logits = logits.clone().requires_grad_(True)
            got = c.call(fn, given_content, given_logits)
            c.expect_tensor(got, f"what {call} returns", hint="return the loss as a tensor "
                            "(no .item()), so that G can learn from it")  # fmt: skip
            c.expect_scalar(got, f"what {call} returns", hint="one number for the batch: "
                            "average the adversarial term with .mean()")  # fmt: skip
            c.expect_kept(given_logits.detach(), logits, f"the fake_logits you gave {call}")
            c.expect_finite(
                got.item(),
                call,
                "these are logits, not probabilities: -log D(G(x)) = F.softplus(-fake_logits), "
                "-log sigmoid(logits), computed stably",
            )
            want = content + ADVERSARIAL_WEIGHT * F.softplus(-logits).mean()
            c.expect_close(
                got,
                want,
                call,
                hint="content + 1e-3 * F.softplus(-fake_logits).mean()",
                mistakes=_g_loss_mistakes(content, logits),
            )
            c.expect_differentiable(got, "the fake logits")
            c.run(got.backward)
            c.expect(
                given_content.grad is not None,
                f"the gradient of {call} with respect to the content loss",
                "1",
                "none",
                hint="add the content loss as the tensor it is (no .item() or float()): G "
                "learns from its gradient",
            )
            probabilities = torch.sigmoid(logits)
            c.expect_close(
                given_logits.grad,
                -ADVERSARIAL_WEIGHT * (1 - probabilities) / n,
                f"the gradient of {call} with respect to fake_logits",
                hint="-1e-3 (1 - D(G(x))) / N for each fake: strongest where D rejects it",
            )


__all__ = ["check_pixel_shuffle", "check_psnr_y", "check_content_loss", "check_srgan_g_loss"]


# ---------------------------------------------------------------------------- concept questions

questions.choice(
    "14.perception_distortion",
    "abcd",
    right="7b4a76f0b50abbd5",
    meaning="Many originals shrink to the same small image. The pixel loss is smallest for "
    "their average, a blur, and the MSE is exactly what PSNR measures, so the blur wins on "
    "PSNR. SRGAN's discriminator rejects blur, so G commits to one sharp, plausible original; "
    "its made-up details are not exactly where the true ones are, and every misplaced detail "
    "costs PSNR (Blau and Michaeli 2018: the perception-distortion trade-off).",
    why={
        "11d148ba56066001": "SRGAN starts from the trained SRResNet, and longer training "
        "does not bring its PSNR back: the average of the possible originals is what "
        "maximises PSNR, and SRGAN's loss pulls away from it by design",
        "58f68fb8815f37d3": "both networks see and make only the luma here (the colour comes "
        "from bicubic for both), and PSNR is measured on the luma: the difference is sharpness",
        "dcd788795f812623": "random noise looks like noise, and D learns to reject it: SRGAN's "
        "detail is texture that looks like a photograph's, just not pixel for pixel the true "
        "one, and that is what lowers PSNR",
    },
)
questions.choice(
    "14.why_residual",
    "abcd",
    right="4dc848524da94e90",
    meaning="Bicubic already gets the coarse image right; what it misses is the fine detail, a "
    "small, mostly high-frequency signal. With the last layer at zero, G starts as bicubic, "
    "with bicubic's PSNR, and learns only the correction, instead of first learning to copy the "
    "whole image through its layers (VDSR, Kim et al. 2016).",
    why={
        "b34596c6eb948a4f": "the size comes from the upsampler's pixel shuffles: G makes "
        "(N, C, 4h, 4w) either way, and bicubic(x) is added to an output of that size",
        "8b9c3ba1b302df14": "shrinking loses the fine detail, it does not add noise: r(x) "
        "adds back detail that bicubic cannot know, edges and texture, not a denoising",
        "bd8cc9d118d8b5af": "bicubic is where training starts, not where it ends: the residual "
        "r(x) is trained, and a trained SRResNet beats bicubic's PSNR",
    },
)
questions.choice(
    "14.content_network",
    "abcd",
    right="383eefc9749cc6a1",
    meaning="The content loss counts the differences that the network's features see, so the "
    "network decides what counts as the same content. Features trained on photographs respond "
    "to their edges and textures and change little when a detail moves by a pixel; random "
    "filters also see local patterns, but with no preference learnt from photographs. Lesson "
    "14 compares the course's trained FeatureNet with a random one.",
    why={
        "0c899eb2a8f9202f": "the division fixes the loss's *scale*, the same for any network; "
        "*which* differences make it large is still the network's choice",
        "cbf16837f708b6b8": "a random network's feature maps are not zero: random filters "
        "followed by ReLUs respond to local patterns, so the loss stays positive and G still "
        "learns from it",
        "94e972883077383f": "even random, the features mix each pixel's neighbourhood through "
        "non-linear layers and pooling: a different measure of distance than the pixels', not "
        "a pixel loss",
    },
)
