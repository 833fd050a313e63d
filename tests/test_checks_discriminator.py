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


def leaky():
    return nn.LeakyReLU(0.2)


def make_discriminator_2d(act=leaky, last=None, squeeze=True, width=None):
    class Discriminator2D(nn.Module):
        def __init__(self, hidden=128):
            super().__init__()
            self.net = mlp([2, width or hidden, width or hidden, 1], act, last)

        def forward(self, x):
            out = self.net(x)
            return {True: lambda: out.squeeze(1), False: lambda: out, "all": out.squeeze}[squeeze]()

    return Discriminator2D


class Discriminator2DFunctional(nn.Module):  # right, written differently
    def __init__(self, hidden=128):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(2, hidden), nn.Linear(hidden, hidden)])
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        for layer in self.layers:
            x = F.leaky_relu(layer(x), negative_slope=0.2)
        return self.head(x).view(-1)  # (N,)


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
    expect_pass(checks.check_discriminator_2d, Discriminator2DFunctional, capsys=capsys)
    in_place = make_discriminator_2d(act=lambda: nn.LeakyReLU(0.2, inplace=True))
    expect_pass(checks.check_discriminator_2d, in_place, capsys=capsys)
    check = checks.check_discriminator_2d
    expect_reject(check, make_discriminator_2d(act=nn.ReLU), hint="that's a ReLU")
    expect_reject(check, make_discriminator_2d(act=nn.LeakyReLU), hint="0.01 by default")
    expect_reject(check, make_discriminator_2d(act=nn.Tanh), hint="that's a tanh")
    expect_reject(check, make_discriminator_2d(squeeze="all"), hint="without a dim")
    expect_reject(check, make_discriminator_2d(width=128), hint="the `hidden` argument")


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
    added = lambda r, f: ((r > 0).float().mean() + (f < 0).float().mean()).item()
    expect_reject(checks.check_d_accuracy, added, hint="adding the two batch accuracies")
    by_real = lambda r, f: ((r > 0).sum() + (f < 0).sum()).item() / len(r)
    expect_reject(checks.check_d_accuracy, by_real, hint="not by one batch's size")
    by_fake = lambda r, f: ((r > 0).sum() + (f < 0).sum()).item() / len(f)
    expect_reject(checks.check_d_accuracy, by_fake, hint="not by one batch's size")
    counted = lambda r, f: ((r > 0).sum() + (f < 0).sum()).item() / (len(r) + len(f))
    expect_pass(checks.check_d_accuracy, counted, capsys=capsys)  # right, written differently


def make_train_discriminator(
    loss, step=True, record_after_step=False, optimizer=None, fresh=False, keep=lambda v: v.item()
):
    def train_discriminator(discriminator, real, fake, steps=200, lr=1e-2):
        make = optimizer or (lambda params, lr: torch.optim.Adam(params, lr=lr))
        opt = make(discriminator.parameters(), lr)
        history = []
        for _ in range(steps):
            if fresh:  # the mistake: a new optimizer, with empty state, at every step
                opt = make(discriminator.parameters(), lr)
            opt.zero_grad()
            value = loss(discriminator(real), discriminator(fake))
            value.backward()
            if step:
                opt.step()
            if record_after_step:
                with torch.no_grad():
                    value = loss(discriminator(real), discriminator(fake))
            history.append(keep(value))
        return history

    return train_discriminator


def train_discriminator_logits_once(discriminator, real, fake, steps=200, lr=1e-2):
    opt = torch.optim.Adam(discriminator.parameters(), lr=lr)
    real_logits, fake_logits = discriminator(real), discriminator(fake)  # the mistake: once
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss = losses.d_loss_bce(real_logits, fake_logits)
        loss.backward()
        history.append(loss.item())
        opt.step()
    return history


def bce_per_batch(r, f):  # right, written differently
    return F.binary_cross_entropy_with_logits(
        r, torch.ones_like(r)
    ) + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))


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
    check = checks.check_train_discriminator
    for right in (
        bce_per_batch,
        lambda r, f: -F.logsigmoid(r).mean() - F.logsigmoid(-f).mean(),
    ):
        expect_pass(check, make_train_discriminator(right), capsys=capsys)
    # the optimizer: made anew at every step, with the wrong settings, or another one
    expect_reject(
        check, make_train_discriminator(bce_per_batch, fresh=True), hint="before the loop"
    )
    default_adam = make_train_discriminator(
        bce_per_batch, optimizer=lambda p, lr: torch.optim.Adam(p)
    )
    expect_reject(check, default_adam, hint="default learning rate")
    fixed_lr = make_train_discriminator(
        bce_per_batch, optimizer=lambda p, lr: torch.optim.Adam(p, lr=1e-2)
    )
    expect_reject(check, fixed_lr, hint="use the lr argument")
    sgd = make_train_discriminator(bce_per_batch, optimizer=lambda p, lr: torch.optim.SGD(p, lr=lr))
    expect_reject(check, sgd, hint="torch.optim.Adam")
    # losses right only for batches of equal sizes (the check's have 256 and 160)
    pooled = lambda r, f: F.softplus(torch.cat([-r, f])).mean()
    expect_reject(check, make_train_discriminator(pooled), hint="weighs each batch by its size")
    one_size = lambda r, f: (F.softplus(-r).sum() + F.softplus(f).sum()) / len(r)
    expect_reject(check, make_train_discriminator(one_size), hint="one batch's size")
    labels = lambda r, f: F.binary_cross_entropy_with_logits(
        torch.cat([r, f]), torch.cat([torch.ones_like(r), torch.zeros_like(f)])
    )
    expect_reject(check, make_train_discriminator(labels), hint="weighs each batch by its size")
    # what it returns, and a graph used twice
    tensors = make_train_discriminator(bce_per_batch, keep=lambda v: v)
    expect_reject(check, tensors, hint="a plain number")
    expect_reject(check, train_discriminator_logits_once, hint="a fresh forward pass")
    column_labels = lambda r, f: (
        F.binary_cross_entropy_with_logits(r, torch.ones(len(r), 1))
        + F.binary_cross_entropy_with_logits(f, torch.zeros(len(f), 1))
    )  # (N, 1) labels, (N,) logits
    expect_reject(check, make_train_discriminator(column_labels), hint="the logits' shape, (N,)")
