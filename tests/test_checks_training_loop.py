"""Exercise 05's checks: the reference passes, the stub is "not implemented yet", and each
plausible wrong answer is rejected with the hint aimed at it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gan_course import checks, losses, train
from gan_course.checks import CourseAnswer

from .check_helpers import expect_not_implemented, expect_pass, expect_reject, learner_copy, stub


def make_d_step(detach=True, zero_grad=True, swap=False, total=False, step=True):
    def d_step(generator, discriminator, d_optimizer, real, noise, loss_fn=losses.d_loss_bce):
        if zero_grad:
            d_optimizer.zero_grad()
        fake = generator(noise)
        if detach:
            fake = fake.detach()
        real_logits, fake_logits = discriminator(real), discriminator(fake)
        if swap:
            real_logits, fake_logits = fake_logits, real_logits
        loss = loss_fn(real_logits, fake_logits) * (len(real) if total else 1)
        loss.backward()
        if step:
            d_optimizer.step()
        return train.d_diagnostics(loss, real_logits, fake_logits)

    return d_step


def test_check_d_step(capsys):
    expect_pass(checks.check_d_step, train.d_step, capsys=capsys)
    mine = learner_copy(train.d_step)
    expect_pass(checks.check_d_step, lambda *a: mine(*a)["d_loss"], capsys=capsys)
    expect_not_implemented(checks.check_d_step, stub)
    expect_reject(checks.check_d_step, make_d_step(detach=False), hint=".detach()")
    expect_reject(checks.check_d_step, make_d_step(zero_grad=False), hint="zero_grad()")
    expect_reject(checks.check_d_step, make_d_step(swap=True), hint="labels swapped")
    expect_reject(checks.check_d_step, make_d_step(total=True), hint="sum instead of mean")
    expect_reject(checks.check_d_step, make_d_step(step=False), hint="d_optimizer.step()")


def make_g_step(detach=False, zero_grad=True, loss=None, moves_d=False, step=True):
    def g_step(generator, discriminator, g_optimizer, noise, loss_fn=losses.g_loss_nonsaturating):
        if zero_grad:
            g_optimizer.zero_grad()
        fake = generator(noise)
        if detach:
            fake = fake.detach()
        value = (loss or loss_fn)(discriminator(fake))
        if value.requires_grad:
            value.backward()
        if step:
            g_optimizer.step()
        if moves_d:
            with torch.no_grad():
                for p in discriminator.parameters():
                    p -= 0.1 * p.grad
        return {"g_loss": value.item()}

    return g_step


def test_check_g_step(capsys):
    expect_pass(checks.check_g_step, train.g_step, capsys=capsys)
    expect_not_implemented(checks.check_g_step, stub)
    expect_reject(
        checks.check_g_step, make_g_step(loss=losses.g_loss_saturating), hint="saturating"
    )
    expect_reject(
        checks.check_g_step,
        make_g_step(loss=lambda f: F.softplus(-f).sum()),
        hint="sum instead of mean",
    )
    expect_reject(checks.check_g_step, make_g_step(detach=True), hint="don't detach")
    expect_reject(checks.check_g_step, make_g_step(zero_grad=False), hint="zero_grad()")
    expect_reject(checks.check_g_step, make_g_step(moves_d=True), hint="updates G only")
    expect_reject(checks.check_g_step, make_g_step(step=False), hint="g_optimizer.step()")


def make_train_loop(d=True, g=True, shared_optimizer=False):
    def train_loop(generator, discriminator, distribution, steps, d_step, g_step, batch_size=256):
        adam = lambda params: torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999))
        g_opt, d_opt = adam(generator.parameters()), adam(discriminator.parameters())
        if shared_optimizer:
            g_opt = d_opt = adam([*generator.parameters(), *discriminator.parameters()])
        for _ in range(steps):
            noise = lambda: torch.randn(batch_size, generator.latent_dim)
            if d:
                d_step(generator, discriminator, d_opt, distribution.sample(batch_size), noise())
            if g:
                g_step(generator, discriminator, g_opt, noise())

    return train_loop


@pytest.mark.slow
def test_check_train_loop(capsys):
    expect_pass(checks.check_train_loop, make_train_loop(), capsys=capsys)

    def the_courses(generator, discriminator, distribution, steps, d_step, g_step):
        config = train.TrainConfig(steps=steps, batch_size=256)
        given = dict(d_step=d_step, g_step=g_step)
        train.train_gan(generator, discriminator, distribution, config, **given)

    with pytest.raises(CourseAnswer, match="the course's own `train_gan`"):
        checks.check_train_loop(the_courses)  # refused before it trains: no time spent
    expect_not_implemented(checks.check_train_loop, stub)
    expect_reject(checks.check_train_loop, make_train_loop(g=False), hint="call g_step")
    expect_reject(checks.check_train_loop, make_train_loop(d=False), hint="call d_step")
    expect_reject(
        checks.check_train_loop, make_train_loop(shared_optimizer=True), hint="its own optimizer"
    )


LOOP_WITH_BROKEN_STEPS = """
def d_step(*args, **kwargs):
    raise NotImplementedError()

def g_step(generator, discriminator, g_optimizer, noise, loss_fn=None):
    raise RuntimeError("a g_step that is still wrong")

def train_loop(generator, discriminator, distribution, steps, d_step, g_step, batch_size=256):
    adam = lambda params: torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999))
    g_opt, d_opt = adam(generator.parameters()), adam(discriminator.parameters())
    for _ in range(steps):
        real = distribution.sample(batch_size)
        d_step(generator, discriminator, d_opt, real, torch.randn(batch_size, 2))
        g_step(generator, discriminator, g_opt, torch.randn(batch_size, 2))
"""


@pytest.mark.slow
def test_check_train_loop_judges_the_loop_with_the_steps_it_is_given(capsys):
    """A right loop passes whatever the learner's own steps are like: the check hands it the
    course's, and the learner's names are never touched."""
    namespace = {"torch": torch}
    exec(LOOP_WITH_BROKEN_STEPS, namespace)
    mine = namespace["d_step"], namespace["g_step"]
    expect_pass(checks.check_train_loop, namespace["train_loop"], capsys=capsys)
    assert (namespace["d_step"], namespace["g_step"]) == mine


@pytest.mark.slow
def test_check_train_loop_reports_a_loop_that_calls_other_steps_than_it_is_given():
    """A loop that calls the learner's unfinished global `d_step` instead of its argument."""
    namespace = {"torch": torch}
    source = LOOP_WITH_BROKEN_STEPS.replace(
        "        d_step(generator,", "        globals()['d_step'](generator,"
    )
    exec(source, namespace)
    expect_not_implemented(checks.check_train_loop, namespace["train_loop"])
