"""Checks for exercise 02: the generator."""

from __future__ import annotations

import torch
from torch import nn

from .. import data
from ..models import MLPGenerator
from .core import Check


def expect_hidden_width(c: Check, net, z, hidden: int, name: str) -> None:
    """The Linear layers before the last one are `hidden` wide: the argument is used. (Layers
    PyTorch doesn't see, kept in a plain list, are the business of `expect_all_params_learn`.)"""
    calls, _ = c.trace(net, z, kinds=(nn.Linear,))
    widths = [out.shape[-1] for _, _, out in calls[:-1]]
    c.expect(
        all(w == hidden for w in widths),
        f"the width of the hidden layers of {name}",
        f"{hidden} each (the `hidden` argument)",
        widths,
        hint=f"use the `hidden` argument for the hidden layers' width (here {hidden}), "
        "not a number of your own",
    )


def check_latent_noise(fn) -> None:
    """`latent_noise(n, latent_dim)`: standard normal noise of shape (n, latent_dim)."""
    with Check("latent_noise", reference=data.latent_noise) as c:
        z = c.expect_tensor(c.call(fn, 5, 3), "latent_noise(5, 3)")
        c.expect_shape(
            z, (5, 3), "latent_noise(5, 3).shape", hint="one row per sample: shape (n, latent_dim)"
        )
        c.expect(
            z.dtype == torch.float32,
            "the dtype",
            torch.float32,
            z.dtype,
            hint="torch.randn makes float32, what the networks expect",
        )
        big = c.call(fn, 20_000, 4)
        mean, std = big.mean().item(), big.std().item()
        uniform = big.min().item() >= 0
        c.expect(
            abs(mean) < 0.05 and abs(std - 1) < 0.05,
            "mean and std of 80,000 draws",
            "mean 0, std 1",
            f"mean {mean:.3f}, std {std:.3f}",
            hint="all draws are >= 0: torch.rand is uniform on [0, 1); use torch.randn"
            if uniform
            else "draw from the standard normal N(0, 1): torch.randn",
        )
        within_one = (big.abs() < 1).float().mean().item()
        c.expect(
            abs(within_one - 0.683) < 0.02,
            "share of draws within one std of 0",
            "0.683 (a Gaussian)",
            f"{within_one:.3f}",
            hint="that's not bell-shaped noise: use torch.randn",
        )
        again = c.call(fn, 5, 3)
        c.expect(
            not torch.equal(z, again),
            "two calls in a row",
            "different noise",
            "the same noise twice",
            hint="don't call torch.manual_seed inside; seed once at the top",
        )


def _is_affine(net, latent_dim: int) -> bool:
    """f(a) + f(b) == 2 f((a + b) / 2) holds for every affine map and almost no other."""
    a, b = torch.randn(64, latent_dim), torch.randn(64, latent_dim)
    with torch.no_grad():
        return torch.allclose(net(a) + net(b), 2 * net((a + b) / 2), atol=1e-5)


def check_generator_2d(cls) -> None:
    """`Generator2D(latent_dim, hidden)`: an MLP from noise to 2-D points, no output squashing."""
    with Check("Generator2D", reference=MLPGenerator) as c:
        net = c.call(cls, 3, 32)  # latent_dim=3, hidden=32
        c.expect_module(net)
        out = c.expect_tensor(c.call(net, torch.randn(16, 3)), "Generator2D(3, 32)(z)")
        c.expect_shape(
            out,
            (16, 2),
            "the output shape for z of shape (16, 3)",
            hint="the last layer maps hidden -> 2: one 2-D point per row of z",
        )
        c.expect(
            not _is_affine(net, 3),
            "is the network non-linear?",
            "non-linear",
            "affine",
            hint="put an nn.ReLU() between the Linear layers: without one the network "
            "is a single linear map, and turns a Gaussian into another Gaussian",
        )
        expect_hidden_width(c, net, torch.randn(16, 3), 32, "Generator2D(3, 32)")
        c.expect_all_params_learn(net, out)
        # can it reach the ring (radius 2)? fit fixed targets by regression for a moment
        z, angle = torch.randn(64, 3), torch.rand(64) * 6.283
        target = 2.5 * torch.stack([angle.cos(), angle.sin()], dim=1)
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        for _ in range(300):
            opt.zero_grad()
            (net(z) - target).pow(2).mean().backward()
            opt.step()
        reach = net(z).detach().abs().max().item()
        c.expect(
            reach > 1.5,
            "can its outputs reach the ring (radius 2)?",
            "|x| up to 2.5",
            f"|x| at most {reach:.2f}",
            hint="the outputs are squashed into [-1, 1]: 2-D points need no Tanh or "
            "Sigmoid at the end",
        )
        lowest = net(z).detach().min().item()
        c.expect(
            lowest < -0.5,
            "can its outputs be negative? (fitted to points all around the ring)",
            "coordinates down to -2.5",
            f"smallest coordinate {lowest:.2f}",
            hint="an activation after the last Linear layer (a ReLU keeps every coordinate "
            ">= 0) leaves three quarters of the ring out of reach: end with the Linear layer",
        )


def check_digit_generator(cls) -> None:
    """`DigitGenerator(latent_dim, hidden)`: noise -> 8x8 images (N, 1, 8, 8) in [-1, 1]."""
    with Check("DigitGenerator", reference=MLPGenerator) as c:
        net = c.call(cls, 16, 64)  # latent_dim=16, hidden=64
        c.expect_module(net)
        out = c.expect_tensor(c.call(net, torch.randn(10, 16)), "DigitGenerator(16, 64)(z)")
        hint = (
            "reshape the 64 outputs into images: .view(-1, 1, 8, 8)"
            if out.numel() == 640
            else "the last Linear layer needs 1*8*8 = 64 outputs"
        )
        c.expect_shape(out, (10, 1, 8, 8), "the output shape for z of shape (10, 16)", hint=hint)
        expect_hidden_width(c, net, torch.randn(10, 16), 64, "DigitGenerator(16, 64)")
        c.expect_all_params_learn(net, out)
        with torch.no_grad():  # large inputs push the output layer to its limits
            loud = net(30 * torch.randn(256, 16))
        lo, hi = loud.min().item(), loud.max().item()
        c.expect(
            lo >= -1 and hi <= 1,
            "the output range",
            "within [-1, 1]",
            f"[{lo:.2f}, {hi:.2f}]",
            hint="the digits are scaled to [-1, 1]: end with nn.Tanh()",
        )
        c.expect(
            lo < 0 < hi,
            "outputs on both sides of 0",
            "values in [-1, 0) and (0, 1]",
            f"[{lo:.2f}, {hi:.2f}]",
            hint="Sigmoid gives [0, 1] but the digits are in [-1, 1]: use nn.Tanh()",
        )


__all__ = ["check_latent_noise", "check_generator_2d", "check_digit_generator"]
