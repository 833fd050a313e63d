"""The checks of exercise 07: each passes the reference, says "not implemented yet" to the stub,
and rejects plausible wrong answers, each with the hint aimed at that mistake."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_course.checks import CourseAnswer
from gan_course.checks.dcgan import (
    check_dcgan_generator,
    check_dcgan_init,
    check_layer_choices,
    check_sample,
    check_slerp,
)
from gan_course.latent import lerp, sample, slerp
from gan_course.models.dcgan import DCGANGenerator, dcgan_init

from .check_helpers import (
    StubModule,
    expect_not_implemented,
    expect_pass,
    expect_reject,
    learner_copy,
    stub,
)

# ---------------------------------------------------------------------------- choose the layers

G_LAYERS = [(7, 1, 0), (4, 2, 1), (4, 2, 1)]  # 1 -> 7 -> 14 -> 28
D_LAYERS = [(4, 2, 1), (4, 2, 1), (7, 1, 0)]  # 28 -> 14 -> 7 -> 1


def test_check_layer_choices(capsys):
    check = check_layer_choices
    expect_pass(check, G_LAYERS, D_LAYERS, capsys=capsys)
    other_g = ((9, 2, 1), [2, 2, 0], (np.int64(6), 2, 2))  # other right layers, other forms
    other_d = [(3, 2, 1), (2, 2, 0), (7, 2, 0)]
    expect_pass(check, other_g, other_d, capsys=capsys)
    expect_not_implemented(check, None, D_LAYERS)
    expect_not_implemented(check, G_LAYERS, None)
    dcgan_16 = [(4, 1, 0), (4, 2, 1), (4, 2, 1)]  # the 16x16 generator's, copied: 1 -> 4
    expect_reject(check, dcgan_16, D_LAYERS, hint="from a 1x1 map a transposed conv makes k - 2p")
    odd = [(7, 1, 0), (3, 2, 1), (3, 2, 1)]  # 7 -> 13: (7 - 1) * 2 - 2 + 3
    expect_reject(check, odd, D_LAYERS, hint="an odd kernel with stride 2 lands one short")
    no_padding = [(7, 1, 0), (4, 2, 0), (4, 2, 1)]  # 7 -> 16
    expect_reject(check, no_padding, D_LAYERS, hint="(n - 1)s - 2p + k = 16 pixels here")
    head_4 = [(4, 2, 1), (4, 2, 1), (4, 1, 0)]  # lesson 07's 4x4 head on a 7x7 map: 4x4 out
    expect_reject(check, G_LAYERS, head_4, hint="the kernel must cover all of it")
    expect_reject(check, G_LAYERS, [(4, 2, 1)] * 3, hint="the kernel must cover all of it")
    no_pad_d = [(4, 2, 0), (4, 2, 1), (7, 1, 0)]  # 28 -> 13
    expect_reject(check, G_LAYERS, no_pad_d, hint="floor((n + 2p - k) / s) + 1 = 13")
    stride_one = [(7, 1, 0), (8, 1, 0), (4, 2, 1)]  # 7 -> 14 with a big kernel
    expect_reject(check, stride_one, D_LAYERS, hint="DCGAN doubles with stride 2")
    expect_reject(check, G_LAYERS, [(15, 1, 0), (4, 2, 1), (7, 1, 0)], hint="halves with stride 2")
    skipping = [(1, 2, 0), (4, 2, 1), (7, 1, 0)]  # 28 -> 14, every other pixel only
    expect_reject(check, G_LAYERS, skipping, hint="D would be blind to them")
    corner = [(4, 2, 1), (4, 2, 1), (4, 4, 0)]  # 7 -> 1 from the top-left 4x4 only
    expect_reject(check, G_LAYERS, corner, hint="D would be blind to them")
    expect_reject(check, D_LAYERS, G_LAYERS, hint="from a 1x1 map")  # the two swapped
    expect_reject(check, G_LAYERS[:2], D_LAYERS, hint="a list of three")
    expect_reject(check, [(7.0, 1, 0), *G_LAYERS[1:]], D_LAYERS, hint="a list of three")
    expect_reject(check, "(7, 1, 0)", D_LAYERS, hint="a list of three")


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


class Generator16Halving(nn.Module):
    """Right, by another path: four doublings from 1x1, and widths of its own."""

    def __init__(self, latent_dim=32, width=32):
        super().__init__()
        self.latent_dim = latent_dim
        layers: list[nn.Module] = []
        for c_in, c_out in ((latent_dim, 4 * width), (4 * width, 2 * width), (2 * width, width)):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.BatchNorm2d(c_out), nn.ReLU()]
        self.net = nn.Sequential(*layers, nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.net(z[:, :, None, None])


class Generator16Uneven(nn.Module):
    """16x16 with kernel 3, stride 2 and output_padding=1: the right sizes, a checkerboard."""

    def __init__(self, latent_dim=32, width=32):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, 2 * width, 4, 1, 0),  # (N, 2w, 4, 4)
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 3, 2, 1, output_padding=1),  # (N, w, 8, 8)
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 3, 2, 1, output_padding=1),  # (N, 1, 16, 16)
            nn.Tanh(),
        )

    def forward(self, z):
        return self.net(z[:, :, None, None])


class OneLayer(nn.Module):
    """One transposed conv from 1x1 straight to 16x16, and Tanh."""

    def __init__(self, latent_dim=32, width=32):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Sequential(nn.ConvTranspose2d(latent_dim, 1, 16, 1, 0), nn.Tanh())

    def forward(self, z):
        return self.net(z[:, :, None, None])


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
    expect_reject(check, make_generator(doublings=3), hint="32x32: choose the layers so that")
    expect_pass(check, make_generator(project=False), capsys=capsys)  # the paper's Linear
    expect_pass(check, Generator16Halving, capsys=capsys)  # 1 -> 2 -> 4 -> 8 -> 16
    expect_reject(check, Generator16Uneven, hint="overlaps unevenly")
    expect_reject(check, OneLayer, hint="no single layer from 1x1 to 16x16")
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


# ---------------------------------------------------------------------------- sample


def sample_reference(G, z):
    was_training = G.training
    G.eval()  # BatchNorm on its running statistics
    try:
        with torch.no_grad():
            return G(z)
    finally:
        G.train(was_training)


@torch.inference_mode()
def sample_on_a_copy(G, z):  # right, written differently: an eval-mode copy, G left alone
    return copy.deepcopy(G).eval()(z)


def sample_norms_only(G, z):  # right: only the BatchNorm layers switched, and switched back
    norms = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    modes = [m.training for m in norms]
    for m in norms:
        m.eval()
    with torch.no_grad():
        out = G(z)
    for m, mode in zip(norms, modes, strict=True):
        m.train(mode)
    return out


def sample_train_mode(G, z):
    with torch.no_grad():
        return G(z)


def sample_flag(G, z):
    G.training = False  # the mistake: G's own flag only
    with torch.no_grad():
        out = G(z)
    G.training = True
    return out


def sample_left_in_eval(G, z):
    G.eval()
    with torch.no_grad():
        return G(z)


def sample_always_train(G, z):
    G.eval()
    with torch.no_grad():
        out = G(z)
    G.train()
    return out


def sample_norms_left_in_eval(G, z):
    for m in G.modules():
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            m.eval()
    with torch.no_grad():
        return G(z)


def sample_with_grad(G, z):
    was_training = G.training
    G.eval()
    out = G(z)
    G.train(was_training)
    return out


def sample_detached(G, z):
    return sample_with_grad(G, z).detach()


def sample_data(G, z):
    return sample_with_grad(G, z).data


def sample_frozen(G, z):
    G.requires_grad_(False)
    return sample_with_grad(G, z)


def sample_new_noise(G, z):
    return sample_reference(G, torch.randn_like(z))


def test_check_sample(capsys):
    check = check_sample
    expect_pass(check, sample_reference, capsys=capsys)
    expect_pass(check, sample_on_a_copy, capsys=capsys)
    expect_pass(check, sample_norms_only, capsys=capsys)
    expect_not_implemented(check, stub)
    for course_s in (sample, lambda G, z: sample(G, z=z)):
        with pytest.raises(CourseAnswer, match="course's own"):
            check(course_s)
    expect_reject(check, sample_train_mode, hint="G was still in train mode")
    expect_reject(check, sample_flag, hint="changes G's own flag only")
    expect_reject(check, sample_left_in_eval, hint="learn no new ones")
    expect_reject(check, sample_norms_left_in_eval, hint="learn no new ones")
    expect_reject(check, sample_always_train, hint="not always train mode")
    expect_reject(check, sample_with_grad, hint="inside `with torch.no_grad():`")
    expect_reject(check, sample_detached, hint="`.detach()` or `.data`")
    expect_reject(check, sample_data, hint="`.detach()` or `.data`")
    expect_reject(check, sample_frozen, hint="switches G's learning off for good")
    expect_reject(check, sample_new_noise, hint="on the z you are given")
