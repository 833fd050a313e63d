"""Checks for exercise 15: image-to-image translation, pix2pix and CycleGAN.

`from gan_course.checks.image_to_image import check_receptive_field, check_pix2pix_g_loss,
check_cycle_loss, check_replay_buffer`, and the exercise's concept questions ("15.*").
"""

from __future__ import annotations

import random

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..families import cycle, paired
from ..models import translation
from . import questions
from .core import POOLED, Check, LearnerError, snapshot

# ------------------------------------------------------------------------------ 1 receptive field

# (kernels, strides), first layer first: lesson 15's PatchGANs (n = 1, 2, 3 blocks of k=4, s=2
# and a 1x1 head), then chains that are not palindromes (so that the order shows), with strides
# of 1 and 3 (so that a product taken one layer too far shows), and one layer alone
FIELD_CASES = (
    ([4, 4, 1], [2, 2, 1]),
    ([3, 5, 3, 3], [1, 2, 3, 1]),
    ([7], [2]),
    ([4, 1], [2, 1]),
    ([2, 3, 5], [3, 1, 2]),
    ([4, 4, 4, 1], [2, 2, 2, 1]),
)
FIELD_RULE = (
    "r = 1 + sum over the layers of (k_l - 1) * (the product of the strides of the layers "
    "*before* l): start with r = 1 and jump = 1; for each layer, first layer first, "
    "r += (k - 1) * jump, then jump *= s"
)


def _field(kernels, strides, *, inclusive=False, minus=1, plus=1, jumps="product") -> int:
    """1 + sum (k_l - 1) prod_{m<l} s_m, and the usual slips with it."""
    field, jump = plus, 1
    for k, s in zip(kernels, strides, strict=True):
        if inclusive:
            jump *= s
        if jumps == "none":
            jump = 1
        field += (k - minus) * jump
        if not inclusive:
            jump = jump * s if jumps == "product" else jump + s
    return field


def _field_mistakes(kernels, strides) -> list[tuple[int, str]]:
    k, s = list(kernels), list(strides)
    return [
        (_field(k, s, inclusive=True), "the product counts the strides of the layers *before* "
         "l, not l's own: add (k - 1) * jump first, then jump *= s"),
        (_field(k[::-1], s[::-1]), "first layer first: the jump of a layer is the product of "
         "the strides *below* it, the layers nearer the input (the recursion r = (r - 1) * s + "
         "k runs the other way, from the output back to the input)"),
        (_field(k, s, minus=0), "each layer adds k - 1 pixels (times its jump), not k: a 1x1 "
         "convolution sees nothing more"),
        (_field(k, s, plus=0), "start from 1: one output sees at least one pixel, before any "
         "layer widens it"),
        (_field(k, s, minus=0, plus=0), "each layer adds k - 1 (times its jump), and the count "
         "starts at 1: one pixel, before any layer widens it"),
        (_field(k, s, jumps="none"), "the strides count: behind a stride-2 layer neighbouring "
         "pixels of its output are 2 input pixels apart, so the next kernel spans twice as far"),
        (_field(k, s, jumps="sum"), "the strides *multiply*: jump *= s, not jump += s"),
    ]  # fmt: skip


def check_receptive_field(fn) -> None:
    """`receptive_field(kernels, strides)`: how many input pixels (along one axis) one output of
    a chain of convolutions sees, r = 1 + sum_l (k_l - 1) prod_{m<l} s_m, the first layer first;
    an int, the lists left as they were."""
    with Check("receptive_field", reference=translation.receptive_field) as c:
        cases = [*FIELD_CASES]
        for length in (5, 3):  # and two chains the check draws, so that nothing is memorised
            kernels = torch.randint(1, 8, (length,)).tolist()
            strides = torch.randint(1, 4, (length,)).tolist()
            cases.append((kernels, strides))
        for kernels, strides in cases:
            call = f"receptive_field({kernels}, {strides})"
            given = list(kernels), list(strides)
            got = c.call(fn, *given)
            value = c.expect_scalar(got, f"what {call} returns", hint="one whole number of "
                                    "pixels: return an int")  # fmt: skip
            c.expect(
                given == (list(kernels), list(strides)),
                f"the lists you gave {call}, after the call",
                "unchanged",
                f"changed in place to {given[0]}, {given[1]}",
                hint="don't reverse or pop the lists in place (.reverse(), .pop()): loop over "
                "them, or over reversed(kernels), which makes no change",
            )
            c.expect_close(
                value,
                _field(kernels, strides),
                call,
                hint=FIELD_RULE,
                mistakes=_field_mistakes(kernels, strides),
                atol=1e-6,
                rtol=0,
            )


# ------------------------------------------------------------------------------ 2 pix2pix G loss

# (N, C, H, W, D's strided blocks, l1_weight: None leaves the default, 100); lambda of 10 and
# 0.5 catch a hard-coded 100, and one channel or three a hard-coded shape
G_LOSS_CASES = ((4, 1, 16, 16, 2, None), (3, 1, 8, 12, 1, 10.0), (5, 3, 8, 8, 2, 0.5),
                (2, 1, 16, 16, 2, 37.0))  # fmt: skip
G_LOSS_RULE = (
    "F.softplus(-D(source, fake)).mean() + l1_weight * (fake - target).abs().mean(): "
    "-log D(x, G(x)) from the logits, averaged over the batch and the map, plus lambda times "
    "the mean absolute difference to the target"
)
PROBABILITIES = (
    "D returns logits, not probabilities: F.softplus(-logits) is -log sigmoid(logits), "
    "computed stably (or F.binary_cross_entropy_with_logits)"
)
ADVERSARIAL_BRANCH = (
    "G learns to fool D through the fake images: call D(source, fake) on `fake` itself, with "
    "autograd on (no .detach(), .data or torch.no_grad() there)"
)
L1_BRANCH = (
    "G learns the L1 term through the fake images too: (fake - target).abs().mean() on "
    "`fake` itself, with autograd on (no .detach() or .data there)"
)


def _pair_discriminator(channels: int, n_layers: int, source: Tensor, fake: Tensor) -> nn.Module:
    """The course's PatchGAN of pairs, with its head scaled so that its logits for (source,
    fake) spread from D sure of a fake (about -8) to D fooled (about +4): there the saturating
    loss, the non-saturating one and D's loss differ most."""
    D = translation.PatchDiscriminator(channels, width=4, n_layers=n_layers, batchnorm=False)
    with torch.no_grad():
        logits = D(source, fake)
        scale = 3.0 / logits.std()
        D.head.weight.mul_(scale)
        D.head.bias.copy_(D.head.bias * scale - 1.5 - logits.mean() * scale)
    return D


def _pix2pix_inputs(n: int, channels: int, h: int, w: int):
    """Targets (digit-like: mostly paper, -1, some ink, +1), sources with a grey hole, and
    G's output: near the target, not on it, a leaf that requires grad."""
    target = torch.where(torch.rand(n, channels, h, w) > 0.7, 1.0, -1.0) * 0.9
    source = target.clone()
    source[..., h // 4 : h // 4 + h // 2, w // 4 : w // 4 + w // 2] = 0.0  # the hole
    fake = (0.6 * target + 0.4 * torch.randn(n, channels, h, w)).clamp(-1, 1)
    return source, target, fake.requires_grad_(True)


def _g_loss_mistakes(D, source, fake, target, weight: float) -> list[tuple[Tensor, str]]:
    with torch.no_grad():
        logits = D(source, fake)
        adversarial = F.softplus(-logits).mean()  # -log D(x, G(x))
        l1 = (fake - target).abs().mean()
        of = {"target": D(source, target), "swapped": D(fake, source),
              "no source": D(target, fake)}  # fmt: skip
        pair = "D judges the pair (source, fake): D(source, fake), in that order, is G's "
        pair += "adversarial term"
        wrong = [
            (-F.softplus(logits).mean() + weight * l1, "log(1 - D(G(x))) is the *saturating* "
             "loss: its gradient vanishes where D rejects the fakes; use -log D(x, G(x)) = "
             "F.softplus(-fake_logits).mean()"),
            (-adversarial + weight * l1, "G *minimises* -log D(x, G(x)): add the adversarial "
             "term; subtracting it rewards G for being caught"),
            (F.softplus(logits).mean() + weight * l1, "that is D's loss on the fakes, "
             "-log(1 - D(x, G(x))), which G would minimise by being caught: G wants D to say "
             "real, F.softplus(-fake_logits).mean()"),
            (adversarial + weight * F.mse_loss(fake, target), "the L1 distance, "
             "(fake - target).abs().mean(), not the squared one: L1 blurs less"),
            (weight * adversarial + l1, "lambda (l1_weight) multiplies the L1 term, not the "
             "adversarial one"),
            (adversarial + weight * (fake - source).abs().mean(), "the L1 term pulls G(x) "
             "towards the *target* y, what the image should be, not towards the source x"),
            (F.softplus(-of["target"]).mean() + weight * l1, pair + "; D(source, target) is "
             "the real pair"),
            (F.softplus(-of["swapped"]).mean() + weight * l1, pair + ": source first"),
            (F.softplus(-of["no source"]).mean() + weight * l1, pair + ": the source, not the "
             "target, goes with the fake"),
            (F.softplus(-logits).sum() + weight * l1, "the *mean* of -log D over the batch and "
             "the map (.mean(), not .sum()): one logit per patch, and the sum grows with them"),
            (adversarial + weight * (fake - target).abs().sum(), "the *mean* absolute "
             "difference (.mean(), or F.l1_loss): the sum grows with the batch and the image "
             "size"),
            (adversarial + weight * (fake - target).abs().flatten(1).sum(1).mean(), "the mean "
             "over the pixels as well as the batch: F.l1_loss(fake, target)"),
            (F.softplus(-logits.mean()) + weight * l1, "the mean of the *losses* of the "
             "patches, F.softplus(-logits).mean(), not the loss of the mean logit"),
            ((adversarial + weight * l1) / 2, "add the two terms, adversarial + lambda * L1; "
             "don't average them"),
            (adversarial + l1, "multiply the L1 term by lambda, the l1_weight argument"),
        ]  # fmt: skip
        if weight != 100.0:
            hint = f"use the l1_weight you are given: the check passes {weight:g} here (100 is "
            wrong.insert(0, (adversarial + 100 * l1, hint + "only the default)"))
    return wrong


def check_pix2pix_g_loss(fn) -> None:
    """`pix2pix_g_loss(D, source, fake, target, l1_weight=100.0)`: -log D(x, G(x)) from D's
    logits for the pair (source, fake), averaged over the batch and the map, plus l1_weight
    times the mean |fake - target|; a 0-d tensor that autograd can follow back to `fake`."""
    with Check("pix2pix_g_loss", reference=paired.pix2pix_g_loss) as c:
        for n, channels, h, w, n_layers, weight in G_LOSS_CASES:
            source, target, fake = _pix2pix_inputs(n, channels, h, w)
            D = _pair_discriminator(channels, n_layers, source, fake)
            shape = (n, channels, h, w)
            lam = "" if weight is None else f", l1_weight={weight:g}"
            call = f"pix2pix_g_loss(D, source, fake, target{lam}), images {shape}"
            weight = 100.0 if weight is None else weight
            kwargs = {} if lam == "" else {"l1_weight": weight}
            given = source.clone(), fake.detach().clone().requires_grad_(True), target.clone()
            try:
                got = c.call(fn, D, *given, **kwargs)
            except LearnerError as err:
                if "between 0 and 1" not in err.what:
                    raise
                hint = f"{PROBABILITIES} ({err.hint})"
                raise LearnerError(c.task, err.what, hint=hint) from err
            c.expect_tensor(got, f"what {call} returns", hint="return the loss as a tensor "
                            "(no .item() or float()), so that G can learn from it")  # fmt: skip
            c.expect_scalar(got, f"what {call} returns", hint="one number for the batch: "
                            "average both terms over everything, with .mean()")  # fmt: skip
            originals = {"source": source, "fake": fake, "target": target}
            for mine, (name, kept) in zip(given, originals.items(), strict=True):
                c.expect_kept(mine.detach(), kept.detach(), f"the {name} you gave {call}")
            c.expect_finite(got.item(), call, PROBABILITIES)
            want, _, l1 = paired.pix2pix_g_loss(D(source, fake), fake, target, weight)
            c.expect_close(
                got,
                want,
                call,
                hint=G_LOSS_RULE,
                mistakes=_g_loss_mistakes(D, source, fake, target, weight),
            )
            c.expect_differentiable(got, "the fake images")
            c.run(got.backward)
            mine = given[1].grad
            both = torch.autograd.grad(want, fake, retain_graph=True)[0]
            l1_only = torch.autograd.grad(weight * l1, fake)[0]  # D's judgement cut off
            hint = ADVERSARIAL_BRANCH if _same_grad(mine, l1_only) else L1_BRANCH
            if mine is None:
                hint = "G learns from this loss through the fake images: use `fake` itself in "
                hint += "both terms, with autograd on (no .detach(), .data or torch.no_grad())"
            c.expect(
                _same_grad(mine, both),
                f"the gradient of {call} with respect to fake",
                "the gradient of both terms",
                "none" if mine is None else "a different one",
                hint=hint,
            )


def _same_grad(a: Tensor | None, b: Tensor) -> bool:
    return a is not None and a.shape == b.shape and bool(torch.allclose(a, b, atol=1e-6, rtol=1e-4))


# ------------------------------------------------------------------------------ 3 cycle loss

# (batch of A, batch of B, C, H, W): unequal batches (so that a pooled mean shows, and an image
# compared with the other domain's does not go unnoticed), then equal ones; sizes and channels
# vary, so that nothing is hard-coded
CYCLE_CASES = ((5, 3, 1, 16, 16), (2, 6, 3, 6, 10), (4, 4, 1, 8, 8))
CYCLE_RULE = (
    "F.l1_loss(g_ba(g_ab(real_a)), real_a) + F.l1_loss(g_ab(g_ba(real_b)), real_b): each "
    "image goes there and back, and comes back as itself"
)
ROUND_TRIP = "each image's round trip: a from domain A through G_AB to B, and G_BA back to A; "
ROUND_TRIP += "b through G_BA, then G_AB. "


def _translator(channels: int) -> nn.Module:
    """A small generator that any size of image goes through: (N, C, H, W) -> (N, C, H, W)."""
    return nn.Sequential(
        nn.Conv2d(channels, 6, 3, 1, 1), nn.LeakyReLU(0.2), nn.Conv2d(6, channels, 3, 1, 1),
        nn.Tanh(),
    )  # fmt: skip


def _cycle_mistakes(g_ab, g_ba, a: Tensor, b: Tensor) -> list[tuple[Tensor, str]]:
    def l1(x, y):
        return (x - y).abs().mean()

    with torch.no_grad():
        fake_b, fake_a = g_ab(a), g_ba(b)
        back_a, back_b = g_ba(fake_b), g_ab(fake_a)  # the round trips
        want = l1(back_a, a) + l1(back_b, b)
        wrong_way_a, wrong_way_b = g_ab(g_ba(a)), g_ba(g_ab(b))
        errors = torch.cat([(back_a - a).abs().flatten(), (back_b - b).abs().flatten()])
        mistakes = [
            (l1(back_a, a), "both directions: add G_AB(G_BA(b)) against b to G_BA(G_AB(a)) "
             "against a; with one alone, G_BA is never asked to be undone"),
            (l1(back_b, b), "both directions: add G_BA(G_AB(a)) against a to G_AB(G_BA(b)) "
             "against b; with one alone, G_AB is never asked to be undone"),
            (l1(fake_b, a) + l1(fake_a, b), ROUND_TRIP + "G_AB(a) is a translation to B, and "
             "not meant to equal a: compare the round trip G_BA(G_AB(a)) with a"),
            (l1(g_ab(b), b) + l1(g_ba(a), a), "that is the identity loss, G_AB(b) against b: "
             "the cycle loss sends each image there and back, G_BA(G_AB(a)) against a"),
            (l1(wrong_way_a, a) + l1(wrong_way_b, b), ROUND_TRIP + "The generators are swapped: "
             "G_AB takes images of A, so a goes through g_ab first"),
            (l1(wrong_way_a, a) + l1(back_b, b), ROUND_TRIP + "a is from domain A, so g_ab "
             "translates it first: g_ba(g_ab(real_a))"),
            (l1(back_a, a) + l1(wrong_way_b, b), ROUND_TRIP + "b is from domain B, so g_ba "
             "translates it first: g_ab(g_ba(real_b))"),
            (F.mse_loss(back_a, a) + F.mse_loss(back_b, b), "the L1 distance, "
             "(x - y).abs().mean() or F.l1_loss, not the squared one"),
            ((back_a - a).abs().sum() + (back_b - b).abs().sum(), "the *mean* absolute "
             "difference of each round trip (F.l1_loss): the sum grows with the batch and the "
             "image size"),
            (errors.mean(), POOLED),
            (want / 2, "add the two directions; don't average them"),
            (10 * want, "leave the weight lambda out: this function is the cycle loss alone, "
             "and cycle_step multiplies it by cycle_weight (10)"),
        ]  # fmt: skip
    return mistakes


def _grads(nets) -> list[Tensor | None]:
    return [None if p.grad is None else p.grad.clone() for net in nets for p in net.parameters()]


def _zero_grads(*nets) -> None:
    for net in nets:
        for p in net.parameters():
            p.grad = None


def check_cycle_loss(fn) -> None:
    """`cycle_loss(g_ab, g_ba, real_a, real_b)`: mean |G_BA(G_AB(a)) - a| + mean |G_AB(G_BA(b))
    - b|, each over its own batch, unweighted; a 0-d tensor whose gradient reaches both
    generators through both legs of each round trip."""
    with Check("cycle_loss", reference=cycle.cycle_loss) as c:
        for n_a, n_b, channels, h, w in CYCLE_CASES:
            g_ab, g_ba = _translator(channels), _translator(channels)
            real_a = torch.rand(n_a, channels, h, w) * 2 - 1
            real_b = torch.rand(n_b, channels, h, w).pow(3) * 2 - 1  # mostly dark: another look
            call = f"cycle_loss(g_ab, g_ba, real_a {(n_a, channels, h, w)}, real_b "
            call += f"{(n_b, channels, h, w)})"
            given = real_a.clone(), real_b.clone()
            weights = snapshot(g_ab) + snapshot(g_ba)
            try:
                got = c.call(fn, g_ab, g_ba, *given)
            except LearnerError as err:
                if "must match the size" not in err.what or n_a == n_b:
                    raise
                hint = f"real_a holds {n_a} images and real_b {n_b}: compare each round trip "
                hint += "with the image it started from, G_BA(G_AB(a)) with a and "
                hint += f"G_AB(G_BA(b)) with b, never an image of the other domain ({err.hint})"
                raise LearnerError(c.task, err.what, hint=hint) from err
            c.expect_tensor(got, f"what {call} returns", hint="return the loss as a tensor "
                            "(no .item() or float()): the generators learn from it")  # fmt: skip
            c.expect_scalar(got, f"what {call} returns", hint="one number: the mean of each "
                            "direction's absolute error, added")  # fmt: skip
            c.expect_kept(given[0], real_a, f"the real_a you gave {call}")
            c.expect_kept(given[1], real_b, f"the real_b you gave {call}")
            c.expect(
                g_ab.training and g_ba.training,
                f"the generators' mode after {call}",
                "train mode, as they were",
                "eval mode",
                hint="leave the mode alone: the training loop decides it, and a loss that "
                "calls .eval() leaves the generators in eval mode for the rest of training",
            )
            after = snapshot(g_ab) + snapshot(g_ba)
            c.expect(
                all(torch.equal(x, y) for x, y in zip(weights, after, strict=True)),
                f"the generators' parameters after {call}",
                "unchanged",
                "changed",
                hint="a loss only computes: leave the optimizer step to the training loop",
            )
            want = cycle.cycle_loss(g_ab, g_ba, real_a, real_b)
            c.expect_close(
                got,
                want,
                call,
                hint=CYCLE_RULE,
                mistakes=_cycle_mistakes(g_ab, g_ba, real_a, real_b),
            )
            c.expect_differentiable(got, "the generators")
            _zero_grads(g_ab, g_ba)
            c.run(got.backward)
            mine = _grads((g_ab, g_ba))
            _zero_grads(g_ab, g_ba)
            want.backward()
            wanted = _grads((g_ab, g_ba))
            _zero_grads(g_ab, g_ba)
            same = all(
                x is not None and torch.allclose(x, y, atol=1e-6, rtol=1e-4)
                for x, y in zip(mine, wanted, strict=True)
            )
            c.expect(
                same,
                f"the gradients of {call} in the generators' parameters",
                "those of the cycle loss",
                "different ones",
                hint="each generator learns from both round trips: as the first translation in "
                "one and the second in the other. A .detach(), .data or torch.no_grad() on "
                "G_AB(a) or G_BA(b) cuts one of them",
            )


# ------------------------------------------------------------------------------ 4 replay buffer

# (size, seed, one fake's shape (C, H, W)); each case pushes BUFFER_BATCHES' batches until
# SWAP_PUSHES fakes have arrived at a full buffer: about half of them must be swapped
BUFFER_CASES = ((8, 3, (1, 2, 2)), (5, 11, (3, 2, 3)), (12, 0, (1, 4, 4)))
FILL_BATCHES = (3, 2, 5)  # the first batches: partly filling, and filling up within a batch
BUFFER_BATCHES = (7, 1, 16, 4, 9)  # then these, over and over
SWAP_PUSHES = 400
SWAPS = (0.35, 0.65)  # the fraction swapped, 0.5 +- 6 standard deviations at 400 pushes
ONE_PLACE = 0.5  # at most this fraction of swaps may take the oldest fake, or the newest

STRAIGHT_THROUGH = (
    "a fake that goes straight to D (the half of the time with no swap, once the buffer is "
    "full) is not stored: the buffer changes only by a swap, where the new fake takes the old "
    "one's place"
)
SWAPPED_OUT = (
    "after a swap the old fake has gone to D: the new fake takes its place in the buffer "
    "(self.images[i] = fake), so the buffer keeps `size` fakes and none of them twice"
)
GLOBAL_RNG = (
    "give the buffer a random generator of its own, made in __init__ from `seed`: "
    "self.rng = random.Random(seed), then self.rng.random() and self.rng.randrange(size) "
    "(or torch.Generator().manual_seed(seed) with generator=...); the global ones "
    "(random.random(), torch.rand(), torch.manual_seed(...)) belong to your notebook"
)


def _rng_states():
    """The global random states (torch's, Python's, NumPy's), to tell whether a call used them."""
    numpy_state = np.random.get_state()
    return torch.get_rng_state(), random.getstate(), (numpy_state[1].copy(), numpy_state[2])


def _same_states(a, b) -> bool:
    numpy_same = np.array_equal(a[2][0], b[2][0]) and a[2][1] == b[2][1]
    return torch.equal(a[0], b[0]) and a[1] == b[1] and numpy_same


def _fakes(first_id: int, n: int, shape, pattern: Tensor) -> Tensor:
    """n fakes with ids first_id, first_id + 1, ...: each image its id plus `pattern`, made by
    an operation that requires grad, as G's fakes are."""
    ids = torch.arange(first_id, first_id + n, dtype=torch.float32).view(n, 1, 1, 1)
    weight = torch.ones((), requires_grad=True)
    return (ids + pattern.expand(n, *shape)) * weight  # (n, C, H, W)


class _Tracker:
    """What a right buffer holds after each push, read off what it returns, whatever its random
    choices: each swap names the fake that left and the one that came in."""

    def __init__(self, size: int) -> None:
        self.size, self.held = size, []  # ids, in the order they came in
        self.swapped_out, self.through = set(), set()
        self.pushed_full = self.swaps = self.oldest = self.newest = 0

    def reason(self, got: int | None, k: int, batch: list[int]) -> str | None:
        """None if a right buffer could return `got` for fake `k` of the batch pushed (their
        ids), else a hint."""
        new = batch[k]
        if got == new:
            if len(self.held) < self.size:
                self.held.append(new)  # filling up: stored, and returned as it is
            else:
                self.pushed_full += 1
                self.through.add(new)
            return None
        if got in batch[k + 1 :]:  # a fake pushed after this one
            return "keep the batch's order: fake k of what you return answers fake k pushed"
        if len(self.held) < self.size:
            return "until the buffer is full, each fake is stored and comes back as it is"
        if got is not None and got in self.held:
            self.pushed_full += 1
            self.swaps += 1
            self.oldest += got == self.held[0]
            self.newest += got == self.held[-1]
            self.held.remove(got)
            self.swapped_out.add(got)
            self.held.append(new)
            return None
        if got is None:
            return "return the fakes themselves (or, swapped, older ones), unchanged"
        if got in self.swapped_out:
            return SWAPPED_OUT
        if got in self.through:
            return STRAIGHT_THROUGH
        return "return only fakes that were pushed, and that the buffer holds"


def _identify(image: Tensor, pattern: Tensor) -> int | None:
    """The id of a fake `_fakes` made, from its pixels; None if it is no such fake."""
    guess = round(float(image.flatten()[0] - pattern.flatten()[0]))
    return guess if torch.equal(image, guess + pattern[0]) else None


def _grew(buffer, size: int) -> int | None:
    """The length of the longest list, deque or tensor the buffer keeps, if more than `size`."""
    longest = 0
    for value in vars(buffer).values() if hasattr(buffer, "__dict__") else ():
        if isinstance(value, Tensor) and value.dim() > 0:
            longest = max(longest, value.shape[0])
        elif isinstance(value, list | tuple) or type(value).__name__ == "deque":
            longest = max(longest, len(value))
    return longest if longest > size else None


def _push_all(c: Check, buffer, size: int, shape, pattern: Tensor, what: str, pushes: int):
    """Push batches into `buffer`, checking each answer; the tracker and all outputs."""
    tracker, outputs, next_id, i = _Tracker(size), [], 1, 0
    batches = [*FILL_BATCHES]
    while tracker.pushed_full < pushes:
        n = batches[i] if i < len(batches) else BUFFER_BATCHES[(i - len(batches)) % 5]
        i += 1
        fakes = _fakes(next_id, n, shape, pattern)
        batch = list(range(next_id, next_id + n))
        next_id += n
        call = f"{what}(fakes {(n, *shape)}), push {i}"
        states = _rng_states()
        got = c.call(buffer, fakes)
        c.expect(_same_states(states, _rng_states()), f"the global random state after {call}",
                 "unchanged", "changed", hint=GLOBAL_RNG)  # fmt: skip
        c.expect_tensor(got, f"what {call} returns", hint="one tensor of fakes, (N, C, H, W), "
                        "as D takes them: torch.stack(the list)")  # fmt: skip
        c.expect_shape(got, (n, *shape), f"the shape of {call}", hint="one fake out for each "
                       "fake in, in a tensor of the same shape")  # fmt: skip
        c.expect(not got.requires_grad, f"can autograd follow {call} back to G?", "no: the "
                 "fakes are detached", "yes", hint="detach the fakes (fakes.detach()) before "
                 "storing or returning them: D's step must not reach back into G, and a stored "
                 "graph would keep every old step's memory alive")  # fmt: skip
        grew = _grew(buffer, size)
        c.expect(grew is None, f"how many fakes the buffer keeps after {call}",
                 f"at most size = {size}", grew, hint="the buffer keeps `size` fakes: store a "
                 "new one while it fills up, and after that only in place of one swapped out "
                 "(use the size you are given)")  # fmt: skip
        for k, image in enumerate(got.detach()):  # one expectation per push: the first slip
            found = _identify(image, pattern)
            reason = tracker.reason(found, k, batch)
            if reason is not None:
                break
        said = "an image that no push made" if found is None else f"fake #{found}"
        if found in batch:
            said += f", pushed as fake {batch.index(found)} of this batch"
        c.expect(reason is None, f"fake {k} of {call}", f"fake #{batch[k]}, pushed there, or "
                 "an older one the buffer holds", said, hint=reason)  # fmt: skip
        outputs.append(got.detach())
    return tracker, outputs


def check_replay_buffer(cls) -> None:
    """`ReplayBuffer(size, seed)`, called on a batch of fakes (N, C, H, W): stores each fake
    and returns it as it is until `size` are stored; after that, each fake is, half of the time
    at random, swapped for a random stored one (which is returned, and replaced by it), else
    returned as it is. A tensor of the batch's shape, detached; random choices from a generator
    of its own, seeded by `seed`."""
    with Check("ReplayBuffer", reference=cycle.ReplayBuffer) as c:
        for size, seed, shape in BUFFER_CASES:
            what = f"ReplayBuffer({size}, seed={seed})"
            pattern = torch.arange(float(np.prod(shape))).view(1, *shape) / 64  # exact in fp32
            states = _rng_states()
            buffer = c.call(cls, size, seed=seed)
            c.expect(_same_states(states, _rng_states()), f"the global random state after "
                     f"making {what}", "unchanged", "changed", hint=GLOBAL_RNG)  # fmt: skip
            tracker, outputs = _push_all(c, buffer, size, shape, pattern, what, SWAP_PUSHES)
            share = tracker.swaps / tracker.pushed_full
            hint = (
                "half of the time, at random (self.rng.random() < 0.5), swap the new fake for "
                "an older one; the other half it goes to D as it is"
            )
            if share == 0:
                hint = (
                    "once the buffer is full, half of the fakes go to D swapped for an older "
                    "one: return the old fake (read it before its place is overwritten)"
                )
            c.expect(SWAPS[0] <= share <= SWAPS[1], f"the fakes {what} swapped for older ones, "
                     f"once full ({tracker.pushed_full} pushed)", "about half",
                     f"{share:.0%}", hint=hint)  # fmt: skip
            fraction = max(tracker.oldest, tracker.newest) / tracker.swaps
            which = "oldest" if tracker.oldest >= tracker.newest else "newest"
            c.expect(fraction <= ONE_PLACE, f"which older fake {what} gives back", "one at "
                     "random, of any age", f"the {which} one in {fraction:.0%} of the swaps",
                     hint="pick the place at random, self.rng.randrange(size): not always the "
                     "same one, nor the oldest")  # fmt: skip
            first = set(range(1, size + 1))
            c.expect(not first & set(tracker.held), f"the fakes {what} held when it filled "
                     f"up, after {tracker.swaps} swaps", "all swapped out by now, by chance",
                     f"{len(first & set(tracker.held))} never swapped out", hint="each swap "
                     "picks any of the `size` places: randrange(size) (its end, size, is not "
                     "included), not randrange(size - 1)")  # fmt: skip
            again = c.call(cls, size, seed=seed)
            _, repeat = _push_all(c, again, size, shape, pattern, what, 100)
            c.expect(all(torch.equal(x, y) for x, y in zip(outputs, repeat, strict=False)),
                     f"two {what}s given the same fakes", "the same choices", "different ones",
                     hint="seed the buffer's own generator in __init__ with `seed` "
                     "(random.Random(seed)): the same seed must give the same choices")  # fmt: skip
            other = c.call(cls, size, seed=seed + 1)
            _, different = _push_all(c, other, size, shape, pattern, what, 100)
            c.expect(not all(torch.equal(x, y) for x, y in zip(repeat, different, strict=True)),
                     f"{what} and ReplayBuffer({size}, seed={seed + 1}) given the same fakes",
                     "different choices", "the same ones", hint="use the `seed` you are given: "
                     "random.Random(seed), not a number of your own")  # fmt: skip


__all__ = ["check_receptive_field", "check_pix2pix_g_loss", "check_cycle_loss",
           "check_replay_buffer"]  # fmt: skip


# ---------------------------------------------------------------------------- concept questions

questions.choice(
    "15.grey_hole",
    "abcd",
    right="2136aee71995a034",
    meaning="Painted as paper, a hole that falls on blank paper changes nothing, and one that "
    "falls on a stroke looks like a digit with a gap: G cannot see which pixels to repair and "
    "has to guess where the hole is from the digit's shape. Mid-grey is a value that no pixel "
    "of a digit takes, so the source itself shows where the hole is. Inpainting networks are "
    "often given the mask as an extra input channel for the same reason.",
    why={
        "6cf34d2ecfac15aa": "G's Tanh is at its output, and paper (-1) is what it paints most "
        "of the time; the hole's value is only G's *input*, where nothing saturates",
        "64188a12ae0dddc7": "D sees the same source, hole and all, in the real pair (source, "
        "target) and in the fake one (source, G(source)): the hole tells it nothing either "
        "way; what D judges is whether the output goes with the source",
        "54ccb81065fe6860": "the L1 term compares G's output with the target at every pixel, "
        "and its gradient, the sign of G(x) - y, does not depend on the source's pixels at all",
    },
)
questions.choice(
    "15.adversarial_only",
    "abcd",
    right="17b8dbf1c77f95b8",
    meaning="With lambda = 0 no term of G's loss mentions the target: D asks only whether the "
    "output is a plausible completion of the source, so G draws a stroke that fits, sharp and "
    "digit-like, but not necessarily the one that was removed, and every misplaced pixel costs "
    "PSNR. The L1 term pulls towards the target; alone, it hedges between the possible "
    "completions (the per-pixel median), often with a blur, which PSNR rewards more than a "
    "sharp stroke in the wrong place. pix2pix uses both (lambda = 100).",
    why={
        "00ac6d503e25edae": "the adversarial term still trains G: D's logits for (source, "
        "G(source)) are differentiable in G's output. An untrained G would paint noise, not "
        "plausible strokes",
        "052a551eb8ed086c": "metrics.masked_psnr measures the hole only, the pixels the mask "
        "marks; elsewhere the source already shows the target",
        "2a9095603d8cc319": "if D rejected every output and G stopped learning, G's strokes "
        "would not look plausible: the adversarial term is what makes them look so",
    },
)
questions.choice(
    "15.no_identity",
    "abcd",
    right="214373bd2f9c9765",
    meaning="The cycle loss asks for a translation that G_BA can undo, not a faithful one: any "
    "such translation closes the cycle, a mirror image or a swap of two digits included, and a "
    "generator can even hide its source in faint pixels that the other one reads back (Chu et "
    "al. 2017, 'CycleGAN, a master of steganography'). The identity loss pulls each generator "
    "towards leaving images alone, and so towards translations that keep what the two domains "
    "share: here, the digit. `python -m benchmarks cyclegan` tried it: without the identity "
    "loss, the classifier read the translations right less often than a blind guess would.",
    why={
        "7a94f67342ea2e4a": "the cycle loss trains the round trip G_BA(G_AB(a)) against a "
        "directly; the identity loss, G_AB(b) against b, is no part of it, and the round trip "
        "closes without it",
        "11c2615b53ebf891": "the identity loss was introduced for photographs and paintings, "
        "but what it does is general: it rewards a generator for leaving an image alone, which "
        "keeps whatever the two domains share, here the digit",
        "b11bbeab4e60ae52": "copying is what the *identity* loss pulls towards (G_AB(b) close "
        "to b), and turning it off removes that pull; and D_B would reject copied typed digits, "
        "which are not handwritten",
    },
)
