"""Exercise 03's checks: the reference passes, the stub is "not implemented yet", and each
plausible wrong answer is rejected with the hint aimed at it."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gan_course import checks, losses, train
from gan_course.models import MLPDiscriminator

from .check_helpers import (
    StubModule,
    expect_not_implemented,
    expect_pass,
    expect_reject,
    learner_copy,
    mlp,
    stub,
)


def make_discriminator_2d(act=nn.LeakyReLU, last=None, squeeze=True):
    class Discriminator2D(nn.Module):
        def __init__(self, hidden=128):
            super().__init__()
            self.net = mlp([2, hidden, hidden, 1], act, last)

        def forward(self, x):
            out = self.net(x)
            return out.squeeze(1) if squeeze else out

    return Discriminator2D


learners_mlp_d = learner_copy(MLPDiscriminator)  # the course's class, typed out


def test_check_discriminator_2d(capsys):
    expect_pass(
        checks.check_discriminator_2d,
        lambda hidden: learners_mlp_d(2, (hidden, hidden)),
        capsys=capsys,
    )
    expect_pass(checks.check_discriminator_2d, make_discriminator_2d(), capsys=capsys)
    expect_not_implemented(checks.check_discriminator_2d, StubModule)
    expect_reject(
        checks.check_discriminator_2d, make_discriminator_2d(squeeze=False), hint=".squeeze(1)"
    )
    expect_reject(
        checks.check_discriminator_2d,
        make_discriminator_2d(last=nn.Sigmoid),
        hint="drop the final Sigmoid",
    )
    expect_reject(
        checks.check_discriminator_2d, make_discriminator_2d(act=None), hint="straight line"
    )


def test_check_d_accuracy(capsys):
    expect_pass(checks.check_d_accuracy, losses.d_accuracy, capsys=capsys)
    expect_not_implemented(checks.check_d_accuracy, stub)
    at_half = lambda r, f: torch.cat([r > 0.5, f < 0.5]).float().mean()
    swapped = lambda r, f: torch.cat([r < 0, f > 0]).float().mean()
    count = lambda r, f: torch.cat([r > 0, f < 0]).float().sum()
    mean_of_means = lambda r, f: ((r > 0).float().mean() + (f < 0).float().mean()) / 2
    expect_reject(checks.check_d_accuracy, at_half, hint="threshold at 0")
    expect_reject(checks.check_d_accuracy, swapped, hint="swapped")
    expect_reject(checks.check_d_accuracy, count, hint="count")
    expect_reject(checks.check_d_accuracy, mean_of_means, hint="pool all samples")
    on_probabilities = lambda r, f: torch.cat([r.sigmoid() > 0, f.sigmoid() < 0.5]).float().mean()
    expect_reject(checks.check_d_accuracy, on_probabilities, hint="sigmoid(logit) > 0 always")


def make_train_discriminator(loss, step=True, record_after_step=False):
    def train_discriminator(discriminator, real, fake, steps=200, lr=1e-2):
        opt = torch.optim.Adam(discriminator.parameters(), lr=lr)
        history = []
        for _ in range(steps):
            opt.zero_grad()
            value = loss(discriminator(real), discriminator(fake))
            value.backward()
            if step:
                opt.step()
            if record_after_step:
                with torch.no_grad():
                    value = loss(discriminator(real), discriminator(fake))
            history.append(value.item())
        return history

    return train_discriminator


def test_check_train_discriminator(capsys):
    expect_pass(checks.check_train_discriminator, train.train_discriminator, capsys=capsys)
    expect_not_implemented(checks.check_train_discriminator, stub)
    swapped = make_train_discriminator(lambda r, f: losses.d_loss_bce(f, r))
    summed = make_train_discriminator(lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum())
    twice = make_train_discriminator(
        lambda r, f: losses.d_loss_bce(torch.sigmoid(r), torch.sigmoid(f))
    )
    no_step = make_train_discriminator(losses.d_loss_bce, step=False)
    expect_reject(checks.check_train_discriminator, swapped, hint="labels swapped")
    expect_reject(checks.check_train_discriminator, summed, hint="sum instead of mean")
    expect_reject(checks.check_train_discriminator, twice, hint="sigmoid applied twice")
    expect_reject(checks.check_train_discriminator, no_step, hint="optimizer.step()")
    late = make_train_discriminator(losses.d_loss_bce, record_after_step=True)
    expect_reject(checks.check_train_discriminator, late, hint="before optimizer.step()")
    expect_reject(checks.check_train_discriminator, lambda *a, **k: 0.5, hint="append loss.item()")
