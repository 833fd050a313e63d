"""Checks for exercise 03: the discriminator."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch

from .. import losses, train
from ..data import ring_of_8
from ..models import MLPDiscriminator
from .core import Check
from .losses import d_loss_mistakes

SIDE_OF_ZERO = (
    "a sample is right when its logit is on its side of 0: real > 0, fake < 0 "
    "(sigmoid(logit) > 0 always holds, so compare logits, not probabilities, with 0)"
)


def _ring_vs_centre(n: int = 256):
    """Real: the ring of 8. Fake: a blob at its centre. No straight line separates them."""
    return ring_of_8().sample(n), 0.5 * torch.randn(n, 2)


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
            hint="one straight line can't separate a ring from its centre: put "
            "nn.LeakyReLU(0.2) between the Linear layers",
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


def check_train_discriminator(fn) -> None:
    """`train_discriminator(D, real, fake, steps, lr)`: D alone vs fixed fakes; returns losses."""
    with Check("train_discriminator", reference=train.train_discriminator) as c:
        net = MLPDiscriminator(2, (32, 32))
        before = copy.deepcopy(net)
        real, fake = _ring_vs_centre()
        got = c.call(fn, net, real, fake, steps=100, lr=1e-2)
        c.expect(
            isinstance(got, Sequence) and len(got) == 100,
            "the returned losses",
            "a list of 100 numbers, one per step",
            f"{type(got).__name__} of length {len(got) if hasattr(got, '__len__') else '?'}",
            hint="append loss.item() to a list at every step and return it",
        )
        with torch.no_grad():
            r, f = before(real), before(fake)
        first = torch.as_tensor(float(got[0]))
        c.expect_close(
            first,
            losses.d_loss_bce(r, f),
            "the first loss (D as it was given)",
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
        with torch.no_grad():
            acc = losses.d_accuracy(net(real), net(fake))
        c.expect(
            acc >= 0.95,
            "accuracy after 100 steps",
            ">= 0.95",
            f"{acc:.2f}",
            hint="call optimizer.zero_grad() every step, and use Adam with the given lr",
        )
