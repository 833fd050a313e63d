"""Checks for exercise 13: StyleGAN.

`from gan_course.checks.stylegan import check_adain, check_modulate, check_truncate,
check_mix_styles`, and the exercise's concept questions ("13.*").
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..models import stylegan as models
from . import questions
from .core import Check, _close

EPS = 1e-8  # inside every square root of the task


# ------------------------------------------------------------------------------ 1 AdaIN

# (N, C, H, W); the first case square, so that styles broadcast against H and W give wrong
# values instead of a crash; H != W later, and the sizes vary, so that nothing is hard-coded
ADAIN_CASES = ((4, 4, 4, 4), (2, 3, 5, 6), (5, 8, 8, 8), (3, 2, 3, 7))
NOT_CENTRED = (
    "subtract each map's mean first: instance norm brings every map to mean 0 and variance 1, "
    "(x - mean) / sqrt(var + 1e-8), so that the bias alone sets where the map sits"
)
EPS_INSIDE = (
    "1e-8 goes inside the square root, sqrt(var + 1e-8); the check gives you a map of "
    "variance about 1e-8, where the difference shows"
)


def _normalised(x: Tensor, dims, unbiased=False, eps=EPS, centre=True, outside=False) -> Tensor:
    """x normalised over `dims` as the usual slips do it (the right one: dims (2, 3))."""
    centred = x - x.mean(dim=dims, keepdim=True)
    var = centred.var(dim=dims, keepdim=True, unbiased=unbiased)
    spread = torch.sqrt(var) + eps if outside else torch.sqrt(var + eps)
    return (centred if centre else x) / spread


def _adain_inputs(n: int, channels: int, height: int, width: int):
    """Feature maps of different means and spreads, one constant map (its variance is 0) and
    one faint map (variance about 1e-8, where the eps matters); styles as A gives them."""
    x = torch.randn(n, channels, height, width) * (0.5 + 2 * torch.rand(n, channels, 1, 1))
    x = x + 3 * torch.randn(n, channels, 1, 1)
    x[0, 0] = 1e-4 * torch.randn(height, width)  # faint (and first in a message)
    x[-1, -1] = 2.5  # constant: must come out as its bias
    scale, bias = 0.5 + torch.rand(n, channels), torch.randn(n, channels)
    return x, scale, bias


def _adain_mistakes(x: Tensor, scale: Tensor, bias: Tensor) -> list[tuple[Tensor, str]]:
    s, b = scale[:, :, None, None], bias[:, :, None, None]
    right = _normalised(x, (2, 3))
    rms = torch.sqrt(x.pow(2).mean(dim=(2, 3), keepdim=True) + EPS)
    wrong = [
        (s * _normalised(x, (1,)) + b, "each map on its own: the mean and variance over H and "
         "W, dim=(2, 3), not over the channels, dim=1, which normalises each pixel instead"),
        (s * _normalised(x, (0, 2, 3)) + b, "each sample on its own: over H and W of one map, "
         "dim=(2, 3); with the batch (dim 0) it is a batch norm, and the samples' styles mix"),
        (s * _normalised(x, (1, 2, 3)) + b, "each feature map on its own, dim=(2, 3): over the "
         "whole sample, dim=(1, 2, 3), the maps keep their relative sizes, which is what the "
         "style is meant to set"),
        (s * _normalised(x, (2, 3), unbiased=True) + b, "divide by H * W, not H * W - 1: "
         "torch.var and torch.std correct for bias by default; pass unbiased=False (or "
         "correction=0)"),
        (s * _normalised(x, (2, 3), centre=False) + b, NOT_CENTRED),
        (s * x / rms + b, NOT_CENTRED),
        (b * right + s, "scale multiplies and bias adds: scale * normalised + bias"),
        (right, "after normalising, apply the style: scale * normalised + bias"),
        (_normalised(s * x + b, (2, 3)), "normalise first, then apply the style: applied "
         "before, the normalisation takes it right out again"),
        ((1 + s) * right + b, "scale * normalised + bias, with the scale as it is given (the "
         "official code's + 1 is the affine layer's bias here: it starts at 1)"),
        (s * _normalised(x, (2, 3), outside=True) + b, EPS_INSIDE),
        (s * _normalised(x, (2, 3), eps=1e-5) + b, "eps is 1e-8 here; F.instance_norm and "
         "nn.InstanceNorm2d use 1e-5 unless told otherwise (eps=1e-8)"),
    ]  # fmt: skip
    if x.shape[2:] == scale.shape:  # the styles broadcast against (H, W): wrong, but it runs
        wrong.append((scale * right + bias, "scale and bias are (N, C), one number a map: give "
                      "them two trailing axes, scale[:, :, None, None]; as they are, they line "
                      "up with H and W"))  # fmt: skip
    return wrong


def check_adain(fn) -> None:
    """`adain(x, scale, bias)`: x (N, C, H, W), every map of every sample normalised over H and
    W to mean 0 and variance 1 (population variance, sqrt(var + 1e-8)), then
    scale * normalised + bias, with scale and bias (N, C): one number per map."""
    with Check("adain", reference=(models.adain, models.instance_norm)) as c:
        for shape in ADAIN_CASES:
            x, scale, bias = _adain_inputs(*shape)
            call = f"adain(x {shape}, scale {tuple(scale.shape)}, bias {tuple(bias.shape)})"
            given = x.clone(), scale.clone(), bias.clone()
            got = c.call(fn, *given)
            c.expect_tensor(got, f"what {call} returns")
            c.expect_shape(got, shape, f"the shape of {call}", hint="x's shape: (N, C, H, W)")
            originals = {"x": x, "scale": scale, "bias": bias}
            for kept, (name, original) in zip(given, originals.items(), strict=True):
                c.expect_kept(kept, original, f"the {name} you gave {call}")
            c.expect(
                bool(torch.isfinite(got).all()),
                f"{call}, where the last map of the last sample is constant (variance 0)",
                "finite: the constant map comes out as its bias",
                "nan or inf",
                hint="add 1e-8 inside the square root, sqrt(var + 1e-8): a constant map is 0 "
                "once centred, and 0 / 0 is nan",
            )
            c.expect_close(
                got,
                models.adain(x, scale, bias),
                call,
                hint="scale[:, :, None, None] * (x - mean) / sqrt(var + 1e-8) + "
                "bias[:, :, None, None], mean and var over dim=(2, 3)",
                mistakes=_adain_mistakes(x, scale, bias),
            )


# ------------------------------------------------------------------------------ 2 modulation

# (C_out, C_in, k, N); the first case square, so that styles on the wrong axis give wrong
# values instead of a crash
MOD_CASES = ((4, 4, 3, 3), (6, 3, 3, 2), (2, 5, 1, 4))
ON_THE_INPUTS = (
    "the style scales the *input* maps: styles (N, C_in) go on dim 2 of (N, C_out, C_in, k, "
    "k), weight[None] * styles[:, None, :, None, None]"
)


def _demodulated(w: Tensor, dims, eps=EPS, root=True) -> Tensor:
    """Modulated weights w (N, C_out, C_in, k, k) divided by their norm over `dims`."""
    total = w.pow(2).sum(dim=dims, keepdim=True) + eps
    return w / (torch.sqrt(total) if root else total)


def _modulate_mistakes(weight: Tensor, styles: Tensor, demodulate: bool):
    modulated = weight[None] * styles[:, None, :, None, None]  # (N, C_out, C_in, k, k)
    outputs = None  # the styles on the output maps: it runs only where C_out == C_in
    if weight.shape[0] == weight.shape[1]:
        outputs = weight[None] * styles[:, :, None, None, None]
    if not demodulate:
        wrong = [(_demodulated(modulated, (2, 3, 4)), "with demodulate=False, return the "
                  "modulated weights as they are: weight times style, nothing more")]  # fmt: skip
        return wrong + ([(outputs, ON_THE_INPUTS)] if outputs is not None else [])
    unmodulated_norm = torch.sqrt(weight.pow(2).sum(dim=(1, 2, 3), keepdim=True) + EPS)
    wrong = [
        (modulated, "demodulate=True (the default): divide each output map's weights by their "
         "norm, sqrt(sum over C_in, k, k of w'^2 + 1e-8)"),
        (_demodulated(modulated, (1, 3, 4)), "each *output* map's weights are divided by their "
         "norm: sum over C_in and the kernel, dim=(2, 3, 4), not over C_out"),
        (_demodulated(modulated, (1, 2, 3, 4)), "one norm per output map of each sample: sum "
         "over dim=(2, 3, 4) (C_in, k, k), not over all of the sample's weights"),
        (_demodulated(modulated, (2,)), "the kernel's taps count too: sum over C_in, k and k, "
         "dim=(2, 3, 4)"),
        (_demodulated(modulated, (3, 4)), "the input maps count too: sum over C_in, k and k, "
         "dim=(2, 3, 4)"),
        (modulated / unmodulated_norm[None], "demodulate the *modulated* weights w' = s * w: "
         "their norm depends on the sample's styles; the bare weight's is the same for all"),
        (_demodulated(modulated, (2, 3, 4), root=False), "divide by the norm, the *square "
         "root* of the sum of squares (+ 1e-8)"),
        (modulated / torch.sqrt(modulated.pow(2).mean(dim=(2, 3, 4), keepdim=True) + EPS),
         "the norm sums the squares, it does not average them: .sum(dim=(2, 3, 4)), not .mean"),
    ]  # fmt: skip
    if outputs is not None:
        wrong.append((_demodulated(outputs, (2, 3, 4)), ON_THE_INPUTS))
    return wrong


def check_modulate(fn) -> None:
    """`modulate(weight, styles, demodulate=True)`: weight (C_out, C_in, k, k) and styles
    (N, C_in) -> (N, C_out, C_in, k, k), w' = s_i w (input map i); with `demodulate`, each
    output map's weights divided by sqrt(their sum of squares over C_in, k, k + 1e-8)."""
    with Check("modulate", reference=models.modulate) as c:
        for c_out, c_in, k, n in MOD_CASES:
            weight, styles = torch.randn(c_out, c_in, k, k), 1 + 0.5 * torch.randn(n, c_in)
            styles[-1] = 0  # a sample whose styles are all 0: its weights must come out 0
            shape = (n, c_out, c_in, k, k)
            for demodulate in (False, True):
                flag = "" if demodulate else ", demodulate=False"
                call = f"modulate(weight {(c_out, c_in, k, k)}, styles {(n, c_in)}{flag})"
                given = weight.clone(), styles.clone()
                got = c.call(fn, *given) if demodulate else c.call(fn, *given, demodulate=False)
                c.expect_tensor(got, f"what {call} returns")
                hint = "one weight per sample: weight[None] * styles[:, None, :, None, None]"
                if tuple(got.shape) == (n * c_out, c_in, k, k):
                    hint = "return (N, C_out, C_in, k, k): the flattening for the grouped "
                    hint += "convolution is the layer's business"
                c.expect_shape(got, shape, f"the shape of {call}", hint=hint)
                c.expect_kept(given[0], weight, f"the weight you gave {call}")
                c.expect_kept(given[1], styles, f"the styles you gave {call}")
                if demodulate:
                    c.expect(
                        bool(torch.isfinite(got[:-1]).all()),
                        f"{call} for the samples whose styles are not 0",
                        "finite numbers",
                        "nan or inf",
                        hint="a square root of a negative number is nan: the norm is the "
                        "square root of the sum of the *squared* modulated weights",
                    )
                    c.expect(
                        bool(torch.isfinite(got[-1]).all()),
                        f"{call} for the last sample, whose styles are all 0",
                        "0 everywhere: 0 / sqrt(0 + 1e-8)",
                        "nan or inf",
                        hint="add 1e-8 inside the square root: a sample whose styles are 0 "
                        "has weights of norm 0, and 0 / 0 is nan",
                    )
                c.expect_close(
                    got,
                    models.modulate(weight, styles, demodulate=demodulate),
                    call,
                    hint="w = weight[None] * styles[:, None, :, None, None], then (demodulate) "
                    "w / torch.sqrt(w.pow(2).sum(dim=(2, 3, 4), keepdim=True) + 1e-8)",
                    mistakes=_modulate_mistakes(weight, styles, demodulate),
                )


# ------------------------------------------------------------------------------ 3 truncation

# (w's shape, w_avg's shape, psi): a w per sample, per-layer styles, w_avg kept as (1, w_dim);
# psi from the average itself (0) to past w (1.5)
TRUNC_CASES = (
    ((5, 8), (8,), 0.7),
    ((3, 6), (6,), 0.0),
    ((4, 3, 6), (6,), 0.5),
    ((6, 8), (1, 8), 1.0),
    ((2, 5), (5,), 1.5),
)


def check_truncate(fn) -> None:
    """`truncate(w, w_avg, psi)`: w_avg + psi (w - w_avg), for w (N, w_dim) or per-layer
    (N, n_layers, w_dim) and w_avg (w_dim,) or (1, w_dim); the result has w's shape."""
    with Check("truncate", reference=models.truncate) as c:
        for w_shape, avg_shape, psi in TRUNC_CASES:
            w, w_avg = torch.randn(*w_shape), 1.5 + torch.randn(*avg_shape)  # w_avg far from 0
            call = f"truncate(w {w_shape}, w_avg {avg_shape}, psi={psi})"
            given = w.clone(), w_avg.clone()
            got = c.call(fn, *given, psi)
            c.expect_tensor(got, f"what {call} returns")
            c.expect_shape(
                got,
                w_shape,
                f"the shape of {call}",
                hint="one truncated w per w given (at psi = 0 each of them w_avg); w_avg lines "
                "up with w's last axis as it is: w_avg + psi * (w - w_avg), no reshaping",
            )
            c.expect_kept(given[0], w, f"the w you gave {call}")
            c.expect_kept(given[1], w_avg, f"the w_avg you gave {call}")
            batch_mean = w.flatten(0, -2).mean(dim=0)
            c.expect_close(
                got,
                models.truncate(w, w_avg, psi),
                call,
                hint="w_avg + psi * (w - w_avg)",
                mistakes=[
                    (psi * w, "truncation pulls w towards the *average* w, not towards 0: "
                     "w_avg + psi * (w - w_avg); psi * w shrinks it towards the origin, which "
                     "need not be a typical w at all"),
                    (psi * w_avg + (1 - psi) * w, "psi is the weight of w's own offset from "
                     "the average: psi = 1 leaves w as it is, psi = 0 gives w_avg"),
                    (batch_mean + psi * (w - batch_mean), "pull towards the w_avg you are "
                     "given, the average over training, not this batch's mean"),
                ],
            )  # fmt: skip


# ------------------------------------------------------------------------------ 4 style mixing

# (N, w_dim, crossover, n_layers): N != n_layers in the first case, so that the layers on the
# wrong axis show in the shape; crossover 0 (all w2) and n_layers (all w1) among them
MIX_CASES = ((3, 5, 2, 6), (4, 3, 0, 4), (2, 4, 5, 5), (5, 6, 1, 8), (2, 3, 3, 6))


def _sources(ws: Tensor, w1: Tensor, w2: Tensor) -> str:
    """Where each layer's styles in ws (N, n_layers, w_dim) come from: "w1 w1 w2 ...", with
    "?" for a layer that is neither."""
    found = [
        "w1" if _close(layer, w1, 1e-6, 1e-5) else "w2" if _close(layer, w2, 1e-6, 1e-5) else "?"
        for layer in ws.unbind(dim=1)
    ]
    return " ".join(found)


def check_mix_styles(fn) -> None:
    """`mix_styles(w1, w2, crossover, n_layers)`: per-layer styles (N, n_layers, w_dim) from
    w1 and w2 (N, w_dim): layers 0 .. crossover - 1 (the coarse ones) take w1, the rest w2."""
    with Check("mix_styles", reference=models.mix_styles) as c:
        for n, w_dim, crossover, layers in MIX_CASES:
            w1, w2 = torch.randn(n, w_dim), torch.randn(n, w_dim)
            call = f"mix_styles(w1 {(n, w_dim)}, w2 {(n, w_dim)}, crossover={crossover}, "
            call += f"n_layers={layers})"
            given = w1.clone(), w2.clone()
            got = c.call(fn, *given, crossover, layers)
            c.expect_tensor(
                got,
                f"what {call} returns",
                hint="one tensor: stack the layers' styles with torch.stack(styles, dim=1)",
            )
            shape = (n, layers, w_dim)
            hint = "(N, n_layers, w_dim): each sample's w1 for the first `crossover` layers, "
            hint += "its w2 for the rest"
            if tuple(got.shape) == (layers, n, w_dim):
                hint = "the layers go on dim 1, (N, n_layers, w_dim): G.synthesis reads layer "
                hint += "i's styles as ws[:, i]; torch.stack(..., dim=1)"
            elif got.dim() == 3 and got.shape[0] == n and got.shape[2] == w_dim:
                hint = "one style per layer, n_layers of them: n_layers is a parameter"
            c.expect_shape(got, shape, f"the shape of {call}", hint=hint)
            c.expect_kept(given[0], w1, f"the w1 you gave {call}")
            c.expect_kept(given[1], w2, f"the w2 you gave {call}")
            want = _sources(models.mix_styles(w1, w2, crossover, layers), w1, w2)
            said = _sources(got, w1, w2)
            hint = "layer i takes w1 if i < crossover, else w2"
            if "?" in said:
                hint = "each layer's styles are w1 or w2 as given, each sample its own row: "
                hint += "w1[:, None] is (N, 1, w_dim), one layer of every sample's w1"
            elif said == _sources(models.mix_styles(w1, w2, crossover + 1, layers), w1, w2):
                hint = "layers 0, 1, ..., crossover - 1 take w1, which is `crossover` layers: "
                hint += "i < crossover, not <=; crossover = 0 gives w2 to every layer"
            elif said == _sources(models.mix_styles(w2, w1, crossover, layers), w1, w2):
                hint = "the coarse layers, the first ones (4x4: pose and shape), take w1; the "
                hint += "fine ones, from the crossover on, take w2"
            c.expect(said == want, f"which latent each layer of {call} takes", want, said, hint)
            c.expect_close(got, models.mix_styles(w1, w2, crossover, layers), call)


__all__ = ["check_adain", "check_modulate", "check_truncate", "check_mix_styles"]


# ---------------------------------------------------------------------------- concept questions

questions.choice(
    "13.why_mapping",
    "abcd",
    right="dde9690dba2a6f08",
    meaning="z is drawn from a fixed distribution, N(0, I), so every region of Z must map to "
    "some image, and if the data lack a combination of features the mapping from z to images "
    "has to bend to skip it. w = f(z) is learned and follows no fixed distribution: W can be "
    "shaped to the data, so that a direction in W changes one thing (the paper's Section 4: "
    "perceptual path length and linear separability are better in W than in Z).",
    why={
        "ef5d60d3482ad71a": "w has as many dimensions as z here (and 512 = 512 in the paper); "
        "the mapping network adds computation, it saves none",
        "e2efa6892b42cfe9": "its layers do add parameters, but the paper's argument is about "
        "where they sit: they turn z into a space W of its own, which need not follow z's fixed "
        "distribution, and the styles read W",
        "9d47e05a1c90e132": "the mapping network is deterministic: the same z always gives the "
        "same w; the randomness of the details comes from the noise inputs",
    },
)
questions.choice(
    "13.noise_inputs",
    "abcd",
    right="f995f6bed84a6466",
    meaning="The noise only adds per-pixel variation, scaled by a learned strength per map: "
    "with the same w and new noise the image stays the same person (or digit) and only the "
    "stochastic details change, where hairs fall, freckles, the grain of a stroke. The "
    "overall look comes from w, through the styles.",
    why={
        "67c22c6c933b40a6": "the overall look comes from w through the styles; the same w with "
        "fresh noise gives the same face with other fine details",
        "88cedb6e441eccb4": "the variety between samples comes from z (through w); without the "
        "noise inputs the paper's samples stay as varied but lose fine detail (hair looks "
        "painted)",
        "0ceecd53f867d178": "the noise is added to G's own feature maps and stays on when "
        "sampling; lesson 06's instance noise was added to D's inputs. Fixing the noise "
        "freezes the details, it does not remove them",
    },
)
questions.choice(
    "13.truncation",
    "abcd",
    right="10c97544e8b8c3df",
    meaning="Every w is pulled towards the average w_avg, away from the sparsely trained "
    "regions of W where G draws its worst images: the samples become more typical and "
    "cleaner (precision up) and less varied (recall down). At psi = 0 every sample gets "
    "w_avg, and so the same image but for the noise's details.",
    why={
        "cb2a7f51fb2f87de": "nothing is retrained: truncation happens when sampling, with the "
        "trained G and the w_avg it tracked, and psi can change from one batch to the next",
        "11fba9c9fee38c28": "the samples are pulled towards one point, so they resemble each "
        "other more: variety drops, down to a single image at psi = 0",
        "068cf5d69147a276": "that is psi > 1, which pushes w away from the average; psi < 1 "
        "pulls it towards the average: more typical images, less variety",
    },
)
