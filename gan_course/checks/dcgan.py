"""Checks for exercise 07: output sizes, a DCGAN generator, the DCGAN init, and slerp."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..latent import lerp, slerp
from ..models.dcgan import (
    DCGANDiscriminator,
    DCGANGenerator,
    conv_output_size,
    conv_transpose_output_size,
    dcgan_init,
)
from .core import Check, map_name, what_maps

# (n, kernel, stride, padding): the DCGAN layers and some awkward ones (odd sizes, floors)
SIZE_CASES = [(16, 4, 2, 1), (8, 4, 2, 1), (1, 4, 1, 0), (4, 4, 1, 0), (7, 3, 2, 1), (28, 5, 2, 2),
              (15, 4, 2, 1), (10, 3, 1, 1), (9, 2, 2, 0), (6, 5, 3, 2)]  # fmt: skip


def _as_int(value):
    """An int, or the value itself when it is not a whole number."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _size_mistakes(case, conv: bool) -> list[tuple[object, str]]:
    n, k, s, p = case
    if conv:
        return [
            ((n + 2 * p - k) // s, "you forgot the + 1: a kernel that fits exactly once gives 1"),
            ((n + 2 * p - k) / s + 1, "round down: floor((n + 2p - k) / s) + 1, use //"),
            ((n + p - k) // s + 1, "padding adds p on *both* sides: n + 2p"),
            (n // s, "n / s is right only for some kernels; use floor((n + 2p - k) / s) + 1"),
            ((n - 1) * s - 2 * p + k, "that's the transposed-conv formula; a conv shrinks"),
        ]
    return [
        (n * s, "the kernel and padding matter too: (n - 1) s - 2p + k"),
        ((n - 1) * s - p + k, "padding is removed from *both* sides: - 2p"),
        ((n - 1) * s - 2 * p + k - 1, "off by one: (n - 1) s - 2p + k, no - 1"),
        (n * s - 2 * p + k, "off by one: (n - 1) s, not n s: n stamps start (n - 1) strides apart"),
        ((n + 2 * p - k) // s + 1, "that's the conv formula; a transposed conv grows"),
    ]


def check_output_sizes(conv_fn, transposed_fn) -> None:
    """`conv_output_size(n, kernel, stride, padding)` and `conv_transpose_output_size(...)`."""
    with Check("output sizes", reference=(conv_output_size, conv_transpose_output_size)) as c:
        for conv, fn, layer in (
            (True, conv_fn, nn.Conv2d),
            (False, transposed_fn, nn.ConvTranspose2d),
        ):
            name = "conv_output_size" if conv else "conv_transpose_output_size"
            reference = conv_output_size if conv else conv_transpose_output_size
            cases = [case for case in SIZE_CASES if reference(*case) >= 1]  # PyTorch refuses < 1
            got = [_as_int(c.call(fn, *case)) for case in cases]
            # a known mistake explains the answers when it gives the same sizes in every case
            hint = next(
                (
                    h
                    for i, (_, h) in enumerate(_size_mistakes(cases[0], conv))
                    if all(
                        g == _as_int(_size_mistakes(case, conv)[i][0])
                        for g, case in zip(got, cases, strict=True)
                    )
                ),
                _formula_hint(conv),
            )
            for (n, k, s, p), answer in zip(cases, got, strict=True):
                with torch.no_grad():  # the truth: what PyTorch's own layer makes
                    want = layer(1, 1, k, s, p)(torch.zeros(1, 1, n, n)).shape[-1]
                c.expect(
                    isinstance(answer, int) and answer == want,
                    f"{name}(n={n}, kernel={k}, stride={s}, padding={p}): {layer.__name__}'s size",
                    want,
                    answer,
                    hint=hint,
                )


def _formula_hint(conv: bool) -> str:
    if conv:
        return "floor((n + 2p - k) / s) + 1, with integer division //"
    return "(n - 1) * s - 2p + k"


# ---------------------------------------------------------------------------- the generator


def _layers(net: nn.Module) -> list[nn.Module]:
    """The leaf modules of `net`, in the order they were registered."""
    return [m for m in net.modules() if not list(m.children())]


def _expect_conv_norm_relu(c: Check, net: nn.Module, z: torch.Tensor) -> None:
    """In the order forward runs them: each hidden transposed conv -> BatchNorm -> ReLU (or a
    LeakyReLU), as modules or as functions; no BatchNorm after the last transposed conv."""
    calls, _ = c.trace(net, z, kinds=(nn.ConvTranspose2d, nn.BatchNorm2d))
    kinds = [type(m) for m, _, _ in calls]
    convs = [i for i, kind in enumerate(kinds) if kind is nn.ConvTranspose2d]
    add_norm = "add nn.BatchNorm2d(channels) after each hidden transposed conv, before its ReLU"
    for i in convs[:-1]:
        norm_next = i + 1 < len(calls) and kinds[i + 1] is nn.BatchNorm2d
        c.expect(
            norm_next,
            "BatchNorm after each hidden transposed convolution",
            "nn.BatchNorm2d right after the first two transposed convs",
            f"{kinds.count(nn.BatchNorm2d)} BatchNorm2d layer(s)",
            hint=add_norm,
        )
        between = what_maps(calls[i][2], calls[i + 1][1])
        c.expect(
            between == "none",
            "what comes between a hidden transposed conv and its BatchNorm",
            "nothing: conv -> BatchNorm -> ReLU",
            map_name(between),
            hint="BatchNorm comes before the activation: conv -> BatchNorm -> ReLU; after a "
            "ReLU it would normalise values already cut at 0 and hand negative ones on",
        )
    c.expect(
        not convs or kinds[convs[-1] + 1 :].count(nn.BatchNorm2d) == 0,
        "no BatchNorm at the output",
        "the last transposed conv followed by Tanh only",
        "a BatchNorm2d after the last transposed conv",
        hint="no BatchNorm on G's output layer (Radford et al.): the images need their own "
        "mean and spread, not a normalised one",
    )
    for i in [j for j in convs[:-1] if j + 2 < len(calls)]:
        after_norm = what_maps(calls[i + 1][2], calls[i + 2][1])  # BatchNorm out -> next in
        c.expect(
            after_norm == "relu" or isinstance(after_norm, float),
            "an activation after each BatchNorm",
            "nn.ReLU() after each BatchNorm2d",
            map_name(after_norm),
            hint="conv -> BatchNorm -> ReLU: without the ReLU the layers collapse into one "
            "linear map"
            if after_norm == "none"
            else "conv -> BatchNorm -> ReLU: the hidden layers of DCGAN's generator use ReLU",
        )


def check_dcgan_generator(cls) -> None:
    """`Generator16(latent_dim, width)`: z (N, latent_dim) -> (N, 1, 16, 16) in [-1, 1], built
    from transposed convolutions, BatchNorm + ReLU after each hidden one, Tanh at the output."""
    with Check("Generator16", reference=DCGANGenerator) as c:
        net = c.call(cls, 24, 16)  # latent_dim=24, width=16
        c.expect_module(net)
        out = c.expect_tensor(c.call(net, torch.randn(8, 24)), "Generator16(24, 16)(z)")
        shape = tuple(out.shape)
        if len(shape) == 4 and shape[2] != 16:
            hint = f"{shape[2]}x{shape[3]}: from 4x4, exactly two transposed convs with stride 2"
        else:
            hint = "reshape z to (N, latent_dim, 1, 1), and end with 1 output channel"
        c.expect_shape(out, (8, 1, 16, 16), "the output shape for z of shape (8, 24)", hint=hint)
        layers = _layers(net)
        kinds = [type(m) for m in layers]
        c.expect(
            kinds.count(nn.ConvTranspose2d) == 3,
            "the number of transposed convolutions",
            "3: project to 4x4, then 8x8, then 16x16",
            kinds.count(nn.ConvTranspose2d),
            hint="nn.ConvTranspose2d(latent_dim, 2*width, 4, 1, 0) on the 1x1 input, then two "
            "with kernel 4, stride 2, padding 1",
        )
        with torch.no_grad():  # large inputs push the output layer to its limits
            loud = net(30 * torch.randn(256, 24))
        lo, hi = loud.min().item(), loud.max().item()
        squash = "Sigmoid gives [0, 1] but the digits are in [-1, 1]"
        c.expect(
            lo >= -1 and hi <= 1 and lo < 0 < hi,
            "the output range",
            "within [-1, 1], both signs",
            f"[{lo:.2f}, {hi:.2f}]",
            hint=f"{squash}: use nn.Tanh()" if lo >= 0 and hi <= 1 else "end with nn.Tanh()",
        )
        _expect_conv_norm_relu(c, net, torch.randn(8, 24))
        c.expect_all_params_learn(net, out)


# ---------------------------------------------------------------------------- the init


def _scrambled(net: nn.Module) -> None:
    """Put recognisable non-DCGAN values everywhere, so that an untouched tensor shows."""
    with torch.no_grad():
        for p in net.parameters():
            p.uniform_(0.5, 1.5)


def check_dcgan_init(fn) -> None:
    """`dcgan_init(module)`, used as `net.apply(dcgan_init)`: conv, transposed-conv and linear
    weights ~ N(0, 0.02), BatchNorm weights ~ N(1, 0.02), all biases 0."""
    with Check("dcgan_init", reference=dcgan_init) as c:
        gen, disc = DCGANGenerator(64, 1, 16, 64), DCGANDiscriminator(1, 16, 64)
        linear = nn.Linear(256, 512)
        nets = {"the generator": gen, "the discriminator": disc, "nn.Linear": linear}
        for net in nets.values():
            _scrambled(net)
            net.apply(lambda m: c.call(fn, m))
        kinds = {
            "nn.ConvTranspose2d": [m for m in gen.modules() if isinstance(m, nn.ConvTranspose2d)],
            "nn.Conv2d": [m for m in disc.modules() if isinstance(m, nn.Conv2d)],
            "nn.Linear": [linear],
        }
        for kind, modules in kinds.items():
            weights = torch.cat([m.weight.detach().flatten() for m in modules])
            _expect_weights(c, kind, weights)
            biases = [m.bias.detach() for m in modules if m.bias is not None]
            _expect_zero_bias(c, kind, torch.cat(biases))
        norms = [m for net in (gen, disc) for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
        scales = torch.cat([m.weight.detach() for m in norms])
        mean, std = scales.mean().item(), scales.std().item()
        c.expect(
            abs(mean - 1) < 0.01 and 0.014 < std < 0.026,
            f"BatchNorm2d weights (the scale gamma, {len(scales)} of them)",
            "mean 1, std 0.02",
            f"mean {mean:.4f}, std {std:.4f}",
            hint="BatchNorm's weight multiplies the normalised activations: N(0, 0.02) would "
            "switch every channel off; use nn.init.normal_(m.weight, 1.0, 0.02)"
            if abs(mean) < 0.01
            else "nn.init.normal_(m.weight, 1.0, 0.02) for BatchNorm2d layers too",
        )
        _expect_zero_bias(c, "nn.BatchNorm2d", torch.cat([m.bias.detach() for m in norms]))


def _expect_weights(c: Check, kind: str, weights: torch.Tensor) -> None:
    mean, std = weights.mean().item(), weights.std().item()
    untouched = weights.min().item() >= 0.5
    if untouched:
        hint = (
            "isinstance(m, nn.Conv2d) is False for nn.ConvTranspose2d: list both "
            "(and nn.Linear): isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear)"
        )
    elif abs(mean - 0.02) < 0.01 and std > 0.5:
        hint = "nn.init.normal_(tensor, mean, std): the second argument is the mean; pass 0.0, 0.02"
    elif 0.15 < std < 0.25:
        hint = "std 0.02, not 0.2"
    elif weights.abs().max().item() <= 0.0201 * math.sqrt(3):
        hint = "that's a uniform distribution: draw from a normal, nn.init.normal_(w, 0.0, 0.02)"
    else:
        hint = "nn.init.normal_(m.weight, 0.0, 0.02)"
    c.expect(
        abs(mean) < 0.002 and 0.019 < std < 0.021,
        f"{kind} weights ({len(weights):,} of them)",
        "mean 0, std 0.02",
        f"mean {mean:.4f}, std {std:.4f}",
        hint=hint,
    )
    if untouched:
        return
    kurtosis = ((weights - mean) ** 4).mean().item() / std**4  # 3 for a normal, 1.8 uniform
    c.expect(
        abs(kurtosis - 3) < 0.3,
        f"the shape of the {kind} weights' distribution (kurtosis)",
        "3, a normal distribution",
        f"{kurtosis:.2f}",
        hint="that's a uniform distribution with std 0.02; draw from a normal: "
        "nn.init.normal_(w, 0.0, 0.02)",
    )


def _expect_zero_bias(c: Check, kind: str, biases: torch.Tensor) -> None:
    c.expect(
        bool((biases == 0).all()),
        f"{kind} biases",
        "all 0",
        f"{int((biases != 0).sum())} of {len(biases)} not 0",
        hint="set every bias to 0 (nn.init.zeros_), where the layer has one (m.bias is not None)",
    )


# ---------------------------------------------------------------------------- slerp

UNITS_HINT = "interpolate z0 and z1 themselves: the unit vectors are only for the angle"


def check_slerp(fn) -> None:
    """`slerp(z0, z1, t)`: along the great circle from z0 to z1; z (..., d), t broadcastable."""
    with Check("slerp", reference=slerp) as c:
        z0, z1 = torch.randn(5, 16), torch.randn(5, 16)
        t = 0.3
        got = c.expect_tensor(c.call(fn, z0, z1, t), "slerp(z0, z1, 0.3)")
        c.expect_shape(got, (5, 16), "the shape for z0, z1 of shape (5, 16)",
                       hint="one interpolated vector per row: keep the shape of z0")  # fmt: skip
        c.expect(
            bool(torch.isfinite(got).all()),
            "slerp(z0, z1, 0.3) on 5 fixed pairs: finite numbers?",
            "finite",
            "NaN",
            hint="cos(omega) is the dot product of the *unit* vectors, z0.z1 / (|z0| |z1|): "
            "acos needs it within [-1, 1]",
        )
        for t_end, z_end, name in ((0.0, z0, "z0"), (1.0, z1, "z1")):
            c.expect_close(
                c.call(fn, z0, z1, t_end),
                z_end,
                f"slerp at t={t_end:g}",
                mistakes=[(z_end / z_end.norm(dim=-1, keepdim=True), UNITS_HINT)],
                hint=f"at t={t_end:g} the path must be at {name}: sin((1 - t) omega) "
                "multiplies z0, sin(t omega) multiplies z1",
                atol=1e-4,
            )
        mistakes = [
            (
                lerp(z0, z1, t),
                "that's lerp, the straight line; follow the arc: "
                "sin((1 - t) omega) / sin(omega) * z0 + sin(t omega) / sin(omega) * z1",
            ),
            (
                _slerp_one_angle(z0, z1, t),
                "one angle per pair: sum the dot product over the last dimension only "
                "(dim=-1, keepdim=True)",
            ),
            (
                _slerp_of_units(z0, z1, t),
                UNITS_HINT,
            ),
        ]
        c.expect_close(
            got,
            slerp(z0, z1, t),
            "slerp(z0, z1, 0.3) on 5 fixed pairs",
            mistakes=mistakes,
            hint="cos(omega) = z0.z1 / (|z0| |z1|), then the slerp formula",
            atol=1e-4,
        )
        end0 = z1[0]
        end1 = z0[0] * z1[0].norm() / z0[0].norm()  # the same norm as end0
        path = c.call(fn, end0, end1, torch.linspace(0, 1, 9).unsqueeze(1))
        c.expect_tensor(path, "slerp with t of shape (9, 1) between two vectors (16,)")
        c.expect_shape(path, (9, 16), "a path of 9 points", hint="let t broadcast: no loops")
        c.expect_close(
            path.norm(dim=1),
            torch.full((9,), end0.norm().item()),
            "the norm along a path between two vectors of equal norm",
            hint="slerp stays on the sphere: compare with lerp, whose midpoint is shorter",
            atol=1e-3,
        )
        axes = 2.0 * torch.eye(4, 16)  # exactly parallel pairs: cos(omega) computes to exactly 1
        same = c.call(fn, axes, axes.clone(), 0.5)
        c.expect(
            isinstance(same, torch.Tensor) and bool(torch.isfinite(same).all()),
            "slerp between a vector and itself",
            "finite: z0",
            "NaN" if isinstance(same, torch.Tensor) else type(same).__name__,
            hint="when z0 and z1 point the same way, sin(omega) = 0 and the formula is 0/0: "
            "fall back to lerp there (torch.where), and clamp cos(omega) into [-1, 1] before acos",
        )
        c.expect_close(
            same,
            axes,
            "slerp between a vector and itself",
            hint="the path from z0 to z0 stays at z0: where sin(omega) = 0 use lerp, "
            "not a small epsilon in the denominator",
            atol=1e-4,
        )


def _slerp_one_angle(z0, z1, t):
    cos = (z0 * z1).sum() / (z0.norm() * z1.norm())
    omega = torch.acos(cos.clamp(-1, 1))
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def _slerp_of_units(z0, z1, t):
    return slerp(z0 / z0.norm(dim=-1, keepdim=True), z1 / z1.norm(dim=-1, keepdim=True), t)


__all__ = ["check_dcgan_generator", "check_dcgan_init", "check_output_sizes", "check_slerp"]
