"""The checks of exercise 09: each passes the package's reference, says "not implemented yet" to
the stub, and rejects plausible wrong answers, each with the hint aimed at that mistake."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gan_course import losses
from gan_course.checks.wasserstein import (
    check_clip_weights,
    check_d_loss_hinge,
    check_d_loss_wasserstein,
    check_g_loss_wasserstein,
    check_gradient_penalty,
    check_largest_singular_value,
)

from .check_helpers import expect_not_implemented, expect_pass, expect_reject, stub

# ------------------------------------------------------------------------------ 1. WGAN losses


def test_check_d_loss_wasserstein(capsys):
    check = check_d_loss_wasserstein
    expect_pass(check, losses.d_loss_wasserstein, capsys=capsys)
    expect_pass(check, lambda r, f: -(r.mean() - f.mean()), capsys=capsys)
    expect_not_implemented(check, stub)
    expect_reject(check, lambda r, f: r.mean() - f.mean(), hint="wrong sign")
    expect_reject(check, lambda r, f: f.sigmoid().mean() - r.sigmoid().mean(), hint="no sigmoid")
    expect_reject(check, lambda r, f: r.sigmoid().mean() - f.sigmoid().mean(), hint="no sigmoid")
    expect_reject(check, losses.d_loss_bce, hint="no log")
    expect_reject(check, lambda r, f: f.log().mean() - r.log().mean(), hint="no log")
    expect_reject(
        check, lambda r, f: F.logsigmoid(f).mean() - F.logsigmoid(r).mean(), hint="no log"
    )
    expect_reject(check, lambda r, f: f.sum() - r.sum(), hint="sum instead of mean")
    expect_reject(check, lambda r, f: torch.cat([f, -r]).mean(), hint="one mean over both")
    expect_reject(check, lambda r, f: torch.stack([f.mean(), -r.mean()]), hint=".mean()")
    expect_reject(
        check, lambda r, f: torch.tensor(f.mean().item() - r.mean().item()), hint="autograd"
    )
    one_size = lambda r, f: (f.sum() - r.sum()) / len(r)
    expect_reject(check, one_size, hint="one batch's size")
    expect_reject(check, lambda r, f: (f.mean() - r.mean()) / 2, hint="halves the loss")
    expect_reject(check, lambda r, f: (f.mean() - r.mean()).item(), hint="Python number")


def test_check_g_loss_wasserstein(capsys):
    check = check_g_loss_wasserstein
    expect_pass(check, losses.g_loss_wasserstein, capsys=capsys)
    expect_not_implemented(check, stub)
    expect_reject(check, lambda f: f.mean(), hint="wrong sign")
    expect_reject(check, lambda f: -f.sigmoid().mean(), hint="no sigmoid")
    expect_reject(check, losses.g_loss_nonsaturating, hint="no log")
    expect_reject(check, losses.g_loss_saturating, hint="no log")
    expect_reject(check, lambda f: -f.log().mean(), hint="no log")
    expect_reject(check, lambda f: -f.sum(), hint="sum instead of mean")
    expect_reject(check, lambda f: torch.tensor(-f.mean().item()), hint="autograd")


# ------------------------------------------------------------------------------ 2. gradient penalty


def make_gradient_penalty(
    power=1,
    target=1.0,
    squared=True,
    one_sided=False,
    per_sample=True,
    reduce="sum",
    create_graph=True,
    track=True,
    where="interpolate",
    alpha_shape="any",
    norm_dims="flatten",
    seed=False,
):
    """The reference gradient penalty, with one mistake switched on."""

    def gradient_penalty(critic, real, fake):
        n = len(real)
        if seed:
            torch.manual_seed(0)
        shape = {
            "pair": (n, 1),  # right for points (N, 2) only
            "images": (n, 1, 1, 1),  # right for images only
            "element": real.shape,
            "batch": (1, 1),
            "vector": (n,),
            "any": (n, *[1] * (real.dim() - 1)),  # right: (N, 1) for points, (N, 1, 1, 1) images
        }[alpha_shape]
        alpha = torch.rand(shape)
        mixed = {
            "interpolate": alpha * real + (1 - alpha) * fake.detach(),
            "real": real.clone(),
            "fake": fake.detach().clone(),
        }[where].requires_grad_(track)
        scores = critic(mixed)
        scores = scores.sum() if reduce == "sum" else scores.mean()
        (grad,) = torch.autograd.grad(scores, mixed, create_graph=create_graph)
        norm = {
            "flatten": lambda: grad.flatten(1).norm(dim=1),
            "view": lambda: grad.view(len(grad), -1).norm(2, dim=1),  # right, written differently
            "dim 1": lambda: grad.norm(dim=1),  # right for points (N, 2) only
            "last": lambda: grad.norm(dim=-1),  # right for points (N, 2) only
        }[norm_dims]()
        norm = norm if per_sample else grad.norm()
        gap = norm**power - target
        if one_sided:
            gap = F.relu(gap)
        return (gap**2 if squared else gap.abs()).mean()

    return gradient_penalty


def gradient_penalty_grad_outputs(critic, real, fake):
    """Right, written differently, as WGAN-GP code often is: grad_outputs instead of a sum,
    alpha shaped for any sample, the mixed points from torch.lerp."""
    alpha = torch.rand(len(real), *[1] * (real.dim() - 1))
    mixed = torch.lerp(fake.detach(), real, alpha).requires_grad_(True)
    scores = critic(mixed)
    (grad,) = torch.autograd.grad(
        scores, mixed, grad_outputs=torch.ones_like(scores), create_graph=True, retain_graph=True
    )
    return grad.view(len(grad), -1).norm(2, dim=1).sub(1).pow(2).mean()


def test_check_gradient_penalty(capsys):
    check = check_gradient_penalty
    expect_pass(check, losses.gradient_penalty, capsys=capsys)
    expect_pass(check, make_gradient_penalty(), capsys=capsys)
    expect_not_implemented(check, stub)
    expect_reject(check, make_gradient_penalty(target=0.0), hint="pulls the gradient's norm to 1")
    expect_reject(check, make_gradient_penalty(power=2), hint="not its square")
    expect_reject(check, make_gradient_penalty(squared=False), hint="square the distance")
    expect_reject(check, make_gradient_penalty(per_sample=False), hint="one norm per sample")
    expect_reject(check, make_gradient_penalty(reduce="mean"), hint="not .mean()")
    expect_reject(check, make_gradient_penalty(one_sided=True), hint="two-sided")
    expect_reject(check, make_gradient_penalty(create_graph=False), hint="create_graph=True")
    expect_reject(check, make_gradient_penalty(track=False), hint=".requires_grad_(True)")
    expect_reject(check, make_gradient_penalty(where="real"), hint="but not between them")
    expect_reject(check, make_gradient_penalty(where="fake"), hint="but not between them")
    expect_reject(
        check, make_gradient_penalty(alpha_shape="element"), hint="one alpha ~ U[0, 1] per"
    )
    expect_reject(check, make_gradient_penalty(alpha_shape="batch"), hint="one alpha ~ U[0, 1] per")
    expect_pass(check, make_gradient_penalty(norm_dims="view"), capsys=capsys)
    expect_pass(check, gradient_penalty_grad_outputs, capsys=capsys)
    # right on 2-D points only: the check tries images (6, 1, 8, 8) too
    expect_reject(check, make_gradient_penalty(norm_dims="dim 1"), hint="flatten each sample's")
    expect_reject(check, make_gradient_penalty(norm_dims="last"), hint="flatten each sample's")
    expect_reject(check, make_gradient_penalty(alpha_shape="pair"), hint="(N, 1, 1, 1) for images")
    expect_reject(check, make_gradient_penalty(alpha_shape="vector"), hint="(N, 1) for points")
    # right on images only: (N, 1, 1, 1) times points (N, 2) broadcasts to (N, 1, N, 2)
    expect_reject(check, make_gradient_penalty(alpha_shape="images"), hint="(N, 1) for points")
    expect_reject(check, make_gradient_penalty(seed=True), hint="don't seed inside")


def test_the_images_of_the_check_catch_an_alpha_that_only_fits_points():
    """An (N, 1) alpha meets images (N, C, H, W) at their rows: with N = H it silently mixes each
    row of pixels with its own alpha, shared by all the images; the check's 6 images of 8 rows
    make it fail instead, with the hint about alpha's shape."""
    images = torch.ones(8, 1, 8, 8)
    rows = torch.rand(8, 1) * images  # no error: alpha varies along the rows
    assert not torch.equal(rows[:, 0, 0], rows[:, 0, 1]) and torch.equal(rows[0], rows[1])
    err = expect_reject(
        check_gradient_penalty, make_gradient_penalty(alpha_shape="pair"), hint="(N, 1, 1, 1)"
    )
    assert "must match the size of tensor" in err.what


# ------------------------------------------------------------------------------ 3. hinge loss


def test_check_d_loss_hinge(capsys):
    check = check_d_loss_hinge
    expect_pass(check, losses.d_loss_hinge, capsys=capsys)
    expect_pass(
        check, lambda r, f: (1 - r).clamp_min(0).mean() + (1 + f).clamp_min(0).mean(), capsys=capsys
    )
    expect_not_implemented(check, stub)
    expect_reject(check, lambda r, f: (1 - r).mean() + (1 + f).mean(), hint="max(0, .) is missing")
    expect_reject(check, lambda r, f: F.relu(1 + r).mean() + F.relu(1 - f).mean(), hint="swapped")
    expect_reject(check, lambda r, f: F.relu(1 - r).mean() + F.relu(1 - f).mean(), hint="fake term")
    expect_reject(check, lambda r, f: F.relu(1 + r).mean() + F.relu(1 + f).mean(), hint="real term")
    expect_reject(
        check, lambda r, f: F.relu(1 - r.mean()) + F.relu(1 + f.mean()), hint="to each score"
    )
    expect_reject(check, lambda r, f: F.relu(1 - r).sum() + F.relu(1 + f).sum(), hint="sum instead")
    expect_reject(check, lambda r, f: F.relu(torch.cat([1 - r, 1 + f])).mean(), hint="one mean")
    one_size = lambda r, f: (F.relu(1 - r).sum() + F.relu(1 + f).sum()) / len(r)
    expect_reject(check, one_size, hint="one batch's size")


# ------------------------------------------------------------------------------ 4. weight clipping


def clip_reference(critic, clip):
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(-clip, clip)


def clip_data(critic, clip):
    for p in critic.parameters():
        p.data = p.data.clamp(-clip, clip)


def clip_gradients(critic, clip):
    torch.nn.utils.clip_grad_value_(critic.parameters(), clip)


def clip_rebinding(critic, clip):
    for p in critic.parameters():
        p = p.clamp(-clip, clip)  # the mistake: rebinds the loop variable only


def clip_weights_only(critic, clip):
    with torch.no_grad():
        for name, p in critic.named_parameters():
            if name.endswith("weight"):
                p.clamp_(-clip, clip)


def clip_positive(critic, clip):
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(0, clip)


def clip_rescale(critic, clip):
    with torch.no_grad():
        for p in critic.parameters():
            p.mul_(clip / p.abs().max().clamp_min(clip))


def clip_new_parameters(critic, clip):
    for module in critic.modules():
        if isinstance(module, torch.nn.Linear):
            module.weight = torch.nn.Parameter(module.weight.detach().clamp(-clip, clip))
            module.bias = torch.nn.Parameter(module.bias.detach().clamp(-clip, clip))


def clip_tracked(critic, clip):
    for p in critic.parameters():
        p.clamp_(-clip, clip)


def clip_and_zero_grads(critic, clip):
    clip_reference(critic, clip)
    critic.zero_grad()


def test_check_clip_weights(capsys):
    check = check_clip_weights
    expect_pass(check, clip_reference, capsys=capsys)
    expect_pass(check, clip_data, capsys=capsys)
    expect_not_implemented(check, stub)
    expect_reject(check, clip_gradients, hint="clipped the gradients")
    expect_reject(check, clip_rebinding, hint="only rebinds a name")
    expect_reject(check, clip_weights_only, hint="the biases too")
    expect_reject(check, clip_positive, hint="not [0, clip]")
    expect_reject(check, clip_rescale, hint="rescales each tensor")
    expect_reject(check, clip_new_parameters, hint="the optimizer holds the old tensors")
    expect_reject(check, clip_tracked, hint="torch.no_grad()")
    expect_reject(check, clip_and_zero_grads, hint="the gradients are the optimizer's business")


# ------------------------------------------------------------------------------ 5. spectral norm


def power_iteration(weight, iterations):
    W = weight.reshape(weight.shape[0], -1)  # (out, in * kh * kw)
    u = torch.randn(W.shape[0])
    for _ in range(iterations):
        v = F.normalize(W.T @ u, dim=0)
        u = F.normalize(W @ v, dim=0)
    return u @ W @ v


def make_power_iteration(
    matrix=lambda w: w.flatten(1),
    normalise=True,
    once=False,
    result="uWv",
    start="u",
):
    """Power iteration with one mistake switched on."""

    def largest_singular_value(weight, iterations):
        W = matrix(weight)
        u, v = torch.randn(W.shape[0]), torch.randn(W.shape[1])
        for _ in range(1 if once else iterations):
            if start == "u":
                v = W.T @ u
                v = F.normalize(v, dim=0) if normalise else v
                u = W @ v
                u = F.normalize(u, dim=0) if normalise else u
            else:  # from v, and v normalised, u left as W @ v
                u = W @ F.normalize(v, dim=0)
                v = F.normalize(W.T @ u, dim=0)
        if result == "uWv":
            return u @ W @ v
        if result == "norm":  # right, written differently: |W v| for a unit v
            return (W @ v).norm() / v.norm()
        return u @ W @ v  # with start "v" and u not normalised: sigma squared

    return largest_singular_value


def test_check_largest_singular_value(capsys):
    check = check_largest_singular_value
    expect_pass(check, power_iteration, capsys=capsys)
    expect_pass(check, make_power_iteration(), capsys=capsys)
    expect_pass(check, make_power_iteration(result="norm"), capsys=capsys)
    expect_not_implemented(check, stub)
    expect_reject(check, make_power_iteration(normalise=False), hint="normalise u and v")
    expect_reject(check, make_power_iteration(once=True), hint="run all `iterations` rounds")
    expect_reject(check, lambda w, n: w.norm(), hint="Frobenius norm")
    svd = lambda w, n: torch.linalg.matrix_norm(w.flatten(1), ord=2)
    expect_reject(check, svd, hint="that is not power iteration")
    expect_reject(check, make_power_iteration(start="v"), hint="sigma squared")
    for wrong in (
        lambda w: w.reshape(w.shape[1], -1),  # (in, out * kh * kw)
        lambda w: w.reshape(-1, w.shape[0]),  # a reshape is not a transpose
        lambda w: w.reshape(-1, w.shape[2] * w.shape[3]),  # (out * in, kh * kw)
        lambda w: w.transpose(0, 1).flatten(1),  # (in, out * kh * kw)
    ):
        as_matrix = lambda w, wrong=wrong: w if w.dim() == 2 else wrong(w)  # convs only wrong
        expect_reject(
            check, make_power_iteration(matrix=as_matrix), hint="one row per output channel"
        )
    reshaped = make_power_iteration(matrix=lambda w: w.reshape(-1, w.shape[0]))  # also Linear
    expect_reject(check, reshaped, hint="a Linear weight (out, in) is already the matrix")
    expect_reject(check, make_power_iteration(matrix=lambda w: w), hint="is not a matrix yet")


def power_iteration_in_place(weight, iterations):
    sigma = power_iteration(weight, iterations)
    weight /= sigma  # the mistake: the layer's weight is normalised in place
    return sigma


def test_check_largest_singular_value_leaves_the_weight_alone():
    expect_reject(check_largest_singular_value, power_iteration_in_place, hint="without writing")


def power_iteration_wrong_start(weight, iterations):
    W = weight.reshape(weight.shape[0], -1)
    u = torch.randn(W.shape[1])  # the mistake: one entry per column
    for _ in range(iterations):
        v = F.normalize(W.T @ u, dim=0)
        u = F.normalize(W @ v, dim=0)
    return u @ W @ v


def test_check_largest_singular_value_names_the_vectors_sizes():
    check = check_largest_singular_value
    expect_reject(check, power_iteration_wrong_start, hint="u has one entry per row of W")
