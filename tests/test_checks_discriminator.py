"""Exercise 03's checks: the reference passes, the stub is "not implemented yet", and each
plausible wrong answer is rejected with the hint aimed at it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_course import checks, losses, train
from gan_course.checks import CourseAnswer
from gan_course.checks.discriminator import train_rounds_reference
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


def make_train_rounds(
    loss=losses.d_loss_bce,
    step=True,
    record_after_step=False,
    optimizer=None,
    fresh="",
    keep=lambda v: v.item(),
    order="rounds",
    ignore_k=False,
    which=None,
):
    """The learner's loop over rounds with one mistake switched on. `which`: "first" or "last",
    a batch of fakes used in every round instead of each round's own."""

    def train_rounds(discriminator, real, fake_rounds, k=1, lr=1e-2):
        make = optimizer or (lambda params, lr: torch.optim.Adam(params, lr=lr))
        opt = make(discriminator.parameters(), lr)
        history = []
        steps = 1 if ignore_k else k
        if order == "rounds":
            schedule = [fake for fake in fake_rounds for _ in range(steps)]
        else:
            schedule = [fake for _ in range(steps) for fake in fake_rounds]
        for i, fake in enumerate(schedule):
            if which:
                fake = fake_rounds[0 if which == "first" else -1]
            if fresh == "step" or (fresh == "round" and i % steps == 0):
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

    return train_rounds


def train_rounds_nested(discriminator, real, fake_rounds, k=1, lr=1e-2):
    """Right, written differently: nested loops, the loss by hand with logsigmoid."""
    optimizer = torch.optim.Adam(discriminator.parameters(), lr=lr)
    history = []
    for fake in fake_rounds:
        for _ in range(k):
            optimizer.zero_grad()
            real_logits, fake_logits = discriminator(real), discriminator(fake)
            loss = -F.logsigmoid(real_logits).mean() - F.logsigmoid(-fake_logits).mean()
            loss.backward()
            history.append(loss.item())
            optimizer.step()
    return history


def train_rounds_logits_once(discriminator, real, fake_rounds, k=1, lr=1e-2):
    opt = torch.optim.Adam(discriminator.parameters(), lr=lr)
    history = []
    for fake in fake_rounds:
        real_logits, fake_logits = discriminator(real), discriminator(fake)  # once a round
        for _ in range(k):
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


def test_check_train_rounds(capsys):
    check = checks.check_train_rounds
    reference = learner_copy(train_rounds_reference)  # the check's own, typed out
    expect_pass(check, reference, capsys=capsys)
    expect_pass(check, make_train_rounds(), capsys=capsys)
    expect_pass(check, train_rounds_nested, capsys=capsys)
    expect_pass(check, make_train_rounds(bce_per_batch), capsys=capsys)
    expect_not_implemented(check, stub)
    # the course's D trainer, called round by round, is refused as the course's own
    with pytest.raises(CourseAnswer, match="train_discriminator"):
        check(
            lambda d, real, rounds, k=1, lr=1e-2: [
                x for fake in rounds for x in train.train_discriminator(d, real, fake, k, lr)
            ]
        )
    # the loss, read off the first step
    expect_reject(check, make_train_rounds(lambda r, f: losses.d_loss_bce(f, r)), hint="swapped")
    summed = make_train_rounds(lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum())
    expect_reject(check, summed, hint="sum instead of mean")
    twice = make_train_rounds(lambda r, f: losses.d_loss_bce(torch.sigmoid(r), torch.sigmoid(f)))
    expect_reject(check, twice, hint="sigmoid applied twice")
    pooled = make_train_rounds(lambda r, f: F.softplus(torch.cat([-r, f])).mean())
    expect_reject(check, pooled, hint="weighs each batch by its size")
    one_size = make_train_rounds(lambda r, f: (F.softplus(-r).sum() + F.softplus(f).sum()) / len(r))
    expect_reject(check, one_size, hint="one batch's size")
    expect_reject(check, make_train_rounds(record_after_step=True), hint="before optimizer.step()")
    expect_reject(check, make_train_rounds(step=False), hint="optimizer.step()")
    # what it returns
    expect_reject(check, lambda *a, **k: 0.5, hint="append each step's loss.item()")
    expect_reject(check, make_train_rounds(keep=lambda v: v), hint="a plain number")
    expect_reject(check, make_train_rounds(ignore_k=True), hint="steps in every round")
    one_round = lambda d, real, rounds, k=1, lr=1e-2: make_train_rounds()(
        d, real, rounds[:1], k, lr
    )
    expect_reject(check, one_round, hint="one round for each")
    # the loops: their order, the optimizer, each round's own fakes
    expect_reject(check, make_train_rounds(order="k"), hint="each round's k steps together")
    expect_reject(check, make_train_rounds(fresh="round"), hint="a new Adam in every round")
    expect_reject(check, make_train_rounds(fresh="step"), hint="a new Adam at every step")
    default_adam = make_train_rounds(optimizer=lambda p, lr: torch.optim.Adam(p))
    expect_reject(check, default_adam, hint="default learning rate")
    fixed_lr = make_train_rounds(optimizer=lambda p, lr: torch.optim.Adam(p, lr=1e-2))
    expect_reject(check, fixed_lr, hint="use the lr argument")
    sgd = make_train_rounds(optimizer=lambda p, lr: torch.optim.SGD(p, lr=lr))
    expect_reject(check, sgd, hint="torch.optim.Adam")
    expect_reject(check, make_train_rounds(which="first"), hint="the first round's fakes")
    expect_reject(check, make_train_rounds(which="last"), hint="another round's fakes")
    expect_reject(check, train_rounds_logits_once, hint="a fresh forward pass")
    column_labels = make_train_rounds(
        lambda r, f: (
            F.binary_cross_entropy_with_logits(r, torch.ones(len(r), 1))
            + F.binary_cross_entropy_with_logits(f, torch.zeros(len(f), 1))
        )
    )  # (N, 1) labels, (N,) logits
    expect_reject(check, column_labels, hint="the logits' shape, (N,)")
