"""Checks for exercise 09: the Wasserstein losses, the gradient penalty, the hinge loss, clipping.

A critic returns *scores*, unbounded real numbers with no sigmoid behind them, so every check
feeds scores on both sides of 0 and beyond the hinge's margins at +-1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .. import losses, train
from ..models import MLPDiscriminator
from .core import Check, CheckFailed, LearnerError, fixed_logits, size_mistakes

NO_SIGMOID = (
    "no sigmoid: a critic's score is any real number, and the Wasserstein loss uses it as it is"
)
MISSING_RELU = (
    "max(0, .) is missing: scores beyond the margin should cost nothing, "
    "F.relu(1 - real_scores) and F.relu(1 + fake_scores)"
)
NO_LOG = (
    "no log: that's the cross-entropy of lessons 04-05; the Wasserstein loss is a plain "
    "difference of mean scores"
)


def _call_explaining(c: Check, explanations: dict[str, str], fn, *args):
    """`c.call(fn, *args)`, with a hint of ours when the learner's error says one of the keys."""
    try:
        return c.call(fn, *args)
    except LearnerError as err:
        hint = next((h for key, h in explanations.items() if key in err.what), None)
        if hint is None:
            raise
        raise CheckFailed(c.task, err.what, hint=hint) from err.__cause__


def _expect_differentiable(c: Check, fn, *scores) -> list[torch.Tensor]:
    """`fn(*scores)` backpropagates to the scores; returns their gradients."""
    leaves = [s.clone().requires_grad_(True) for s in scores]
    out = c.call(fn, *leaves)
    c.expect_differentiable(out, "the scores")
    out.backward()
    return [torch.zeros_like(x) if x.grad is None else x.grad for x in leaves]  # None: unused


# ------------------------------------------------------------------------------ 1. WGAN losses


def check_d_loss_wasserstein(fn) -> None:
    """`d_loss_wasserstein(real_scores, fake_scores)`: E[f(G(z))] - E[f(x)], minimised by f."""
    with Check("d_loss_wasserstein", reference=losses.d_loss_wasserstein) as c:
        real, fake = fixed_logits(16, 10)  # unequal batches: each term is its own batch's mean
        got = c.expect_scalar(
            c.call(fn, real.clone(), fake.clone()),
            "d_loss_wasserstein(real_scores, fake_scores)",
            hint="average each batch with .mean()",
        )
        c.expect_finite(got, "the loss on 16 real + 10 fake scores", NO_LOG)
        want = losses.d_loss_wasserstein(real, fake)
        mistakes = [
            (
                -want,
                "wrong sign: the critic *minimises* E[f(G(z))] - E[f(x)], which raises the "
                "real scores and lowers the fake ones",
            ),
            (
                losses.d_loss_wasserstein(torch.sigmoid(real), torch.sigmoid(fake)),
                NO_SIGMOID,
            ),
            (-losses.d_loss_wasserstein(torch.sigmoid(real), torch.sigmoid(fake)), NO_SIGMOID),
            (losses.d_loss_bce(real, fake), NO_LOG),
            (
                -F.logsigmoid(real).mean() + F.logsigmoid(fake).mean(),
                NO_LOG,
            ),
            *size_mistakes(want, -real, fake),
        ]
        c.expect_close(
            got,
            want,
            "the loss on 16 real + 10 fake scores",
            hint="fake_scores.mean() - real_scores.mean()",
            mistakes=mistakes,
        )
        grad_real, grad_fake = _expect_differentiable(c, fn, real, fake)
        n, m = len(real), len(fake)
        c.expect_close(
            torch.cat([grad_real, grad_fake]),
            torch.cat([torch.full((n,), -1 / n), torch.full((m,), 1 / m)]),
            "the gradient with respect to each score",
            hint="every real score should pull with -1/N and every fake with +1/M: "
            "a plain difference of means, nothing squashed",
        )


def check_g_loss_wasserstein(fn) -> None:
    """`g_loss_wasserstein(fake_scores)`: -E[f(G(z))], minimised by G."""
    with Check("g_loss_wasserstein", reference=losses.g_loss_wasserstein) as c:
        _, fake = fixed_logits()
        got = c.expect_scalar(
            c.call(fn, fake),
            "g_loss_wasserstein(fake_scores)",
            hint="average over the batch with .mean()",
        )
        c.expect_finite(got, "the loss on 16 fake scores", NO_LOG)
        want = losses.g_loss_wasserstein(fake)
        mistakes = [
            (-want, "wrong sign: G wants *high* scores for its fakes, so it minimises -E[f(G(z))]"),
            (-torch.sigmoid(fake).mean(), NO_SIGMOID),
            (losses.g_loss_nonsaturating(fake), NO_LOG),
            (losses.g_loss_saturating(fake), NO_LOG),
            (len(fake) * want, "sum instead of mean: average over the batch"),
        ]
        c.expect_close(
            got, want, "the loss on 16 fake scores", hint="-fake_scores.mean()", mistakes=mistakes
        )
        (grad,) = _expect_differentiable(c, fn, fake)
        c.expect_close(
            grad,
            torch.full_like(fake, -1 / len(fake)),
            "the gradient with respect to each fake score",
            hint="every fake should get the same push, -1/N: no sigmoid or log to weaken it",
        )


# ------------------------------------------------------------------------------ 2. gradient penalty


def _linear_critic(weight) -> nn.Linear:
    """f(x) = w . x + b: its gradient is w everywhere, so the penalty is (|w| - 1)^2 exactly."""
    layer = nn.Linear(2, 1)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([weight]))
        layer.bias.fill_(0.3)
    return layer


def _scores(module: nn.Module):
    return lambda x: module(x).squeeze(1)  # (N, 2) -> (N,)


def _bowl(x: torch.Tensor) -> torch.Tensor:
    """f(x) = |x|^2 / 2: its gradient at x is x itself, so its norm is |x|."""
    return 0.5 * (x**2).sum(dim=1)


def check_gradient_penalty(fn) -> None:
    """`gradient_penalty(critic, real, fake)`: E[(|grad f(x_hat)| - 1)^2] with x_hat on the
    line from a real to a fake sample, a fresh uniform alpha for each pair."""
    with Check("gradient_penalty", reference=losses.gradient_penalty) as c:
        real, fake = torch.randn(64, 2), torch.randn(64, 2)
        steep = _linear_critic([3.0, 4.0])  # |grad| = 5 everywhere
        needs_grad = {
            "does not require grad": "call .requires_grad_(True) on the mixed points x_hat "
            "before the critic scores them: autograd.grad needs to know you want their gradient",
            "must match the size of tensor": "alpha needs one number per pair as a column, "
            "shape (N, 1), to broadcast over each sample's coordinates: torch.rand(len(real), 1)",
        }
        got = c.expect_scalar(
            _call_explaining(c, needs_grad, fn, _scores(steep), real, fake),
            "gradient_penalty(critic, real, fake)",
            hint="average the per-sample penalties with .mean()",
        )
        n = len(real)
        mistakes = [
            (25.0, "the penalty pulls the gradient's norm to 1, not to 0: (|grad| - 1)^2"),
            (
                (25.0 - 1) ** 2,
                "use the norm |grad|, not its square: (grad.norm(dim=1) - 1)^2",
            ),
            (4.0, "square the distance from 1: (|grad| - 1)^2, not | |grad| - 1 |"),
            (
                (5 * n**0.5 - 1) ** 2,
                "one norm per sample: grad.flatten(1).norm(dim=1), not the norm of the whole "
                "batch's gradient",
            ),
            (
                (5 / n - 1) ** 2,
                "differentiate critic(x_hat).sum(), not .mean(): with the mean each sample's "
                "gradient is divided by N",
            ),
        ]
        c.expect_close(
            got,
            16.0,
            "the penalty for a linear critic f(x) = w.x + b with |w| = 5",
            hint="(|grad f(x_hat)| - 1)^2, averaged over the batch",
            mistakes=mistakes,
        )
        gentle = _linear_critic([0.3, 0.4])  # |grad| = 0.5: below 1, penalised too
        got = c.expect_scalar(c.call(fn, _scores(gentle), real, fake), "the penalty")
        c.expect_close(
            got,
            0.25,
            "the penalty for a linear critic with |w| = 0.5",
            hint="penalise both sides: (|grad| - 1)^2 also pushes a gradient norm below 1 up",
            mistakes=[
                (0.0, "two-sided: (|grad| - 1)^2, not relu(|grad| - 1)^2; below 1 counts too")
            ],
        )
        penalty = c.call(fn, _scores(steep), real, fake)
        c.expect(
            isinstance(penalty, torch.Tensor) and penalty.requires_grad,
            "can the penalty train the critic? (its gradient with respect to w)",
            "a tensor connected to the critic's weights",
            "a tensor without a gradient"
            if isinstance(penalty, torch.Tensor)
            else type(penalty).__name__,
            hint="pass create_graph=True to torch.autograd.grad: the penalty is made of "
            "gradients, and the critic's step must differentiate through them",
        )
        penalty.backward()
        c.expect_close(
            steep.weight.grad,
            torch.tensor([[4.8, 6.4]]),  # d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w|
            "d penalty / d w for w = (3, 4)",
            hint="create_graph=True, and keep everything in torch so the graph stays whole",
        )
        _check_interpolation(c, fn)
        _check_images(c, fn)


def _check_images(c: Check, fn) -> None:
    """Images (8, 1, 8, 8) and f(x) = sum of 0.25 * pixels: the gradient of each image is 0.25
    on each of its 64 pixels, norm 2, so the penalty is (2 - 1)^2 = 1 exactly, wherever x_hat is.
    (8 images of 8 rows: the (N, 1) alpha of the task broadcasts here too.)"""
    real, fake = torch.randn(8, 1, 8, 8), torch.randn(8, 1, 8, 8)
    critic = lambda x: 0.25 * x.flatten(1).sum(dim=1) + 0.3  # noqa: E731  (N, 1, 8, 8) -> (N,)
    got = c.expect_scalar(c.call(fn, critic, real, fake), "the penalty on images")
    flatten = (
        "flatten each sample's gradient before its norm, grad.flatten(1).norm(dim=1): on images "
        "(N, C, H, W) grad.norm(dim=1) takes the norm over the channels only, and dim=-1 over "
        "each row"
    )
    c.expect_close(
        got,
        1.0,
        "the penalty on images (8, 1, 8, 8) for f(x) = 0.25 * (sum of the pixels): |grad| = 2",
        hint="one norm per image, over all its pixels: grad.flatten(1).norm(dim=1)",
        mistakes=[(0.75**2, flatten), ((0.25 * 8**0.5 - 1) ** 2, flatten)],
    )


def _check_interpolation(c: Check, fn) -> None:
    """Real points on the unit circle, each fake opposite its real point, and the bowl critic:
    |grad| = 1 at both ends of each line and |2 alpha - 1| between, so with a uniform alpha the
    penalty is E[(1 - |2 alpha - 1|)^2] = 1/3; on the data alone it would be 0."""
    angle = torch.rand(4096) * 2 * torch.pi
    real = torch.stack([angle.cos(), angle.sin()], dim=1)  # (4096, 2), |x| = 1
    fake = -real  # (4096, 2), |x| = 1, on the other side
    got = c.expect_scalar(c.call(fn, _bowl, real, fake), "the penalty")
    if got < 1e-6:
        hint = (
            "the penalty is 0 on the real and the fake points, but not between them: evaluate "
            "the gradient at x_hat = alpha * real + (1 - alpha) * fake"
        )
    else:
        hint = (
            "draw one alpha ~ U[0, 1] per pair, shape (N, 1), so that x_hat lies on the line "
            "from each real sample to its fake: torch.rand(len(real), 1)"
        )
    c.expect(
        abs(got - 1 / 3) < 0.02,
        "the penalty between opposite points of the unit circle, for f(x) = |x|^2 / 2",
        "1/3 +- 0.02 (E[(1 - |2 alpha - 1|)^2] for alpha uniform)",
        f"{got:.4f}",
        hint,
    )
    again = c.expect_scalar(c.call(fn, _bowl, real, fake), "the penalty")
    c.expect(
        again != got,
        "two calls in a row on the same points",
        "different alphas, so slightly different penalties",
        "the same penalty twice",
        hint="draw a fresh alpha at every call with torch.rand, and don't seed inside",
    )


# ------------------------------------------------------------------------------ 3. hinge loss


def hinge_mistakes(real, fake) -> list[tuple[torch.Tensor, str]]:
    """The hinge D loss as the common mistakes compute it, each with its hint."""
    want = losses.d_loss_hinge(real, fake)
    return [
        ((1 - real).mean() + (1 + fake).mean(), MISSING_RELU),
        *size_mistakes(want, F.relu(1 - real), F.relu(1 + fake)),
        (
            F.relu(1 - real.mean()) + F.relu(1 + fake.mean()),
            "apply max(0, .) to each score, then average: relu(1 - real_scores).mean()",
        ),
        (
            F.relu(1 + real).mean() + F.relu(1 - fake).mean(),
            "the margins are swapped: real scores should rise above +1 (relu(1 - real)), "
            "fake scores fall below -1 (relu(1 + fake))",
        ),
        (
            F.relu(1 - real).mean() + F.relu(1 - fake).mean(),
            "the fake term's sign: a fake costs while its score is above -1, relu(1 + fake)",
        ),
        (
            F.relu(1 + real).mean() + F.relu(1 + fake).mean(),
            "the real term's sign: a real sample costs while its score is below +1, relu(1 - real)",
        ),
    ]


def check_d_loss_hinge(fn) -> None:
    """`d_loss_hinge(real_scores, fake_scores)`: E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]."""
    with Check("d_loss_hinge", reference=losses.d_loss_hinge) as c:
        confident = (
            torch.tensor([3.0, 2.0, 1.5, 0.5]),  # a confident critic: most reals beyond +1...
            torch.tensor([-3.0, -2.0, -0.5, 0.5]),  # ...and most fakes below -1
        )
        for (real, fake), what in (
            (confident, "the loss when most scores are beyond the margins"),
            (fixed_logits(16, 10), "the loss on 16 real + 10 fake scores"),
        ):
            got = c.expect_scalar(
                c.call(fn, real.clone(), fake.clone()),
                "d_loss_hinge(real_scores, fake_scores)",
                hint="average each term over its batch with .mean()",
            )
            c.expect_close(
                got,
                losses.d_loss_hinge(real, fake),
                what,
                hint="relu(1 - real_scores).mean() + relu(1 + fake_scores).mean()",
                mistakes=hinge_mistakes(real, fake),
            )
        grad_real, grad_fake = _expect_differentiable(c, fn, real, fake)
        c.expect(
            bool((grad_real[real > 1] == 0).all() and (grad_fake[fake < -1] == 0).all()),
            "the gradient for scores already beyond the margin",
            "0: a real score above +1 or a fake below -1 is left alone",
            "not 0",
            hint="the max(0, .) is what stops D pushing: F.relu(1 - real), F.relu(1 + fake)",
        )


# ------------------------------------------------------------------------------ 4. weight clipping


def _critic_to_clip():
    """A small critic with weights and biases on both sides of +-0.01, and gradients in .grad."""
    critic = MLPDiscriminator(2, (8, 8))
    with torch.no_grad():
        for p in critic.parameters():
            p.copy_(torch.randn_like(p) * 0.02)
            p.grad = torch.randn_like(p)
    return critic


def check_clip_weights(fn, clip: float = 0.01) -> None:
    """`clip_weights(critic, clip)`: clamp every parameter of `critic` into [-clip, clip],
    in place (WGAN, Arjovsky et al. 2017: after each optimizer step of the critic)."""
    with Check("clip_weights", reference=train.clip_weights) as c:
        critic = _critic_to_clip()
        before = [p.detach().clone() for p in critic.parameters()]
        grads = [p.grad.clone() for p in critic.parameters()]
        params = list(critic.parameters())
        in_place = {
            "in-place operation": "clamp inside `with torch.no_grad():`: PyTorch refuses "
            "in-place changes to parameters that autograd is tracking"
        }
        _call_explaining(c, in_place, fn, critic, clip)
        after = list(critic.parameters())
        c.expect(
            len(after) == len(params) and all(a is b for a, b in zip(after, params, strict=True)),
            "are the critic's parameters the same objects as before?",
            "the same tensors, changed in place",
            "new tensors",
            hint="change the values in place (p.clamp_(...) under torch.no_grad()): the "
            "optimizer holds the old tensors and would keep updating those",
        )
        unchanged = all(torch.equal(b, p) for b, p in zip(before, after, strict=True))
        grads_kept = all(_same_grad(g, p) for g, p in zip(grads, after, strict=True))
        if unchanged and not grads_kept:
            hint = (
                "that clipped the gradients (clip_grad_value_); WGAN clips the weights "
                "themselves, after the optimizer's step"
            )
        elif unchanged:
            hint = (
                "nothing changed: p = p.clamp(...) only rebinds a name; "
                "use the in-place p.clamp_(-clip, clip) under torch.no_grad()"
            )
        else:
            hint = "clamp every parameter into [-clip, clip]"
        c.expect(
            not unchanged, "the critic's parameters after clipping", "clipped", "unchanged", hint
        )
        c.expect(
            grads_kept,
            "the gradients in .grad",
            "left alone",
            "changed",
            hint="clip the weights only: the gradients are the optimizer's business",
        )
        want = [b.clamp(-clip, clip) for b in before]
        weights_ok = all(
            torch.allclose(w, p.detach())
            for w, p, (name, _) in zip(want, after, critic.named_parameters(), strict=True)
            if name.endswith("weight")
        )
        if not weights_ok:
            hint = _clip_hint(before, after, clip)
        else:
            hint = "clip every parameter, the biases too, as the WGAN paper does"
        c.expect_close(
            torch.cat([p.detach().flatten() for p in after]),
            torch.cat([w.flatten() for w in want]),
            f"every parameter clamped into [-{clip}, {clip}]",
            hint=hint,
        )


def _same_grad(grad: torch.Tensor, p: torch.Tensor) -> bool:
    return p.grad is not None and torch.equal(grad, p.grad)


def _clip_hint(before, after, clip: float) -> str:
    """What went wrong with the weights' values: the wrong interval, or rescaling."""
    flat = torch.cat([p.detach().flatten() for p in after])
    if bool((flat >= 0).all()):
        return "negative weights must stay negative: clamp into [-clip, clip], not [0, clip]"
    ratios = [
        (p.detach() / b)[b.abs() > 1e-6] for b, p in zip(before, after, strict=True) if p.numel()
    ]
    if all(torch.allclose(r, r.mean().expand_as(r), rtol=1e-3) for r in ratios if r.numel()):
        return (
            "that rescales each tensor as a whole; clamp each entry on its own into "
            "[-clip, clip]: entries already inside stay as they are"
        )
    return "clamp each entry into [-clip, clip] with p.clamp_(-clip, clip)"


__all__ = [
    "check_clip_weights",
    "check_d_loss_hinge",
    "check_d_loss_wasserstein",
    "check_g_loss_wasserstein",
    "check_gradient_penalty",
]
