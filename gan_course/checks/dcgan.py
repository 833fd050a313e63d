"""Checks for exercise 07: choosing the layers, a DCGAN generator, the DCGAN init, slerp, and
sampling a trained generator in eval mode."""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn

from .. import latent
from ..latent import lerp, slerp
from ..models.dcgan import (
    DCGANDiscriminator,
    DCGANGenerator,
    conv_output_size,
    conv_transpose_output_size,
    dcgan_init,
)
from . import questions
from .core import Check, NotImplementedYet, map_name, same, snapshot, what_maps

# ---------------------------------------------------------------------------- 1 · choose the layers

# A DCGAN for 28x28 digits (MNIST): G grows 1 -> 7 -> 14 -> 28, D shrinks 28 -> 14 -> 7 -> 1
G_SIZES, D_SIZES = (1, 7, 14, 28), (28, 14, 7, 1)
FORM_HINT = (
    "a list of three (kernel, stride, padding) triples of whole numbers, one per layer, e.g. "
    "[(4, 2, 1), (4, 2, 1), (4, 2, 1)]"
)


def _is_int(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _triples(c: Check, layers, who: str) -> list[tuple[int, int, int]]:
    """`layers` as three (kernel, stride, padding) triples of ints, or a teaching failure."""
    if layers is None or layers is Ellipsis:  # the exercise's `None  # YOUR CODE HERE`
        raise NotImplementedYet(
            c.task,
            hint=f"replace None in the cell above with {who}'s three (kernel, stride, padding) "
            "triples, run that cell, then this check again.",
        )
    c.expect(
        isinstance(layers, list | tuple) and len(layers) == 3,
        f"{who}'s layers",
        "three (kernel, stride, padding) triples",
        repr(layers)[:80],
        hint=FORM_HINT,
    )
    triples = []
    for i, layer in enumerate(layers, 1):
        whole = isinstance(layer, list | tuple) and len(layer) == 3
        c.expect(
            whole and all(_is_int(v) for v in layer),
            f"{who}'s layer {i}",
            "(kernel, stride, padding): three whole numbers",
            repr(layer)[:80],
            hint=FORM_HINT,
        )
        k, s, p = (int(v) for v in layer)
        c.expect(
            k >= 1 and s >= 1 and p >= 0,
            f"{who}'s layer {i}",
            "kernel >= 1, stride >= 1, padding >= 0",
            (k, s, p),
            hint="a kernel and a stride are at least 1, a padding at least 0",
        )
        triples.append((k, s, p))
    return triples


def _transposed_hint(n: int, want: int, k: int, s: int, p: int) -> str:
    got = conv_transpose_output_size(n, k, s, p)
    if n == 1:
        return (
            f"from a 1x1 map a transposed conv makes k - 2p pixels, whatever the stride: "
            f"{k} - {2 * p} = {got}; you need {want}"
        )
    if s == 2 and got == 2 * n - 1:
        return (
            f"(n - 1)s - 2p + k = {got}: an odd kernel with stride 2 lands one short of "
            "doubling; an even kernel, with the padding to match, doubles exactly"
        )
    return f"a transposed conv makes (n - 1)s - 2p + k = {got} pixels here; you need {want}"


def _conv_hint(n: int, want: int, k: int, s: int, p: int) -> str:
    got = conv_output_size(n, k, s, p)
    if want == 1:
        return (
            f"floor((n + 2p - k) / s) + 1 = {got}: to turn the whole {n}x{n} map into one "
            "number, the kernel must cover all of it"
        )
    return f"a convolution makes floor((n + 2p - k) / s) + 1 = {got} pixels here; you need {want}"


def _size(layer: nn.Module, n: int) -> int | None:
    """The side of what PyTorch's `layer` makes of an n x n map, or None if it refuses."""
    try:
        with torch.no_grad():
            return layer(torch.zeros(1, 1, n, n)).shape[-1]
    except RuntimeError:  # an output smaller than 1x1
        return None


def _unseen_pixels(k: int, s: int, p: int, n: int) -> int:
    """How many pixels of an n x n input a convolution's kernel never lands on."""
    x = torch.ones(1, 1, n, n, requires_grad=True)
    conv = nn.Conv2d(1, 1, k, s, p, bias=False)
    nn.init.ones_(conv.weight)
    conv(x).sum().backward()
    return int((x.grad == 0).sum())


def check_layer_choices(generator_layers, discriminator_layers) -> None:
    """(kernel, stride, padding) for the three transposed convs of a 28x28 DCGAN generator
    (1 -> 7 -> 14 -> 28) and the three convs of its discriminator (28 -> 14 -> 7 -> 1), each run
    as PyTorch's own layer: the sizes, stride 2 wherever the size doubles or halves (which
    leaves G's doublings an even kernel, so an even overlap), and no pixel that D never sees."""
    with Check("layer choices") as c:
        for who, layers, sizes, kind in (
            ("G", generator_layers, G_SIZES, nn.ConvTranspose2d),
            ("D", discriminator_layers, D_SIZES, nn.Conv2d),
        ):
            for i, (k, s, p) in enumerate(_triples(c, layers, who)):
                n, want = sizes[i], sizes[i + 1]
                what = f"{who}'s layer {i + 1}, nn.{kind.__name__}(kernel={k}, stride={s}, "
                what += f"padding={p}) on {n}x{n}"
                got = _size(kind(1, 1, k, s, p), n)
                c.expect(
                    got == want,
                    what,
                    f"{want}x{want}",
                    "an error: the output would be smaller than 1x1" if got is None else
                    f"{got}x{got}",
                    hint=(_transposed_hint if kind is nn.ConvTranspose2d else _conv_hint)(
                        n, want, k, s, p
                    ),
                )  # fmt: skip
                _expect_dcgan_rules(c, kind, (k, s, p), n, want, what)


def _expect_dcgan_rules(c: Check, kind, layer, n: int, want: int, what: str) -> None:
    k, s, p = layer
    verb = "doubles" if want > n else "halves"
    if 1 < want == 2 * n or 1 < n == 2 * want:
        c.expect(
            s == 2,
            f"{what}: the stride of a layer that {verb} the size",
            "2",
            s,
            hint=f"a kernel of {k} with stride {s} gets there too, but DCGAN {verb} with "
            "stride 2: the stride does the resampling, and the kernel stays small",
        )
    if kind is nn.Conv2d:
        unseen = _unseen_pixels(k, s, p, n)
        c.expect(
            unseen == 0,
            f"{what}: does D look at every pixel of its input?",
            "every pixel",
            f"{unseen} of the {n * n} pixels never",
            hint="the kernel never lands on some pixels (a kernel smaller than the stride, or "
            "placements that stop short of the border): D would be blind to them",
        )


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
            hint = (
                f"{shape[2]}x{shape[3]}: choose the layers so that the sizes end at 16, with "
                "(n - 1)s - 2p + k for each transposed conv"
            )
        else:
            hint = "reshape z to (N, latent_dim, 1, 1), and end with 1 output channel"
        c.expect_shape(out, (8, 1, 16, 16), "the output shape for z of shape (8, 24)", hint=hint)
        transposed = [m for m in _layers(net) if isinstance(m, nn.ConvTranspose2d)]
        c.expect(
            len(transposed) >= 2,
            "the number of transposed convolutions",
            "at least 2: grow z to a small map, then double it up to 16x16",
            len(transposed),
            hint="DCGAN's generator grows the image with transposed convolutions, with a "
            "hidden layer (BatchNorm, ReLU) between them: no single layer from 1x1 to 16x16",
        )
        calls, _ = c.trace(net, torch.randn(8, 24), kinds=(nn.ConvTranspose2d,))
        for m, x, _ in calls:
            (k, _), (s, _) = m.kernel_size, m.stride
            c.expect(
                x.shape[-1] == 1 or k % s == 0,
                "every transposed conv on a map larger than 1x1: a kernel the stride divides",
                "kernel divisible by stride",
                f"kernel {k}, stride {s}",
                hint=f"a kernel of {k} with stride {s} overlaps unevenly and paints a "
                "checkerboard (lesson 07): kernel 4 with stride 2, as in DCGAN",
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


# ---------------------------------------------------------------------------- 5 · sample


class _TrainedGenerator(nn.Module):
    """A small generator with BatchNorm whose running statistics are far from any one batch's,
    as after training: train mode and eval mode give clearly different samples."""

    def __init__(self) -> None:
        super().__init__()
        self.latent_dim = 6
        self.net = nn.Sequential(
            nn.Linear(6, 16, bias=False),  # (N, 16)
            nn.BatchNorm1d(16),
            nn.ReLU(),
            nn.Linear(16, 5),  # (N, 5)
            nn.Tanh(),
        )
        norm = self.net[1]
        with torch.no_grad():
            norm.running_mean.copy_(2 * torch.randn(16))
            norm.running_var.uniform_(2.0, 5.0)
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.copy_(0.5 * torch.randn(16))
        norm.num_batches_tracked.fill_(1000)

    def forward(self, z):
        return self.net(z)


class _Watch:
    """Forward hooks that note, for each forward pass of the generator, whether autograd was
    recording and which of its modules (the generator itself, its BatchNorms) were in train mode."""

    def __init__(self, net: nn.Module) -> None:
        self.calls: list[dict] = []
        norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]

        def note(module, args):
            self.calls.append(
                dict(grad=torch.is_grad_enabled(), top=module.training,
                     norms=[m.training for m in norms])
            )  # fmt: skip

        self.handle = net.register_forward_pre_hook(note)

    def __enter__(self) -> _Watch:
        return self

    def __exit__(self, *exc) -> None:
        self.handle.remove()


G_SPLIT_FLAG = (
    "G.training = False changes G's own flag only, and its BatchNorm layers kept training: "
    "G.eval() (or G.train(False)) sets the flag of every submodule"
)
TRAIN_MODE = (
    "G was still in train mode: BatchNorm normalised with this batch's own statistics (and "
    "updated its running ones); call G.eval() before generating"
)
RESTORE = "remember the mode first, was_training = G.training, and end with G.train(was_training)"


def _modes(net: nn.Module) -> set[bool]:
    return {m.training for m in net.modules()}


def check_sample(fn) -> None:
    """`sample(G, z)`: what a trained generator makes of z, in eval mode (BatchNorm on its
    running statistics, so each sample depends on its own z only), without building an autograd
    graph, and with G's mode (train or eval) as it was before."""
    with Check("sample", reference=latent.sample) as c:
        G, z = _TrainedGenerator().train(), torch.randn(12, 6)
        frozen = copy.deepcopy(G)
        with torch.no_grad():
            want, in_train_mode = frozen.eval()(z), copy.deepcopy(G).train()(z)
        before = snapshot(G, buffers=True)
        with _Watch(G) as watch:
            got = c.expect_tensor(c.call(fn, G, z.clone()), "sample(G, z)")
        c.expect_shape(got, want.shape, "one sample per row of z", hint="return G(z) as it is")
        c.expect(
            bool(watch.calls),
            "was G called?",
            "G(z)",
            "never",
            hint="run the generator you are given on the z you are given",
        )
        seen = watch.calls[-1]
        split = not seen["top"] and any(seen["norms"])
        c.expect_close(
            got,
            want,
            "12 samples of a trained G (its BatchNorm's running statistics far from the batch's)",
            hint=G_SPLIT_FLAG if split else "G.eval(), then G(z) on the z you are given",
            mistakes=[(in_train_mode, G_SPLIT_FLAG if split else TRAIN_MODE)],
        )
        c.expect(
            same(before, snapshot(G, buffers=True)),
            "G's weights and BatchNorm statistics after sampling",
            "unchanged",
            "changed",
            hint=TRAIN_MODE,
        )
        _expect_no_graph(c, G, got, seen)
        c.expect(
            _modes(G) == {True},
            "G's mode after sample(G, z), for a G in train mode before",
            "train mode, as before: training goes on after a look at the samples",
            "eval mode" if _modes(G) == {False} else "some modules in train mode, some in eval",
            hint="the next training step would find BatchNorm on its running statistics and "
            f"learn no new ones: {RESTORE}",
        )
        G.eval()
        c.call(fn, G, z.clone())
        c.expect(
            _modes(G) == {False},
            "G's mode after sample(G, z), for a G in eval mode before",
            "eval mode, as before",
            "train mode" if _modes(G) == {True} else "some modules in train mode",
            hint=f"put G back in the mode it was in, which is not always train mode: {RESTORE}",
        )
        G.train()
        alone = c.expect_tensor(c.call(fn, G, z[:1].clone()), "sample(G, z[:1])")
        c.expect_close(
            alone,
            want[:1],
            "one sample alone, against the same z among 11 others",
            hint="a sample must not depend on which other samples share its batch: in eval "
            "mode BatchNorm uses the running statistics, the same for every batch",
        )


def _expect_no_graph(c: Check, G: nn.Module, got: torch.Tensor, seen: dict) -> None:
    """No autograd graph: neither on the result nor built during the forward pass."""
    c.expect(
        not got.requires_grad,
        "does the result carry an autograd graph?",
        "no: nobody will backpropagate through samples",
        "yes (requires_grad=True)",
        hint="run the generator inside `with torch.no_grad():`",
    )
    frozen = [name for name, p in G.named_parameters() if not p.requires_grad]
    c.expect(
        not frozen,
        "do G's parameters still require gradients after sampling?",
        "yes, all of them",
        f"not {frozen}",
        hint="requires_grad_(False) switches G's learning off for good, so the next training "
        "step would not move it; torch.no_grad() lasts only as long as its with block",
    )
    c.expect(
        not seen["grad"],
        "was autograd recording while G ran?",
        "no: torch.no_grad() around the forward pass",
        "yes",
        hint="`.detach()` or `.data` on the result drops the graph only after it was built, "
        "with the memory and time it cost: run G inside `with torch.no_grad():`",
    )


__all__ = [
    "check_dcgan_generator",
    "check_dcgan_init",
    "check_layer_choices",
    "check_sample",
    "check_slerp",
]


# ---------------------------------------------------------------------------- concept questions

questions.choice(
    "07.train_batch",
    "abcd",
    right="d0642b117edaec6d",
    meaning="In train mode each BatchNorm normalises with the mean and variance of the batch in "
    "front of it, so an image depends on the others in its batch; eval mode, which your sample "
    "uses, makes each image depend on its own z only.",
    why={
        "88f33c4249c91a64": "each image has its own z, but in train mode BatchNorm's mean and "
        "variance are the whole batch's: change the batch and every image in it changes. That "
        "answer is true in eval mode only",
        "223d41078fe23507": "the running statistics are what eval mode uses; in train mode "
        "BatchNorm normalises with the current batch's own statistics (and only updates the "
        "running ones)",
        "b4775beb64c371ce": "BatchNorm never switches itself off: a batch of 8 is normalised "
        "with its own statistics just as a batch of 64 is, and those differ",
    },
)
questions.number(
    "07.odd_kernel",
    15,
    0.01,
    meaning="(n - 1)s - 2p + k = 7 * 2 - 2 + 3 = 15: an odd kernel with stride 2 lands one short "
    "of doubling, which is one more reason for DCGAN's kernel 4.",
    traps=[
        (
            16,
            0.01,
            "that would double 8, but (n - 1)s - 2p + k = 7 * 2 - 2 + 3 = 15: an odd "
            "kernel with stride 2 lands one short (output_padding=1 would add the missing pixel)",
        ),
        (
            4,
            0.01,
            "that's the convolution's formula, floor((n + 2p - k)/s) + 1, which shrinks; a "
            "transposed convolution grows: (n - 1)s - 2p + k",
        ),
        (
            17,
            0.01,
            "(n - 1)s, not n s: the first stamp lands at 0 and the last n - 1 strides "
            "further, so (8 - 1) * 2 - 2 + 3 = 15",
        ),
    ],  # fmt: skip
    off="a transposed convolution makes (n - 1)s - 2p + k pixels: n = 8, k = 3, s = 2, p = 1",
)
questions.number(
    "07.lerp_midpoint",
    4.0,
    0.4,
    meaning="Two independent z are nearly orthogonal, so |z0 + z1|^2 is about 2d and the "
    "midpoint (z0 + z1)/2 has norm about sqrt(d/2) = 4: inside the shell of radius sqrt(d) = 5.7 "
    "where all training noise lies. Slerp's midpoint stays on the shell.",
    traps=[
        (
            5.66,
            0.3,
            "sqrt(d) = 5.7 is where z0 and z1 lie, and where slerp's path stays; the "
            "straight line's midpoint (z0 + z1)/2 is shorter, since the two are nearly orthogonal",
        ),
        (
            2.83,
            0.3,
            "half of sqrt(d) would mean |z0 + z1| = sqrt(d), as if the two pointed 120 "
            "degrees apart; independent noise vectors are nearly orthogonal: |z0 + z1|^2 is about "
            "|z0|^2 + |z1|^2 = 2d",
        ),
        (
            0.0,
            0.3,
            "the two vectors do not cancel: independent noise vectors are nearly "
            "orthogonal, not opposite, so the midpoint's norm is about sqrt(2d)/2 = sqrt(d/2)",
        ),
    ],  # fmt: skip
    off="two independent z are nearly orthogonal: |z0 + z1|^2 is about |z0|^2 + |z1|^2 = 2d; "
    "halve the vector",
)
