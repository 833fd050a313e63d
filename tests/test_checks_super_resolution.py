"""The checks of exercise 14: each passes the reference, says "not implemented yet" to the stub,
and rejects plausible wrong answers, each with the hint aimed at that mistake; and the
exercise's concept questions."""

from __future__ import annotations

import math
from functools import partial

import pytest
import torch
import torch.nn.functional as F

from gan_course import metrics
from gan_course.checks import CheckFailed, CourseAnswer, NotImplementedYet
from gan_course.checks.questions import QUESTIONS, check_question
from gan_course.checks.super_resolution import (
    check_content_loss,
    check_pixel_shuffle,
    check_psnr_y,
    check_srgan_g_loss,
)
from gan_course.families import superres
from gan_course.models.srgan import SRResNet

from . import check_helpers
from .check_helpers import expect_not_implemented, expect_pass, stub

# Every wrong answer here runs: the check must catch the mistake in what it returns.
expect_reject = partial(check_helpers.expect_reject, crash_ok=False)


def test_checks_leave_the_learners_rng_alone(capsys):
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    check_pixel_shuffle(pixel_shuffle)
    check_psnr_y(psnr_y)
    check_content_loss(content_loss)
    check_srgan_g_loss(srgan_g_loss)
    assert torch.equal(torch.rand(3), expected)


# ------------------------------------------------------------------------------ 1 pixel shuffle


def pixel_shuffle(x):  # the solution's answer
    n, c4, h, w = x.shape
    blocks = x.reshape(n, c4 // 4, 2, 2, h, w)  # channel 4c + 2a + b -> (c, a, b)
    return blocks.permute(0, 1, 4, 2, 5, 3).reshape(n, c4 // 4, 2 * h, 2 * w)


def pixel_shuffle_loops(x):  # right, written differently
    n, c4, h, w = x.shape
    out = x.new_zeros(n, c4 // 4, 2 * h, 2 * w)
    for a in range(2):
        for b in range(2):
            out[:, :, a::2, b::2] = x[:, 2 * a + b :: 4]
    return out


def shuffle_permuted(order, grouping="C4"):
    """A learner's pixel shuffle with the axes in `order`, channels viewed as (C, 2, 2) or
    (2, 2, C)."""

    def pixel_shuffle(x):
        n, c4, h, w = x.shape
        if grouping == "C4":
            blocks = x.view(n, c4 // 4, 2, 2, h, w)
            return blocks.permute(order).reshape(n, c4 // 4, 2 * h, 2 * w)
        blocks = x.view(n, 2, 2, c4 // 4, h, w)  # (a, b, c): the wrong grouping
        return blocks.permute(order).reshape(n, c4 // 4, 2 * h, 2 * w)

    return pixel_shuffle


def shuffle_reshape_only(x):
    n, c4, h, w = x.shape
    return x.reshape(n, c4 // 4, 2 * h, 2 * w)


def shuffle_unchanged(x):
    return x


def shuffle_width_first(x):  # (N, C, w, 2, h, 2)
    n, c4, h, w = x.shape
    blocks = x.view(n, c4 // 4, 2, 2, h, w)
    return blocks.permute(0, 1, 5, 3, 4, 2).reshape(n, c4 // 4, 2 * w, 2 * h)


def shuffle_hard_coded(x):  # the first case's sizes
    blocks = x.view(2, 3, 2, 2, 4, 4)
    return blocks.permute(0, 1, 4, 2, 5, 3).reshape(2, 3, 8, 8)


def shuffle_torch(x):
    return F.pixel_shuffle(x, 2)


def shuffle_module(x):
    return torch.nn.PixelShuffle(2)(x)


def test_check_pixel_shuffle(capsys):
    expect_pass(check_pixel_shuffle, pixel_shuffle, capsys=capsys)
    expect_pass(check_pixel_shuffle, pixel_shuffle_loops, capsys=capsys)
    expect_not_implemented(check_pixel_shuffle, stub)
    expect_reject(check_pixel_shuffle, shuffle_permuted((0, 1, 4, 3, 5, 2)), hint="transposed")
    wrong_groups = shuffle_permuted((0, 3, 4, 1, 5, 2), "4C")  # (a, b, c) -> (c, h, a, w, b)
    expect_reject(check_pixel_shuffle, wrong_groups, hint="not (2, 2, C)")
    expect_reject(check_pixel_shuffle, shuffle_reshape_only, hint="reshape alone moves no pixel")
    expect_reject(check_pixel_shuffle, shuffle_permuted((0, 1, 2, 4, 3, 5)), hint="tiles four")
    expect_reject(check_pixel_shuffle, shuffle_unchanged, hint="the input's shape")
    expect_reject(check_pixel_shuffle, shuffle_width_first, hint="height first")
    expect_reject(check_pixel_shuffle, shuffle_torch, hint="write it with .reshape and .permute")
    expect_reject(check_pixel_shuffle, shuffle_module, hint="write it with .reshape and .permute")
    err = check_helpers.expect_reject(check_pixel_shuffle, shuffle_hard_coded, hint="hard-coded")
    assert "x.view(2, 3" in err.hint  # the line of the learner's code that failed


def test_the_learners_pixel_shuffle_runs_the_srresnet_upsampler():
    torch.manual_seed(0)
    G = SRResNet(width=4, blocks=1, scale=2)
    conv, shuffle = G.upsampler[0], G.upsampler[1]
    features = torch.randn(2, 4, 5, 7)
    with torch.no_grad():
        assert torch.equal(pixel_shuffle(conv(features)), shuffle(conv(features)))


# ------------------------------------------------------------------------------ 2 PSNR


def psnr_y(image, truth, border=4):  # the solution's answer
    h, w = image.shape[1:]
    image = image[:, border : h - border, border : w - border].clamp(0, 255)
    truth = truth[:, border : h - border, border : w - border].clamp(0, 255)
    mse = (image - truth).pow(2).mean()
    return 10 * torch.log10(255**2 / mse)


def psnr_y_numpy(image, truth, border=4):  # right, written differently: swapped, RMSE, NumPy
    import numpy as np

    h, w = image.shape[1:]
    a = np.clip(truth.numpy()[0, border : h - border, border : w - border], 0, 255)
    b = np.clip(image.numpy()[0, border : h - border, border : w - border], 0, 255)
    return 20 * math.log10(255 / math.sqrt(float(np.mean((a.astype(float) - b) ** 2))))


def psnr_wrong(crop=True, clip=True, peak=255.0, log=torch.log10, reduce="mean", db=10, **kw):
    """A learner's psnr_y with one of the usual slips."""

    def psnr_y(image, truth, border=4):
        b, (h, w) = 4 if kw.get("hard_coded") else border, image.shape[1:]
        if crop and kw.get("minus"):
            image, truth = image[:, b:-b, b:-b], truth[:, b:-b, b:-b]  # empty when b = 0
        elif crop:
            image, truth = image[:, b : h - b, b : w - b], truth[:, b : h - b, b : w - b]
        if clip:
            image = image.clamp(0, 255)
        error = (image - truth).pow(2)
        mse = error.sum() if reduce == "sum" else error.mean()
        top = truth.max() if peak == "max" else torch.tensor(peak)
        power = 1 if kw.get("unsquared") else 2
        if db == 20:
            return 20 * log(top / mse)  # no square root
        return 10 * log(top**power / mse)

    return psnr_y


def psnr_y_swapped(image, truth, border=4):  # harmless: the MSE is symmetric
    return psnr_y(truth, image, border)


def psnr_in_place(image, truth, border=4):
    image.clamp_(0, 255)
    return psnr_y(image, truth, border)


def test_check_psnr_y(capsys):
    expect_pass(check_psnr_y, metrics.psnr_y, capsys=capsys)
    expect_pass(check_psnr_y, psnr_y, capsys=capsys)
    expect_pass(check_psnr_y, psnr_y_numpy, capsys=capsys)
    expect_pass(check_psnr_y, psnr_y_swapped, capsys=capsys)
    expect_not_implemented(check_psnr_y, stub)
    expect_reject(check_psnr_y, psnr_wrong(crop=False), hint="crop `border` pixels off")
    expect_reject(check_psnr_y, psnr_wrong(hard_coded=True), hint="4 is only the default")
    expect_reject(check_psnr_y, psnr_wrong(minus=True), hint="empty when b = 0")
    expect_reject(check_psnr_y, psnr_wrong(clip=False), hint="clip the image to 0..255")
    expect_reject(check_psnr_y, psnr_wrong(peak=1.0), hint="the peak is 255, not 1")
    expect_reject(check_psnr_y, psnr_wrong(log=torch.log), hint="base-10 logarithm")
    expect_reject(check_psnr_y, psnr_wrong(reduce="sum"), hint="the *mean* squared error")
    expect_reject(check_psnr_y, psnr_wrong(unsquared=True), hint="the peak *squared*")
    expect_reject(check_psnr_y, psnr_wrong(db=20), hint="the *root* of the mean")
    expect_reject(check_psnr_y, psnr_wrong(peak="max"), hint="not the largest one in this image")
    expect_reject(check_psnr_y, psnr_in_place, hint="don't clip or crop the image in place")


def test_the_courses_psnr_is_refused():
    with pytest.raises(CourseAnswer):
        check_psnr_y(lambda image, truth, border=4: metrics.psnr_y(image, truth, border))


# ------------------------------------------------------------------------------ 3 content loss


def content_loss(features, fake, real):  # the solution's answer
    with torch.no_grad():
        target = features(real)  # the target: a constant
    return F.mse_loss(features(fake), target) / target.pow(2).mean()


def content_loss_sums(features, fake, real):  # right, written differently: sum over sum
    target = features(real).detach()
    return (features(fake) - target).pow(2).sum() / target.pow(2).sum()


def content_wrong(kind):
    """A learner's content loss with one of the usual slips."""

    def content_loss(features, fake, real):
        target = features(real).detach()
        mse = F.mse_loss(features(fake), target)
        if kind == "pixels":
            return F.mse_loss(fake, real) / real.pow(2).mean()
        if kind == "absolute":
            return mse
        if kind == "sum":
            return (features(fake) - target).pow(2).sum() / target.pow(2).mean()
        if kind == "fake size":
            return mse / features(fake).pow(2).mean()
        if kind == "pixel size":
            return mse / real.pow(2).mean()
        if kind == "norm":
            return mse / target.norm()
        if kind == "l1":
            return (features(fake) - target).abs().mean() / target.pow(2).mean()
        if kind == "difference":
            return features(fake - real).pow(2).mean() / target.pow(2).mean()
        if kind == "no detach":
            real_features = features(real)
            return F.mse_loss(features(fake), real_features) / real_features.pow(2).mean()
        if kind == "denominator attached":
            return mse / features(real).pow(2).mean()
        if kind == "detached fake":
            return F.mse_loss(features(fake).detach(), target) / target.pow(2).mean()
        if kind == "item":
            return (mse / target.pow(2).mean()).item()
        raise AssertionError(kind)

    return content_loss


def content_detach_in_place(features, fake, real):
    real.detach_()  # detaches the caller's tensor
    return content_loss(features, fake, real)


def content_per_sample(features, fake, real):  # no mean over the batch
    target = features(real).detach()
    error = (features(fake) - target).pow(2).mean(dim=(1, 2, 3))
    return error / target.pow(2).mean()


def test_check_content_loss(capsys):
    expect_pass(check_content_loss, superres.content_loss, capsys=capsys)
    expect_pass(check_content_loss, content_loss, capsys=capsys)
    expect_pass(check_content_loss, content_loss_sums, capsys=capsys)
    expect_not_implemented(check_content_loss, stub)
    expect_reject(check_content_loss, content_wrong("pixels"), hint="not the pixels")
    expect_reject(check_content_loss, content_wrong("absolute"), hint="the loss is relative")
    expect_reject(check_content_loss, content_wrong("sum"), hint="the *mean* squared difference")
    expect_reject(check_content_loss, content_wrong("fake size"), hint="relative to the *real*")
    expect_reject(check_content_loss, content_wrong("pixel size"), hint="not the real pixels'")
    expect_reject(check_content_loss, content_wrong("norm"), hint="not their norm")
    expect_reject(check_content_loss, content_wrong("l1"), hint="the *squared* difference")
    expect_reject(check_content_loss, content_wrong("difference"), hint="is not linear")
    expect_reject(check_content_loss, content_wrong("no detach"), hint="no gradient flows into")
    expect_reject(check_content_loss, content_wrong("denominator attached"), hint="in the division")
    expect_reject(check_content_loss, content_wrong("detached fake"), hint="through the fake")
    expect_reject(check_content_loss, content_wrong("item"), hint="as a tensor")
    expect_reject(check_content_loss, content_detach_in_place, hint="real.detach_() detaches")
    expect_reject(check_content_loss, content_per_sample, hint="average with .mean()")


# ------------------------------------------------------------------------------ 4 SRGAN's G loss


def srgan_g_loss(content, fake_logits):  # the solution's answer
    adversarial = F.softplus(-fake_logits).mean()  # -log D(G(x)), from logits
    return content + 1e-3 * adversarial


def srgan_g_loss_bce(content, fake_logits):  # right, written differently
    real_labels = torch.ones_like(fake_logits)
    return content + 1e-3 * F.binary_cross_entropy_with_logits(fake_logits, real_labels)


def g_loss_wrong(kind):
    """A learner's SRGAN G loss with one of the usual slips."""

    def srgan_g_loss(content, fake_logits):
        adversarial = F.softplus(-fake_logits).mean()
        if kind == "saturating":
            return content + 1e-3 * torch.log(1 - torch.sigmoid(fake_logits)).mean()
        if kind == "sign":
            return content - 1e-3 * adversarial
        if kind == "d loss":
            return content + 1e-3 * F.softplus(fake_logits).mean()
        if kind == "weight 1":
            return content + adversarial
        if kind == "weight 1e-2":
            return content + 1e-2 * adversarial
        if kind == "weights swapped":
            return 1e-3 * content + adversarial
        if kind == "no content":
            return 1e-3 * adversarial
        if kind == "sum":
            return content + 1e-3 * F.softplus(-fake_logits).sum()
        if kind == "average":
            return (content + 1e-3 * adversarial) / 2
        if kind == "no mean":
            return content + 1e-3 * F.softplus(-fake_logits)
        if kind == "probabilities":
            return content - 1e-3 * torch.log(fake_logits).mean()
        if kind == "content item":
            return content.item() + 1e-3 * adversarial
        if kind == "item":
            return (content + 1e-3 * adversarial).item()
        raise AssertionError(kind)

    return srgan_g_loss


def test_check_srgan_g_loss(capsys):
    expect_pass(check_srgan_g_loss, srgan_g_loss, capsys=capsys)
    expect_pass(check_srgan_g_loss, srgan_g_loss_bce, capsys=capsys)
    expect_not_implemented(check_srgan_g_loss, stub)
    expect_reject(check_srgan_g_loss, g_loss_wrong("saturating"), hint="the *saturating* loss")
    expect_reject(check_srgan_g_loss, g_loss_wrong("sign"), hint="G *minimises*")
    expect_reject(check_srgan_g_loss, g_loss_wrong("d loss"), hint="that is D's loss")
    expect_reject(check_srgan_g_loss, g_loss_wrong("weight 1"), hint="at weight 1 it drowns")
    expect_reject(check_srgan_g_loss, g_loss_wrong("weight 1e-2"), hint="not 1e-2")
    expect_reject(check_srgan_g_loss, g_loss_wrong("weights swapped"), hint="the content loss "
                  "counts fully")  # fmt: skip
    expect_reject(check_srgan_g_loss, g_loss_wrong("no content"), hint="add the content loss")
    expect_reject(check_srgan_g_loss, g_loss_wrong("sum"), hint="not .sum()")
    expect_reject(check_srgan_g_loss, g_loss_wrong("average"), hint="don't average them")
    expect_reject(check_srgan_g_loss, g_loss_wrong("no mean"), hint="with .mean()")
    expect_reject(check_srgan_g_loss, g_loss_wrong("probabilities"), hint="not probabilities")
    expect_reject(check_srgan_g_loss, g_loss_wrong("content item"), hint="no .item() or float()")
    expect_reject(check_srgan_g_loss, g_loss_wrong("item"), hint="as a tensor")


def test_the_learners_g_loss_is_the_one_srgan_step_logs():
    torch.manual_seed(0)
    content, fake_logits = torch.tensor(0.4), torch.randn(8)
    adversarial = F.softplus(-fake_logits).mean()
    config = superres.SRGANConfig()
    logged = config.content_weight * content + config.adversarial_weight * adversarial
    assert torch.allclose(srgan_g_loss(content, fake_logits), logged)


# ------------------------------------------------------------------------------ questions

RIGHT = {"14.perception_distortion": "b", "14.why_residual": "a", "14.content_network": "d"}


@pytest.mark.parametrize("qid", sorted(RIGHT))
def test_the_concept_questions_take_the_right_answer_and_explain_the_wrong_ones(qid, capsys):
    check_question(qid, RIGHT[qid])
    assert capsys.readouterr().out.startswith("✔")
    with pytest.raises(NotImplementedYet):
        check_question(qid, None)
    question = QUESTIONS[qid]
    wrong = [x for x in "abcd" if x != RIGHT[qid]]
    assert hasattr(question, "letters")
    hints = set()
    for answer in wrong:
        with pytest.raises(CheckFailed) as info:
            check_question(qid, answer)
        hints.add(info.value.hint)
    assert len(hints) == len(wrong), "each wrong answer has its own explanation"


def test_the_right_answers_are_at_different_letters():
    assert len(set(RIGHT.values())) == len(RIGHT)
