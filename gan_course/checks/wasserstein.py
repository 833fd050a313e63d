"""Checks for exercise 09: the Wasserstein losses, the gradient penalty, the hinge loss, clipping,
and the largest singular value behind spectral normalisation.

A critic returns *scores*, unbounded real numbers with no sigmoid behind them, so every check
feeds scores on both sides of 0 and beyond the hinge's margins at +-1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .. import losses, train
from ..models import MLPDiscriminator
from . import questions
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


class _Scores:
    """A critic for points, (N, 2) -> scores (N,), that notes the shape of what it is given."""

    def __init__(self, module: nn.Module) -> None:
        self.module, self.shapes = module, []

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.shapes.append(tuple(x.shape))
        return self.module(x).squeeze(-1)  # (N, 2) -> (N,)


ALPHA_SHAPE = (
    "alpha needs one number per pair, shaped to broadcast over each sample whatever its shape: "
    "(N, 1) for points (N, 2), (N, 1, 1, 1) for images (N, C, H, W), that is "
    "torch.rand(len(real), *[1] * (real.dim() - 1))"
)


def _bowl(x: torch.Tensor) -> torch.Tensor:
    """f(x) = |x|^2 / 2: its gradient at x is x itself, so its norm is |x|."""
    return 0.5 * (x**2).sum(dim=1)


EXPLAINED = {  # what the learner's errors in the penalty usually mean
    "does not require grad": "call .requires_grad_(True) on the mixed points x_hat before the "
    "critic scores them: autograd.grad needs to know you want their gradient",
    "must match the size of tensor": ALPHA_SHAPE,
}


def check_gradient_penalty(fn) -> None:
    """`gradient_penalty(critic, real, fake)`: E[(|grad f(x_hat)| - 1)^2] with x_hat on the
    line from a real to a fake sample, a fresh uniform alpha for each pair."""
    with Check("gradient_penalty", reference=losses.gradient_penalty) as c:
        real, fake = torch.randn(64, 2), torch.randn(64, 2)
        steep = _linear_critic([3.0, 4.0])  # |grad| = 5 everywhere
        critic = _Scores(steep)
        got = c.expect_scalar(
            _call_explaining(c, EXPLAINED, fn, critic, real, fake),
            "gradient_penalty(critic, real, fake)",
            hint="average the per-sample penalties with .mean()",
        )
        c.expect(
            critic.shapes[-1:] == [tuple(real.shape)],
            "the shape of the points x_hat that the critic scores",
            f"{tuple(real.shape)}, the shape of real",
            critic.shapes[-1] if critic.shapes else "the critic was never called",
            hint=ALPHA_SHAPE if critic.shapes else "score the mixed points: critic(x_hat)",
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
        got = c.expect_scalar(c.call(fn, _Scores(gentle), real, fake), "the penalty")
        c.expect_close(
            got,
            0.25,
            "the penalty for a linear critic with |w| = 0.5",
            hint="penalise both sides: (|grad| - 1)^2 also pushes a gradient norm below 1 up",
            mistakes=[
                (0.0, "two-sided: (|grad| - 1)^2, not relu(|grad| - 1)^2; below 1 counts too")
            ],
        )
        penalty = c.call(fn, _Scores(steep), real, fake)
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
    """Images (6, 1, 8, 8) and f(x) = sum of 0.25 * pixels: the gradient of each image is 0.25
    on each of its 64 pixels, norm 2, so the penalty is (2 - 1)^2 = 1 exactly, wherever x_hat is.
    6 images of 8 rows: an alpha of shape (N, 1), which only broadcasts over points, meets the
    rows here and fails, instead of silently mixing each row of pixels with its own alpha."""
    real, fake = torch.randn(6, 1, 8, 8), torch.randn(6, 1, 8, 8)
    critic = lambda x: 0.25 * x.flatten(1).sum(dim=1) + 0.3  # noqa: E731  (N, 1, 8, 8) -> (N,)
    got = c.expect_scalar(
        _call_explaining(c, EXPLAINED, fn, critic, real, fake), "the penalty on images"
    )
    flatten = (
        "flatten each sample's gradient before its norm, grad.flatten(1).norm(dim=1): on images "
        "(N, C, H, W) grad.norm(dim=1) takes the norm over the channels only, and dim=-1 over "
        "each row"
    )
    c.expect_close(
        got,
        1.0,
        "the penalty on images (6, 1, 8, 8) for f(x) = 0.25 * (sum of the pixels): |grad| = 2",
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


# ------------------------------------------------------------------------------ 5. spectral norm


def _with_singular_values(rows: int, cols: int, values) -> torch.Tensor:
    """A random (rows, cols) matrix whose singular values are `values` (largest first)."""
    u, _ = torch.linalg.qr(torch.randn(rows, rows))
    v, _ = torch.linalg.qr(torch.randn(cols, cols))
    k = min(rows, cols)
    middle = torch.zeros(rows, cols)
    middle[range(k), range(k)] = torch.as_tensor(values, dtype=torch.float32)
    return u @ middle @ v.T


def _sigma(matrix: torch.Tensor) -> float:
    return torch.linalg.matrix_norm(matrix, ord=2).item()


NORMALISE = (
    "normalise u and v at every iteration (F.normalize(..., dim=0)): without it they grow by "
    "about sigma at each product and overflow, or shrink to 0"
)
SHAPES = {
    "shapes cannot be multiplied": "u has one entry per row of W, W.shape[0], and v one per "
    "column, W.shape[1]: start from u = torch.randn(W.shape[0]) and alternate W.T @ u, W @ v",
    "size mismatch": "u has one entry per row of W, W.shape[0], and v one per column, W.shape[1]",
}


def check_largest_singular_value(fn) -> None:
    """`largest_singular_value(weight, iterations)`: sigma(W) by power iteration, W the weight as
    a matrix with one row per output unit: a Linear weight (out, in) as it is, a Conv2d weight
    (out, in, kh, kw) reshaped to (out, in * kh * kw), as spectral_norm does."""
    with Check("largest_singular_value") as c:
        # a top singular value of 3, well apart from the next (2.4): 100 iterations converge
        linear = _with_singular_values(40, 48, [3.0, 2.4, *torch.linspace(2.3, 0.3, 38)])
        kept = linear.clone()
        got = c.expect_scalar(
            _call_explaining(c, SHAPES, fn, linear, 100),
            "largest_singular_value(weight, 100)",
            hint="return sigma as one number: u @ W @ v (a 0-d tensor) or a float",
        )
        c.expect(
            torch.equal(linear, kept),
            "the weight after your function",
            "unchanged",
            "changed",
            hint="estimate sigma without writing into the weight: no in-place operations on it",
        )
        c.expect_finite(got, "sigma of a (40, 48) weight after 100 iterations", NORMALISE)
        c.expect_close(
            got,
            3.0,
            "sigma of a (40, 48) Linear weight after 100 iterations",
            hint="power iteration creeps up on sigma from below, and 100 rounds reach it here: "
            "run all `iterations` rounds of v = normalize(W.T @ u), u = normalize(W @ v)"
            if got < 3.0
            else "alternate v = normalize(W.T @ u), u = normalize(W @ v); sigma = u @ W @ v",
            mistakes=[
                (linear.norm(), "that's the Frobenius norm, the root of the sum of *all* the "
                 "squared singular values: an upper bound on sigma, too loose by far"),
                (9.0, "that's sigma squared: with unit u and v, u @ W @ v (or the norm of "
                 "W @ v) is sigma itself"),
                (_sigma(linear.reshape(48, 40)), "a Linear weight (out, in) is already the "
                 "matrix, one row per output unit; a reshape to (in, out) is not its transpose, "
                 "it scrambles the entries"),
            ],
            atol=1e-3,
        )  # fmt: skip
        once = c.expect_scalar(c.call(fn, linear, 1), "largest_singular_value(weight, 1)")
        c.expect(
            abs(once - 3.0) > 1e-3,
            "sigma after a single iteration from a random start",
            "a rough estimate, below sigma",
            f"{once:.5f}, already exact",
            hint="that is not power iteration: with iterations=1 it should be rough. Use the "
            "iterations (a full SVD, torch.linalg.svdvals or matrix_norm, is what spectral "
            "normalisation avoids at every step)",
        )
        c.expect(
            once <= 3.0 + 1e-4,
            "sigma after a single iteration from a random start",
            "at most sigma: u @ W @ v never exceeds it for unit u and v",
            f"{once:.4f}",
            hint="normalise u and v to length 1 before u @ W @ v",
        )
        _check_conv_weight(c, fn)


def _check_conv_weight(c: Check, fn) -> None:
    """A Conv2d weight (8, 4, 3, 3) whose matrix (8, 36) has sigma 2; other reshapes differ."""
    matrix = _with_singular_values(8, 36, [2.0, 1.2, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3])
    weight = matrix.reshape(8, 4, 3, 3)
    other = (
        "one row per output channel: weight.reshape(weight.shape[0], -1), shape (out, in * kh "
        "* kw), the matrix spectral_norm normalises; other reshapes are other matrices, with "
        "other singular values"
    )
    reshapes = [
        weight.reshape(4, -1),
        weight.reshape(-1, 8),
        weight.reshape(-1, 9),
        weight.transpose(0, 1).reshape(4, -1),
    ]  # (in, ...), a reshape is no transpose, ...
    reshape = (
        "a conv weight (out, in, kh, kw) is not a matrix yet: reshape it to one first, one row "
        "per output channel, weight.reshape(weight.shape[0], -1)"
    )
    errors = {key: reshape for key in ("must match the size", "cannot be multiplied", "dimension")}
    got = c.expect_scalar(
        _call_explaining(c, errors, fn, weight, 100),
        "largest_singular_value(conv weight (8, 4, 3, 3), 100)",
        hint="reshape a conv weight to a matrix first, one row per output channel: "
        "weight.reshape(weight.shape[0], -1)",
    )
    c.expect_close(
        got,
        2.0,
        "sigma of a Conv2d weight (8, 4, 3, 3), as a matrix (8, 36)",
        hint=other,
        mistakes=[(_sigma(m), other) for m in reshapes] + [(weight.norm(), "that's the "
                  "Frobenius norm of the weight: the largest singular value is far smaller")],
        atol=1e-3,
    )  # fmt: skip
    got = c.expect_scalar(c.call(fn, 0.1 * weight, 100), "the same weight times 0.1")
    c.expect_close(
        got,
        0.2,
        "sigma of that conv weight times 0.1 (after 100 iterations)",
        hint=NORMALISE,
        atol=1e-4,
    )


__all__ = [
    "check_clip_weights",
    "check_d_loss_hinge",
    "check_d_loss_wasserstein",
    "check_g_loss_wasserstein",
    "check_gradient_penalty",
    "check_largest_singular_value",
]


# ------------------------------------------------------------------------------ concept questions

questions.choice(
    "09.alpha_rows",
    "abcd",
    right="aff3399b539e28bf",
    meaning="Broadcasting lines shapes up from the right: (8, 1) meets the rows and columns of "
    "each image, so the 8 alphas go to the 8 rows, the same in every image. No error warns you; "
    "with 6 images of 8 rows there would be one. An alpha of shape (N, 1, 1, 1) is one per image.",
    why={
        "a1c486cab094e0c7": "broadcasting lines shapes up from the right: (8, 1) meets the rows "
        "and columns (8, 8), 1 stretches over the columns and 8 matches the 8 rows, so nothing "
        "complains. Only when the batch size differs from the number of rows is there an error",
        "352a119937f30676": "one alpha per image needs the shape (8, 1, 1, 1): broadcasting lines "
        "shapes up from the right, so (8, 1) lands on the rows and columns of every image, not on "
        "the batch",
        "2896de7a3280a4cf": "one alpha per pixel would need as many numbers as pixels, a shape "
        "(8, 1, 8, 8); (8, 1) holds 8 numbers, which broadcasting stretches along the columns: "
        "one per row",
    },
)
questions.number(
    "09.sn_bound",
    1.0,
    0.01,
    meaning="Each normalised layer stretches distances by at most 1, LeakyReLU by at most 1 (its "
    "slope is 1 or 0.2), and the constant of a composition is at most the product of its parts': "
    "1 x 1 x 1 x 1 x 1 = 1.",
    traps=[
        (
            0.04,
            0.005,
            "LeakyReLU(0.2) has slope 0.2 for negative inputs but 1 for positive ones: "
            "its Lipschitz constant is the larger, 1, so it adds nothing to the product",
        ),
        (
            0.2,
            0.01,
            "LeakyReLU's slope is 1 for positive inputs: its Lipschitz constant is 1, not 0.2",
        ),
        (
            3.0,
            0.01,
            "the constants of layers applied one after the other multiply, they do not "
            "add: 1 x 1 x 1 = 1",
        ),
    ],  # fmt: skip
    off="multiply the Lipschitz constants of the five pieces: each normalised layer's is its "
    "sigma, 1, and LeakyReLU's its largest slope",
)
questions.number(
    "09.clip_sigma",
    1.28,
    0.005,
    meaning="With every entry at +0.01 the matrix is 0.01 times a matrix of ones, of rank one, "
    "and its singular value is 0.01 x 128 = 1.28: the most that clipping allows a 128 x 128 "
    "layer. Pushing against the walls, the clipped critic's middle layer turns into such a "
    "rank-one matrix.",
    traps=[
        (
            0.01,
            0.001,
            "0.01 bounds one entry; a matrix adds up 128 entries in each output, so "
            "with all entries at +0.01 a vector of ones is stretched 128 times as much: 1.28",
        ),
        (
            0.1131,
            0.002,
            "0.01 x sqrt(128) is the singular value of a matrix of +-0.01 whose rows "
            "are orthogonal, where the signs cancel; the largest comes when they all agree: "
            "0.01 x 128",
        ),
        (
            163.84,
            0.1,
            "that's 0.01 x 128 x 128, the sum of all the entries; the matrix of "
            "0.01s stretches a unit vector of ones by 0.01 x 128 = 1.28",
        ),
    ],  # fmt: skip
    off="try the matrix with every entry at +0.01: it maps the unit vector (1, ..., 1)/sqrt(128) "
    "to 0.01 x 128 times a unit vector",
)
