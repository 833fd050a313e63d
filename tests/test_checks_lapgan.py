"""The checks of exercise 11: each passes the reference, says "not implemented yet" to the stub,
and rejects plausible wrong answers, each with the hint aimed at that mistake; and the
exercise's concept questions."""

from __future__ import annotations

from functools import partial

import pytest
import torch
import torch.nn.functional as F

from gan_course.checks import CheckFailed, NotImplementedYet
from gan_course.checks.lapgan import (
    check_laplacian_pyramid,
    check_reconstruct,
    check_sample_chain,
    check_training_pair,
)
from gan_course.checks.questions import QUESTIONS, check_question
from gan_course.families import lapgan as family
from gan_course.images import downsample, gaussian_pyramid, laplacian_pyramid, reconstruct, upsample
from gan_course.models import lapgan as models

from . import check_helpers
from .check_helpers import expect_not_implemented, expect_pass, learner_copy, stub

# Every wrong answer here runs: the check must catch the mistake in what it returns.
expect_reject = partial(check_helpers.expect_reject, crash_ok=False)


def test_checks_leave_the_learners_rng_alone(capsys):
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    check_laplacian_pyramid(learner_copy(laplacian_pyramid))
    check_sample_chain(learner_copy(models.sample_chain))
    assert torch.equal(torch.rand(3), expected)


# ------------------------------------------------------------------------------ 1 the pyramid


def pyramid_loop(images, levels):  # right, written differently
    bands, image = [], images
    for _ in range(levels):
        smaller = downsample(image)
        bands.append(image - upsample(smaller))
        image = smaller
    return bands + [image]


def pyramid_coarsest_first(images, levels):
    return pyramid_loop(images, levels)[::-1]


def pyramid_without_residual(images, levels):
    return pyramid_loop(images, levels)[:-1]


def pyramid_sign(images, levels):
    g = gaussian_pyramid(images, levels)
    return [upsample(c) - f for f, c in zip(g[:-1], g[1:], strict=True)] + [g[-1]]


def pyramid_nearest(images, levels):
    g = gaussian_pyramid(images, levels)
    return [f - F.interpolate(c, scale_factor=2) for f, c in zip(g[:-1], g[1:], strict=True)] + [
        g[-1]
    ]


def pyramid_avg_pool(images, levels):
    bands, image = [], images
    for _ in range(levels):
        smaller = F.avg_pool2d(image, 2)
        bands.append(image - upsample(smaller))
        image = smaller
    return bands + [image]


def pyramid_squeezed(images, levels):
    return [p.squeeze(1) for p in pyramid_loop(images, levels)]


def pyramid_two_levels(images, levels):
    return pyramid_loop(images, 2)


def pyramid_in_place(images, levels):
    bands, image = [], images
    for _ in range(levels):
        smaller = downsample(image)
        bands.append(image.sub_(upsample(smaller)))  # the mistake: images is changed
        image = smaller
    return bands + [image]


def test_check_laplacian_pyramid(capsys):
    expect_pass(check_laplacian_pyramid, laplacian_pyramid, capsys=capsys)
    expect_pass(check_laplacian_pyramid, pyramid_loop, capsys=capsys)
    expect_not_implemented(check_laplacian_pyramid, stub)
    expect_reject(check_laplacian_pyramid, pyramid_coarsest_first, hint="finest first")
    expect_reject(check_laplacian_pyramid, pyramid_without_residual, hint="residual I_K is missing")
    expect_reject(check_laplacian_pyramid, pyramid_sign, hint="the sign of the band")
    expect_reject(check_laplacian_pyramid, pyramid_nearest, hint="the same u")
    expect_reject(check_laplacian_pyramid, pyramid_avg_pool, hint="another pyramid")
    expect_reject(check_laplacian_pyramid, pyramid_squeezed, hint="keep the batch and channel")
    expect_reject(check_laplacian_pyramid, pyramid_two_levels, hint="don't hard-code")
    expect_reject(check_laplacian_pyramid, pyramid_in_place, hint="don't modify the input")


def test_a_reconstruction_error_is_reported_with_its_size():
    err = expect_reject(check_laplacian_pyramid, pyramid_sign, hint="sign")
    assert "max error" in err.got and "1e-06" in err.expected


# ------------------------------------------------------------------------------ 2 reconstruct


def reconstruct_recursive(pyramid):  # right, written differently
    if len(pyramid) == 1:
        return pyramid[0]
    return upsample(reconstruct_recursive(pyramid[1:])) + pyramid[0]


def reconstruct_subtracting(pyramid):
    image = pyramid[-1]
    for band in reversed(pyramid[:-1]):
        image = upsample(image) - band
    return image


def reconstruct_nearest(pyramid):
    image = pyramid[-1]
    for band in reversed(pyramid[:-1]):
        image = F.interpolate(image, scale_factor=2) + band
    return image


def reconstruct_residual_only(pyramid):
    image = pyramid[-1]
    for _ in pyramid[:-1]:
        image = upsample(image)
    return image


def reconstruct_two_levels(pyramid):
    return upsample(pyramid[1]) + pyramid[0]


def test_check_reconstruct(capsys):
    expect_pass(check_reconstruct, reconstruct, capsys=capsys)
    expect_pass(check_reconstruct, reconstruct_recursive, capsys=capsys)
    expect_not_implemented(check_reconstruct, stub)
    expect_reject(check_reconstruct, reconstruct_subtracting, hint="add the band back")
    expect_reject(check_reconstruct, reconstruct_nearest, hint="the same u")
    expect_reject(check_reconstruct, reconstruct_residual_only, hint="add one at every level")
    expect_reject(check_reconstruct, reconstruct_two_levels, hint="any number of levels")


# ------------------------------------------------------------------------------ 3 training pair


def pair_swapped(images):
    condition = upsample(downsample(images))
    return images - condition, condition


def pair_not_upsampled(images):
    condition = downsample(images)
    return condition, images - upsample(condition)


def pair_sign(images):
    condition = upsample(downsample(images))
    return condition, condition - images


def pair_the_image_itself(images):
    return images, images - images


def pair_nearest(images):
    condition = F.interpolate(downsample(images), scale_factor=2)
    return condition, images - condition


def test_check_training_pair(capsys):
    expect_pass(check_training_pair, family.training_pair, capsys=capsys)
    expect_not_implemented(check_training_pair, stub)
    expect_reject(check_training_pair, pair_swapped, hint="the condition first")
    expect_reject(check_training_pair, pair_not_upsampled, hint="not d(I)")
    expect_reject(check_training_pair, pair_sign, hint="the sign")
    expect_reject(check_training_pair, pair_the_image_itself, hint="every real band would be zero")
    expect_reject(check_training_pair, pair_nearest, hint="the same u")


# ------------------------------------------------------------------------------ 4 the chain


def chain_loop(base, levels, z, planes):  # right, written differently
    images = [base(z)]
    for k in range(len(levels) - 1, -1, -1):
        condition = upsample(images[-1])
        images.append(condition + levels[k](planes[k], condition))
    return images


def chain_finest_first(base, levels, z, planes):
    return chain_loop(base, levels, z, planes)[::-1]


def chain_only_the_final_image(base, levels, z, planes):
    return chain_loop(base, levels, z, planes)[-1]


def chain_bands_only(base, levels, z, planes):
    images = [base(z)]
    for generator, noise in zip(reversed(levels), reversed(planes), strict=True):
        images.append(generator(noise, upsample(images[-1])))
    return images


def chain_conditioned_on_the_base(base, levels, z, planes):
    images = [base(z)]
    for generator, noise in zip(reversed(levels), reversed(planes), strict=True):
        size = noise.shape[-1]
        condition = F.interpolate(images[0], size=size, mode="bilinear", align_corners=False)
        images.append(condition + generator(noise, condition))
    return images


def chain_levels_not_reversed(base, levels, z, planes):
    images = [base(z)]
    for generator, noise in zip(levels, planes, strict=True):
        condition = upsample(images[-1])
        images.append(condition + generator(noise, condition))
    return images


def chain_planes_not_reversed(base, levels, z, planes):
    images = [base(z)]
    for generator, noise in zip(reversed(levels), planes, strict=True):
        condition = upsample(images[-1])
        images.append(condition + generator(noise, condition))
    return images


def chain_nearest(base, levels, z, planes):
    images = [base(z)]
    for generator, noise in zip(reversed(levels), reversed(planes), strict=True):
        condition = F.interpolate(images[-1], scale_factor=2)
        images.append(condition + generator(noise, condition))
    return images


def chain_fresh_noise(base, levels, z, planes):
    images = [base(z)]
    for generator, noise in zip(reversed(levels), reversed(planes), strict=True):
        condition = upsample(images[-1])
        images.append(condition + generator(torch.randn_like(noise), condition))
    return images


def test_check_sample_chain(capsys):
    expect_pass(check_sample_chain, models.sample_chain, capsys=capsys)
    expect_pass(check_sample_chain, chain_loop, capsys=capsys)
    expect_not_implemented(check_sample_chain, stub)
    expect_reject(check_sample_chain, chain_finest_first, hint="coarsest first")
    expect_reject(check_sample_chain, chain_only_the_final_image, hint="every image of the way")
    expect_reject(check_sample_chain, chain_bands_only, hint="add it to its condition")
    expect_reject(check_sample_chain, chain_conditioned_on_the_base, hint="not on the base image")
    expect_reject(check_sample_chain, chain_levels_not_reversed, hint="walk the levels")
    expect_reject(check_sample_chain, chain_planes_not_reversed, hint="its own plane")
    expect_reject(check_sample_chain, chain_nearest, hint="the same u")
    expect_reject(check_sample_chain, chain_fresh_noise, hint="as given")


# ------------------------------------------------------------------------------ questions

RIGHT = {"11.any_down": "b", "11.noise_numbers": 1312, "11.independent": "b"}


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
