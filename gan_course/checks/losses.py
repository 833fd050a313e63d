"""Checks for exercise 04: the losses and the optimal discriminator."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .. import losses
from . import questions
from .core import AUTOGRAD_HINT, Check, fixed_logits, size_mistakes

STABILITY_HINT = (
    "compute it from logits (F.softplus or F.binary_cross_entropy_with_logits): "
    "log(sigmoid(x)) overflows once sigmoid(x) rounds to 0 or 1"
)


def d_loss_mistakes(real_logits, fake_logits) -> list[tuple[torch.Tensor, str]]:
    """The D loss as the common mistakes compute it, each with its hint. Give batches of
    different sizes, so that a loss right only for equal ones shows."""
    want = losses.d_loss_bce(real_logits, fake_logits)
    real_terms, fake_terms = F.softplus(-real_logits), F.softplus(fake_logits)
    probabilities = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
    return [
        (losses.d_loss_bce(fake_logits, real_logits), "labels swapped: real is 1, fake is 0"),
        (-want, "wrong sign: the loss is the *negative* log-likelihood, -V"),
        *size_mistakes(want, real_terms, fake_terms),
        (losses.d_loss_bce(*probabilities), "sigmoid applied twice: D already returns logits"),
    ]


def check_d_loss(fn) -> None:
    """`d_loss(real_logits, fake_logits)`: -mean log D(x) - mean log(1 - D(G(z)))."""
    with Check("d_loss", reference=(losses.d_loss_bce, losses.minimax_value)) as c:
        real, fake = fixed_logits(16, 10)  # unequal batches: each term is its own batch's mean
        want = losses.d_loss_bce(real, fake)
        got = c.expect_scalar(
            c.call(fn, real.clone(), fake.clone()),
            "d_loss(real_logits, fake_logits)",
            hint="average over the batch with .mean()",
        )
        c.expect_close(
            got,
            want,
            "the loss on 16 real + 10 fake logits",
            hint="real term: -log sigmoid(real); fake term: -log(1 - sigmoid(fake))",
            mistakes=d_loss_mistakes(real, fake),
        )
        confident = torch.tensor([120.0]), torch.tensor([120.0])  # D fooled, very sure
        c.expect_close(
            c.call(fn, *confident),
            120.0,
            "the loss when D(G(z)) has logit 120",
            hint=STABILITY_HINT,
            rtol=1e-3,
        )
        leaves = real.clone().requires_grad_(True), fake.clone().requires_grad_(True)
        out = c.call(fn, *leaves)
        c.expect_differentiable(out, "the logits")
        out.backward()
        grads = [torch.zeros_like(x) if x.grad is None else x.grad for x in leaves]
        c.expect(
            bool((grads[0] < 0).all() and (grads[1] > 0).all()),
            "the gradient with respect to the logits",
            "negative for every real logit, positive for every fake one",
            "some of the wrong sign, or 0",
            hint="D's loss falls as real logits rise and fake logits fall: use every logit, "
            "with torch operations only",
        )


def check_g_loss_nonsaturating(fn) -> None:
    """`g_loss_nonsaturating(fake_logits)`: -mean log D(G(z))."""
    with Check("g_loss_nonsaturating", reference=losses.g_loss_nonsaturating) as c:
        _, fake = fixed_logits()
        got = c.expect_scalar(
            c.call(fn, fake.clone()),
            "g_loss_nonsaturating(fake_logits)",
            hint="average over the batch with .mean()",
        )
        want = losses.g_loss_nonsaturating(fake)
        saturating = losses.g_loss_saturating(fake)
        mistakes = [
            (
                saturating,
                "that's the saturating loss log(1 - D(G(z))); "
                "the non-saturating one is -log D(G(z))",
            ),
            (-saturating, "-log(1 - D(G(z))) pushes G's fakes towards 'fake'; use -log D(G(z))"),
            (-want, "wrong sign: G minimises -log D(G(z))"),
            (16 * want, "sum instead of mean: average over the batch"),
        ]
        c.expect_close(
            got,
            want,
            "the loss on 16 fake logits",
            hint="-log sigmoid(fake_logits), averaged",
            mistakes=mistakes,
        )
        rejected = torch.tensor([-120.0])  # D very sure this fake is fake
        c.expect_close(
            c.call(fn, rejected),
            120.0,
            "the loss when D(G(z)) has logit -120",
            hint=STABILITY_HINT,
            rtol=1e-3,
        )
        logits = fake.clone().requires_grad_(True)
        out = c.call(fn, logits)
        c.expect_differentiable(out, "the logits")
        out.backward()
        c.expect(
            logits.grad is not None and bool((logits.grad < 0).all()),
            "the gradient with respect to the logits",
            "negative: raising a fake's logit lowers the loss",
            "no gradient" if logits.grad is None else "some >= 0",
            hint=AUTOGRAD_HINT,
        )


def check_optimal_discriminator(fn) -> None:
    """`optimal_discriminator(p_data, p_model)`: D*(x) = p_data / (p_data + p_model)."""
    with Check("optimal_discriminator", reference=losses.optimal_discriminator) as c:
        p_data = torch.tensor([0.4, 0.1, 0.0, 0.3, 0.2])
        p_model = torch.tensor([0.1, 0.3, 0.2, 0.3, 0.0])
        got = c.expect_tensor(c.call(fn, p_data, p_model), "optimal_discriminator(p, q)")
        c.expect_shape(got, p_data.shape, "one value per point", hint="work elementwise")
        want = losses.optimal_discriminator(p_data, p_model)
        mistakes = [
            (
                losses.optimal_discriminator(p_model, p_data),
                "swapped: D* is the probability of *real*, p_data / (p_data + p_model)",
            ),
            (p_data / p_model, "that's the density ratio; normalise: p_data / (p_data + p_model)"),
        ]
        c.expect_close(
            got,
            want,
            "D* at 5 points",
            mistakes=mistakes,
            hint="D*(x) = p_data(x) / (p_data(x) + p_model(x))",
        )
        both_zero = c.call(fn, torch.zeros(3), torch.zeros(3))
        c.expect_close(
            both_zero,
            torch.full((3,), 0.5),
            "D* where both densities are 0",
            hint="where neither distribution has mass D can't tell: return 0.5 there "
            "(torch.where), not the nan of 0 / 0 nor the 0 an epsilon gives",
        )
        p = torch.rand(100)
        c.expect_close(
            c.call(fn, p, p),
            torch.full((100,), 0.5),
            "D* when p_model == p_data",
            hint="when G matches the data, D* = 1/2 everywhere",
        )


# -- concept questions (ids "04.name": checked by `check_question`) ----------------------------

LOG_4 = 2 * math.log(2)  # 1.386: -log 1/2 - log 1/2
questions.number(
    "04.equilibrium",
    LOG_4,
    0.01,
    meaning="-log ½ - log ½ = 2 log 2 = log 4 ≈ 1.386: the D loss of a D that can't tell. A D "
    "loss that settles near it in training means the game is balanced, not that D is broken.",
    traps=[
        (
            math.log(2),
            0.01,
            "log 2 ≈ 0.693 is one of the two terms: the real term and the fake term each give "
            "-log ½ = log 2; the D loss adds both",
        ),
        (
            -LOG_4,
            0.01,
            "-1.386 = -log 4 is V, the value D maximises: its loss is -V, with the opposite sign",
        ),
        (
            0.0,
            0.01,
            "a loss of 0 means D is right and certain about every sample: the opposite of an "
            "equilibrium, where D can't tell real from fake",
        ),
        (
            0.5,
            0.01,
            "½ is D's *output* at the equilibrium, not its loss: put D(x) = D(G(z)) = ½ into "
            "-log D(x) - log(1 - D(G(z)))",
        ),
    ],
    off="put D(x) = D(G(z)) = ½ into -log D(x) - log(1 - D(G(z))), the D loss of task 1",
)
questions.choice(
    "04.saturates",
    "abcd",
    right="2ac280dea5741764",
    meaning="log(1 - σ(l)) = -softplus(l) has slope -σ(l) ≈ -0.0003 at l = -8: flat exactly "
    "when G is worst. The non-saturating -log σ(l) = softplus(-l) has slope -σ(-l) ≈ -1 there.",
    why={
        "8a705a0961614055": "-log D(G(z)) = softplus(-l) has slope -σ(-l) ≈ -1 at l = -8: it "
        "is steepest exactly where D wins, which is why practice uses it",
        "5730de8f7d7994b1": "the two losses differ exactly here: log(1 - D(G(z))) is flat at "
        "l = -8, while -log D(G(z)) has slope ≈ -1; that difference is the reason the "
        "non-saturating loss exists",
        "08e36a651c41e9b8": "both gradients depend on the logit: -σ(l) for the saturating loss, "
        "-σ(-l) for the non-saturating one; at l = -8 one is ≈ 0.0003, the other ≈ 1",
    },
)
questions.number(
    "04.d_star",
    0.75,
    0.005,
    meaning="D* = 0.3 / (0.3 + 0.1) = 0.75: where the data is three times as dense as the "
    "model, the best D says 'real' three times out of four.",
    traps=[
        (
            0.25,
            0.005,
            "swapped: 0.25 is p_g / (p_data + p_g), the probability of *fake*; D* is the "
            "probability that x is real, p_data / (p_data + p_g)",
        ),
        (
            3.0,
            0.01,
            "3 is the density ratio p_data / p_g, not a probability: normalise it, "
            "p_data / (p_data + p_g)",
        ),
        (
            0.5,
            0.005,
            "½ is D* only where the two densities are equal (as everywhere at the equilibrium); "
            "here the data has three times the model's density",
        ),
        (
            0.3,
            0.005,
            "0.3 is p_data alone: D* weighs it against the model's density, "
            "p_data / (p_data + p_g)",
        ),
    ],
    off="D*(x) = p_data(x) / (p_data(x) + p_g(x)), with the two densities at that point",
)


__all__ = ["check_d_loss", "check_g_loss_nonsaturating", "check_optimal_discriminator"]
