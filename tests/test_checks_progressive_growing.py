"""The checks of exercise 12: each passes the reference, says "not implemented yet" to the stub,
and rejects plausible wrong answers, each with the hint aimed at that mistake; and the
exercise's concept questions."""

from __future__ import annotations

import math
from functools import partial

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_course.checks import CheckFailed, CourseAnswer, NotImplementedYet
from gan_course.checks.progressive_growing import (
    check_equalized_conv,
    check_fade_in,
    check_minibatch_stddev,
    check_pixel_norm,
    check_real_at,
)
from gan_course.checks.questions import QUESTIONS, check_question
from gan_course.families import progressive as family
from gan_course.models import progan as models

from . import check_helpers
from .check_helpers import StubModule, expect_not_implemented, expect_pass, learner_copy, stub

# Every wrong answer here runs: the check must catch the mistake in what it returns.
expect_reject = partial(check_helpers.expect_reject, crash_ok=False)


def test_checks_leave_the_learners_rng_alone(capsys):
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    check_minibatch_stddev(minibatch_stddev)
    check_equalized_conv(learner_copy(models.EqualizedConv2d))
    assert torch.equal(torch.rand(3), expected)


# ------------------------------------------------------------------------------ 1 pixel norm


def pixel_norm(x):  # the solution's answer
    return x / torch.sqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


def pixel_norm_rsqrt(x):  # right, written differently
    return x * torch.rsqrt((x * x).mean(1, keepdim=True) + 1e-8)


def pixel_norm_last_axis(x):
    return x / torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + 1e-8)


def pixel_norm_batch_axis(x):
    return x / torch.sqrt(x.pow(2).mean(dim=0, keepdim=True) + 1e-8)


def pixel_norm_l2(x):
    return x / (x.norm(dim=1, keepdim=True) + 1e-8)


def pixel_norm_no_eps(x):
    return x / torch.sqrt(x.pow(2).mean(dim=1, keepdim=True))


def pixel_norm_centred(x):
    centred = x - x.mean(dim=1, keepdim=True)
    return centred / torch.sqrt(centred.pow(2).mean(dim=1, keepdim=True) + 1e-8)


def pixel_norm_whole_map(x):
    return x / torch.sqrt(x.pow(2).mean(dim=(1, 2, 3), keepdim=True) + 1e-8)


def pixel_norm_in_place(x):
    return x.div_(torch.sqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8))


def test_check_pixel_norm(capsys):
    expect_pass(check_pixel_norm, pixel_norm, capsys=capsys)
    expect_pass(check_pixel_norm, pixel_norm_rsqrt, capsys=capsys)
    expect_not_implemented(check_pixel_norm, stub)
    expect_reject(check_pixel_norm, pixel_norm_last_axis, hint="not the last axis")
    expect_reject(check_pixel_norm, pixel_norm_batch_axis, hint="not over the batch")
    expect_reject(check_pixel_norm, pixel_norm_l2, hint="not the L2 norm")
    expect_reject(check_pixel_norm, pixel_norm_no_eps, hint="add the eps inside")
    expect_reject(check_pixel_norm, pixel_norm_centred, hint="does not subtract the mean")
    # a whole-map norm crashes on (N, C) vectors, which the check also tries: reported as such
    check_helpers.expect_reject(check_pixel_norm, pixel_norm_whole_map, hint="dim")
    expect_reject(check_pixel_norm, pixel_norm_in_place, hint="don't modify the input")


def test_the_courses_pixel_norm_is_refused():
    with pytest.raises(CourseAnswer):
        check_pixel_norm(models.PixelNorm())


# ------------------------------------------------------------------------------ 2 minibatch std


def minibatch_stddev(x):  # the solution's answer
    n, _, h, w = x.shape
    spread = torch.sqrt(x.var(dim=0, unbiased=False) + 1e-8).mean()
    return torch.cat([x, spread.expand(n, 1, h, w)], dim=1)


def stddev_by_hand(x):  # right, written differently
    centred = x - x.mean(0, keepdim=True)
    spread = (centred.pow(2).mean(0) + 1e-8).sqrt().mean()
    return torch.cat([x, torch.ones_like(x[:, :1]) * spread], dim=1)


def stddev_unbiased(x):
    spread = torch.sqrt(x.var(dim=0) + 1e-8).mean()
    return torch.cat([x, spread.expand(len(x), 1, *x.shape[2:])], dim=1)


def stddev_over_channels(x):
    spread = torch.sqrt(x.var(dim=1, unbiased=False) + 1e-8).mean()
    return torch.cat([x, spread.expand(len(x), 1, *x.shape[2:])], dim=1)


def stddev_no_eps(x):
    spread = x.std(dim=0, unbiased=False).mean()
    return torch.cat([x, spread.expand(len(x), 1, *x.shape[2:])], dim=1)


def stddev_first(x):
    spread = torch.sqrt(x.var(dim=0, unbiased=False) + 1e-8).mean()
    return torch.cat([spread.expand(len(x), 1, *x.shape[2:]), x], dim=1)


def stddev_per_feature(x):
    spread = torch.sqrt(x.var(dim=0, unbiased=False) + 1e-8)  # (C, H, W), not averaged
    return torch.cat([x, spread.expand(len(x), *spread.shape)], dim=1)


def stddev_per_sample(x):
    spread = torch.sqrt(x.var(dim=(1, 2, 3), unbiased=False) + 1e-8)  # (N,): one a sample
    return torch.cat([x, spread.view(-1, 1, 1, 1).expand(-1, 1, *x.shape[2:])], dim=1)


def stddev_item(x):
    spread = torch.sqrt(x.var(dim=0, unbiased=False) + 1e-8).mean().item()
    return torch.cat([x, torch.full_like(x[:, :1], spread)], dim=1)


def stddev_hard_coded(x):
    spread = torch.sqrt(x.var(dim=0, unbiased=False) + 1e-8).mean()
    return torch.cat([x, spread.expand(4, 1, 4, 4)], dim=1)  # the first case's sizes


def test_check_minibatch_stddev(capsys):
    expect_pass(check_minibatch_stddev, minibatch_stddev, capsys=capsys)
    expect_pass(check_minibatch_stddev, stddev_by_hand, capsys=capsys)
    expect_not_implemented(check_minibatch_stddev, stub)
    expect_reject(check_minibatch_stddev, stddev_unbiased, hint="divide by N, not N - 1")
    expect_reject(check_minibatch_stddev, stddev_over_channels, hint="over the *batch*")
    expect_reject(check_minibatch_stddev, stddev_no_eps, hint="add 1e-8 inside")
    expect_reject(check_minibatch_stddev, stddev_first, hint="after the features")
    expect_reject(check_minibatch_stddev, stddev_per_feature, hint="into ONE number")
    expect_reject(check_minibatch_stddev, stddev_per_sample, hint="one statistic for the whole")
    expect_reject(check_minibatch_stddev, stddev_item, hint="no .item()")
    check_helpers.expect_reject(check_minibatch_stddev, stddev_hard_coded, hint="")


# ------------------------------------------------------------------------------ 3 equalised lr


class ScaledAtInit(nn.Module):  # He's initialisation: the scale is lost once training moves w
    def __init__(self, c_in, c_out, kernel, padding=0):
        super().__init__()
        scale = math.sqrt(2 / (c_in * kernel * kernel))
        self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel) * scale)
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.padding = padding

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, padding=self.padding)


def equalized(scale_of, **changes):
    """A learner's EqualizedConv2d with the scale `scale_of(c_in, c_out, kernel)`."""

    class Conv(nn.Module):
        def __init__(self, c_in, c_out, kernel, padding=0):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel))
            self.bias = nn.Parameter(torch.zeros(c_out))
            self.scale = scale_of(c_in, c_out, kernel)
            self.padding = changes.get("padding", padding)

        def forward(self, x):
            return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)

    return Conv


def he(c_in, c_out, kernel):
    return math.sqrt(2 / (c_in * kernel * kernel))


class LearnedScale(equalized(he)):
    def __init__(self, c_in, c_out, kernel, padding=0):
        super().__init__(c_in, c_out, kernel, padding)
        self.scale = nn.Parameter(torch.tensor(he(c_in, c_out, kernel)))


class WrapsConv2d(nn.Module):
    def __init__(self, c_in, c_out, kernel, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel, padding=padding)
        self.scale = he(c_in, c_out, kernel)

    def forward(self, x):
        return F.conv2d(x, self.conv.weight * self.scale, self.conv.bias, padding=1)


def test_check_equalized_conv(capsys):
    expect_pass(check_equalized_conv, models.EqualizedConv2d, capsys=capsys)
    expect_pass(check_equalized_conv, equalized(he), capsys=capsys)
    expect_not_implemented(check_equalized_conv, StubModule)
    expect_reject(check_equalized_conv, ScaledAtInit, hint="the scale belongs in forward")
    expect_reject(
        check_equalized_conv, equalized(lambda i, o, k: math.sqrt(2 / i)), hint="every input"
    )
    expect_reject(
        check_equalized_conv, equalized(lambda i, o, k: math.sqrt(2 / (o * k * k))), hint="fan *in*"
    )
    expect_reject(
        check_equalized_conv, equalized(lambda i, o, k: math.sqrt(1 / (i * k * k))), hint="has a 2"
    )
    expect_reject(check_equalized_conv, equalized(he, padding=0), hint="pass the padding on")
    expect_reject(check_equalized_conv, LearnedScale, hint="not a parameter")
    expect_reject(check_equalized_conv, WrapsConv2d, hint="no nn.Conv2d inside")


# ------------------------------------------------------------------------------ 4 the fade-in


def fade_in_lerp(old, new, alpha):  # right, written differently
    return torch.lerp(old.repeat_interleave(2, -1).repeat_interleave(2, -2), new, alpha)


def fade_swapped(old, new, alpha):
    return alpha * models.double(old) + (1 - alpha) * new


def fade_bilinear(old, new, alpha):
    up = F.interpolate(old, scale_factor=2, mode="bilinear", align_corners=False)
    return (1 - alpha) * up + alpha * new


def fade_unweighted_old(old, new, alpha):
    return models.double(old) + alpha * new


def fade_not_doubled(old, new, alpha):
    return (1 - alpha) * old + alpha * new


def fade_in_place(old, new, alpha):
    return new.mul_(alpha).add_((1 - alpha) * models.double(old))


def test_check_fade_in(capsys):
    expect_pass(check_fade_in, models.fade_in, capsys=capsys)
    expect_pass(check_fade_in, fade_in_lerp, capsys=capsys)
    expect_not_implemented(check_fade_in, stub)
    expect_reject(check_fade_in, fade_swapped, hint="alpha is the *new* block's weight")
    expect_reject(check_fade_in, fade_bilinear, hint="nearest-neighbour")
    expect_reject(check_fade_in, fade_unweighted_old, hint="weigh the old image")
    check_helpers.expect_reject(check_fade_in, fade_not_doubled, hint="(1 - alpha) * old")
    expect_reject(check_fade_in, fade_in_place, hint="don't modify the input")


def test_at_alpha_zero_the_grown_generator_draws_the_old_image_doubled():
    torch.manual_seed(0)
    G = models.ProgressiveGenerator(widths=(8, 8, 4))
    z = torch.randn(5, G.latent_dim)
    for stage in (1, 2):
        family.set_stage(stage - 1, 1.0, G)
        old = G(z)
        family.set_stage(stage, 0.0, G)
        assert torch.allclose(G(z), models.double(old), atol=1e-6)
        family.set_stage(stage, 0.5, G)
        assert not torch.allclose(G(z), models.double(old), atol=1e-3)


# ------------------------------------------------------------------------------ 5 the reals


def real_at_loop(images, size, alpha):  # right, written differently
    while images.shape[-1] != size:
        images = F.avg_pool2d(images, 2)
    coarse = F.interpolate(F.avg_pool2d(images, 2), scale_factor=2)
    return torch.lerp(coarse, images, alpha) if alpha < 1 else images


def real_no_blend(images, size, alpha):
    while images.shape[-1] > size:
        images = models.halve(images)
    return images


def real_strided(images, size, alpha):
    images = images[..., :: images.shape[-1] // size, :: images.shape[-1] // size]
    return real_at_loop(images, size, alpha)


def real_swapped(images, size, alpha):
    small = real_no_blend(images, size, alpha)
    return alpha * models.double(models.halve(small)) + (1 - alpha) * small


def real_always_16(images, size, alpha):
    return real_at_loop(images, 16, alpha)


def test_check_real_at(capsys):
    expect_pass(check_real_at, family.real_at, capsys=capsys)
    expect_pass(check_real_at, real_at_loop, capsys=capsys)
    expect_not_implemented(check_real_at, stub)
    expect_reject(check_real_at, real_no_blend, hint="blend the reals the same way")
    expect_reject(check_real_at, real_strided, hint="halve by averaging")
    expect_reject(check_real_at, real_swapped, hint="(1 - alpha) goes to the coarse")
    expect_reject(check_real_at, real_always_16, hint="the size is a parameter")


# ------------------------------------------------------------------------------ questions

RIGHT = {"12.alpha_zero": "b", "12.he_constant": math.sqrt(2 / 288), "12.stddev_why": "c"}


@pytest.mark.parametrize("qid", sorted(RIGHT))
def test_the_concept_questions_take_the_right_answer_and_explain_the_wrong_ones(qid, capsys):
    check_question(qid, RIGHT[qid])
    assert capsys.readouterr().out.startswith("✔")
    with pytest.raises(NotImplementedYet):
        check_question(qid, None)
    question = QUESTIONS[qid]
    wrong = [x for x in "abcd" if x != RIGHT[qid]] if hasattr(question, "letters") else []
    wrong += [value for value, _, _ in getattr(question, "traps", ())]
    assert len(wrong) >= 3
    hints = set()
    for answer in wrong:
        with pytest.raises(CheckFailed) as info:
            check_question(qid, answer)
        hints.add(info.value.hint)
    assert len(hints) == len(wrong), "each wrong answer has its own explanation"
