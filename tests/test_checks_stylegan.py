"""The checks of exercise 13: each passes the reference, says "not implemented yet" to the stub,
and rejects plausible wrong answers, each with the hint aimed at that mistake; and the
exercise's concept questions."""

from __future__ import annotations

from functools import partial

import pytest
import torch
import torch.nn.functional as F

from gan_course.checks import CheckFailed, CourseAnswer, NotImplementedYet
from gan_course.checks.questions import QUESTIONS, check_question
from gan_course.checks.stylegan import (
    check_adain,
    check_mix_styles,
    check_modulate,
    check_truncate,
)
from gan_course.models import stylegan as models

from . import check_helpers
from .check_helpers import expect_not_implemented, expect_pass, stub

# Every wrong answer here runs: the check must catch the mistake in what it returns.
expect_reject = partial(check_helpers.expect_reject, crash_ok=False)


def test_checks_leave_the_learners_rng_alone(capsys):
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    check_adain(adain)
    check_modulate(modulate)
    assert torch.equal(torch.rand(3), expected)


# ------------------------------------------------------------------------------ 1 AdaIN


def adain(x, scale, bias):  # the solution's answer
    centred = x - x.mean(dim=(2, 3), keepdim=True)
    normalised = centred / torch.sqrt(centred.pow(2).mean(dim=(2, 3), keepdim=True) + 1e-8)
    return scale[:, :, None, None] * normalised + bias[:, :, None, None]


def adain_torch(x, scale, bias):  # right, written differently
    n, c = scale.shape
    return F.instance_norm(x, eps=1e-8) * scale.view(n, c, 1, 1) + bias.view(n, c, 1, 1)


def normalised_over(dims, unbiased=False, eps=1e-8, centre=True, outside=False):
    """A learner's adain whose instance norm has one of the usual slips."""

    def adain(x, scale, bias):
        centred = x - x.mean(dim=dims, keepdim=True)
        var = centred.var(dim=dims, keepdim=True, unbiased=unbiased)
        spread = torch.sqrt(var) + eps if outside else torch.sqrt(var + eps)
        normalised = (centred if centre else x) / spread
        return scale[:, :, None, None] * normalised + bias[:, :, None, None]

    return adain


def adain_rms(x, scale, bias):  # not centred: divides by the root mean square
    normalised = x / torch.sqrt(x.pow(2).mean(dim=(2, 3), keepdim=True) + 1e-8)
    return scale[:, :, None, None] * normalised + bias[:, :, None, None]


def adain_torch_var(x, scale, bias):  # torch.var's default: N - 1
    mean, var = x.mean(dim=(2, 3), keepdim=True), x.var(dim=(2, 3), keepdim=True)
    return scale[:, :, None, None] * (x - mean) / torch.sqrt(var + 1e-8) + bias[:, :, None, None]


def adain_no_eps(x, scale, bias):
    std = x.std(dim=(2, 3), keepdim=True, correction=0)
    normalised = (x - x.mean(dim=(2, 3), keepdim=True)) / std
    return scale[:, :, None, None] * normalised + bias[:, :, None, None]


def adain_default_eps(x, scale, bias):
    return scale[:, :, None, None] * F.instance_norm(x) + bias[:, :, None, None]


def _instance_norm(x):  # typed out by the learner: the course's own would be refused
    centred = x - x.mean(dim=(2, 3), keepdim=True)
    return centred / torch.sqrt(centred.pow(2).mean(dim=(2, 3), keepdim=True) + 1e-8)


def adain_swapped(x, scale, bias):
    return bias[:, :, None, None] * _instance_norm(x) + scale[:, :, None, None]


def adain_style_first(x, scale, bias):
    return _instance_norm(scale[:, :, None, None] * x + bias[:, :, None, None])


def adain_no_style(x, scale, bias):
    return _instance_norm(x)


def adain_plus_one(x, scale, bias):  # the official code's x * (style + 1)
    return (1 + scale[:, :, None, None]) * _instance_norm(x) + bias[:, :, None, None]


def adain_unbroadcast(x, scale, bias):  # (N, C) lined up with (H, W)
    return scale * _instance_norm(x) + bias


def adain_in_place(x, scale, bias):
    x -= x.mean(dim=(2, 3), keepdim=True)
    x /= torch.sqrt(x.pow(2).mean(dim=(2, 3), keepdim=True) + 1e-8)
    return scale[:, :, None, None] * x + bias[:, :, None, None]


def adain_hard_coded(x, scale, bias):  # the first case's sizes
    return scale.view(4, 4, 1, 1) * _instance_norm(x) + bias.view(4, 4, 1, 1)


def test_check_adain(capsys):
    expect_pass(check_adain, models.adain, capsys=capsys)
    expect_pass(check_adain, adain, capsys=capsys)
    expect_pass(check_adain, adain_torch, capsys=capsys)
    expect_not_implemented(check_adain, stub)
    expect_reject(check_adain, normalised_over((1,)), hint="not over the channels")
    expect_reject(check_adain, normalised_over((0, 2, 3)), hint="it is a batch norm")
    expect_reject(check_adain, normalised_over((1, 2, 3)), hint="over the whole sample")
    expect_reject(check_adain, normalised_over((2, 3), unbiased=True), hint="not H * W - 1")
    expect_reject(check_adain, adain_torch_var, hint="not H * W - 1")
    expect_reject(check_adain, normalised_over((2, 3), centre=False), hint="subtract each map's")
    expect_reject(check_adain, adain_rms, hint="subtract each map's mean")
    expect_reject(check_adain, adain_no_eps, hint="0 / 0 is nan")
    expect_reject(check_adain, normalised_over((2, 3), outside=True), hint="inside the square")
    expect_reject(check_adain, adain_default_eps, hint="use 1e-5")
    expect_reject(check_adain, adain_swapped, hint="scale multiplies and bias adds")
    expect_reject(check_adain, adain_style_first, hint="normalise first")
    expect_reject(check_adain, adain_no_style, hint="apply the style")
    expect_reject(check_adain, adain_plus_one, hint="the official code's + 1")
    expect_reject(check_adain, adain_unbroadcast, hint="two trailing axes")
    expect_reject(check_adain, adain_in_place, hint="don't modify the input")
    check_helpers.expect_reject(check_adain, adain_hard_coded, hint="scale.view(4, 4")


def test_the_courses_adain_and_instance_norm_are_refused():
    with pytest.raises(CourseAnswer):
        check_adain(lambda x, scale, bias: models.adain(x, scale, bias))

    def through_instance_norm(x, scale, bias):
        return scale[:, :, None, None] * models.instance_norm(x) + bias[:, :, None, None]

    with pytest.raises(CourseAnswer):
        check_adain(through_instance_norm)


# ------------------------------------------------------------------------------ 2 modulation


def modulate(weight, styles, demodulate=True):  # the solution's answer
    modulated = weight[None] * styles[:, None, :, None, None]  # (N, C_out, C_in, k, k)
    if not demodulate:
        return modulated
    return modulated / torch.sqrt(modulated.pow(2).sum(dim=(2, 3, 4), keepdim=True) + 1e-8)


def modulate_einsum(weight, styles, demodulate=True):  # right, written differently
    modulated = torch.einsum("oikl,ni->noikl", weight, styles)
    if demodulate:
        inverse_norm = torch.rsqrt((modulated**2).flatten(2).sum(-1) + 1e-8)  # (N, C_out)
        modulated = modulated * inverse_norm[..., None, None, None]
    return modulated


def modulate_wrong(styles_dim=2, norm_dims=(2, 3, 4), root=True, eps=1e-8, square=True, **kw):
    """A learner's modulate with one of the usual slips."""

    def modulate(weight, styles, demodulate=True):
        shape = [len(styles), 1, 1, 1, 1]
        shape[styles_dim] = -1
        modulated = weight[None] * styles.view(shape)
        if kw.get("ignore_flag") == "never" or (not demodulate and kw.get("ignore_flag") is None):
            return modulated
        base = weight[None] if kw.get("unmodulated") else modulated
        total = (base.pow(2) if square else base).sum(dim=norm_dims, keepdim=True) + eps
        if kw.get("mean"):
            total = base.pow(2).mean(dim=norm_dims, keepdim=True) + eps
        return modulated / (torch.sqrt(total) if root else total)

    return modulate


def modulate_in_place(weight, styles, demodulate=True):
    weight.unsqueeze_(0)  # changes the shape of the caller's tensor
    modulated = weight * styles[:, None, :, None, None]
    if not demodulate:
        return modulated
    return modulated / torch.sqrt(modulated.pow(2).sum(dim=(2, 3, 4), keepdim=True) + 1e-8)


def modulate_grouped(weight, styles, demodulate=True):  # flattened for the convolution
    return modulate(weight, styles, demodulate).flatten(0, 1)


def test_check_modulate(capsys):
    expect_pass(check_modulate, models.modulate, capsys=capsys)
    expect_pass(check_modulate, modulate, capsys=capsys)
    expect_pass(check_modulate, modulate_einsum, capsys=capsys)
    expect_not_implemented(check_modulate, stub)
    expect_reject(check_modulate, modulate_wrong(styles_dim=1), hint="*input* maps")
    expect_reject(check_modulate, modulate_wrong(norm_dims=(1, 3, 4)), hint="not over C_out")
    expect_reject(check_modulate, modulate_wrong(norm_dims=(1, 2, 3, 4)), hint="not over all")
    expect_reject(check_modulate, modulate_wrong(norm_dims=(2,)), hint="kernel's taps count")
    expect_reject(check_modulate, modulate_wrong(norm_dims=(3, 4)), hint="input maps count")
    expect_reject(check_modulate, modulate_wrong(unmodulated=True), hint="the *modulated*")
    expect_reject(check_modulate, modulate_wrong(square=False), hint="*squared* modulated")
    expect_reject(check_modulate, modulate_wrong(root=False), hint="the *square root*")
    expect_reject(check_modulate, modulate_wrong(mean=True), hint="not .mean")
    expect_reject(check_modulate, modulate_wrong(eps=0), hint="0 / 0 is nan")
    expect_reject(check_modulate, modulate_wrong(ignore_flag="always"), hint="demodulate=False")
    expect_reject(check_modulate, modulate_wrong(ignore_flag="never"), hint="the default")
    expect_reject(check_modulate, modulate_in_place, hint="don't modify the input")
    expect_reject(check_modulate, modulate_grouped, hint="the grouped convolution")


def test_the_learners_modulate_makes_the_demod_layer():
    torch.manual_seed(0)
    layer = models.StyleLayer(6, 5, 8, "demod", noise=True)
    with torch.no_grad():
        layer.noise.strength.normal_()
    x, w, noise = torch.randn(3, 6, 4, 4), torch.randn(3, 8), torch.randn(3, 1, 4, 4)
    weights = modulate(layer.weight * layer.scale, layer.style_scale(w))
    convolved = torch.cat([F.conv2d(x[i : i + 1], weights[i], padding=1) for i in range(3)])
    mine = F.leaky_relu(layer.noise(convolved, noise) + layer.bias[None, :, None, None], 0.2)
    assert torch.allclose(mine, layer(x, w, noise), atol=1e-5)


# ------------------------------------------------------------------------------ 3 truncation


def truncate(w, w_avg, psi):  # the solution's answer
    return w_avg + psi * (w - w_avg)


def truncate_lerp(w, w_avg, psi):  # right, written differently
    return torch.lerp(w_avg.expand_as(w), w, psi)


def truncate_towards_zero(w, w_avg, psi):
    return psi * w


def truncate_swapped(w, w_avg, psi):
    return psi * w_avg + (1 - psi) * w


def truncate_batch_mean(w, w_avg, psi):
    mean = w.mean(dim=0)
    return mean + psi * (w - mean)


def truncate_in_place(w, w_avg, psi):
    return w.sub_(w_avg).mul_(psi).add_(w_avg)


def truncate_for_layers(w, w_avg, psi):  # w_avg shaped for (N, n_layers, w_dim) styles only
    w_avg = w_avg.view(1, 1, -1)
    return w_avg + psi * (w - w_avg)


def test_check_truncate(capsys):
    expect_pass(check_truncate, models.truncate, capsys=capsys)
    expect_pass(check_truncate, truncate, capsys=capsys)
    expect_pass(check_truncate, truncate_lerp, capsys=capsys)
    expect_not_implemented(check_truncate, stub)
    expect_reject(check_truncate, truncate_towards_zero, hint="not towards 0")
    expect_reject(check_truncate, truncate_swapped, hint="psi = 1 leaves w as it is")
    expect_reject(check_truncate, truncate_batch_mean, hint="not this batch's mean")
    expect_reject(check_truncate, truncate_in_place, hint="don't modify the input")
    expect_reject(check_truncate, truncate_for_layers, hint="no reshaping")


# ------------------------------------------------------------------------------ 4 style mixing


def mix_styles(w1, w2, crossover, n_layers):  # the solution's answer
    layers = [w1 if i < crossover else w2 for i in range(n_layers)]  # coarse first
    return torch.stack(layers, dim=1)


def mix_styles_cat(w1, w2, crossover, n_layers):  # right, written differently
    coarse = w1[:, None].expand(-1, crossover, -1)
    fine = w2[:, None].expand(-1, n_layers - crossover, -1)
    return torch.cat([coarse, fine], dim=1)


def mix_off_by_one(w1, w2, crossover, n_layers):
    return torch.stack([w1 if i <= crossover else w2 for i in range(n_layers)], dim=1)


def mix_swapped(w1, w2, crossover, n_layers):
    return torch.stack([w2 if i < crossover else w1 for i in range(n_layers)], dim=1)


def mix_layers_first(w1, w2, crossover, n_layers):
    return torch.stack([w1 if i < crossover else w2 for i in range(n_layers)])


def mix_six_layers(w1, w2, crossover, n_layers):  # the generator's 6, hard-coded
    return mix_styles(w1, w2, crossover, 6)


def mix_first_sample(w1, w2, crossover, n_layers):  # sample 0's w1 for every sample
    first = w1[:1].expand_as(w1)
    return torch.stack([first if i < crossover else w2 for i in range(n_layers)], dim=1)


def mix_list(w1, w2, crossover, n_layers):
    return [w1 if i < crossover else w2 for i in range(n_layers)]


def mix_in_place(w1, w2, crossover, n_layers):
    w1.unsqueeze_(1)  # changes the shape of the caller's tensor
    fine = w2[:, None].expand(-1, n_layers - crossover, -1)
    return torch.cat([w1.expand(-1, crossover, -1), fine], dim=1)


def test_check_mix_styles(capsys):
    expect_pass(check_mix_styles, models.mix_styles, capsys=capsys)
    expect_pass(check_mix_styles, mix_styles, capsys=capsys)
    expect_pass(check_mix_styles, mix_styles_cat, capsys=capsys)
    expect_not_implemented(check_mix_styles, stub)
    expect_reject(check_mix_styles, mix_off_by_one, hint="not <=")
    expect_reject(check_mix_styles, mix_swapped, hint="the coarse layers")
    expect_reject(check_mix_styles, mix_layers_first, hint="the layers go on dim 1")
    expect_reject(check_mix_styles, mix_six_layers, hint="n_layers is a parameter")
    expect_reject(check_mix_styles, mix_first_sample, hint="each sample its own row")
    expect_reject(check_mix_styles, mix_list, hint="torch.stack")
    expect_reject(check_mix_styles, mix_in_place, hint="don't modify the input")


def test_mixed_styles_drive_the_generator():
    torch.manual_seed(0)
    G = models.StyleGenerator(widths=(8, 8, 4))
    w1, w2 = G.mapping(G.sample_noise(3)), G.mapping(G.sample_noise(3))
    noise = G.make_noise(3)
    with torch.no_grad():
        all_w1 = G.synthesis(mix_styles(w1, w2, G.n_styles, G.n_styles), noise)
        assert torch.allclose(all_w1, G.synthesis(w1[:, None].expand(-1, G.n_styles, -1), noise))
        mixed = G.synthesis(mix_styles(w1, w2, 2, G.n_styles), noise)
        assert not torch.allclose(mixed, all_w1, atol=1e-4)


# ------------------------------------------------------------------------------ questions

RIGHT = {"13.why_mapping": "c", "13.noise_inputs": "a", "13.truncation": "d"}


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
