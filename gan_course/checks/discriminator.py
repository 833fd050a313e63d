"""Checks for exercise 03: the discriminator."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import nn

from .. import losses, train
from ..data import ring_of_8
from ..models import MLPDiscriminator
from . import questions
from .core import Check, map_name, same, snapshot, what_maps
from .generator import expect_hidden_width
from .losses import d_loss_mistakes

LEAKY = "nn.LeakyReLU(0.2)"
STRAIGHT_LINE = (
    "one straight line can't separate a ring from its centre: put nn.LeakyReLU(0.2) between "
    "the Linear layers"
)

SIDE_OF_ZERO = (
    "a sample is right when its logit is on its side of 0: real > 0, fake < 0 "
    "(sigmoid(logit) > 0 always holds, so compare logits, not probabilities, with 0)"
)


def _ring_vs_centre(n_real: int = 256, n_fake: int = 160):
    """Real: the ring of 8. Fake: a blob at its centre. No straight line separates them. The
    batches differ in size, so that a loss right only for equal batches shows."""
    return ring_of_8().sample(n_real), 0.5 * torch.randn(n_fake, 2)


def _activation_hint(act) -> str:
    """What to say about the function found between two Linear layers of D (not the 0.2 one)."""
    if act == "none":
        return STRAIGHT_LINE
    if act == "relu":
        return (
            "that's a ReLU: it passes no gradient for negative inputs, and G learns only "
            f"through D's gradient; the task asks for {LEAKY}, which keeps a slope of 0.2 there"
        )
    if act == 0.01:
        return f"nn.LeakyReLU() has a negative slope of 0.01 by default: pass 0.2, {LEAKY}"
    if isinstance(act, float):
        return f"a LeakyReLU with negative slope {act:g}: the task asks for {LEAKY}"
    return f"that's {map_name(act)}: the task asks for {LEAKY} between the Linear layers"


def _expect_leaky_relus(c: Check, net) -> None:
    """LeakyReLU(0.2) between D's Linear layers, as a module or a function: read off what turns
    each Linear layer's output into the next one's input."""
    calls, _ = c.trace(net, torch.randn(64, 2), kinds=(nn.Linear,))
    between = [
        what_maps(out, nxt) for (_, _, out), (_, nxt, _) in zip(calls, calls[1:], strict=False)
    ]
    wrong = [act for act in between if act != 0.2 and act != "other"]
    c.expect(
        not wrong,
        "the activation between the Linear layers",
        LEAKY,
        ", ".join(map_name(act) for act in between),
        hint=_activation_hint(wrong[0]) if wrong else None,
    )


def check_discriminator_2d(cls) -> None:
    """`Discriminator2D(hidden)`: an MLP from 2-D points to one logit per point, shape (N,)."""
    with Check("Discriminator2D", reference=MLPDiscriminator) as c:
        net = c.call(cls, 32)  # hidden=32
        c.expect_module(net)
        out = c.expect_tensor(c.call(net, torch.randn(16, 2)), "Discriminator2D(32)(x)")
        hint = (
            "return one logit per sample, shape (N,): .squeeze(1) the last dimension"
            if tuple(out.shape) == (16, 1)
            else "the last layer maps hidden -> 1"
        )
        c.expect_shape(out, (16,), "the output shape for x of shape (16, 2)", hint=hint)
        one = c.expect_tensor(c.call(net, torch.randn(1, 2)), "Discriminator2D(32)(x)")
        c.expect_shape(
            one,
            (1,),
            "the output shape for a batch of one point, x of shape (1, 2)",
            hint=".squeeze() without a dim drops every dimension of size 1, the batch's too "
            "when N = 1: squeeze the last one only, .squeeze(1)",
        )
        expect_hidden_width(c, net, torch.randn(16, 2), 32, "Discriminator2D(32)")
        _expect_leaky_relus(c, net)
        real, fake = _ring_vs_centre()
        train_losses = c.run(train.train_discriminator, net, real, fake, steps=200, lr=1e-2)
        with torch.no_grad():
            real_logits, fake_logits = net(real), net(fake)
        top = real_logits.max().item()
        c.expect(
            top > 1 or fake_logits.min().item() < 0,
            "are the outputs logits?",
            "raw scores, any real number",
            "values confined to (0, 1)",
            hint="that's a probability: drop the final Sigmoid and return the logit; "
            "the loss applies the sigmoid itself, stably",
        )
        acc = losses.d_accuracy(real_logits, fake_logits)
        c.expect(
            acc >= 0.9,
            "accuracy on ring vs centre after 200 Adam steps",
            ">= 0.90",
            f"{acc:.2f} (final loss {train_losses[-1]:.3f})",
            hint=STRAIGHT_LINE,
        )


def check_d_accuracy(fn) -> None:
    """`d_accuracy(real_logits, fake_logits)`: the fraction of all samples classified right."""
    with Check("d_accuracy", reference=losses.d_accuracy) as c:
        real = torch.tensor([2.0, 0.3, -1.0, 0.7, -0.2, 1.5])
        fake = torch.tensor([-3.0, 0.4, -0.4, 0.2])  # unequal sizes on purpose
        got = c.expect_scalar(c.call(fn, real, fake), "d_accuracy(real, fake)")
        mistakes = [
            (0.7, "these are logits, not probabilities: threshold at 0 (sigmoid(0) = 0.5)"),
            (0.4, "real and fake are swapped: real is right when its logit > 0"),
            (6.0, "that's a count: divide by the number of samples (use .mean())"),
            (
                (4 / 6 + 2 / 4) / 2,
                "averaging the two batch accuracies weighs a sample of the "
                "smaller batch more: pool all samples, then take the mean",
            ),
            (
                4 / 6 + 2 / 4,
                "adding the two batch accuracies gives more than 1 when D is good: "
                "pool all samples, then take the mean",
            ),
            *[
                (
                    6 / size,
                    "divide by the number of all samples, n_r + n_f, not by one batch's size: "
                    "pool all samples, then take the mean",
                )
                for size in (len(real), len(fake))
            ],
        ]
        c.expect_close(
            got,
            losses.d_accuracy(real, fake),
            "accuracy on 6 real + 4 fake logits",
            hint=SIDE_OF_ZERO,
            mistakes=mistakes,
        )
        c.expect_close(
            c.call(fn, real.abs() + 1, -fake.abs() - 1),
            1.0,
            "accuracy when every sample is classified right",
            hint=SIDE_OF_ZERO,
        )


def train_rounds_reference(
    discriminator,
    real,
    fake_rounds,
    k: int = 1,
    lr: float = 1e-2,
    make=None,
    fresh="",
    zero=True,
    order="rounds",
):
    """What `train_rounds` does (one Adam, `k` steps against each round's fakes, the loss of each
    step before its update), on `discriminator` itself; or, with the arguments, a usual slip:
    `make(params, lr)` another optimizer, a new one every "round" or "step" (`fresh`), no
    zero_grad() (`zero=False`), the k steps as the outer loop (`order="k"`)."""
    make = make or (lambda params, lr: torch.optim.Adam(params, lr=lr))
    optimizer = make(discriminator.parameters(), lr)
    if order == "rounds":
        schedule = [(r, fake) for r, fake in enumerate(fake_rounds) for _ in range(k)]
    else:  # the slip: k passes over the rounds, one step per round in each
        schedule = [(r, fake) for _ in range(k) for r, fake in enumerate(fake_rounds)]
    history, last_round = [], None
    for r, fake in schedule:
        if fresh == "step" or (fresh == "round" and r != last_round):
            optimizer = make(discriminator.parameters(), lr)
        last_round = r
        if zero:
            optimizer.zero_grad()
        loss = losses.d_loss_bce(discriminator(real), discriminator(fake))
        loss.backward()
        history.append(loss.item())
        optimizer.step()
    return history


def _moving_fakes(n_rounds: int, n: int = 160) -> list[torch.Tensor]:
    """Fakes of a generator that moves: a blob that drifts outwards and grows, one batch a
    round (each with its own points)."""
    return [(0.3 + 0.15 * r) * torch.randn(n, 2) + 0.2 * r for r in range(n_rounds)]


def _after_rounds(net, real, rounds, k, lr, **slip) -> list[torch.Tensor]:
    net = copy.deepcopy(net)
    train_rounds_reference(net, real, rounds, k, lr, **slip)
    return snapshot(net)


def _rounds_mistakes(net, real, rounds, k, lr) -> list[tuple[list, str]]:
    """D after the usual slips of a loop over rounds, each with its hint."""
    run = lambda **slip: _after_rounds(net, real, rounds, k, lr, **slip)  # noqa: E731
    return [
        (
            run(fresh="round"),
            "a new Adam in every round starts from scratch each time (its running averages "
            "are lost): create the optimizer once, before both loops",
        ),
        (
            run(fresh="step"),
            "a new Adam at every step starts from scratch each time (its running averages "
            "are lost): create the optimizer once, before both loops",
        ),
        (run(zero=False), "call optimizer.zero_grad() every step: gradients add up in .grad"),
        (
            run(order="k"),
            "the rounds come in order, and each round's k steps together: loop over the rounds, "
            "and inside, k steps against that round's fakes (not k passes over all the rounds)",
        ),
        (
            run(make=lambda params, lr: torch.optim.Adam(params)),
            "Adam's default learning rate is 1e-3: pass the given one, Adam(..., lr=lr)",
        ),
        (
            run(make=lambda params, lr: torch.optim.Adam(params, lr=1e-2)),
            "use the lr argument, not a fixed 1e-2: Adam(..., lr=lr)",
        ),
        (
            run(make=lambda params, lr: torch.optim.SGD(params, lr=lr)),
            "the task asks for torch.optim.Adam(discriminator.parameters(), lr=lr)",
        ),
        (
            _after_rounds(net, real, [rounds[0]] * len(rounds), k, lr),
            "every step used the first round's fakes: each round brings its own batch, "
            "fake_rounds[r], and its k steps are taken against that one",
        ),
        (
            _after_rounds(net, real, [rounds[-1]] * len(rounds), k, lr),
            "every step used the last round's fakes (a variable left over from a loop?): each "
            "round's k steps are taken against that round's batch",
        ),
    ]


def _expect_history(c: Check, got, rounds: int, k: int) -> None:
    """A list of `rounds * k` plain numbers, with a hint that names what the length says."""
    n = len(got) if hasattr(got, "__len__") else None
    if n == rounds and k > 1:
        hint = f"k={k} steps in every round: you took one per round"
    elif n == k and rounds > 1:
        hint = f"one round for each of the {rounds} batches in fake_rounds, k steps in each"
    else:
        hint = "append each step's loss.item() to a list, and return it"
    c.expect(
        isinstance(got, Sequence) and n == rounds * k,
        f"the returned losses, for {rounds} rounds with k={k}",
        f"a list of {rounds * k} numbers, one per step",
        f"{type(got).__name__} of length {n if n is not None else '?'}",
        hint=hint,
    )
    tensors = [x for x in got if isinstance(x, torch.Tensor)]
    c.expect(
        not tensors,
        "the entries of the returned list",
        "plain numbers (float)",
        f"{len(tensors)} tensors",
        hint="append loss.item(), a plain number: a tensor that requires grad keeps its "
        "step's whole graph alive, and can't be plotted (nor can one on a GPU)",
    )


def check_train_rounds(fn) -> None:
    """`train_rounds(discriminator, real, fake_rounds, k=1, lr=1e-2)`: D against a generator
    that moves, k Adam steps against each round's fakes; returns the loss of every step."""
    with Check("train_rounds", reference=train.train_discriminator) as c:
        net = MLPDiscriminator(2, (32, 32))
        before = copy.deepcopy(net)
        real, rounds = ring_of_8().sample(256), _moving_fakes(4)  # 256 real, 4 x 160 fake
        got = c.call(fn, net, real, rounds, k=3, lr=1e-2)
        _expect_history(c, got, rounds=4, k=3)
        with torch.no_grad():
            r, f = before(real), before(rounds[0])
        c.expect_close(
            torch.as_tensor(float(got[0])),
            losses.d_loss_bce(r, f),
            "the first loss (D as it was given, against round 0's fakes), 256 real, 160 fake",
            hint="record each step's loss.item() before optimizer.step(), so the first value is "
            "D as given: BCE of D(real) vs label 1 plus D(fake) vs label 0",
            mistakes=[
                *d_loss_mistakes(r, f),
                *[
                    (
                        losses.d_loss_bce(r, before(fake)).detach(),
                        "the first step used another round's fakes: the rounds come in order, "
                        "each round's k steps against its own batch, fake_rounds[0] first (a "
                        "variable left over from a loop?)",
                    )
                    for fake in rounds[1:]
                ],
            ],
            rtol=1e-3,
        )
        c.expect(
            not same(snapshot(before), snapshot(net)),
            "did D's parameters change?",
            "yes",
            "no",
            hint="call optimizer.step() after loss.backward(), in every step",
        )
        # the whole run against the same run of the reference; then other rounds, k and lr
        _expect_same_run(c, net, got, before, real, rounds, k=3, lr=1e-2)
        mine, other = copy.deepcopy(before), _moving_fakes(5)
        got = c.call(fn, mine, real, other, k=2, lr=3e-3)
        _expect_history(c, got, rounds=5, k=2)
        _expect_same_run(c, mine, got, before, real, other, k=2, lr=3e-3)


def _expect_same_run(c: Check, net, got, before, real, rounds, k: int, lr: float) -> None:
    """`net` (started as `before`) and its history `got` are those of the reference run."""
    want = copy.deepcopy(before)
    want_history = train_rounds_reference(want, real, rounds, k, lr)
    after = snapshot(net)
    mistakes = _rounds_mistakes(before, real, rounds, k, lr)
    c.expect(
        same(snapshot(want), after, atol=1e-5),
        f"D after {len(rounds)} rounds of k={k} steps with lr={lr}",
        f"{len(rounds) * k} steps of one Adam(discriminator.parameters(), lr={lr}), k against "
        "each round's fakes in turn",
        "a different update",
        hint=next(
            (h for wrong, h in mistakes if same(wrong, after, atol=1e-5)),
            "create one Adam(discriminator.parameters(), lr=lr) before the loops; for each "
            "round, k steps against that round's fakes: zero_grad(), the loss, backward(), "
            "step()",
        ),
    )
    c.expect_close(
        torch.tensor([float(x) for x in got]),
        torch.tensor(want_history),
        "the loss of every step",
        hint="record each step's loss.item() before optimizer.step()",
        rtol=1e-3,
    )


# -- concept questions (ids "03.name": checked by `check_question`) ----------------------------

questions.choice(
    "03.why_logits",
    "abcd",
    right="af5a18a609e2caa5",
    meaning="log σ(l) = -softplus(-l) is exact for every logit, but in float32 σ(l) is exactly "
    "0 below about -104 (and 1 above about 17), and log 0 = -inf with a nan gradient. So D "
    "returns logits and the loss applies the sigmoid inside, stably.",
    why={
        "419483cbf2c60584": "the saving is one elementwise function, nothing worth a design "
        "rule: the reason is numerical, and it lives in the loss, which takes a log",
        "367ea929f20b745d": "D's verdict is a probability either way, σ(l) in (0, 1): the logit "
        "is the same verdict on another scale, and there is no 'more real than real'",
        "2d891f91961df7c5": "a sigmoid's slope σ(l)(1 - σ(l)) is never 0 in exact arithmetic; "
        "it only rounds to 0 for confident logits. The real trouble is the log of a probability "
        "that has rounded to 0 or 1, which a logit avoids",
    },
)
questions.number(
    "03.one_sided",
    256 / 416,
    0.006,
    meaning="256 of the 416 samples are right (every real one), so 0.615: pooled over both "
    "batches, an accuracy above ½ can come from a D that has learned nothing. Read it next to "
    "D(x) and D(G(z)).",
    traps=[
        (
            0.5,
            0.005,
            "½ is what two batches of the same size would give, and what averaging the two "
            "batch accuracies (1 and 0) gives: pool the samples instead; 256 real ones are right "
            "and 160 fakes wrong, out of 416",
        ),
        (
            1.0,
            0.005,
            "D gets every real point right but every fake wrong: a logit above 0 calls a fake "
            "real too",
        ),
        (
            160 / 416,
            0.006,
            "that counts the fakes as the right ones: a fake is right only when its logit is "
            "below 0, and here every logit is above",
        ),
    ],
    off="count the samples D gets right (a real one when its logit > 0, a fake one when < 0), "
    "then divide by all 256 + 160 = 416",
)
questions.choice(
    "03.loss_curve",
    "abcd",
    right="4abdc2bc4f98bf57",
    meaning="Against fakes that stand still D wins within a few steps (part 3 of lesson 03); "
    "when a round brings fakes where D has not learned to look, its loss jumps, then falls "
    "again. In a GAN, G makes those jumps on purpose, at every step.",
    why={
        "91e543252cf8e59b": "D's loss depends on the fakes as much as on D: while they stand "
        "still it falls, but new fakes that land where D said 'real' push it back up",
        "6face63bfaf6e3c2": "within a round the fakes stand still, and a D against fixed fakes "
        "wins within a few dozen steps (task 3 of this exercise): the loss falls there",
        "56d93f110b010b3a": "D's weights and its one optimizer carry over from round to round: "
        "nothing is forgotten. The loss jumps only when new fakes land where D said 'real', "
        "and falls again within the round",
    },
)


__all__ = ["check_discriminator_2d", "check_d_accuracy", "check_train_rounds"]
