"""Exercise 02's checks: the reference passes, the stub is "not implemented yet", and each
plausible wrong answer is rejected with the hint aimed at it."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gan_course import checks, data
from gan_course.models import MLPGenerator

from .check_helpers import (
    StubModule,
    expect_not_implemented,
    expect_pass,
    expect_reject,
    learner_copy,
    mlp,
    stub,
)


def noise_uniform(n, latent_dim):
    return torch.rand(n, latent_dim)


def noise_transposed(n, latent_dim):
    return torch.randn(latent_dim, n)


def noise_seeded_inside(n, latent_dim):
    torch.manual_seed(0)
    return torch.randn(n, latent_dim)


def noise_scaled_uniform(n, latent_dim):
    return (torch.rand(n, latent_dim) - 0.5) * 12**0.5  # mean 0, std 1, but flat


def test_check_latent_noise(capsys):
    expect_pass(checks.check_latent_noise, data.latent_noise, capsys=capsys)
    expect_not_implemented(checks.check_latent_noise, stub)
    expect_reject(checks.check_latent_noise, noise_uniform, hint="torch.rand is uniform")
    expect_reject(checks.check_latent_noise, noise_transposed, hint="one row per sample")
    expect_reject(checks.check_latent_noise, noise_seeded_inside, hint="manual_seed")
    expect_reject(checks.check_latent_noise, noise_scaled_uniform, hint="bell-shaped")


def make_generator_2d(act=nn.ReLU, last=None, out=2):
    class Generator2D(nn.Module):
        def __init__(self, latent_dim=2, hidden=128):
            super().__init__()
            self.net = mlp([latent_dim, hidden, hidden, out], act, last)

        def forward(self, z):
            return self.net(z)

    return Generator2D


class Generator2DNoParams(nn.Module):
    def __init__(self, latent_dim=2, hidden=128):
        super().__init__()
        self.layers = [nn.Linear(latent_dim, hidden), nn.Linear(hidden, 2)]  # a list: invisible

    def forward(self, z):
        return self.layers[1](torch.relu(self.layers[0](z)))


class Generator2DDetached(nn.Module):
    def __init__(self, latent_dim=2, hidden=128):
        super().__init__()
        self.first, self.last = nn.Linear(latent_dim, hidden), nn.Linear(hidden, 2)

    def forward(self, z):
        return self.last(torch.relu(self.first(z)).detach())


class Generator2DFunctional(nn.Module):  # right, written differently: functional ReLUs
    def __init__(self, latent_dim=2, hidden=128):
        super().__init__()
        self.latent_dim = latent_dim
        self.fc1, self.fc2 = nn.Linear(latent_dim, hidden), nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 2)

    def forward(self, z):
        return self.out(F.relu(self.fc2(torch.relu(self.fc1(z)))))


class Generator2DFixedWidth(nn.Module):
    def __init__(self, latent_dim=2, hidden=128):
        super().__init__()
        self.net = mlp([latent_dim, 128, 128, 2], nn.ReLU)  # the mistake: 128, not hidden

    def forward(self, z):
        return self.net(z)


def test_check_generator_2d(capsys):
    theirs = learner_copy(MLPGenerator)  # the course's class, typed out by a learner
    reference = lambda latent_dim, hidden: theirs(latent_dim, 2, (hidden, hidden))
    expect_pass(checks.check_generator_2d, reference, capsys=capsys)
    expect_pass(checks.check_generator_2d, make_generator_2d(), capsys=capsys)
    expect_not_implemented(checks.check_generator_2d, StubModule)
    expect_reject(checks.check_generator_2d, make_generator_2d(out=3), hint="hidden -> 2")
    expect_reject(checks.check_generator_2d, make_generator_2d(act=None), hint="nn.ReLU()")
    expect_reject(checks.check_generator_2d, make_generator_2d(last=nn.Tanh), hint="no Tanh")
    expect_reject(checks.check_generator_2d, Generator2DNoParams, hint="registers them")
    expect_reject(checks.check_generator_2d, Generator2DDetached, hint="no .detach()")
    expect_pass(checks.check_generator_2d, Generator2DFunctional, capsys=capsys)
    in_place = make_generator_2d(act=lambda: nn.ReLU(inplace=True))
    expect_pass(checks.check_generator_2d, in_place, capsys=capsys)
    expect_reject(
        checks.check_generator_2d, make_generator_2d(last=nn.ReLU), hint="a ReLU keeps every"
    )
    expect_reject(checks.check_generator_2d, Generator2DFixedWidth, hint="the `hidden` argument")
    # the output's end is the learner's decision: judged by what it can reach
    check = checks.check_generator_2d
    expect_reject(check, make_generator_2d(last=nn.Sigmoid), hint="squashed into (0, 1)")
    expect_reject(check, make_generator_2d(last=lambda: Scaled(torch.tanh, 2.0)), hint="stop at")
    expect_reject(check, Generator2DFixedLatent, hint="`latent_dim` argument")
    leaky_end = make_generator_2d(act=lambda: nn.LeakyReLU(0.2))  # right: another non-linearity
    expect_pass(check, leaky_end, capsys=capsys)


class Scaled(nn.Module):
    """`scale * fn(x)`: an output squashed into (-scale, scale) by a learner's own choice."""

    def __init__(self, fn, scale: float, shift: float = 0.0) -> None:
        super().__init__()
        self.fn, self.scale, self.shift = fn, scale, shift

    def forward(self, x):
        return self.scale * self.fn(x) + self.shift


class Generator2DFixedLatent(nn.Module):
    def __init__(self, latent_dim=2, hidden=128):
        super().__init__()
        self.net = mlp([2, hidden, hidden, 2], nn.ReLU)  # the mistake: 2, not latent_dim

    def forward(self, z):
        return self.net(z)


def make_digit_generator(last=nn.Tanh, reshape=True, out=64, width=None, latent=None):
    class DigitGenerator(nn.Module):
        def __init__(self, latent_dim=16, hidden=128):
            super().__init__()
            self.net = mlp([latent or latent_dim, width or hidden, out], nn.ReLU, last)

        def forward(self, z):
            x = self.net(z)
            return x.view(-1, 1, 8, 8) if reshape else x

    return DigitGenerator


def test_check_digit_generator(capsys):
    theirs = learner_copy(MLPGenerator)
    reference = lambda latent_dim, hidden: theirs(
        latent_dim, hidden=(hidden,), image_shape=(1, 8, 8)
    )
    expect_pass(checks.check_digit_generator, reference, capsys=capsys)
    expect_not_implemented(checks.check_digit_generator, StubModule)
    expect_reject(checks.check_digit_generator, make_digit_generator(reshape=False), hint=".view(")
    expect_reject(
        checks.check_digit_generator, make_digit_generator(last=nn.Sigmoid), hint="Sigmoid"
    )
    expect_reject(
        checks.check_digit_generator, make_digit_generator(last=None), hint="leave [-1, 1]"
    )
    expect_reject(
        checks.check_digit_generator, make_digit_generator(reshape=False, out=32), hint="64 outputs"
    )
    expect_reject(
        checks.check_digit_generator, make_digit_generator(width=128), hint="`hidden` argument"
    )

    class DigitGeneratorFunctional(nn.Module):  # right: torch.tanh, .reshape
        def __init__(self, latent_dim=16, hidden=128):
            super().__init__()
            self.net = mlp([latent_dim, hidden, hidden, 64], nn.ReLU)

        def forward(self, z):
            return torch.tanh(self.net(z)).reshape(len(z), 1, 8, 8)

    expect_pass(checks.check_digit_generator, DigitGeneratorFunctional, capsys=capsys)
    # the end is the learner's decision: judged by the range it keeps and the range it reaches
    check = checks.check_digit_generator
    expect_reject(check, make_digit_generator(last=nn.ReLU), hint="leave [-1, 1]")
    half = make_digit_generator(last=lambda: Scaled(torch.tanh, 0.5))
    expect_reject(check, half, hint="stop at about")
    expect_reject(check, make_digit_generator(latent=16), hint="`latent_dim` argument")
    for right in (
        lambda: Scaled(torch.sigmoid, 2.0, -1.0),  # 2 sigmoid(x) - 1 = tanh(x / 2)
        nn.Hardtanh,  # clamps to [-1, 1]: keeps the range and reaches both ends
    ):
        expect_pass(check, make_digit_generator(last=right), capsys=capsys)
