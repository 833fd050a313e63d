"""Checks for exercise 06: gradient descent-ascent, noisy labels, instance noise, a G EMA."""

from __future__ import annotations

import copy
import math
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch import nn

from .. import games, losses, train
from ..callbacks import EMA
from . import questions
from .core import Check, fixed_logits, snapshot
from .losses import d_loss_mistakes

# ------------------------------------------------------------------------------ 1 · GDA on xy


def check_gda_step(fn) -> None:
    """`gda_step(x, y, lr, mode)`: one step of gradient descent-ascent on f(x, y) = x y."""
    with Check("gda_step", reference=(games.gda_step, games.bilinear_game)) as c:
        for x, y, lr in ((1.0, 2.0, 0.1), (-0.5, 0.3, 0.25)):
            sim_x, sim_y = x - lr * y, y + lr * x  # both read the old point
            alt_y = y + lr * (x - lr * y)  # y reads the new x
            both_descend = "wrong sign for y: it *ascends* f, y + lr * df/dy = y + lr * x"
            gradients_swapped = (
                "df/dx = y and df/dy = x: each player's gradient is the other's value"
            )
            order = "return (new_x, new_y), in that order"
            mistakes = {
                "simultaneous": [
                    ((sim_y, sim_x), order),
                    ((sim_x, alt_y), "simultaneous: y must use the *old* x, as x does the old y"),
                    ((sim_x, y - lr * x), both_descend),
                    ((x + lr * y, y - lr * x), "x descends f (x - lr * y) and y ascends it"),
                    ((x - lr * x, y + lr * y), gradients_swapped),
                ],
                "alternating": [
                    ((alt_y, sim_x), order),
                    ((sim_x, sim_y), "alternating: y answers the x that has just moved: use new x"),
                    ((x - lr * (y + lr * x), y + lr * x), "update x first, then y with the new x"),
                    ((sim_x, y - lr * (x - lr * y)), both_descend),
                    ((x - lr * x, y + lr * y), gradients_swapped),
                ],
            }
            for mode in games.GDA_MODES:
                got = c.expect_pair(
                    c.call(fn, x, y, lr, mode), f"gda_step({x}, {y}, {lr}, {mode!r})"
                )
                c.expect_close(
                    torch.tensor(got),
                    torch.tensor(games.gda_step(x, y, lr, mode)),
                    f"gda_step({x}, {y}, lr={lr}, mode={mode!r})",
                    hint="x <- x - lr * y, then y <- y + lr * (old x, or new x when alternating)",
                    mistakes=[(torch.tensor(w), h) for w, h in mistakes[mode]],
                )
        for mode, grows in (("simultaneous", True), ("alternating", False)):
            x, y = 1.0, 1.0
            for _ in range(100):  # the pairs were checked above: no need to count each
                x, y = (float(v) for v in c.call(fn, x, y, 0.2, mode))
            radius, start = math.hypot(x, y), math.sqrt(2)
            c.expect(
                radius > 2 * start if grows else abs(radius - start) < 0.3 * start,
                f"distance to (0, 0) after 100 {mode} steps from (1, 1), lr=0.2",
                "spiralling out (> 2.8)" if grows else "about 1.4: an orbit",
                f"{radius:.3g}",
                hint="compare with gan_course.games.bilinear_game(100, 0.2, mode)",
            )


# ------------------------------------------------------------------------------ 2 · noisy labels


FLIP_HINT = "flip each label with probability flip: torch.rand(n) < flip"


def check_d_loss_noisy_labels(fn) -> None:
    """`d_loss_noisy_labels(real_logits, fake_logits, flip, smoothing)`: BCE with real targets
    1 - smoothing, each flipped to 0 with probability `flip`; fakes keep target 0."""
    with Check(
        "d_loss_noisy_labels", reference=(losses.d_loss_bce_targets, train.real_targets)
    ) as c:
        real, fake = fixed_logits(16, 10)  # unequal batches: each term is its own batch's mean
        got = c.expect_scalar(
            c.call(fn, real.clone(), fake.clone(), 0.0, 0.1),
            "the loss",
            hint="average with .mean()",
        )
        bce = F.binary_cross_entropy_with_logits
        ones, fake_term = torch.ones_like(real), F.softplus(fake).mean()
        fake_ones = torch.ones_like(fake)
        want = losses.d_loss_bce_targets(real, fake, train.real_targets(len(real), 0.0, 0.1))
        mistakes = [
            (
                bce(real, 0.9 * ones) + bce(fake, 0.1 * fake_ones),
                "one-sided: smooth only the real labels; fakes keep target 0, or D rewards "
                "fakes it already rejects",
            ),
            (
                bce(real, 1.1 * ones) + fake_term,
                "smoothing lowers the real target to 1 - smoothing, not 1 + smoothing",
            ),
            (
                bce(real, 0.1 * ones) + fake_term,
                "the real target is 1 - smoothing (0.9), not smoothing",
            ),
            (bce(real, 0 * ones) + fake_term, "with flip=0 every label was flipped: " + FLIP_HINT),
            (len(real) * want, "sum instead of mean: average each term over its batch"),
            (
                bce(fake, 0.9 * fake_ones) + F.softplus(real).mean(),
                "labels swapped: the real logits get the real targets, the fakes target 0",
            ),
            *[
                (
                    k * bce(torch.cat([real, fake]), torch.cat([0.9 * ones, 0 * fake_ones])),
                    "one mean over both batches together (torch.cat) weighs each batch by its "
                    "size, and is right only when they are equal: take the mean of each term, "
                    "then add the two",
                )
                for k in (1, 2)
            ],
        ]
        c.expect_close(
            got,
            want,
            "with smoothing=0.1 and flip=0: real targets 0.9 (16 real, 10 fake logits)",
            hint="real targets torch.full((n,), 1 - smoothing); "
            "F.binary_cross_entropy_with_logits(real_logits, targets)",
            mistakes=mistakes,
        )
        c.expect_close(
            c.call(fn, real.clone(), fake.clone(), 0.0, 0.0),
            losses.d_loss_bce(real, fake),
            "with flip=0 and smoothing=0: plain BCE",
            hint="with no flips and no smoothing this is lesson 04's d_loss_bce",
            mistakes=d_loss_mistakes(real, fake),
        )
        logits = real.clone().requires_grad_(True)
        out = c.call(fn, logits, fake, 0.35, 0.1)
        c.expect_differentiable(out, "the logits")
        for flip, smoothing in ((0.35, 0.0), (0.35, 0.1)):
            _expect_mean_target(c, fn, flip, smoothing)
        _expect_fake_targets(c, fn, 0.35, 0.1)
        few = torch.full((200,), 2.0), torch.full((200,), -2.0)
        first, second = c.call(fn, *few, 0.35, 0.0), c.call(fn, *few, 0.35, 0.0)
        c.expect(
            not torch.equal(torch.as_tensor(first), torch.as_tensor(second)),
            "two calls with flip=0.35",
            "different flips each time",
            "the same loss twice",
            hint="draw new flips at every call (torch.rand), and don't seed inside",
        )


# With constant logits l, a BCE term is softplus(l) - l * mean(targets), and with logits 0 it is
# log 2 whatever the targets: so one batch at 0 and the other at +-2 reads off the other's targets.
LEVEL, N_PROBE = 2.0, 20_000


def _expect_mean_target(c: Check, fn, flip: float, smoothing: float) -> None:
    """The mean real target, read off the loss of constant real logits (fakes at 0)."""
    real, fake = torch.full((N_PROBE,), LEVEL), torch.zeros(N_PROBE)
    loss = float(c.call(fn, real, fake, flip, smoothing))
    mean_target = (F.softplus(real).mean().item() + math.log(2) - loss) / LEVEL
    want = (1 - flip) * (1 - smoothing)
    wrong = {
        round(flip * (1 - smoothing), 4): "you flipped a share 1 - flip: " + FLIP_HINT,
        1 - smoothing: "no label was flipped: set a share `flip` of the real targets to 0",
        round(want + flip * smoothing, 4): "a flipped label becomes 0 (fake), not 1 - target",
    }
    hint = next((h for w, h in wrong.items() if abs(mean_target - w) < 0.012 and w != want), None)
    c.expect(
        abs(mean_target - want) < 0.012,
        f"mean real target with flip={flip}, smoothing={smoothing} (read off the loss of "
        f"{N_PROBE:,} constant logits)",
        f"{want:.3f} = (1 - flip) * (1 - smoothing)",
        f"{mean_target:.3f}",
        hint=hint or "targets: 1 - smoothing, then 0 where torch.rand(n) < flip",
    )


def _expect_fake_targets(c: Check, fn, flip: float, smoothing: float) -> None:
    """The mean fake target, read off the loss of constant fake logits (reals at 0): 0."""
    real, fake = torch.zeros(N_PROBE), torch.full((N_PROBE,), -LEVEL)
    loss = float(c.call(fn, real, fake, flip, smoothing))
    mean_target = (loss - math.log(2) - F.softplus(fake).mean().item()) / LEVEL
    hint = "the fakes keep target 0 whatever flip and smoothing are"
    if abs(mean_target - flip) < 0.012:
        hint = (
            "you flipped the fake labels too: the task flips only the real ones (a real sample "
            "labelled fake); the fakes keep target 0"
        )
    c.expect(
        abs(mean_target) < 0.012,
        f"mean fake target with flip={flip}, smoothing={smoothing} (read off the loss of "
        f"{N_PROBE:,} constant logits)",
        "0: every fake is labelled fake",
        f"{mean_target:.3f}",
        hint=hint,
    )


# ------------------------------------------------------------------------------ 3 · instance noise


class _Recorder(nn.Module):
    """A discriminator that remembers its inputs: how we see what the package's D step feeds D."""

    def __init__(self) -> None:
        super().__init__()
        self.layer, self.seen = nn.Linear(2, 1), []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return self.layer(x).squeeze(1)  # (N,)


def package_instance_noise(real, fake, sigma: float, progress: float):
    """What `train.d_step_switched` shows D with `instance_noise=sigma` at `progress`."""
    recorder = _Recorder()
    optimizer = torch.optim.SGD(recorder.parameters(), lr=0.0)
    config = train.TrainConfig(instance_noise=sigma)
    train.d_step_switched(
        nn.Identity(), recorder, optimizer, real, fake, config=config, progress=progress
    )  # Identity: the "noise" is the fakes themselves
    return recorder.seen[0], recorder.seen[1]


def check_instance_noise(fn) -> None:
    """`add_instance_noise(real, fake, sigma, progress)`: both batches plus N(0, s^2) noise with
    s annealed linearly from `sigma` at progress 0 to 0 at progress 1."""
    with Check("add_instance_noise", reference=train.instance_noise_std) as c:
        real, fake = torch.randn(20_000, 2) + 3, torch.randn(20_000, 2) - 3
        kept = real.clone(), fake.clone()
        got = c.call(fn, real, fake, 0.5, 0.0)
        c.expect(
            isinstance(got, tuple | list) and len(got) == 2,
            "what add_instance_noise returns",
            "a pair (noisy_real, noisy_fake)",
            type(got).__name__,
            hint="return noisy_real, noisy_fake",
        )
        c.expect(
            torch.equal(real, kept[0]) and torch.equal(fake, kept[1]),
            "the batches you were given",
            "unchanged",
            "changed in place",
            hint="return new tensors (real + noise); += would change the caller's batch",
        )
        for i, name in enumerate(("real", "fake")):
            c.expect_shape(got[i], real.shape, f"noisy {name} batch's shape", hint="same as input")
        for progress in (0.0, 0.5, 1.0):
            noisy = c.call(fn, real, fake, 0.5, progress)
            want = package_instance_noise(real, fake, 0.5, progress)
            _expect_noise_std(c, noisy, want, (real, fake), progress)
        noisy_real, noisy_fake = c.call(fn, real, fake, 0.5, 0.0)
        noise_real, noise_fake = noisy_real - real, noisy_fake - fake
        correlation = torch.corrcoef(torch.stack([noise_real.flatten(), noise_fake.flatten()]))
        c.expect(
            correlation[0, 1].abs().item() < 0.5,
            "the noise added to real and to fake",
            "independent draws",
            "the same noise",
            hint="draw separate noise for each batch: randn_like(real), randn_like(fake)",
        )
        again = c.call(fn, real, fake, 0.5, 0.0)[0]
        c.expect(
            not torch.equal(again, noisy_real),
            "two calls in a row",
            "fresh noise",
            "the same noise twice",
            hint="don't seed inside: draw new noise every call",
        )


def _expect_noise_std(c: Check, noisy, want, clean, progress: float) -> None:
    """The std of the noise on each batch, against the package's; hints for the usual slips."""
    close = lambda a, b: abs(a - b) < 0.02  # noqa: E731  (std of 40,000 draws: error ~0.002)
    stds = [(noisy[i] - clean[i]).std().item() for i in range(2)]
    sigma_now = 0.5 * (1 - progress)
    for i, name in enumerate(("real", "fake")):
        want_std = (want[i] - clean[i]).std().item()
        if all(close(s, 0) for s in stds):
            silent = "no noise at all: at progress 0 it is largest, sigma * (1 - progress)"
        else:
            silent = f"no noise on the {name} batch: blur both, so that the two overlap"
        wrong = [
            (0.0, silent),
            (0.5, "anneal: the std is sigma * (1 - progress), from sigma down to 0"),
            (sigma_now**2, "sigma is a standard deviation: sigma * torch.randn_like(x)"),
        ]
        hint = next((h for w, h in wrong if close(stds[i], w) and not close(w, want_std)), None)
        c.expect(
            close(stds[i], want_std),
            f"std of the noise on the {name} batch at progress {progress}",
            f"{want_std:.3f}",
            f"{stds[i]:.3f}",
            hint=hint or "Gaussian noise with std sigma * (1 - progress): torch.randn_like(x)",
        )


# ------------------------------------------------------------------------------ 4 · EMA


class _NetWithStatistics(nn.Module):
    """A tiny network with a float buffer, like BatchNorm's running mean."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(3, 2)
        self.register_buffer("running_mean", torch.randn(2))


def _ema_reference(averaged, live, decay: float):
    """The package's `callbacks.EMA` applied once to a copy of `averaged`."""
    ema = EMA(decay)
    ema.generator = copy.deepcopy(averaged)
    ema.on_step_end(SimpleNamespace(history=SimpleNamespace(step=1), generator=live))
    return ema.generator


def check_ema_update(fn) -> None:
    """`ema_update(averaged, live, decay)`: in place, each parameter of `averaged` becomes
    decay * itself + (1 - decay) * the live one; buffers are copied."""
    with Check("ema_update", reference=EMA) as c:
        live = _NetWithStatistics()
        averaged = _NetWithStatistics().requires_grad_(False)  # other weights, other buffer
        decay = 0.9
        want = _ema_reference(averaged, live, decay)
        live_before, avg_before = snapshot(live, buffers=True), snapshot(averaged, buffers=True)
        c.call(fn, averaged, live, decay)
        c.expect(
            all(
                torch.equal(a, b)
                for a, b in zip(live_before, snapshot(live, buffers=True), strict=True)
            ),
            "the live generator after the update",
            "unchanged",
            "changed",
            hint="only the average moves: read live's weights, write averaged's",
        )
        n_params = len(list(averaged.parameters()))
        for i, (name, got) in enumerate(averaged.named_parameters()):
            old, now = avg_before[i], live_before[i]
            c.expect_close(
                got,
                dict(want.named_parameters())[name],
                f"averaged.{name} after one update with decay={decay}",
                hint="avg <- decay * avg + (1 - decay) * live, in place under torch.no_grad()",
                mistakes=[
                    (
                        old,
                        "averaged did not change: update its parameters in place "
                        "(p.mul_(decay).add_(q, alpha=1 - decay), or p.lerp_(q, 1 - decay))",
                    ),
                    (
                        (1 - decay) * old + decay * now,
                        "decay and 1 - decay swapped: decay "
                        "weighs the old average, so it moves only a little each step",
                    ),
                    (now, "that copies the live weights: average them"),
                ],
            )
        got_buffer, live_buffer = averaged.running_mean, live_before[n_params]
        old_buffer = avg_before[n_params]
        c.expect_close(
            got_buffer,
            want.running_mean,
            "averaged.running_mean (a buffer) after the update",
            hint="copy the buffers from live: avg_buffer.copy_(live_buffer)",
            mistakes=[
                (
                    decay * old_buffer + (1 - decay) * live_buffer,
                    "this task copies the buffers (such as BatchNorm's running statistics), as "
                    "the course's EMA callback and StyleGAN2-ADA do; averaging them too is another "
                    "convention (timm's ModelEmaV2), but not this task's: "
                    "avg_buffer.copy_(live_buffer)",
                ),
                (
                    old_buffer,
                    "copy the buffers too: for a, b in zip(averaged.buffers(), "
                    "live.buffers()): a.copy_(b)",
                ),
            ],
        )


__all__ = [
    "check_d_loss_noisy_labels",
    "check_ema_update",
    "check_gda_step",
    "check_instance_noise",
]


# ------------------------------------------------------------------------------ concept questions

questions.choice(
    "06.smaller_step",
    "abcd",
    right="cbf944991ba05772",
    meaning="Each simultaneous step multiplies the distance to (0, 0) by sqrt(1 + lr^2), which is "
    "above 1 for every lr > 0: a smaller step only makes the spiral slower (1.01^50 = 1.6 times "
    "the distance after 100 steps instead of 1.04^50 = 7.1). In a game, a small step is no cure.",
    why={
        "9329973c99a3bcbb": "a small enough step always helps gradient descent on one loss, not a "
        "game: each simultaneous step multiplies the distance by sqrt(1 + lr^2), above 1 for "
        "every lr > 0",
        "899149129cb04dab": "the orbit belongs to alternating steps, whose matrix has determinant "
        "1; simultaneous steps multiply the distance by sqrt(1 + lr^2) > 1, whatever lr",
        "5ad523e7e6104883": "the factor per step, sqrt(1 + lr^2), shrinks towards 1 with lr: "
        "after 100 steps the distance has grown 1.01^50 = 1.6 times with lr = 0.1, against "
        "1.04^50 = 7.1 times with lr = 0.2",
    },
)
questions.number(
    "06.mean_target",
    0.585,
    0.003,
    meaning="A real sample keeps its target 1 - 0.1 = 0.9 with probability 1 - 0.35 = 0.65 and "
    "gets 0 otherwise: (1 - flip)(1 - smoothing) = 0.585 on average. D is told that a real sample "
    "is real only a little more often than not.",
    traps=[
        (
            0.55,
            0.003,
            "the two don't subtract, they multiply: a real sample keeps 1 - smoothing "
            "= 0.9 with probability 1 - flip = 0.65, so 0.65 x 0.9",
        ),
        (
            0.65,
            0.003,
            "that counts the flips only: the samples that are not flipped get "
            "1 - smoothing = 0.9, not 1",
        ),
        (
            0.9,
            0.003,
            "that counts the smoothing only: a share flip = 0.35 of the real samples is labelled 0",
        ),
        (
            0.315,
            0.003,
            "0.35 x 0.9 uses the share that is flipped; the share that keeps its "
            "target is 1 - 0.35 = 0.65",
        ),
    ],  # fmt: skip
    off="a real target is 1 - smoothing, or 0 with probability flip: average the two cases",
)
questions.choice(
    "06.ema_training",
    "abcd",
    right="f9be9088d700ecac",
    meaning="The average is a separate copy that ema_update writes after each step from the "
    "live weights; the optimizer and the training steps never see it. Training is the same step "
    "for step, and the copy is the generator to sample from.",
    why={
        "f6ca5092336047d1": "ema_update reads the live weights and writes only the average's: G "
        "itself is never touched, and the training steps are the same as without the callback "
        "(lesson 06's baseline gives both from one run)",
        "1396f02fc7e8d504": "the copy was made with requires_grad_(False) and was never handed to "
        "an optimizer: only ema_update changes it",
        "20a7bcb2df647a81": "an exponential average forgets: the live weights of k steps ago "
        "weigh (1 - decay) decay^k, so with decay 0.99 the last hundred or so steps dominate. "
        "Equal weights since the first step would drag in the early, bad generators",
    },
)
