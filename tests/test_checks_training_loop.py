"""Exercise 05's checks: the reference passes, the stub is "not implemented yet", and each
plausible wrong answer is rejected with the hint aimed at it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gan_course import checks, losses, train
from gan_course.checks import CourseAnswer

from .check_helpers import expect_not_implemented, expect_pass, expect_reject, learner_copy, stub


def make_d_step(
    detach=True,
    zero_grad=True,
    swap=False,
    total=False,
    step=True,
    zero_grad_late=False,
    freeze_g=None,
    g_eval=None,
    loss=None,
    keep=lambda loss: loss,
):
    """The D step with one mistake switched on. `freeze_g`/`g_eval`: "for good" (the mistake) or
    "for the step" (right: put back before returning)."""

    def d_step(generator, discriminator, d_optimizer, real, noise, loss_fn=losses.d_loss_bce):
        if zero_grad:
            d_optimizer.zero_grad()
        if freeze_g:
            generator.requires_grad_(False)
        if g_eval:
            generator.eval()
        fake = generator(noise)
        if detach:
            fake = fake.detach()
        real_logits, fake_logits = discriminator(real), discriminator(fake)
        if swap:
            real_logits, fake_logits = fake_logits, real_logits
        value = keep((loss or loss_fn)(real_logits, fake_logits) * (len(real) if total else 1))
        value.backward()
        if zero_grad_late:
            d_optimizer.zero_grad()
        if step:
            d_optimizer.step()
        if freeze_g == "for the step":
            generator.requires_grad_(True)
        if g_eval == "for the step":
            generator.train()
        return train.d_diagnostics(value, real_logits, fake_logits)

    return d_step


def d_step_no_grad(generator, discriminator, d_optimizer, real, noise, loss_fn=losses.d_loss_bce):
    """Right, written differently: the fakes made under torch.no_grad() instead of detached."""
    with torch.no_grad():
        fake = generator(noise)
    d_optimizer.zero_grad()
    loss = loss_fn(discriminator(real), discriminator(fake))
    loss.backward()
    d_optimizer.step()
    return {"d_loss": loss.item()}


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
    check = checks.check_d_step
    expect_pass(check, d_step_no_grad, capsys=capsys)
    expect_pass(check, make_d_step(detach=False, freeze_g="for the step"), capsys=capsys)
    expect_pass(check, make_d_step(g_eval="for the step"), capsys=capsys)
    expect_reject(check, make_d_step(zero_grad_late=True), hint="between backward() and step()")
    late_only = make_d_step(zero_grad=False, zero_grad_late=True)
    expect_reject(check, late_only, hint="between backward() and step()")
    frozen = make_d_step(detach=False, freeze_g="for good")
    expect_reject(check, frozen, hint="never set it back")
    expect_reject(check, make_d_step(g_eval="for good"), hint="left in eval mode")
    expect_reject(check, make_d_step(keep=lambda loss: loss.item()), hint="Python number")
    expect_reject(check, make_d_step(keep=lambda loss: loss.detach()), hint="cut off")
    fixed_loss = make_d_step(loss=lambda r, f: learner_copy(losses.d_loss_bce)(r, f))
    expect_reject(check, fixed_loss, hint="use the loss_fn argument")
    # right only for batches of equal sizes (the check's are 64 real and 48 fake)
    one_size = make_d_step(loss=lambda r, f: (F.softplus(-r).sum() + F.softplus(f).sum()) / len(r))
    expect_reject(check, one_size, hint="one batch's size")
    pooled = make_d_step(loss=lambda r, f: F.softplus(torch.cat([-r, f])).mean())
    expect_reject(check, pooled, hint="weighs each batch by its size")


def make_g_step(
    detach=False,
    zero_grad=True,
    loss=None,
    moves_d=False,
    step=True,
    zero_grad_late=False,
    freeze_d=None,
    d_eval=None,
):
    """The G step with one mistake switched on. `freeze_d`/`d_eval`: "for good" (the mistake) or
    "for the step" (right: put back before returning)."""

    def g_step(generator, discriminator, g_optimizer, noise, loss_fn=losses.g_loss_nonsaturating):
        if zero_grad:
            g_optimizer.zero_grad()
        if freeze_d:
            discriminator.requires_grad_(False)
        if d_eval:
            discriminator.eval()
        fake = generator(noise)
        if detach:
            fake = fake.detach()
        value = (loss or loss_fn)(discriminator(fake))
        if value.requires_grad:
            value.backward()
        if zero_grad_late:
            g_optimizer.zero_grad()
        if step:
            g_optimizer.step()
        if freeze_d == "for the step":
            discriminator.requires_grad_(True)
        if d_eval == "for the step":
            discriminator.train()
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
    check = checks.check_g_step
    expect_pass(check, make_g_step(freeze_d="for the step"), capsys=capsys)
    expect_pass(check, make_g_step(d_eval="for the step"), capsys=capsys)
    expect_reject(check, make_g_step(zero_grad_late=True), hint="between backward() and step()")
    expect_reject(check, make_g_step(freeze_d="for good"), hint="D is still frozen")

    def g_step_data(generator, discriminator, g_optimizer, noise, loss_fn=F.logsigmoid):
        g_optimizer.zero_grad()
        loss = -loss_fn(discriminator(generator(noise).data)).mean()  # .data: cut off from G
        loss.backward()
        g_optimizer.step()
        return {"g_loss": loss.item()}

    expect_reject(check, g_step_data, hint="no .detach() or .data")
    expect_reject(check, make_g_step(loss=lambda f: F.softplus(-f)), hint="with .mean() first")
    expect_reject(check, make_g_step(d_eval="for good"), hint="left in eval mode")
    fixed_loss = make_g_step(loss=lambda f: F.softplus(-f).mean())  # ignores loss_fn
    expect_reject(check, fixed_loss, hint="use the loss_fn argument")


def make_train_loop(
    d=True,
    g=True,
    shared_optimizer=False,
    optimizer=lambda params: torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999)),
    optimizers_inside=False,
    sample_once=False,
    same_noise=False,
    g_first=False,
    noise=torch.randn,
    seed_inside=False,
):
    """The training loop with one mistake switched on."""

    def train_loop(generator, discriminator, distribution, steps, d_step, g_step, batch_size=256):
        def optimizers():
            g_opt, d_opt = optimizer(generator.parameters()), optimizer(discriminator.parameters())
            if shared_optimizer:
                g_opt = d_opt = optimizer([*generator.parameters(), *discriminator.parameters()])
            return g_opt, d_opt

        g_opt, d_opt = optimizers()
        draw = lambda: noise(batch_size, generator.latent_dim)
        real, z = distribution.sample(batch_size), draw()  # used by the sample_once mistake
        for _ in range(steps):
            if seed_inside:
                torch.manual_seed(0)
            if optimizers_inside:
                g_opt, d_opt = optimizers()
            if not sample_once:
                real, z = distribution.sample(batch_size), draw()
            if g and g_first:
                g_step(generator, discriminator, g_opt, draw())
            if d:
                d_step(generator, discriminator, d_opt, real, z)
            if g and not g_first:
                g_step(generator, discriminator, g_opt, z if same_noise else draw())

    return train_loop


def test_check_train_loop_says_what_is_wrong_before_training(capsys):
    """Wrong loops are told what is wrong after a few recorded steps, before any long run."""
    check = checks.check_train_loop
    expect_not_implemented(check, stub)
    expect_reject(check, make_train_loop(g=False), hint="call g_step")
    expect_reject(check, make_train_loop(d=False), hint="call d_step")
    expect_reject(check, make_train_loop(g_first=True), hint="one d_step, then one g_step")
    expect_reject(check, make_train_loop(shared_optimizer=True), hint="its own optimizer")
    expect_reject(check, make_train_loop(optimizers_inside=True), hint="once, before the loop")
    default_adam = make_train_loop(optimizer=lambda params: torch.optim.Adam(params))
    expect_reject(check, default_adam, hint="the optimizer settings")
    sgd = make_train_loop(optimizer=lambda params: torch.optim.SGD(params, lr=2e-4))
    expect_reject(check, sgd, hint="the optimizer settings")
    expect_reject(check, make_train_loop(sample_once=True), hint="inside the loop, fresh")
    expect_reject(check, make_train_loop(seed_inside=True), hint="don't seed inside the loop")
    expect_reject(check, make_train_loop(same_noise=True), hint="fresh noise for the G step")
    expect_reject(check, make_train_loop(noise=torch.rand), hint="torch.randn")


@pytest.mark.slow
def test_check_train_loop(capsys):
    expect_pass(checks.check_train_loop, make_train_loop(), capsys=capsys)

    def the_courses(generator, discriminator, distribution, steps, d_step, g_step):
        config = train.TrainConfig(steps=steps, batch_size=256)
        given = dict(d_step=d_step, g_step=g_step)
        train.train_gan(generator, discriminator, distribution, config, **given)

    with pytest.raises(CourseAnswer, match="the course's own `train_gan`"):
        checks.check_train_loop(the_courses)  # refused before it trains: no time spent


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
