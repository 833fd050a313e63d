"""The checks of exercise 07: each passes the reference, says "not implemented yet" to the stub,
and rejects plausible wrong answers, each with the hint aimed at that mistake."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gan_course.checks.dcgan import (
    check_dcgan_generator,
    check_dcgan_init,
    check_output_sizes,
    check_slerp,
)
from gan_course.latent import lerp, slerp
from gan_course.models.dcgan import (
    DCGANGenerator,
    conv_output_size,
    conv_transpose_output_size,
    dcgan_init,
)

from .check_helpers import (
    StubModule,
    expect_not_implemented,
    expect_pass,
    expect_reject,
    learner_copy,
    stub,
)

# ---------------------------------------------------------------------------- output sizes


def test_check_output_sizes(capsys):
    conv, transposed = conv_output_size, conv_transpose_output_size
    expect_pass(check_output_sizes, conv, transposed, capsys=capsys)
    conv, transposed = learner_copy(conv), learner_copy(transposed)  # as a learner wrote them
    expect_not_implemented(check_output_sizes, stub, transposed)
    expect_not_implemented(check_output_sizes, conv, stub)
    no_plus_one = lambda n, k, s, p: (n + 2 * p - k) // s
    true_division = lambda n, k, s, p: (n + 2 * p - k) / s + 1
    one_side = lambda n, k, s, p: (n + p - k) // s + 1
    halves = lambda n, k, s, p: n // s
    expect_reject(check_output_sizes, no_plus_one, transposed, hint="forgot the + 1")
    expect_reject(check_output_sizes, true_division, transposed, hint="round down")
    expect_reject(check_output_sizes, one_side, transposed, hint="*both* sides: n + 2p")
    expect_reject(check_output_sizes, halves, transposed, hint="n / s is right only")
    expect_reject(check_output_sizes, transposed, transposed, hint="transposed-conv formula")
    times_stride = lambda n, k, s, p: n * s
    minus_one = lambda n, k, s, p: (n - 1) * s - 2 * p + k - 1
    not_n_minus_one = lambda n, k, s, p: n * s - 2 * p + k
    one_padding = lambda n, k, s, p: (n - 1) * s - p + k
    expect_reject(check_output_sizes, conv, times_stride, hint="the kernel and padding matter")
    expect_reject(check_output_sizes, conv, minus_one, hint="no - 1")
    expect_reject(check_output_sizes, conv, not_n_minus_one, hint="not n s")
    expect_reject(check_output_sizes, conv, one_padding, hint="- 2p")
    expect_reject(check_output_sizes, conv, conv, hint="that's the conv formula")


# ---------------------------------------------------------------------------- the generator


def make_generator(
    last=nn.Tanh,
    norm_hidden=True,
    norm_output=False,
    act=nn.ReLU,
    doublings=2,
    project=True,
    act_first=False,
):
    """A 16x16 DCGAN generator with one mistake switched on."""

    def hidden(width):  # BatchNorm then the activation (or, with act_first, the other way round)
        norm = [nn.BatchNorm2d(width)] if norm_hidden else []
        activation = [act()] if act else []
        return activation + norm if act_first else norm + activation

    class Generator16(nn.Module):
        def __init__(self, latent_dim=32, width=32):
            super().__init__()
            self.latent_dim = latent_dim
            widths = [width * 2 ** (doublings - 1 - i) for i in range(doublings)]
            layers: list[nn.Module] = []
            if project:
                layers += [nn.ConvTranspose2d(latent_dim, widths[0], 4, 1, 0, bias=False)]
            else:  # a Linear projection instead, reshaped in forward
                self.linear = nn.Linear(latent_dim, widths[0] * 16)
            layers += hidden(widths[0])
            for a, b in zip(widths[:-1], widths[1:], strict=True):
                layers += [nn.ConvTranspose2d(a, b, 4, 2, 1, bias=not norm_hidden)]
                layers += hidden(b)
            layers += [nn.ConvTranspose2d(widths[-1], 1, 4, 2, 1)]
            layers += [nn.BatchNorm2d(1)] if norm_output else []
            layers += [last()] if last else []
            self.net = nn.Sequential(*layers)

        def forward(self, z):
            if project:
                return self.net(z.view(len(z), -1, 1, 1))
            return self.net(self.linear(z).view(len(z), -1, 4, 4))

    return Generator16


class Generator16Functional(nn.Module):
    """Right, written differently: layers registered in another order than they run, and the
    activations as functions in forward."""

    def __init__(self, latent_dim=32, width=32):
        super().__init__()
        self.latent_dim = latent_dim
        self.norm1, self.norm2 = nn.BatchNorm2d(2 * width), nn.BatchNorm2d(width)
        self.up1 = nn.ConvTranspose2d(latent_dim, 2 * width, 4, 1, 0)  # a bias: not an error
        self.up2 = nn.ConvTranspose2d(2 * width, width, 4, 2, 1)
        self.out = nn.ConvTranspose2d(width, 1, 4, 2, 1)

    def forward(self, z):
        x = F.relu(self.norm1(self.up1(z[:, :, None, None])))  # (N, 2w, 4, 4)
        x = torch.relu(self.norm2(self.up2(x)))  # (N, w, 8, 8)
        return torch.tanh(self.out(x))  # (N, 1, 16, 16)


def test_check_dcgan_generator(capsys):
    theirs = learner_copy(DCGANGenerator)  # the course's class, typed out by a learner
    reference = lambda latent_dim, width: theirs(latent_dim, 1, 16, width)
    expect_pass(check_dcgan_generator, reference, capsys=capsys)
    expect_pass(check_dcgan_generator, make_generator(), capsys=capsys)
    expect_pass(check_dcgan_generator, make_generator(act=nn.LeakyReLU), capsys=capsys)
    expect_not_implemented(check_dcgan_generator, StubModule)
    check = check_dcgan_generator
    expect_reject(check, make_generator(last=nn.Sigmoid), hint="use nn.Tanh()")
    expect_reject(check, make_generator(last=None), hint="end with nn.Tanh()")
    expect_reject(check, make_generator(norm_hidden=False), hint="add nn.BatchNorm2d")
    expect_reject(check, make_generator(norm_output=True), hint="no BatchNorm on G's output")
    expect_reject(check, make_generator(act=None), hint="collapse into one linear map")
    expect_reject(check, make_generator(doublings=3), hint="32x32: from 4x4, exactly two")
    expect_reject(check, make_generator(project=False), hint="nn.ConvTranspose2d(latent_dim")
    expect_pass(check, Generator16Functional, capsys=capsys)
    pytorch_examples = make_generator(act=lambda: nn.ReLU(True))  # in place, as in dcgan/main.py
    expect_pass(check, pytorch_examples, capsys=capsys)
    expect_reject(check, make_generator(act_first=True), hint="BatchNorm comes before")
    expect_reject(check, make_generator(act=nn.Tanh), hint="the hidden layers of DCGAN's")


# ---------------------------------------------------------------------------- the init


def make_init(
    kinds=(nn.Conv2d, nn.ConvTranspose2d, nn.Linear),
    weight=lambda w: nn.init.normal_(w, 0.0, 0.02),
    norm_weight=lambda w: nn.init.normal_(w, 1.0, 0.02),
    zero_bias=True,
):
    def init(module):
        if isinstance(module, kinds):
            weight(module.weight)
            if module.bias is not None and zero_bias:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            norm_weight(module.weight)
            nn.init.zeros_(module.bias)

    return init


def pytorch_examples_weights_init(m):
    """pytorch/examples dcgan's own `weights_init`, which finds layers by class name."""
    classname = m.__class__.__name__
    if classname.find("Conv") != -1 or classname.find("Linear") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


def test_check_dcgan_init(capsys):
    expect_pass(check_dcgan_init, dcgan_init, capsys=capsys)
    expect_pass(check_dcgan_init, pytorch_examples_weights_init, capsys=capsys)
    expect_not_implemented(check_dcgan_init, stub)
    check = check_dcgan_init
    expect_reject(check, make_init(kinds=(nn.Conv2d, nn.Linear)), hint="is False for nn.ConvT")
    expect_reject(check, make_init(kinds=(nn.Conv2d, nn.ConvTranspose2d)), hint="(and nn.Linear)")
    expect_reject(check, make_init(weight=lambda w: nn.init.normal_(w, 0.0, 0.2)), hint="not 0.2")
    expect_reject(check, make_init(weight=lambda w: nn.init.normal_(w, 0.02)), hint="is the mean")
    small_uniform = make_init(weight=lambda w: nn.init.uniform_(w, -0.02, 0.02))
    expect_reject(check, small_uniform, hint="uniform distribution")
    a = 0.02 * math.sqrt(3)  # uniform with std 0.02: only its shape gives it away
    expect_reject(
        check, make_init(weight=lambda w: nn.init.uniform_(w, -a, a)), hint="with std 0.02"
    )
    expect_reject(check, make_init(zero_bias=False), hint="set every bias to 0")
    bn_zero = make_init(norm_weight=lambda w: nn.init.normal_(w, 0.0, 0.02))
    expect_reject(check, bn_zero, hint="switch every channel off")
    bn_ones = make_init(norm_weight=nn.init.ones_)
    expect_reject(check, bn_ones, hint="for BatchNorm2d layers too")
    expect_reject(check, make_init(norm_weight=lambda w: None), hint="for BatchNorm2d layers too")


# ---------------------------------------------------------------------------- slerp

learners_slerp = learner_copy(slerp)  # a right slerp of a learner's, for the wrong ones below


def slerp_without_fallback(z0, z1, t):
    unit0, unit1 = z0 / z0.norm(dim=-1, keepdim=True), z1 / z1.norm(dim=-1, keepdim=True)
    omega = torch.acos((unit0 * unit1).sum(dim=-1, keepdim=True).clamp(-1, 1))
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def slerp_epsilon(z0, z1, t):
    unit0, unit1 = z0 / z0.norm(dim=-1, keepdim=True), z1 / z1.norm(dim=-1, keepdim=True)
    omega = torch.acos((unit0 * unit1).sum(dim=-1, keepdim=True).clamp(-1, 1))
    sin = torch.sin(omega) + 1e-7
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / sin


def slerp_unnormalised(z0, z1, t):
    omega = torch.acos((z0 * z1).sum(dim=-1, keepdim=True))  # not a cosine: NaN
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def slerp_one_angle(z0, z1, t):
    omega = torch.acos(((z0 * z1).sum() / (z0.norm() * z1.norm())).clamp(-1, 1))
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def slerp_swapped(z0, z1, t):
    return learners_slerp(z0, z1, 1 - t)


def slerp_of_unit_vectors(z0, z1, t):
    return learners_slerp(z0 / z0.norm(dim=-1, keepdim=True), z1 / z1.norm(dim=-1, keepdim=True), t)


def test_check_slerp(capsys):
    expect_pass(check_slerp, slerp, capsys=capsys)
    expect_not_implemented(check_slerp, stub)
    expect_reject(check_slerp, lerp, hint="that's lerp")
    expect_reject(check_slerp, slerp_swapped, hint="the path must be at z0")
    expect_reject(check_slerp, slerp_one_angle, hint="one angle per pair")
    expect_reject(check_slerp, slerp_unnormalised, hint="dot product of the *unit* vectors")
    expect_reject(check_slerp, slerp_of_unit_vectors, hint="the unit vectors are only for")
    expect_reject(check_slerp, slerp_without_fallback, hint="fall back to lerp")
    expect_reject(check_slerp, slerp_epsilon, hint="not a small epsilon")
    expect_reject(check_slerp, lambda z0, z1, t: z0 + 0 * t, hint="the path must be at z1")
