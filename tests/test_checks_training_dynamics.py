"""The checks of exercise 06: each passes the reference, says "not implemented yet" to the stub,
and rejects plausible wrong answers, each with the hint aimed at that mistake."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gan_course import games, losses, train
from gan_course.checks.training_dynamics import (
    check_d_loss_noisy_labels,
    check_ema_update,
    check_gda_step,
    check_instance_noise,
)

from .check_helpers import expect_not_implemented, expect_pass, expect_reject, learner_copy

# ------------------------------------------------------------------------------ 1 · GDA


def gda(y_sees_new_x: bool | None = None, y_sign=1.0, x_sign=-1.0, y_first=False):
    """gda_step with one mistake; `y_sees_new_x=None` does it right for each mode."""

    def step(x, y, lr, mode="simultaneous"):
        alternating = mode == "alternating" if y_sees_new_x is None else y_sees_new_x
        if y_first:
            new_y = y + lr * x
            return x - lr * new_y, new_y
        new_x = x + x_sign * lr * y
        return new_x, y + y_sign * lr * (new_x if alternating else x)

    return step


def test_check_gda_step(capsys):
    expect_pass(check_gda_step, games.gda_step, capsys=capsys)
    expect_pass(check_gda_step, gda(), capsys=capsys)
    expect_not_implemented(check_gda_step)
    expect_reject(
        check_gda_step, gda(y_sees_new_x=False), hint="y answers the x that has just moved"
    )
    expect_reject(check_gda_step, gda(y_sees_new_x=True), hint="must use the *old* x")
    expect_reject(check_gda_step, gda(y_sign=-1.0), hint="*ascends* f")
    expect_reject(check_gda_step, gda(x_sign=1.0, y_sign=-1.0), hint="x descends f")
    swapped = lambda x, y, lr, mode="simultaneous": (x - lr * x, y + lr * y)
    expect_reject(check_gda_step, swapped, hint="each player's gradient is the other's value")
    expect_reject(check_gda_step, lambda x, y, lr, mode: x - lr * y, hint="return new_x, new_y")
    mine = learner_copy(games.gda_step)
    backwards = lambda x, y, lr, mode: mine(x, y, lr, mode)[::-1]
    expect_reject(check_gda_step, backwards, hint="in that order")
    as_vector = lambda x, y, lr, mode: (torch.tensor([x, y]), torch.tensor([x, y]))
    expect_reject(check_gda_step, as_vector, hint="two plain numbers")
    only_simultaneous = lambda x, y, lr, mode: gda(y_first=mode == "alternating")(x, y, lr, mode)
    expect_reject(check_gda_step, only_simultaneous, hint="update x first")


# ------------------------------------------------------------------------------ 2 · noisy labels


def noisy_loss(
    flip_share=None, smooth_fakes=False, target=lambda s: 1 - s, flipped_to=None, flip_fakes=False
):
    """The D loss with noisy labels, with one mistake (or none)."""

    def d_loss_noisy_labels(real_logits, fake_logits, flip, smoothing):
        n = len(real_logits)
        targets = torch.full((n,), target(smoothing))
        flipped = torch.rand(n) < (flip if flip_share is None else flip_share(flip))
        value = 0.0 if flipped_to is None else flipped_to(targets)
        targets = torch.where(flipped, value, targets)
        fake_target = torch.full_like(fake_logits, smoothing if smooth_fakes else 0.0)
        if flip_fakes:  # the mistake: fakes labelled real with probability flip
            fake_target[torch.rand(len(fake_logits)) < flip] = 1.0
        return F.binary_cross_entropy_with_logits(
            real_logits, targets
        ) + F.binary_cross_entropy_with_logits(fake_logits, fake_target)

    return d_loss_noisy_labels


def noisy_loss_bernoulli(real_logits, fake_logits, flip, smoothing):
    """Right, written differently: flips drawn with torch.bernoulli, the BCE by hand."""
    kept = 1 - torch.bernoulli(torch.full_like(real_logits, flip))  # 0 where flipped
    targets = (1 - smoothing) * kept
    real_term = -(targets * F.logsigmoid(real_logits) + (1 - targets) * F.logsigmoid(-real_logits))
    return real_term.mean() - F.logsigmoid(-fake_logits).mean()


def noisy_loss_pooled(real_logits, fake_logits, flip, smoothing):
    """One BCE over both batches together: right only when they have the same size."""
    targets = torch.full_like(real_logits, 1 - smoothing).masked_fill(
        torch.rand(len(real_logits)) < flip, 0.0
    )
    logits = torch.cat([real_logits, fake_logits])
    return 2 * F.binary_cross_entropy_with_logits(
        logits, torch.cat([targets, torch.zeros_like(fake_logits)])
    )


def test_check_d_loss_noisy_labels(capsys):
    bce, targets = learner_copy(losses.d_loss_bce_targets), learner_copy(train.real_targets)
    reference = lambda r, f, flip, smoothing: bce(r, f, targets(len(r), flip, smoothing))
    expect_pass(check_d_loss_noisy_labels, reference, capsys=capsys)
    expect_pass(check_d_loss_noisy_labels, noisy_loss(), capsys=capsys)
    expect_not_implemented(check_d_loss_noisy_labels)
    check = check_d_loss_noisy_labels
    expect_reject(check, noisy_loss(smooth_fakes=True), hint="smooth only the real labels")
    expect_reject(check, noisy_loss(flip_share=lambda p: 1 - p), hint="every label was flipped")
    expect_reject(check, noisy_loss(target=lambda s: 1 + s), hint="not 1 + smoothing")
    expect_reject(check, noisy_loss(target=lambda s: s), hint="not smoothing")
    expect_reject(check, noisy_loss(flip_share=lambda p: 0.0), hint="no label was flipped")
    expect_reject(check, noisy_loss(flipped_to=lambda t: 1 - t), hint="becomes 0 (fake)")
    swapped = lambda r, f, flip, smoothing: noisy_loss()(f, r, flip, smoothing)
    expect_reject(check, swapped, hint="labels swapped")
    detached = lambda r, f, flip, s: noisy_loss()(r, f, flip, s).detach()
    expect_reject(check, detached, hint="autograd")

    def seeded(r, f, flip, smoothing):
        torch.manual_seed(0)
        return noisy_loss()(r, f, flip, smoothing)

    expect_reject(check, seeded, hint="don't seed inside")
    expect_pass(check, noisy_loss_bernoulli, capsys=capsys)
    expect_reject(check, noisy_loss(flip_fakes=True), hint="flipped the fake labels too")
    expect_reject(check, noisy_loss_pooled, hint="weighs each batch by its size")


# ------------------------------------------------------------------------------ 3 · instance noise


def instance_noise(schedule=lambda s, p: s * (1 - p), fake=True, real=True, same=False, std=1):
    def add_instance_noise(real_batch, fake_batch, sigma, progress):
        s = schedule(sigma, progress) ** std  # std=2: the variance used as a std
        noise = torch.randn_like(real_batch)
        noisy_real = real_batch + s * noise if real else real_batch
        noisy_fake = fake_batch + s * (noise if same else torch.randn_like(fake_batch))
        return noisy_real, noisy_fake if fake else fake_batch

    return add_instance_noise


def in_place(real, fake, sigma, progress):
    s = sigma * (1 - progress)
    real += s * torch.randn_like(real)
    fake += s * torch.randn_like(fake)
    return real, fake


def test_check_instance_noise(capsys):
    expect_pass(check_instance_noise, instance_noise(), capsys=capsys)
    expect_not_implemented(check_instance_noise)
    check = check_instance_noise
    expect_reject(check, instance_noise(fake=False), hint="no noise on the fake batch")
    expect_reject(check, instance_noise(real=False), hint="no noise on the real batch")
    expect_reject(check, instance_noise(schedule=lambda s, p: s), hint="anneal")
    expect_reject(check, instance_noise(schedule=lambda s, p: s * p), hint="no noise at all")
    expect_reject(check, instance_noise(same=True), hint="separate noise")
    expect_reject(check, instance_noise(std=2), hint="standard deviation")
    expect_reject(check, in_place, hint="+= would change")
    expect_reject(
        check, lambda r, f, s, p: r + s * torch.randn_like(r), hint="noisy_real, noisy_fake"
    )


def test_the_checks_reference_is_the_packages_d_step():
    real, fake = torch.zeros(5000, 2), torch.ones(5000, 2)
    seen_real, seen_fake = check_instance_noise.__globals__["package_instance_noise"](
        real, fake, 0.4, 0.25
    )
    assert (seen_real - real).std().item() == pytest.approx(0.3, abs=0.02)
    assert (seen_fake - fake).std().item() == pytest.approx(0.3, abs=0.02)


# ------------------------------------------------------------------------------ 4 · EMA


def ema_update(weight_old=lambda d: d, buffers="copy", in_place=True):
    @torch.no_grad()
    def update(averaged, live, decay):
        for avg, now in zip(averaged.parameters(), live.parameters(), strict=True):
            mixed = weight_old(decay) * avg + (1 - weight_old(decay)) * now
            if in_place:
                avg.copy_(mixed)
        for avg, now in zip(averaged.buffers(), live.buffers(), strict=True):
            if buffers == "copy":
                avg.copy_(now)
            elif buffers == "average":
                avg.copy_(decay * avg + (1 - decay) * now)

    return update


def moves_live(averaged, live, decay):
    ema_update()(averaged, live, decay)
    with torch.no_grad():
        for p in live.parameters():
            p.mul_(decay)


def test_check_ema_update(capsys):
    expect_pass(check_ema_update, ema_update(), capsys=capsys)
    expect_not_implemented(check_ema_update)
    expect_reject(check_ema_update, ema_update(weight_old=lambda d: 1 - d), hint="swapped")
    expect_reject(check_ema_update, ema_update(buffers="average"), hint="this task copies")
    expect_reject(check_ema_update, ema_update(buffers="skip"), hint="copy the buffers too")
    expect_reject(check_ema_update, ema_update(in_place=False), hint="in place")
    expect_reject(check_ema_update, ema_update(weight_old=lambda d: 0.0), hint="copies the live")
    expect_reject(check_ema_update, moves_live, hint="only the average moves")


@torch.no_grad()
def classmates_ema_update(averaged, live, decay):
    """The exercise's buggy version, to debug: it rebinds a name, swaps the weights and forgets
    the buffers."""
    for avg, now in zip(averaged.parameters(), live.parameters(), strict=True):
        avg = decay * now + (1 - decay) * avg  # noqa: F841


def test_check_ema_update_names_each_bug_of_the_exercises_version_in_turn():
    expect_reject(check_ema_update, classmates_ema_update, hint="averaged did not change")
    in_place = ema_update(weight_old=lambda d: 1 - d, buffers="skip")  # the first bug fixed
    expect_reject(check_ema_update, in_place, hint="swapped")
    expect_reject(check_ema_update, ema_update(buffers="skip"), hint="copy the buffers too")
