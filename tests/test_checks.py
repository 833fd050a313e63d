"""Every auto-check: passes the reference, says "not implemented yet" to the stub, and rejects
plausible wrong answers, each with the hint aimed at that mistake."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_course import checks, data, losses, metrics, train
from gan_course.checks import CheckFailed, LearnerError
from gan_course.models import MLPDiscriminator, MLPGenerator

from .check_helpers import StubModule, expect_not_implemented, expect_pass, expect_reject, stub

# --------------------------------------------------------------------------------- the framework


def test_check_does_not_disturb_the_learners_rng(capsys):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    checks.check_d_loss(losses.d_loss_bce)
    assert torch.equal(torch.rand(3), expected)


def test_in_a_kernel_a_pass_is_a_green_box_and_a_check_before_its_answer_says_so():
    """In a real kernel (as JupyterLab runs it): the ✔ line comes as a green box with the same
    plain text; a check cell whose answer cell never ran says so; any other NameError keeps
    Python's own traceback."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    cells = [
        "from gan_course.checks import check_d_loss\nfrom gan_course import losses",
        "check_d_loss(d_loss)",  # the answer cell was never run
        "print(undefined_thing)",  # not a check: Python's own error
        "d_loss = losses.d_loss_bce",
        "check_d_loss(d_loss)",
    ]
    nb = new_notebook(cells=[new_code_cell(source) for source in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    outputs = [cell.outputs for cell in nb.cells]
    early = outputs[1][0]
    assert early.output_type == "error" and early.ename == "NameError"
    assert early.traceback[0].startswith("✘ `d_loss` is not defined yet")
    assert "run the cell that defines `d_loss`" in early.traceback[0]
    other = outputs[2][0]
    assert other.ename == "NameError" and "is not defined yet" not in "".join(other.traceback)
    passed = outputs[4][0]
    assert passed.output_type == "display_data"
    assert passed.data["text/plain"] == "✔ d_loss: all 3 checks passed"
    assert 'class="gan-course-pass"' in passed.data["text/html"]
    assert "✔ d_loss: all 3 checks passed" in passed.data["text/html"]


def test_name_error_hint_only_for_a_check_call_naming_the_missing_name():
    assert checks.core.name_error_hint("check_d_step(d_step)", "d_step").startswith("✘ `d_step`")
    assert checks.core.name_error_hint("  check_g_step(g_step, opt)", "opt") is not None
    assert checks.core.name_error_hint("x = d_step(1)", "d_step") is None  # not a check cell
    assert checks.core.name_error_hint("check_d_step(d_step)", "d_ste") is None  # whole words
    assert checks.core.name_error_hint("", "d_step") is None


def test_learner_exception_is_reported_with_the_learners_line():
    def crashes(real_logits, fake_logits):
        return real_logits.no_such_method()

    with pytest.raises(LearnerError) as info:
        checks.check_d_loss(crashes)
    message = str(info.value)
    assert "AttributeError" in message and "no_such_method" in message
    assert "line" in info.value.hint and "no_such_method" in info.value.hint
    assert isinstance(info.value.__cause__, AttributeError)  # chained, not swallowed


def test_failure_renders_without_a_traceback_in_jupyter():
    err = CheckFailed("task", "what", expected=1, got=2, hint="do this")
    (rendered,) = err._render_traceback_()
    assert rendered.splitlines() == [
        "✘ task: what",
        "    expected: 1",
        "    got:      2",
        "    hint: do this",
    ]


def test_non_callable_answer_is_rejected():
    with pytest.raises(CheckFailed, match="callable"):
        checks.check_d_loss(3.0)


# --------------------------------------------------------------------------------- 02 generator


def noise_uniform(n, latent_dim):
    return torch.rand(n, latent_dim)


def noise_transposed(n, latent_dim):
    return torch.randn(latent_dim, n)


def noise_seeded_inside(n, latent_dim):
    torch.manual_seed(0)
    return torch.randn(n, latent_dim)


def noise_scaled_uniform(n, latent_dim):
    return (torch.rand(n, latent_dim) - 0.5) * 12**0.5  # mean 0, std 1, but flat


def test_check_latent_noise(capsys):
    expect_pass(checks.check_latent_noise, data.latent_noise, capsys=capsys)
    expect_not_implemented(checks.check_latent_noise, stub)
    expect_reject(checks.check_latent_noise, noise_uniform, hint="torch.rand is uniform")
    expect_reject(checks.check_latent_noise, noise_transposed, hint="one row per sample")
    expect_reject(checks.check_latent_noise, noise_seeded_inside, hint="manual_seed")
    expect_reject(checks.check_latent_noise, noise_scaled_uniform, hint="bell-shaped")


def mlp(sizes, act, last=None):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 and act is not None:
            layers.append(act())
    if last is not None:
        layers.append(last())
    return nn.Sequential(*layers)


def make_generator_2d(act=nn.ReLU, last=None, out=2):
    class Generator2D(nn.Module):
        def __init__(self, latent_dim=2, hidden=128):
            super().__init__()
            self.net = mlp([latent_dim, hidden, hidden, out], act, last)

        def forward(self, z):
            return self.net(z)

    return Generator2D


class Generator2DNoParams(nn.Module):
    def __init__(self, latent_dim=2, hidden=128):
        super().__init__()
        self.layers = [nn.Linear(latent_dim, hidden), nn.Linear(hidden, 2)]  # a list: invisible

    def forward(self, z):
        return self.layers[1](torch.relu(self.layers[0](z)))


class Generator2DDetached(nn.Module):
    def __init__(self, latent_dim=2, hidden=128):
        super().__init__()
        self.first, self.last = nn.Linear(latent_dim, hidden), nn.Linear(hidden, 2)

    def forward(self, z):
        return self.last(torch.relu(self.first(z)).detach())


def test_check_generator_2d(capsys):
    reference = lambda latent_dim, hidden: MLPGenerator(latent_dim, 2, (hidden, hidden))
    expect_pass(checks.check_generator_2d, reference, capsys=capsys)
    expect_pass(checks.check_generator_2d, make_generator_2d(), capsys=capsys)
    expect_not_implemented(checks.check_generator_2d, StubModule)
    expect_reject(checks.check_generator_2d, make_generator_2d(out=3), hint="hidden -> 2")
    expect_reject(checks.check_generator_2d, make_generator_2d(act=None), hint="nn.ReLU()")
    expect_reject(checks.check_generator_2d, make_generator_2d(last=nn.Tanh), hint="no Tanh")
    expect_reject(checks.check_generator_2d, Generator2DNoParams, hint="registers them")
    expect_reject(checks.check_generator_2d, Generator2DDetached, hint="no .detach()")


def make_digit_generator(last=nn.Tanh, reshape=True, out=64):
    class DigitGenerator(nn.Module):
        def __init__(self, latent_dim=16, hidden=128):
            super().__init__()
            self.net = mlp([latent_dim, hidden, out], nn.ReLU, last)

        def forward(self, z):
            x = self.net(z)
            return x.view(-1, 1, 8, 8) if reshape else x

    return DigitGenerator


def test_check_digit_generator(capsys):
    reference = lambda latent_dim, hidden: MLPGenerator(
        latent_dim, hidden=(hidden,), image_shape=(1, 8, 8)
    )
    expect_pass(checks.check_digit_generator, reference, capsys=capsys)
    expect_not_implemented(checks.check_digit_generator, StubModule)
    expect_reject(checks.check_digit_generator, make_digit_generator(reshape=False), hint=".view(")
    expect_reject(
        checks.check_digit_generator, make_digit_generator(last=nn.Sigmoid), hint="Sigmoid"
    )
    expect_reject(checks.check_digit_generator, make_digit_generator(last=None), hint="end with")
    expect_reject(
        checks.check_digit_generator, make_digit_generator(reshape=False, out=32), hint="64 outputs"
    )


# --------------------------------------------------------------------------------- 03 discriminator


def make_discriminator_2d(act=nn.LeakyReLU, last=None, squeeze=True):
    class Discriminator2D(nn.Module):
        def __init__(self, hidden=128):
            super().__init__()
            self.net = mlp([2, hidden, hidden, 1], act, last)

        def forward(self, x):
            out = self.net(x)
            return out.squeeze(1) if squeeze else out

    return Discriminator2D


def test_check_discriminator_2d(capsys):
    expect_pass(
        checks.check_discriminator_2d,
        lambda hidden: MLPDiscriminator(2, (hidden, hidden)),
        capsys=capsys,
    )
    expect_pass(checks.check_discriminator_2d, make_discriminator_2d(), capsys=capsys)
    expect_not_implemented(checks.check_discriminator_2d, StubModule)
    expect_reject(
        checks.check_discriminator_2d, make_discriminator_2d(squeeze=False), hint=".squeeze(1)"
    )
    expect_reject(
        checks.check_discriminator_2d,
        make_discriminator_2d(last=nn.Sigmoid),
        hint="drop the final Sigmoid",
    )
    expect_reject(
        checks.check_discriminator_2d, make_discriminator_2d(act=None), hint="straight line"
    )


def test_check_d_accuracy(capsys):
    expect_pass(checks.check_d_accuracy, metrics.d_accuracy, capsys=capsys)
    expect_not_implemented(checks.check_d_accuracy, stub)
    at_half = lambda r, f: torch.cat([r > 0.5, f < 0.5]).float().mean()
    swapped = lambda r, f: torch.cat([r < 0, f > 0]).float().mean()
    count = lambda r, f: torch.cat([r > 0, f < 0]).float().sum()
    mean_of_means = lambda r, f: ((r > 0).float().mean() + (f < 0).float().mean()) / 2
    expect_reject(checks.check_d_accuracy, at_half, hint="threshold at 0")
    expect_reject(checks.check_d_accuracy, swapped, hint="swapped")
    expect_reject(checks.check_d_accuracy, count, hint="count")
    expect_reject(checks.check_d_accuracy, mean_of_means, hint="pool all samples")
    on_probabilities = lambda r, f: torch.cat([r.sigmoid() > 0, f.sigmoid() < 0.5]).float().mean()
    expect_reject(checks.check_d_accuracy, on_probabilities, hint="sigmoid(logit) > 0 always")


def make_train_discriminator(loss, step=True, record_after_step=False):
    def train_discriminator(discriminator, real, fake, steps=200, lr=1e-2):
        opt = torch.optim.Adam(discriminator.parameters(), lr=lr)
        history = []
        for _ in range(steps):
            opt.zero_grad()
            value = loss(discriminator(real), discriminator(fake))
            value.backward()
            if step:
                opt.step()
            if record_after_step:
                with torch.no_grad():
                    value = loss(discriminator(real), discriminator(fake))
            history.append(value.item())
        return history

    return train_discriminator


def test_check_train_discriminator(capsys):
    expect_pass(checks.check_train_discriminator, train.train_discriminator, capsys=capsys)
    expect_not_implemented(checks.check_train_discriminator, stub)
    swapped = make_train_discriminator(lambda r, f: losses.d_loss_bce(f, r))
    summed = make_train_discriminator(lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum())
    twice = make_train_discriminator(
        lambda r, f: losses.d_loss_bce(torch.sigmoid(r), torch.sigmoid(f))
    )
    no_step = make_train_discriminator(losses.d_loss_bce, step=False)
    expect_reject(checks.check_train_discriminator, swapped, hint="labels swapped")
    expect_reject(checks.check_train_discriminator, summed, hint="sum instead of mean")
    expect_reject(checks.check_train_discriminator, twice, hint="sigmoid applied twice")
    expect_reject(checks.check_train_discriminator, no_step, hint="optimizer.step()")
    late = make_train_discriminator(losses.d_loss_bce, record_after_step=True)
    expect_reject(checks.check_train_discriminator, late, hint="before optimizer.step()")
    expect_reject(checks.check_train_discriminator, lambda *a, **k: 0.5, hint="append loss.item()")


# --------------------------------------------------------------------------------- 04 losses


def test_check_d_loss(capsys):
    expect_pass(checks.check_d_loss, losses.d_loss_bce, capsys=capsys)
    bce = lambda r, f: (
        F.binary_cross_entropy_with_logits(r, torch.ones_like(r))
        + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))
    )
    expect_pass(checks.check_d_loss, bce, capsys=capsys)
    expect_not_implemented(checks.check_d_loss, stub)
    expect_reject(checks.check_d_loss, lambda r, f: losses.d_loss_bce(f, r), hint="labels swapped")
    expect_reject(
        checks.check_d_loss,
        lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum(),
        hint="sum instead of mean",
    )
    expect_reject(checks.check_d_loss, losses.minimax_value, hint="wrong sign")
    expect_reject(
        checks.check_d_loss,
        lambda r, f: bce(torch.sigmoid(r), torch.sigmoid(f)),
        hint="sigmoid applied twice",
    )
    from_probs = lambda r, f: (
        -torch.log(torch.sigmoid(r)).mean() - torch.log(1 - torch.sigmoid(f)).mean()
    )
    expect_reject(checks.check_d_loss, from_probs, hint="softplus")
    expect_reject(
        checks.check_d_loss, lambda r, f: torch.stack([r.mean(), f.mean()]), hint=".mean()"
    )
    concatenated = lambda r, f: F.softplus(torch.cat([-r, f])).mean()
    expect_reject(checks.check_d_loss, concatenated, hint="mean of each term")


def test_check_g_loss_nonsaturating(capsys):
    expect_pass(checks.check_g_loss_nonsaturating, losses.g_loss_nonsaturating, capsys=capsys)
    expect_not_implemented(checks.check_g_loss_nonsaturating, stub)
    check = checks.check_g_loss_nonsaturating
    expect_reject(check, losses.g_loss_saturating, hint="saturating loss")
    expect_reject(check, lambda f: F.softplus(f).mean(), hint="towards 'fake'")
    expect_reject(check, lambda f: -F.softplus(-f).mean(), hint="wrong sign")
    expect_reject(check, lambda f: F.softplus(-f).sum(), hint="sum instead of mean")
    expect_reject(check, lambda f: -torch.log(torch.sigmoid(f)).mean(), hint="softplus")
    expect_reject(check, lambda f: F.softplus(-f).mean().item(), hint="autograd")
    expect_reject(check, lambda f: torch.tensor(F.softplus(-f).mean().item()), hint="autograd")
    # NumPy: PyTorch's own error suggests .detach(); the check's hint says why that is wrong
    numpy_loss = lambda f: torch.tensor(np.logaddexp(0, -f.numpy()).mean())  # noqa: E731
    expect_reject(check, numpy_loss, hint="use torch operations only")


def test_check_optimal_discriminator(capsys):
    expect_pass(checks.check_optimal_discriminator, losses.optimal_discriminator, capsys=capsys)
    expect_not_implemented(checks.check_optimal_discriminator, stub)
    check = checks.check_optimal_discriminator
    expect_reject(check, lambda p, q: q / (p + q), hint="swapped")
    expect_reject(check, lambda p, q: p / q, hint="density ratio")
    expect_reject(check, lambda p, q: p / (p + q), hint="return 0.5 there")
    expect_reject(check, lambda p, q: p / (p + q + 1e-8), hint="the 0 an epsilon gives")
    expect_reject(check, lambda p, q: (p / (p + q)).nan_to_num(0.0).sum(), hint="elementwise")


# --------------------------------------------------------------------------------- 05 training loop


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
    expect_pass(checks.check_d_step, lambda *a: train.d_step(*a)["d_loss"], capsys=capsys)
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
    def train_loop(generator, discriminator, distribution, steps, batch_size=256):
        adam = lambda params: torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999))
        g_opt, d_opt = adam(generator.parameters()), adam(discriminator.parameters())
        if shared_optimizer:
            g_opt = d_opt = adam([*generator.parameters(), *discriminator.parameters()])
        for _ in range(steps):
            noise = lambda: torch.randn(batch_size, generator.latent_dim)
            if d:
                train.d_step(
                    generator, discriminator, d_opt, distribution.sample(batch_size), noise()
                )
            if g:
                train.g_step(generator, discriminator, g_opt, noise())

    return train_loop


def test_check_train_loop(capsys):
    reference = lambda generator, discriminator, distribution, steps: train.train_gan(
        generator, discriminator, distribution, train.TrainConfig(steps=steps, batch_size=256)
    )
    expect_pass(checks.check_train_loop, reference, capsys=capsys)
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

def train_loop(generator, discriminator, distribution, steps, batch_size=256):
    adam = lambda params: torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999))
    g_opt, d_opt = adam(generator.parameters()), adam(discriminator.parameters())
    for _ in range(steps):
        real = distribution.sample(batch_size)
        d_step(generator, discriminator, d_opt, real, torch.randn(batch_size, 2))
        g_step(generator, discriminator, g_opt, torch.randn(batch_size, 2))
"""


def test_check_train_loop_judges_the_loop_with_the_courses_steps(capsys):
    # the learner's loop is right, their d_step unfinished and g_step wrong: the loop passes,
    # and their own steps are back in place afterwards
    namespace = {"torch": torch}
    exec(LOOP_WITH_BROKEN_STEPS, namespace)
    mine = namespace["d_step"], namespace["g_step"]
    expect_pass(checks.check_train_loop, namespace["train_loop"], capsys=capsys)
    assert (namespace["d_step"], namespace["g_step"]) == mine
    del namespace["d_step"]  # a d_step whose cell never ran
    expect_pass(checks.check_train_loop, namespace["train_loop"], capsys=capsys)
    assert "d_step" not in namespace and namespace["g_step"] is mine[1]
