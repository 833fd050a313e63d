"""Checks for exercise 02: the generator."""

from __future__ import annotations

import torch
from torch import nn

from .. import data
from ..models import MLPGenerator
from . import questions
from .core import Check, CheckFailed, LearnerError

RING_REACH = 2.2  # the ring's points reach 2.06 (radius 2, std 0.02); fitted outputs must pass this


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
        z = torch.randn(16, 3)
        out = c.expect_tensor(_call_sized(c, net, z, "Generator2D(3, 32)"), "Generator2D(3, 32)(z)")
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
        # can it reach every value the ring has? fit fixed targets by regression for a moment
        z, angle = torch.randn(64, 3), torch.rand(64) * 6.283
        target = 2.5 * torch.stack([angle.cos(), angle.sin()], dim=1)  # (64, 2), radius 2.5
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        for _ in range(300):
            opt.zero_grad()
            (net(z) - target).pow(2).mean().backward()
            opt.step()
        with torch.no_grad():
            fitted = net(z)
        reach, lowest = fitted.abs().max().item(), fitted.min().item()
        c.expect(
            reach > RING_REACH,
            "can its outputs reach every point of the ring? (fitted to points at radius 2.5)",
            f"coordinates beyond ±{RING_REACH}",
            f"|x| at most {reach:.2f}",
            hint=_squashed_hint(reach, lowest),
        )
        c.expect(
            lowest < -0.5,
            "can its outputs be negative? (fitted to points all around the ring)",
            "coordinates down to -2.5",
            f"smallest coordinate {lowest:.2f}",
            hint="an activation after the last Linear layer (a ReLU keeps every coordinate "
            ">= 0) leaves three quarters of the ring out of reach: end with the Linear layer",
        )


def _squashed_hint(reach: float, lowest: float) -> str:
    """What to say about a 2-D generator whose fitted outputs stop at `reach`."""
    if reach <= 1.0001 and lowest >= -1e-4:
        return (
            "the outputs are squashed into (0, 1), as a Sigmoid does: the ring's points reach "
            "±2, of both signs; 2-D points need no activation at the end"
        )
    if reach <= 1.0001:
        return (
            "the outputs are squashed into [-1, 1], as a Tanh does: the ring has radius 2, "
            "so no sample could land on a mode; 2-D points need no Tanh or Sigmoid at the end"
        )
    return (
        f"the outputs stop at about ±{reach:.2f} (a scaled Tanh?): the ring's points reach a "
        "little beyond 2, and nothing tells G in advance how far the data goes; leave the last "
        "layer linear so it can reach any point"
    )


def check_digit_generator(cls) -> None:
    """`DigitGenerator(latent_dim, hidden)`: noise -> 8x8 images (N, 1, 8, 8) in [-1, 1], able
    to reach both ends of the range."""
    with Check("DigitGenerator", reference=MLPGenerator) as c:
        net = c.call(cls, 12, 48)  # latent_dim=12, hidden=48: not the defaults, on purpose
        c.expect_module(net)
        z = torch.randn(10, 12)
        name = "DigitGenerator(12, 48)"
        out = c.expect_tensor(_call_sized(c, net, z, name), f"{name}(z)")
        hint = (
            "reshape the 64 outputs into images: .view(-1, 1, 8, 8)"
            if out.numel() == 640
            else "the last Linear layer needs 1*8*8 = 64 outputs"
        )
        c.expect_shape(out, (10, 1, 8, 8), "the output shape for z of shape (10, 12)", hint=hint)
        expect_hidden_width(c, net, torch.randn(10, 12), 48, "DigitGenerator(12, 48)")
        c.expect_all_params_learn(net, out)
        with torch.no_grad():  # large inputs push the output layer to its limits
            loud = net(30 * torch.randn(256, 12))
        lo, hi = loud.min().item(), loud.max().item()
        c.expect(
            lo >= -1 and hi <= 1,
            "the output range, for large inputs too",
            "within [-1, 1], the digits' range",
            f"[{lo:.2f}, {hi:.2f}]",
            hint="the outputs leave [-1, 1], where no real pixel is: one such pixel is enough "
            "for D to spot a fake. End with a function that maps any number into (-1, 1)",
        )
        c.expect(
            lo < 0 < hi,
            "outputs on both sides of 0",
            "values in [-1, 0) and (0, 1]",
            f"[{lo:.2f}, {hi:.2f}]",
            hint="Sigmoid gives (0, 1), but the digits are in [-1, 1]: the background is -1. "
            "Use a function whose range is (-1, 1): nn.Tanh()",
        )
        # can it reach both ends of the range? fit 32 real digits by regression for a moment
        z = torch.randn(32, 12)
        target = data.digits()[torch.randperm(1797)[:32]]  # (32, 1, 8, 8): background -1
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        for _ in range(200):
            opt.zero_grad()
            (net(z).reshape(32, -1) - target.reshape(32, -1)).pow(2).mean().backward()
            opt.step()
        with torch.no_grad():
            fitted = net(z)
        lo, hi = fitted.min().item(), fitted.max().item()
        c.expect(
            lo < -0.95 and hi > 0.95,
            "can it reach both ends of [-1, 1]? (fitted to 32 real digits)",
            "pixels down to -1 (background) and up to +1 (strokes)",
            f"pixels from {lo:.2f} to {hi:.2f}",
            hint=f"your outputs stop at about [{lo:.2f}, {hi:.2f}] (a scaled Tanh?): the "
            "digits' background is exactly -1 and their darkest strokes +1, so G must reach "
            "both: nn.Tanh() as it is",
        )


def _call_sized(c: Check, net, z, name: str):
    """`net(z)`, with a crash from a size the learner wrote in by hand explained."""
    try:
        return c.call(net, z)
    except LearnerError as err:
        if "shapes cannot be multiplied" not in err.what:
            raise
        raise CheckFailed(
            c.task,
            f"{name} on noise of shape {tuple(z.shape)}: your code raised an error",
            hint=f"the first Linear layer takes latent_dim inputs: use the `latent_dim` "
            f"argument, not a number of your own (the check builds {name})",
        ) from None


# -- concept questions (ids "02.name": checked by `check_question`) ----------------------------

questions.choice(
    "02.ring_end",
    "abcd",
    right="6d95584f272a4a2a",
    meaning="The last layer decides where samples can land. A Tanh would confine them to "
    "(-1, 1)², a Sigmoid to (0, 1)², a ReLU to one quadrant; the ring (radius 2) lies outside "
    "all three, so its generator ends with the Linear layer.",
    why={
        "6e76223a0d678ec4": "an activation at the end does pass gradients back (a Tanh's slope "
        "is never 0, a ReLU's is 1 for positive inputs). What it changes is the *range* of the "
        "outputs, and that is the problem here",
        "766abda3d3caab28": "the ReLUs inside already make the network non-linear, whatever its "
        "end; and a linear map turns a Gaussian into another Gaussian, never a ring",
        "1393a9944f49fac5": "a Tanh confines every output to the square (-1, 1)², and every "
        "point of the ring (radius 2) lies outside it: that G could never put a single sample "
        "on a mode, however long it trained",
    },
)
questions.choice(
    "02.digit_end",
    "abcd",
    right="d11b236f06f6f5e3",
    meaning="Tanh matches the data's range: no pixel can leave [-1, 1], and training can push "
    "any pixel as close to -1 (background) or +1 (stroke) as the data needs.",
    why={
        "802176fa13bb1ef3": "these digits are scaled to [-1, 1], not [0, 1]: a Sigmoid's "
        "(0, 1) misses the whole dark half [-1, 0), the background at -1 included. (Sigmoid "
        "suits data scaled to [0, 1].)",
        "c93d4dac42bd5981": "without a bound G can put pixels at 3 or -5, where no real pixel "
        "is: one such pixel is enough for D to spot a fake, and training must first unlearn "
        "it. Give G the data's range from the start",
        "dbefbe4aa0544541": "in this scaling half the range is negative (the background is -1): "
        "a ReLU's outputs are never below 0 and are unbounded above, so it misses the "
        "background and can overshoot the strokes",
    },
)
questions.choice(
    "02.untrained_look",
    "abcd",
    right="a657cfcbb2d26c4f",
    meaning="PyTorch's default initialisation shrinks the signal at every layer (lesson 02 "
    "measured it), so an untrained G squeezes the noise into a small blob near the origin: "
    "training has to spread it over the ring.",
    why={
        "a1bf63ae69c272ac": "the weights are random: nothing in an untrained G knows the ring. "
        "The ReLUs fold the noise, but along random lines, not into a circle",
        "2821415c68cce746": "the default initialisation does not keep the signal's scale: each "
        "Linear-ReLU pair keeps about a sixth of its mean square, so the samples come out "
        "*smaller* than the noise, not spread over the plot",
        "0e8d1ea0bc83daf7": "an untrained G knows nothing of modes; and a continuous network "
        "maps the one connected Gaussian to one connected shape: separate clusters take "
        "training (and even then a thin trail joins them)",
    },
)


__all__ = ["check_latent_noise", "check_generator_2d", "check_digit_generator"]
