"""Exercise 05's checks: the reference passes, the stub is "not implemented yet", and each
plausible wrong answer is rejected with the hint aimed at it."""

from __future__ import annotations

import itertools

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
    ignore_k=False,
    k_g_steps=False,
    one_batch_per_iteration=False,
    default_k=1,
    size=None,
    latent=None,
):
    """The training loop with one mistake switched on."""

    def train_loop(
        generator, discriminator, distribution, steps, d_step, g_step, batch_size=256, k=default_k
    ):
        def optimizers():
            g_opt, d_opt = optimizer(generator.parameters()), optimizer(discriminator.parameters())
            if shared_optimizer:
                g_opt = d_opt = optimizer([*generator.parameters(), *discriminator.parameters()])
            return g_opt, d_opt

        n, latent_dim = size or batch_size, latent or generator.latent_dim  # sizes by hand
        g_opt, d_opt = optimizers()
        draw = lambda: noise(n, latent_dim)  # noqa: E731
        real, z = distribution.sample(n), draw()  # used by the sample_once mistake
        for _ in range(steps):
            if seed_inside:
                torch.manual_seed(0)
            if optimizers_inside:
                g_opt, d_opt = optimizers()
            if g and g_first:
                g_step(generator, discriminator, g_opt, draw())
            if one_batch_per_iteration and not sample_once:
                real, z = distribution.sample(n), draw()
            for _ in range(1 if ignore_k or k_g_steps else k):
                if not (sample_once or one_batch_per_iteration):
                    real, z = distribution.sample(n), draw()
                if d:
                    d_step(generator, discriminator, d_opt, real, z)
            for _ in range(k if k_g_steps else 1):
                if g and not g_first:
                    g_step(generator, discriminator, g_opt, z if same_noise else draw())

    return train_loop


def train_loop_without_k(generator, discriminator, distribution, steps, d_step, g_step):
    """Last version's loop: no k, no batch_size."""
    make_train_loop()(generator, discriminator, distribution, steps, d_step, g_step)


def train_loop_counts_d_steps(
    generator, discriminator, distribution, steps, d_step, g_step, batch_size=256, k=1
):
    """`steps` read as D steps in all, a G step after every k-th."""
    adam = lambda params: torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999))  # noqa: E731
    g_opt, d_opt = adam(generator.parameters()), adam(discriminator.parameters())
    for i in range(steps):
        real, z = distribution.sample(batch_size), torch.randn(batch_size, generator.latent_dim)
        d_step(generator, discriminator, d_opt, real, z)
        if (i + 1) % k == 0:
            g_step(generator, discriminator, g_opt, torch.randn(batch_size, generator.latent_dim))


def test_check_train_loop_says_what_is_wrong_before_training(capsys):
    """Wrong loops are told what is wrong after a few recorded steps, before any long run."""
    check = checks.check_train_loop
    expect_not_implemented(check, stub)
    expect_reject(check, make_train_loop(g=False), hint="call g_step")
    expect_reject(check, make_train_loop(d=False), hint="call d_step")
    expect_reject(check, make_train_loop(g_first=True), hint="D goes first")
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
    # k D steps per G step: the decision this task asks for
    expect_reject(check, train_loop_without_k, hint="add the argument k=1")
    expect_reject(check, make_train_loop(ignore_k=True), hint="repeat d_step k times")
    expect_reject(check, make_train_loop(k_g_steps=True), hint="k counts D steps")
    expect_reject(check, make_train_loop(default_k=5), hint="k=1 by default")
    expect_reject(check, train_loop_counts_d_steps, hint="`steps` counts iterations")
    one_batch = make_train_loop(one_batch_per_iteration=True)
    expect_reject(check, one_batch, hint="each of the k D steps needs its own")
    # sizes written in by hand (the check asks for a batch of 96 and a latent space of 3)
    expect_reject(check, make_train_loop(size=256), hint="use the argument")
    expect_reject(check, make_train_loop(latent=2), hint="the generator's own latent_dim")


@pytest.mark.slow
def test_check_train_loop(capsys):
    expect_pass(checks.check_train_loop, make_train_loop(), capsys=capsys)

    def the_courses(generator, discriminator, distribution, steps, d_step, g_step, k=1):
        config = train.TrainConfig(steps=steps, batch_size=256, d_steps=k)
        given = dict(d_step=d_step, g_step=g_step)
        train.train_gan(generator, discriminator, distribution, config, **given)

    with pytest.raises(CourseAnswer, match="the course's own `train_gan`"):
        checks.check_train_loop(the_courses)  # refused before it trains: no time spent


LOOP_WITH_BROKEN_STEPS = """
def d_step(*args, **kwargs):
    raise NotImplementedError()

def g_step(generator, discriminator, g_optimizer, noise, loss_fn=None):
    raise RuntimeError("a g_step that is still wrong")

def train_loop(generator, discriminator, distribution, steps, d_step, g_step, batch_size=256, k=1):
    adam = lambda params: torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999))
    g_opt, d_opt = adam(generator.parameters()), adam(discriminator.parameters())
    latent_dim = generator.latent_dim
    for _ in range(steps):
        for _ in range(k):
            real = distribution.sample(batch_size)
            d_step(generator, discriminator, d_opt, real, torch.randn(batch_size, latent_dim))
        g_step(generator, discriminator, g_opt, torch.randn(batch_size, latent_dim))
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


# ------------------------------------------------------------------------------ three bugs

BUGS = ("same noise", "leak", "stale")


def make_gan_loop(
    bugs=(),
    zero_grad_top=False,
    fakes="detach",
    module_zero_grad=False,
    g_zero_grad="start",
    d_zero_grad=True,
    real_once=False,
    seed_inside=False,
    own_optimizers=False,
):
    """Exercise 05's three-bug loop with the bugs in `bugs` left in, fixed one way or another.
    `fakes`: how the D step keeps its fakes from G ("detach", "no_grad", "data", "reuse": one
    G(z) per iteration, detached for D and scored again for G, as pytorch/examples does;
    "detach both": detached for the G step too); `g_zero_grad`: "start" of the G step, "late"
    (between backward and step) or "end" (after step)."""

    def gan_loop(generator, discriminator, g_optimizer, d_optimizer, ring, steps, batch_size=256):
        if own_optimizers:
            g_optimizer = torch.optim.SGD(generator.parameters(), lr=0.1)
            d_optimizer = torch.optim.SGD(discriminator.parameters(), lr=0.1)
        noise = torch.randn(batch_size, generator.latent_dim)  # (B, latent_dim)
        real = ring.sample(batch_size)
        for _ in range(steps):
            if seed_inside:
                torch.manual_seed(0)
            if zero_grad_top:
                g_optimizer.zero_grad()
                d_optimizer.zero_grad()
            if not real_once:
                real = ring.sample(batch_size)
            if "same noise" not in bugs:
                noise = torch.randn(batch_size, generator.latent_dim)
            # (1) the D step
            if d_zero_grad:
                d_optimizer.zero_grad()
            if "leak" in bugs:
                fake = generator(noise)
            elif fakes == "no_grad":
                with torch.no_grad():
                    fake = generator(noise)
            elif fakes == "data":
                fake = generator(noise).data
            elif fakes == "reuse":
                made = generator(noise)
                fake = made.detach()
            else:
                fake = generator(noise).detach()
            d_loss = losses.d_loss_bce(discriminator(real), discriminator(fake))
            d_loss.backward()
            d_optimizer.step()
            # (2) the G step
            if module_zero_grad:
                generator.zero_grad()
            elif "stale" not in bugs and g_zero_grad == "start":
                g_optimizer.zero_grad()
            if fakes == "reuse":
                g_fake = made
            elif fakes == "detach both":
                g_fake = fake
            else:
                g_fake = generator(torch.randn(batch_size, generator.latent_dim))
            g_loss = losses.g_loss_nonsaturating(discriminator(g_fake))
            if g_loss.requires_grad:
                g_loss.backward()
            if "stale" not in bugs and g_zero_grad == "late":
                g_optimizer.zero_grad()
            g_optimizer.step()
            if "stale" not in bugs and g_zero_grad == "end":
                g_optimizer.zero_grad()

    return gan_loop


HINTS = {
    "same noise": "draw the D step's noise inside the loop",
    "leak": "D's loss must not flow into G",
    "stale": "clear G's gradients at the start of every G step",
}


@pytest.mark.parametrize(
    "left", [(bug,) for bug in BUGS] + [pair for pair in itertools.combinations(BUGS, 2)]
)
def test_check_three_bugs_names_each_bug_left_in(left):
    """One bug left in, or two: each is named with its own hint, and only those left in."""
    err = expect_reject(checks.check_three_bugs, make_gan_loop(bugs=left), hint=HINTS[left[0]])
    for bug in BUGS:
        assert (HINTS[bug] in err.hint) == (bug in left), (bug, err.hint)
    assert f"{len(left)} of 3" in err.what


def test_check_three_bugs(capsys):
    check = checks.check_three_bugs
    expect_not_implemented(check, stub)
    err = expect_reject(check, make_gan_loop(bugs=BUGS), hint=HINTS["same noise"])
    assert all(HINTS[bug] in err.hint for bug in BUGS) and "3 of 3" in err.what
    # fixed, in the ways a learner may fix them
    expect_pass(check, make_gan_loop(), capsys=capsys)
    for right in (
        dict(fakes="no_grad"),
        dict(fakes="data"),
        dict(fakes="reuse"),  # pytorch/examples: one G(z), detached for D, scored again for G
        dict(zero_grad_top=True),
        dict(module_zero_grad=True),
    ):
        expect_pass(check, make_gan_loop(**right), capsys=capsys)
    # fixes that break something else, or fix nothing
    expect_reject(check, make_gan_loop(g_zero_grad="late"), hint="G's optimizer stepped with no")
    expect_reject(check, make_gan_loop(g_zero_grad="end"), hint=HINTS["stale"])
    expect_reject(check, make_gan_loop(fakes="detach both"), hint="made with G's graph")
    expect_reject(check, make_gan_loop(d_zero_grad=False), hint="keep d_optimizer.zero_grad()")
    expect_reject(check, make_gan_loop(seed_inside=True), hint=HINTS["same noise"])
    expect_reject(check, make_gan_loop(real_once=True), hint="draw the real batch inside")
    expect_reject(check, make_gan_loop(own_optimizers=True), hint="the optimizer the loop is given")
    # a loop that only hands the work to the course's own steps is refused
    with pytest.raises(CourseAnswer, match="the course's own"):
        check(
            lambda generator, discriminator, g_opt, d_opt, ring, steps, batch_size=256: [
                (
                    train.d_step(generator, discriminator, d_opt, ring.sample(batch_size), z),
                    train.g_step(generator, discriminator, g_opt, z),
                )
                for z in (torch.randn(batch_size, 3) for _ in range(steps))
            ]
        )
