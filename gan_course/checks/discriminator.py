"""Checks for exercise 03: the discriminator."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import nn

from .. import losses, train
from ..data import ring_of_8
from ..models import MLPDiscriminator
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


def _steps_of(net, real, fake, steps: int, lr: float, make, fresh=False, zero=True):
    """`net`'s parameters after `steps` steps of the BCE loss with the optimizer `make(params,
    lr)` (a new one every step when `fresh`; no zero_grad() when not `zero`), on a copy."""
    net = copy.deepcopy(net)
    optimizer = make(net.parameters(), lr)
    for _ in range(steps):
        if fresh:
            optimizer = make(net.parameters(), lr)
        if zero:
            optimizer.zero_grad()
        losses.d_loss_bce(net(real), net(fake)).backward()
        optimizer.step()
    return snapshot(net)


def _optimizer_mistakes(net, real, fake, steps: int, lr: float) -> list[tuple[list, str]]:
    """D after a few steps of the usual slips with the optimizer, each with its hint."""
    adam = lambda params, lr: torch.optim.Adam(params, lr=lr)  # noqa: E731
    run = lambda make, **how: _steps_of(net, real, fake, steps, lr, make, **how)  # noqa: E731
    return [
        (
            run(adam, fresh=True),
            "a new Adam at every step starts from scratch each time (its running averages "
            "are lost): create the optimizer once, before the loop",
        ),
        (run(adam, zero=False), "call optimizer.zero_grad() every step: gradients add up in .grad"),
        (
            run(lambda params, lr: torch.optim.Adam(params)),
            "Adam's default learning rate is 1e-3: pass the given one, Adam(..., lr=lr)",
        ),
        (
            run(lambda params, lr: torch.optim.Adam(params, lr=1e-2)),
            "use the lr argument, not a fixed 1e-2: Adam(..., lr=lr)",
        ),
        (
            run(lambda params, lr: torch.optim.SGD(params, lr=lr)),
            "the task asks for torch.optim.Adam(discriminator.parameters(), lr=lr)",
        ),
    ]


def check_train_discriminator(fn) -> None:
    """`train_discriminator(D, real, fake, steps, lr)`: D alone vs fixed fakes; returns losses."""
    with Check("train_discriminator", reference=train.train_discriminator) as c:
        net = MLPDiscriminator(2, (32, 32))
        before = copy.deepcopy(net)
        real, fake = _ring_vs_centre()  # 256 real, 160 fake
        got = c.call(fn, net, real, fake, steps=100, lr=1e-2)
        c.expect(
            isinstance(got, Sequence) and len(got) == 100,
            "the returned losses",
            "a list of 100 numbers, one per step",
            f"{type(got).__name__} of length {len(got) if hasattr(got, '__len__') else '?'}",
            hint="append loss.item() to a list at every step and return it",
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
        with torch.no_grad():
            r, f = before(real), before(fake)
        first = torch.as_tensor(float(got[0]))
        c.expect_close(
            first,
            losses.d_loss_bce(r, f),
            "the first loss (D as it was given), on 256 real and 160 fake points",
            hint="record each step's loss.item() before optimizer.step(), so the first value is "
            "D as given: BCE of D(real) vs label 1 plus D(fake) vs label 0",
            mistakes=d_loss_mistakes(r, f),
            rtol=1e-3,
        )
        moved = any(
            not torch.equal(a, b)
            for a, b in zip(net.parameters(), before.parameters(), strict=True)
        )
        c.expect(
            moved,
            "did D's parameters change?",
            "yes",
            "no",
            hint="call optimizer.step() after loss.backward()",
        )
        # three steps with another lr, against the same three steps of one Adam
        lr, steps = 3e-3, 3
        want = _steps_of(before, real, fake, steps, lr, lambda p, lr: torch.optim.Adam(p, lr=lr))
        mine = copy.deepcopy(before)
        c.call(fn, mine, real, fake, steps=steps, lr=lr)
        after = snapshot(mine)
        mistakes = _optimizer_mistakes(before, real, fake, steps, lr)
        c.expect(
            same(want, after, atol=1e-5),
            f"D after {steps} steps with lr={lr}",
            f"{steps} steps of one Adam(discriminator.parameters(), lr={lr})",
            "a different update",
            hint=next(
                (h for wrong, h in mistakes if same(wrong, after, atol=1e-5)),
                "create one Adam(discriminator.parameters(), lr=lr) before the loop; in each "
                "step: zero_grad(), the loss, backward(), step()",
            ),
        )
        with torch.no_grad():
            acc = losses.d_accuracy(net(real), net(fake))
        c.expect(
            acc >= 0.95,
            "accuracy after 100 steps",
            ">= 0.95",
            f"{acc:.2f}",
            hint="call optimizer.zero_grad() every step, and use Adam with the given lr",
        )


__all__ = ["check_discriminator_2d", "check_d_accuracy", "check_train_discriminator"]
