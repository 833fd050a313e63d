"""Exercise 04's checks: the reference passes, the stub is "not implemented yet", and each
plausible wrong answer is rejected with the hint aimed at it."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from gan_course import checks, losses

from .check_helpers import expect_not_implemented, expect_pass, expect_reject, learner_copy, stub


def test_check_d_loss(capsys):
    expect_pass(checks.check_d_loss, losses.d_loss_bce, capsys=capsys)
    bce = lambda r, f: (
        F.binary_cross_entropy_with_logits(r, torch.ones_like(r))
        + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))
    )
    expect_pass(checks.check_d_loss, bce, capsys=capsys)
    expect_not_implemented(checks.check_d_loss, stub)
    mine = learner_copy(losses.d_loss_bce)
    expect_reject(checks.check_d_loss, lambda r, f: mine(f, r), hint="labels swapped")
    expect_reject(
        checks.check_d_loss,
        lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum(),
        hint="sum instead of mean",
    )
    expect_reject(checks.check_d_loss, losses.minimax_value, hint="wrong sign")
    expect_reject(
        checks.check_d_loss,
        lambda r, f: bce(torch.sigmoid(r), torch.sigmoid(f)),
        hint="sigmoid applied twice",
    )
    from_probs = lambda r, f: (
        -torch.log(torch.sigmoid(r)).mean() - torch.log(1 - torch.sigmoid(f)).mean()
    )
    expect_reject(checks.check_d_loss, from_probs, hint="softplus")
    expect_reject(
        checks.check_d_loss, lambda r, f: torch.stack([r.mean(), f.mean()]), hint=".mean()"
    )
    concatenated = lambda r, f: F.softplus(torch.cat([-r, f])).mean()
    expect_reject(checks.check_d_loss, concatenated, hint="mean of each term")
    # right, written differently
    logsigmoid = lambda r, f: -F.logsigmoid(r).mean() - F.logsigmoid(-f).mean()
    expect_pass(checks.check_d_loss, logsigmoid, capsys=capsys)
    # a number, or a tensor autograd can't follow
    check = checks.check_d_loss
    expect_reject(check, lambda r, f: bce(r, f).item(), hint="Python number")
    expect_reject(check, lambda r, f: bce(r, f).detach(), hint="cut off")
    expect_reject(check, lambda r, f: torch.tensor(bce(r, f).item()), hint="cut off")
    # right only when both batches have the same size (the check's have 16 and 10)
    one_size = lambda r, f: (F.softplus(-r).sum() + F.softplus(f).sum()) / len(r)
    expect_reject(check, one_size, hint="one batch's size")
    labels = lambda r, f: F.binary_cross_entropy_with_logits(
        torch.cat([r, f]), torch.cat([torch.ones_like(r), torch.zeros_like(f)])
    )
    expect_reject(check, labels, hint="weighs each batch by its size")
    halved = lambda r, f: (F.softplus(-r).mean() + F.softplus(f).mean()) / 2
    expect_reject(check, halved, hint="halves the loss")


def test_check_g_loss_nonsaturating(capsys):
    expect_pass(checks.check_g_loss_nonsaturating, losses.g_loss_nonsaturating, capsys=capsys)
    expect_not_implemented(checks.check_g_loss_nonsaturating, stub)
    check = checks.check_g_loss_nonsaturating
    expect_reject(check, losses.g_loss_saturating, hint="saturating loss")
    expect_reject(check, lambda f: F.softplus(f).mean(), hint="towards 'fake'")
    expect_reject(check, lambda f: -F.softplus(-f).mean(), hint="wrong sign")
    expect_reject(check, lambda f: F.softplus(-f).sum(), hint="sum instead of mean")
    expect_reject(check, lambda f: -torch.log(torch.sigmoid(f)).mean(), hint="softplus")
    expect_reject(check, lambda f: F.softplus(-f).mean().item(), hint="autograd")
    expect_reject(check, lambda f: torch.tensor(F.softplus(-f).mean().item()), hint="autograd")
    # NumPy: PyTorch's own error suggests .detach(); the check's hint says why that is wrong
    numpy_loss = lambda f: torch.tensor(np.logaddexp(0, -f.numpy()).mean())  # noqa: E731
    expect_reject(check, numpy_loss, hint="use torch operations only")
    # right, written differently
    expect_pass(check, lambda f: -F.logsigmoid(f).mean(), capsys=capsys)
    bce_real = lambda f: F.binary_cross_entropy_with_logits(f, torch.ones_like(f))
    expect_pass(check, bce_real, capsys=capsys)


def test_check_optimal_discriminator(capsys):
    expect_pass(checks.check_optimal_discriminator, losses.optimal_discriminator, capsys=capsys)
    expect_not_implemented(checks.check_optimal_discriminator, stub)
    check = checks.check_optimal_discriminator
    expect_reject(check, lambda p, q: q / (p + q), hint="swapped")
    expect_reject(check, lambda p, q: p / q, hint="density ratio")
    expect_reject(check, lambda p, q: p / (p + q), hint="return 0.5 there")
    expect_reject(check, lambda p, q: p / (p + q + 1e-8), hint="the 0 an epsilon gives")
    expect_reject(check, lambda p, q: (p / (p + q)).nan_to_num(0.0).sum(), hint="elementwise")
