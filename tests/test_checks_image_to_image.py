"""The checks of exercise 15: each passes the reference, says "not implemented yet" to the stub,
and rejects plausible wrong answers, each with the hint aimed at that mistake; and the
exercise's concept questions."""

from __future__ import annotations

import collections
import random
from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gan_course.checks import CheckFailed, CourseAnswer, LearnerError, NotImplementedYet
from gan_course.checks.image_to_image import (
    check_cycle_loss,
    check_pix2pix_g_loss,
    check_receptive_field,
    check_replay_buffer,
)
from gan_course.checks.questions import QUESTIONS, check_question
from gan_course.families import cycle, paired
from gan_course.models.translation import PatchDiscriminator
from gan_course.models.translation import receptive_field as net_receptive_field

from . import check_helpers
from .check_helpers import expect_not_implemented, expect_pass, stub

# Every wrong answer here runs: the check must catch the mistake in what it returns.
expect_reject = partial(check_helpers.expect_reject, crash_ok=False)


def seed_all(seed: int) -> None:
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)


def test_checks_leave_the_learners_rng_alone(capsys):
    seed_all(7)
    expected = torch.rand(3), random.random(), np.random.rand()
    seed_all(7)
    check_receptive_field(receptive_field)
    check_pix2pix_g_loss(pix2pix_g_loss)
    check_cycle_loss(cycle_loss)
    check_replay_buffer(ReplayBuffer)
    assert torch.equal(torch.rand(3), expected[0])
    assert (random.random(), np.random.rand()) == expected[1:]


# ------------------------------------------------------------------------------ 1 receptive field


def receptive_field(kernels, strides):  # the solution's answer
    field, jump = 1, 1  # jump: input pixels between neighbouring outputs of the layers so far
    for kernel, stride in zip(kernels, strides, strict=True):
        field += (kernel - 1) * jump
        jump *= stride
    return field


def receptive_field_backwards(kernels, strides):  # right, written differently: output first
    field = 1
    for kernel, stride in zip(reversed(kernels), reversed(strides), strict=True):
        field = (field - 1) * stride + kernel
    return field


def receptive_field_numpy(kernels, strides):  # right: a cumulative product, a float
    jumps = np.concatenate([[1], np.cumprod(strides)[:-1]])
    return float(1 + np.sum((np.array(kernels) - 1) * jumps))


def field_wrong(kind):
    """A learner's receptive field with one of the usual slips."""

    def receptive_field(kernels, strides):
        if kind == "reversed":
            kernels, strides = kernels[::-1], strides[::-1]
        if kind == "backwards forwards":  # the output-first recursion, run from the input
            field = 1
            for kernel, stride in zip(kernels, strides, strict=True):
                field = (field - 1) * stride + kernel
            return field
        field, jump = (0 if kind in ("no +1", "k, no +1") else 1), 1
        for kernel, stride in zip(kernels, strides, strict=True):
            if kind == "inclusive":
                jump *= stride
            span = kernel if kind in ("k", "k, no +1") else kernel - 1
            field += span * (1 if kind == "no strides" else jump)
            if kind == "sum":
                jump += stride
            elif kind != "inclusive":
                jump *= stride
        return field

    return receptive_field


def field_in_place(kernels, strides):
    kernels.reverse()
    strides.reverse()
    return receptive_field_backwards(kernels[::-1], strides[::-1])


def field_hard_coded(kernels, strides):
    return 10  # the default PatchGAN's


def field_of_lists(kernels, strides):
    return [receptive_field(kernels, strides)]


def test_check_receptive_field(capsys):
    expect_pass(check_receptive_field, receptive_field, capsys=capsys)
    expect_pass(check_receptive_field, receptive_field_backwards, capsys=capsys)
    expect_pass(check_receptive_field, receptive_field_numpy, capsys=capsys)
    expect_not_implemented(check_receptive_field, stub)
    expect_reject(check_receptive_field, field_wrong("inclusive"), hint="not l's own")
    expect_reject(check_receptive_field, field_wrong("reversed"), hint="first layer first")
    expect_reject(check_receptive_field, field_wrong("backwards forwards"), hint="other way")
    expect_reject(check_receptive_field, field_wrong("k"), hint="k - 1 pixels")
    expect_reject(check_receptive_field, field_wrong("no +1"), hint="start from 1")
    expect_reject(check_receptive_field, field_wrong("k, no +1"), hint="the count starts at 1")
    expect_reject(check_receptive_field, field_wrong("no strides"), hint="the strides count")
    expect_reject(check_receptive_field, field_wrong("sum"), hint="the strides *multiply*")
    expect_reject(check_receptive_field, field_in_place, hint="don't reverse or pop the lists")
    expect_reject(check_receptive_field, field_hard_coded, hint="r = 1 + sum over the layers")
    expect_reject(check_receptive_field, field_of_lists, hint="return an int")


def test_the_courses_receptive_field_is_refused():
    with pytest.raises(CourseAnswer):
        check_receptive_field(net_receptive_field)


@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_the_learners_receptive_field_is_the_packages_on_a_patchgan(n_layers):
    D = PatchDiscriminator(n_layers=n_layers)
    convs = [m for m in D.modules() if isinstance(m, torch.nn.Conv2d)]
    kernels, strides = [m.kernel_size[0] for m in convs], [m.stride[0] for m in convs]
    assert receptive_field(kernels, strides) == net_receptive_field(D) == 3 * 2**n_layers - 2


# ------------------------------------------------------------------------------ 2 pix2pix G loss


def pix2pix_g_loss(D, source, fake, target, l1_weight=100.0):  # the solution's answer
    fake_logits = D(source, fake)  # (N, 1, h, w): one logit per patch
    adversarial = F.softplus(-fake_logits).mean()  # -log D(x, G(x))
    l1 = (fake - target).abs().mean()  # mean |y - G(x)|
    return adversarial + l1_weight * l1


def pix2pix_g_loss_bce(D, source, fake, target, l1_weight=100.0):  # right, written differently
    logits = D(source, fake)
    adversarial = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    return adversarial + l1_weight * F.l1_loss(fake, target)


def pix2pix_g_loss_sigmoid(D, source, fake, target, l1_weight=100.0):  # right: BCE on sigmoid
    probabilities = torch.sigmoid(D(source, fake))
    adversarial = F.binary_cross_entropy(probabilities, torch.ones_like(probabilities))
    return adversarial + l1_weight * F.l1_loss(fake, target)


def g_loss_wrong(kind):
    """A learner's pix2pix G loss with one of the usual slips."""

    def pix2pix_g_loss(D, source, fake, target, l1_weight=100.0):
        logits = D(source, fake)
        adversarial = F.softplus(-logits).mean()
        l1 = (fake - target).abs().mean()
        if kind == "saturating":
            return torch.log(1 - torch.sigmoid(logits)).mean() + l1_weight * l1
        if kind == "sign":
            return -adversarial + l1_weight * l1
        if kind == "d loss":
            return F.softplus(logits).mean() + l1_weight * l1
        if kind == "l2":
            return adversarial + l1_weight * F.mse_loss(fake, target)
        if kind == "lambda on adversarial":
            return l1_weight * adversarial + l1
        if kind == "no lambda":
            return adversarial + l1
        if kind == "hard-coded lambda":
            return adversarial + 100 * l1
        if kind == "against source":
            return adversarial + l1_weight * (fake - source).abs().mean()
        if kind == "real pair":
            return F.softplus(-D(source, target)).mean() + l1_weight * l1
        if kind == "pair swapped":
            return F.softplus(-D(fake, source)).mean() + l1_weight * l1
        if kind == "target pair":
            return F.softplus(-D(target, fake)).mean() + l1_weight * l1
        if kind == "sum":
            return F.softplus(-logits).sum() + l1_weight * l1
        if kind == "l1 sum":
            return adversarial + l1_weight * (fake - target).abs().sum()
        if kind == "l1 per image":
            return adversarial + l1_weight * (fake - target).abs().flatten(1).sum(1).mean()
        if kind == "mean logit":
            return F.softplus(-logits.mean()) + l1_weight * l1
        if kind == "average":
            return (adversarial + l1_weight * l1) / 2
        if kind == "batch axis only":
            return F.softplus(-logits).mean(0) + l1_weight * l1
        if kind == "per image":
            adversarial = F.softplus(-logits).mean(dim=(1, 2, 3))
            return adversarial + l1_weight * (fake - target).abs().mean(dim=(1, 2, 3))
        if kind == "probabilities":
            return -torch.log(logits).mean() + l1_weight * l1
        if kind == "bce on logits":
            ones = torch.ones_like(logits)
            return F.binary_cross_entropy(logits, ones) + l1_weight * l1
        if kind == "item":
            return (adversarial + l1_weight * l1).item()
        if kind == "detached fake":
            adversarial = F.softplus(-D(source, fake.detach())).mean()
            return adversarial + l1_weight * l1
        if kind == "no_grad judgement":
            with torch.no_grad():
                adversarial = F.softplus(-D(source, fake)).mean()
            return adversarial + l1_weight * l1
        if kind == "detached l1":
            return adversarial + l1_weight * (fake.detach() - target).abs().mean()
        if kind == "data":
            return (
                F.softplus(-D(source, fake.data)).mean()
                + l1_weight * (fake.data - target).abs().mean()
            )
        raise AssertionError(kind)

    return pix2pix_g_loss


def g_loss_in_place(D, source, fake, target, l1_weight=100.0):
    target.clamp_(-0.5, 0.5)  # "the targets are in range anyway"
    return pix2pix_g_loss(D, source, fake, target, l1_weight)


def g_loss_fills_the_hole(D, source, fake, target, l1_weight=100.0):
    source[source == 0] = -1.0
    return pix2pix_g_loss(D, source, fake, target, l1_weight)


def g_loss_one_image(D, source, fake, target, l1_weight=100.0):
    return F.softplus(-D(source, fake)).mean() + l1_weight * (fake[0] - target[0]).abs().mean()


def test_check_pix2pix_g_loss(capsys):
    expect_pass(check_pix2pix_g_loss, pix2pix_g_loss, capsys=capsys)
    expect_pass(check_pix2pix_g_loss, pix2pix_g_loss_bce, capsys=capsys)
    expect_pass(check_pix2pix_g_loss, pix2pix_g_loss_sigmoid, capsys=capsys)
    expect_not_implemented(check_pix2pix_g_loss, stub)
    reject = partial(expect_reject, check_pix2pix_g_loss)
    reject(g_loss_wrong("saturating"), hint="the *saturating* loss")
    reject(g_loss_wrong("sign"), hint="G *minimises*")
    reject(g_loss_wrong("d loss"), hint="that is D's loss on the fakes")
    reject(g_loss_wrong("l2"), hint="not the squared one")
    reject(g_loss_wrong("lambda on adversarial"), hint="multiplies the L1 term, not the")
    reject(g_loss_wrong("no lambda"), hint="multiply the L1 term by lambda")
    reject(g_loss_wrong("hard-coded lambda"), hint="use the l1_weight you are given")
    reject(g_loss_wrong("against source"), hint="towards the *target* y")
    reject(g_loss_wrong("real pair"), hint="D(source, target) is the real pair")
    reject(g_loss_wrong("pair swapped"), hint="source first")
    reject(g_loss_wrong("target pair"), hint="the source, not the target, goes with the fake")
    reject(g_loss_wrong("sum"), hint="the *mean* of -log D")
    reject(g_loss_wrong("l1 sum"), hint="the *mean* absolute difference")
    reject(g_loss_wrong("l1 per image"), hint="over the pixels as well as the batch")
    reject(g_loss_wrong("mean logit"), hint="not the loss of the mean logit")
    reject(g_loss_wrong("average"), hint="don't average them")
    reject(g_loss_wrong("batch axis only"), hint="average both terms over everything")
    reject(g_loss_wrong("per image"), hint="average both terms over everything")
    reject(g_loss_wrong("probabilities"), hint="not probabilities")
    reject(g_loss_wrong("item"), hint="as a tensor")
    reject(g_loss_wrong("detached fake"), hint="call D(source, fake) on `fake` itself")
    reject(g_loss_wrong("no_grad judgement"), hint="call D(source, fake) on `fake` itself")
    reject(g_loss_wrong("detached l1"), hint="G learns the L1 term through the fake")
    reject(g_loss_wrong("data"), hint="use `fake` itself in both terms")
    reject(g_loss_in_place, hint="don't modify the input")
    reject(g_loss_fills_the_hole, hint="don't modify the input")
    reject(g_loss_one_image, hint="F.softplus(-D(source, fake)).mean() + l1_weight *")


def test_a_learners_crash_is_reported_with_its_meaning():
    err = check_helpers.expect_reject(
        check_pix2pix_g_loss, g_loss_wrong("bce on logits"), hint="not probabilities"
    )
    assert isinstance(err, LearnerError) and "between 0 and 1" in err.what

    def d_of_the_fake_alone(D, source, fake, target, l1_weight=100.0):
        return F.softplus(-D(fake)).mean() + l1_weight * F.l1_loss(fake, target)

    err = check_helpers.expect_reject(check_pix2pix_g_loss, d_of_the_fake_alone, hint="D(fake)")
    assert isinstance(err, LearnerError) and "D(source, image)" in err.what

    def labels_per_image(D, source, fake, target, l1_weight=100.0):  # (N,) labels for a map
        logits = D(source, fake)
        real = torch.ones(len(logits))
        adversarial = F.binary_cross_entropy_with_logits(logits, real)
        return adversarial + l1_weight * F.l1_loss(fake, target)

    err = check_helpers.expect_reject(
        check_pix2pix_g_loss, labels_per_image, hint="torch.ones_like(logits)"
    )
    assert isinstance(err, LearnerError)


def test_the_courses_g_loss_is_refused():
    def wrapper(D, source, fake, target, l1_weight=100.0):
        return paired.pix2pix_g_loss(D(source, fake), fake, target, l1_weight)[0]

    with pytest.raises(CourseAnswer):
        check_pix2pix_g_loss(wrapper)


def test_the_learners_g_loss_is_the_one_paired_step_logs():
    torch.manual_seed(0)
    D = PatchDiscriminator(width=4)
    source, target = torch.rand(3, 1, 16, 16) * 2 - 1, torch.rand(3, 1, 16, 16) * 2 - 1
    fake = torch.tanh(torch.randn(3, 1, 16, 16))
    total, adversarial, l1 = paired.pix2pix_g_loss(D(source, fake), fake, target, 37.0)
    assert torch.allclose(pix2pix_g_loss(D, source, fake, target, 37.0), total)
    assert torch.allclose(total, adversarial + 37.0 * l1)


# ------------------------------------------------------------------------------ 3 cycle loss


def cycle_loss(g_ab, g_ba, real_a, real_b):  # the solution's answer
    back_a = g_ba(g_ab(real_a))  # A -> B -> A
    back_b = g_ab(g_ba(real_b))  # B -> A -> B
    return (back_a - real_a).abs().mean() + (back_b - real_b).abs().mean()


def cycle_loss_f(g_ab, g_ba, real_a, real_b):  # right, written differently
    fake_b, fake_a = g_ab(real_a), g_ba(real_b)
    return F.l1_loss(g_ab(fake_a), real_b) + F.l1_loss(g_ba(fake_b), real_a)


def cycle_wrong(kind):
    """A learner's cycle loss with one of the usual slips."""

    def cycle_loss(g_ab, g_ba, real_a, real_b):
        back_a, back_b = g_ba(g_ab(real_a)), g_ab(g_ba(real_b))
        if kind == "a only":
            return F.l1_loss(back_a, real_a)
        if kind == "b only":
            return F.l1_loss(back_b, real_b)
        if kind == "no round trip":
            return F.l1_loss(g_ab(real_a), real_a) + F.l1_loss(g_ba(real_b), real_b)
        if kind == "identity":
            return F.l1_loss(g_ab(real_b), real_b) + F.l1_loss(g_ba(real_a), real_a)
        if kind == "swapped":
            return F.l1_loss(g_ab(g_ba(real_a)), real_a) + F.l1_loss(g_ba(g_ab(real_b)), real_b)
        if kind == "a swapped":
            return F.l1_loss(g_ab(g_ba(real_a)), real_a) + F.l1_loss(back_b, real_b)
        if kind == "b swapped":
            return F.l1_loss(back_a, real_a) + F.l1_loss(g_ba(g_ab(real_b)), real_b)
        if kind == "l2":
            return F.mse_loss(back_a, real_a) + F.mse_loss(back_b, real_b)
        if kind == "sum":
            return (back_a - real_a).abs().sum() + (back_b - real_b).abs().sum()
        if kind == "pooled":
            return (
                torch.cat([(back_a - real_a).flatten(), (back_b - real_b).flatten()]).abs().mean()
            )
        if kind == "average":
            return (F.l1_loss(back_a, real_a) + F.l1_loss(back_b, real_b)) / 2
        if kind == "lambda":
            return 10 * (F.l1_loss(back_a, real_a) + F.l1_loss(back_b, real_b))
        if kind == "two numbers":
            return torch.stack([F.l1_loss(back_a, real_a), F.l1_loss(back_b, real_b)])
        if kind == "other domain":
            return F.l1_loss(back_a, real_b) + F.l1_loss(back_b, real_a)
        if kind == "wrong fakes":
            fake_b, fake_a = g_ab(real_a), g_ba(real_b)
            return F.l1_loss(g_ba(fake_a), real_a) + F.l1_loss(g_ab(fake_b), real_b)
        if kind == "detached":
            back_a = g_ba(g_ab(real_a).detach())
            return F.l1_loss(back_a, real_a) + F.l1_loss(back_b, real_b)
        if kind == "no_grad":
            with torch.no_grad():
                fake_b, fake_a = g_ab(real_a), g_ba(real_b)
            return F.l1_loss(g_ba(fake_b), real_a) + F.l1_loss(g_ab(fake_a), real_b)
        if kind == "item":
            return (F.l1_loss(back_a, real_a) + F.l1_loss(back_b, real_b)).item()
        raise AssertionError(kind)

    return cycle_loss


def cycle_in_place(g_ab, g_ba, real_a, real_b):
    real_a.clamp_(-1, 0.9)
    return cycle_loss(g_ab, g_ba, real_a, real_b)


def cycle_eval_mode(g_ab, g_ba, real_a, real_b):
    g_ab.eval(), g_ba.eval()
    return cycle_loss(g_ab, g_ba, real_a, real_b)


def cycle_steps(g_ab, g_ba, real_a, real_b):  # trains inside the loss
    loss = cycle_loss(g_ab, g_ba, real_a, real_b)
    optimizer = torch.optim.SGD([*g_ab.parameters(), *g_ba.parameters()], lr=0.1)
    loss.backward(retain_graph=True)
    optimizer.step()
    optimizer.zero_grad()
    return loss


def cycle_hard_coded(g_ab, g_ba, real_a, real_b):  # the first case's sizes
    back_a = g_ba(g_ab(real_a)).view(5, 256)
    back_b = g_ab(g_ba(real_b)).view(3, 256)
    return (back_a - real_a.view(5, 256)).abs().mean() + (back_b - real_b.view(3, 256)).abs().mean()


def test_check_cycle_loss(capsys):
    expect_pass(check_cycle_loss, cycle_loss, capsys=capsys)
    expect_pass(check_cycle_loss, cycle_loss_f, capsys=capsys)
    expect_not_implemented(check_cycle_loss, stub)
    reject = partial(expect_reject, check_cycle_loss)
    reject(cycle_wrong("a only"), hint="G_BA is never asked to be undone")
    reject(cycle_wrong("b only"), hint="G_AB is never asked to be undone")
    reject(cycle_wrong("no round trip"), hint="not meant to equal a")
    reject(cycle_wrong("identity"), hint="that is the identity loss")
    reject(cycle_wrong("swapped"), hint="The generators are swapped")
    reject(cycle_wrong("a swapped"), hint="a is from domain A")
    reject(cycle_wrong("b swapped"), hint="b is from domain B")
    reject(cycle_wrong("l2"), hint="not the squared one")
    reject(cycle_wrong("sum"), hint="the *mean* absolute difference")
    reject(cycle_wrong("pooled"), hint="one mean over both batches together")
    reject(cycle_wrong("average"), hint="don't average them")
    reject(cycle_wrong("lambda"), hint="leave the weight lambda out")
    reject(cycle_wrong("two numbers"), hint="one number")
    reject(cycle_wrong("detached"), hint="cuts one of them")
    reject(cycle_wrong("no_grad"), hint="cuts one of them")
    reject(cycle_wrong("item"), hint="as a tensor")
    reject(cycle_in_place, hint="don't modify the input")
    reject(cycle_eval_mode, hint="leave the mode alone")
    reject(cycle_steps, hint="leave the optimizer step to the training loop")


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("kind", ["other domain", "wrong fakes"])
def test_an_image_compared_with_the_other_domains_is_named(kind):
    err = check_helpers.expect_reject(check_cycle_loss, cycle_wrong(kind), hint="real_a holds 5")
    assert isinstance(err, LearnerError) and "must match" in err.what


def test_hard_coded_sizes_fail_on_the_next_case():
    err = check_helpers.expect_reject(check_cycle_loss, cycle_hard_coded, hint="view(5, 256)")
    assert isinstance(err, LearnerError), str(err)


def test_the_courses_cycle_loss_is_refused():
    with pytest.raises(CourseAnswer):
        check_cycle_loss(lambda g_ab, g_ba, a, b: cycle.cycle_loss(g_ab, g_ba, a, b))


def test_the_learners_cycle_loss_is_the_one_cycle_step_uses():
    torch.manual_seed(0)
    g_ab, g_ba = torch.nn.Conv2d(1, 1, 3, padding=1), torch.nn.Conv2d(1, 1, 3, padding=1)
    a, b = torch.randn(4, 1, 8, 8), torch.randn(6, 1, 8, 8)
    want = cycle.cycle_loss(g_ab, g_ba, a, b)
    given = cycle.cycle_loss(g_ab, g_ba, a, b, fake_b=g_ab(a), fake_a=g_ba(b))
    assert torch.allclose(cycle_loss(g_ab, g_ba, a, b), want) and torch.equal(want, given)


# ------------------------------------------------------------------------------ 4 replay buffer


class ReplayBuffer:  # the solution's answer
    def __init__(self, size=50, seed=0):
        self.size, self.images, self.rng = size, [], random.Random(seed)  # a generator of its own

    def __call__(self, fakes):
        out = []
        for fake in fakes.detach():
            if len(self.images) < self.size:  # filling up: keep it, and pass it on
                self.images.append(fake)
                out.append(fake)
            elif self.rng.random() < 0.5:  # swap: an old fake goes to D, the new one stays
                i = self.rng.randrange(self.size)
                out.append(self.images[i])
                self.images[i] = fake
            else:
                out.append(fake)
        return torch.stack(out)


class TorchReplayBuffer:  # right, written differently: a tensor store, a torch.Generator
    def __init__(self, size=50, seed=0):
        self.size, self.store, self.count = size, None, 0
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, fakes):
        fakes = fakes.detach().clone()
        if self.store is None:
            self.store = torch.zeros(self.size, *fakes.shape[1:])
        for k in range(len(fakes)):
            if self.count < self.size:
                self.store[self.count] = fakes[k]
                self.count += 1
            elif torch.rand((), generator=self.generator) < 0.5:
                i = int(torch.randint(self.size, (), generator=self.generator))
                old = self.store[i].clone()
                self.store[i] = fakes[k]
                fakes[k] = old
        return fakes


def buffer_wrong(kind):
    """A learner's replay buffer with one of the usual slips."""

    class ReplayBuffer:
        def __init__(self, size=50, seed=0):
            self.size, self.images = size, []
            self.rng = random.Random(seed if kind != "fixed seed" else 1234)
            if kind == "global seed":
                torch.manual_seed(seed)
            if kind == "unseeded":
                self.rng = random.Random()
            if kind == "fifo":
                self.images = collections.deque()

        def choose(self):
            if kind == "global rng":
                return random.random() < 0.5
            if kind == "global numpy":
                return np.random.rand() < 0.5
            if kind == "never":
                return False
            if kind == "always":
                return True
            return self.rng.random() < 0.5

        def place(self):
            if kind == "off by one":
                return self.rng.randrange(self.size - 1)
            if kind == "first":
                return 0
            if kind == "global torch":
                return int(torch.randint(self.size, ()))
            return self.rng.randrange(self.size)

        def __call__(self, fakes):
            out = []
            for fake in fakes if kind == "no detach" else fakes.detach():
                full = len(self.images) >= (50 if kind == "hard-coded size" else self.size)
                if not full:
                    self.images.append(fake)
                    out.append(fake)
                elif self.choose():
                    if kind == "fifo":  # the oldest goes to D
                        out.append(self.images.popleft())
                        self.images.append(fake)
                        continue
                    i = self.place()
                    out.append(self.images[i])
                    if kind == "keep the old":
                        continue
                    if kind == "append":
                        self.images.append(fake)
                    elif kind == "overwrite first":
                        self.images[i] = fake
                        out[-1] = self.images[i]
                    else:
                        self.images[i] = fake
                else:
                    out.append(fake)
                    if kind == "store always":
                        self.images[self.rng.randrange(self.size)] = fake
            if kind == "list":
                return out
            if kind == "reversed":
                return torch.stack(out[::-1])
            return torch.stack(out)

    return ReplayBuffer


class SubclassedBuffer(cycle.ReplayBuffer):
    pass


def test_check_replay_buffer(capsys):
    expect_pass(check_replay_buffer, ReplayBuffer, capsys=capsys)
    expect_pass(check_replay_buffer, TorchReplayBuffer, capsys=capsys)
    expect_not_implemented(check_replay_buffer, stub)
    reject = partial(expect_reject, check_replay_buffer)
    reject(buffer_wrong("never"), hint="return the old fake")
    reject(buffer_wrong("always"), hint="half of the time, at random")
    reject(buffer_wrong("overwrite first"), hint="read it before its place is overwritten")
    reject(buffer_wrong("keep the old"), hint="the new fake takes its place")
    reject(buffer_wrong("append"), hint="keeps `size` fakes")
    reject(buffer_wrong("hard-coded size"), hint="use the size you are given")
    reject(buffer_wrong("store always"), hint="is not stored")
    reject(buffer_wrong("no detach"), hint="detach the fakes")
    reject(buffer_wrong("global rng"), hint="a random generator of its own")
    reject(buffer_wrong("global torch"), hint="a random generator of its own")
    reject(buffer_wrong("global numpy"), hint="a random generator of its own")
    reject(buffer_wrong("global seed"), hint="a random generator of its own")
    reject(buffer_wrong("list"), hint="torch.stack")
    reject(buffer_wrong("reversed"), hint="keep the batch's order")
    reject(buffer_wrong("first"), hint="not always the same one")
    reject(buffer_wrong("fifo"), hint="nor the oldest")
    reject(buffer_wrong("off by one"), hint="not randrange(size - 1)")
    reject(buffer_wrong("unseeded"), hint="the same seed must give the same choices")
    reject(buffer_wrong("fixed seed"), hint="use the `seed` you are given")


def test_the_courses_replay_buffer_is_refused():
    for answer in (cycle.ReplayBuffer, SubclassedBuffer):
        with pytest.raises(CourseAnswer):
            check_replay_buffer(answer)


def test_the_learners_buffer_behaves_as_the_one_cycle_step_uses():
    fakes = torch.arange(30.0).view(30, 1, 1, 1)
    for buffer in (ReplayBuffer(8, seed=0), cycle.ReplayBuffer(8, seed=0)):
        out = buffer(fakes)
        assert torch.equal(out[:8], fakes[:8]) and len(buffer.images) == 8
        assert set(out[8:].flatten().tolist()) <= set(range(30))


# ------------------------------------------------------------------------------ questions

RIGHT = {"15.grey_hole": "b", "15.adversarial_only": "d", "15.no_identity": "a"}


@pytest.mark.parametrize("qid", sorted(RIGHT))
def test_the_concept_questions_take_the_right_answer_and_explain_the_wrong_ones(qid, capsys):
    check_question(qid, RIGHT[qid])
    assert capsys.readouterr().out.startswith("✔")
    with pytest.raises(NotImplementedYet):
        check_question(qid, None)
    question = QUESTIONS[qid]
    wrong = [x for x in "abcd" if x != RIGHT[qid]]
    assert hasattr(question, "letters")
    hints = set()
    for answer in wrong:
        with pytest.raises(CheckFailed) as info:
            check_question(qid, answer)
        hints.add(info.value.hint)
    assert len(hints) == len(wrong), "each wrong answer has its own explanation"


def test_the_right_answers_are_at_different_letters():
    assert len(set(RIGHT.values())) == len(RIGHT)
