"""Exercise 05's checks: the reference passes, the stub is "not implemented yet", and each
plausible wrong answer is rejected with the hint aimed at it."""

from __future__ import annotations

import itertools

import nbformat
import pytest
import torch
import torch.nn.functional as F

from gan_course import checks, losses, train
from gan_course.checks import CourseAnswer

from .check_helpers import expect_not_implemented, expect_pass, expect_reject, learner_copy, stub
from .conftest import REPO


def split(tensor, chunks, how):
    """`tensor` cut into pieces, the way a learner may: "chunk", "tensor_split" (both right),
    "split" (torch.split: pieces of `chunks` rows), "floor" (len // chunks rows each, the
    remainder dropped), "whole" (chunks ignored), "two" (the argument ignored: always 2)."""
    if how == "tensor_split":
        return torch.tensor_split(tensor, chunks)
    if how == "split":
        return torch.split(tensor, chunks)
    if how == "floor":
        size = len(tensor) // chunks
        return [tensor[i * size : (i + 1) * size] for i in range(chunks)]
    if how == "whole":
        return [tensor]
    return tensor.chunk(2 if how == "two" else chunks)


def make_d_step(
    how="chunk",
    weight="share",
    zero_grad="once",
    step="once",
    backward="per piece",
    detach=True,
    freeze_g=None,
    g_eval=None,
    swap=False,
    loss=None,
    keep=lambda loss: loss,
    total="tensor",
    report="all",
    logits="all",
    on_cat=False,
):
    """The D step in pieces with one mistake switched on. `weight`: "share" (right), "none",
    "chunks" (1 / chunks) or "size" (len(piece)); `zero_grad`: "once" (right), None, "inside"
    (at each piece) or "late" (between backward and step); `step`: "once", "per piece" or
    None; `backward`: "per piece" (right) or "once" (on the sum); `freeze_g`/`g_eval`: "for
    good" (the mistake) or "for the step" (right: put back before returning); `total`: the
    loss reported as a "tensor" or a "float"; `report`/`logits`: "all" or "last" piece's;
    `on_cat`: D scores each piece's real and fake rows in one forward pass (right)."""

    def d_step(
        generator, discriminator, d_optimizer, real, noise, loss_fn=losses.d_loss_bce, chunks=2
    ):
        if zero_grad == "once":
            d_optimizer.zero_grad()
        if freeze_g:
            generator.requires_grad_(False)
        if g_eval:
            generator.eval()
        pieces = list(zip(split(real, chunks, how), split(noise, chunks, how), strict=True))
        value, summed, real_parts, fake_parts = 0.0, 0.0, [], []
        for real_piece, noise_piece in pieces:
            if zero_grad == "inside":
                d_optimizer.zero_grad()
            fake = generator(noise_piece)
            if detach:
                fake = fake.detach()
            if on_cat:
                both = discriminator(torch.cat([real_piece, fake]))
                real_logits, fake_logits = both[: len(real_piece)], both[len(real_piece) :]
            else:
                real_logits, fake_logits = discriminator(real_piece), discriminator(fake)
            if swap:
                real_logits, fake_logits = fake_logits, real_logits
            w = {"share": len(real_piece) / len(real), "none": 1.0, "chunks": 1 / chunks}.get(
                weight, float(len(real_piece))
            )
            piece_loss = keep(w * (loss or loss_fn)(real_logits, fake_logits))
            if backward == "per piece":
                piece_loss.backward()
            summed = summed + piece_loss
            if zero_grad == "late":
                d_optimizer.zero_grad()
            if step == "per piece":
                d_optimizer.step()
            piece_value = piece_loss.detach()
            value = value + (piece_value.item() if total == "float" else piece_value)
            value = piece_value if report == "last" else value
            real_parts.append(real_logits.detach())
            fake_parts.append(fake_logits.detach())
        if backward == "once":
            summed.backward()
        if step == "once":
            d_optimizer.step()
        if freeze_g == "for the step":
            generator.requires_grad_(True)
        if g_eval == "for the step":
            generator.train()
        if logits == "all":
            real_logits, fake_logits = torch.cat(real_parts), torch.cat(fake_parts)
        return train.d_diagnostics(value, real_logits, fake_logits)

    return d_step


def d_step_no_grad(
    generator, discriminator, d_optimizer, real, noise, loss_fn=losses.d_loss_bce, chunks=2
):
    """Right, written differently: tensor_split, fakes made under torch.no_grad(), the loss
    reported as a dict of its own, the logits kept as they come."""
    d_optimizer.zero_grad()
    total = torch.zeros(())
    for real_piece, noise_piece in zip(
        torch.tensor_split(real, chunks), torch.tensor_split(noise, chunks), strict=True
    ):
        with torch.no_grad():
            fake = generator(noise_piece)
        piece = loss_fn(discriminator(real_piece), discriminator(fake)) * len(real_piece)
        (piece / len(real)).backward()
        total += piece.detach() / len(real)
    d_optimizer.step()
    return {"d_loss": total.item()}


def test_check_d_step(capsys):
    check = checks.check_d_step
    expect_pass(check, make_d_step(), capsys=capsys)
    mine = make_d_step()
    expect_pass(check, lambda *a, **k: mine(*a, **k)["d_loss"], capsys=capsys)
    expect_not_implemented(check, stub)
    # the course's own step is refused, and so is one that only calls it
    for own in (train.d_step, lambda *a, chunks=2: train.d_step(*a)):
        with pytest.raises(CourseAnswer, match="the course's own `d_step`"):
            check(own)
    # lesson 05's step typed out: no chunks
    expect_reject(check, learner_copy(train.d_step), hint="add the argument chunks=2")
    # right, written differently
    for right in (
        make_d_step(how="tensor_split"),
        make_d_step(on_cat=True),
        make_d_step(detach=False, freeze_g="for the step"),
        make_d_step(g_eval="for the step"),
    ):
        expect_pass(check, right, capsys=capsys)
    expect_pass(check, d_step_no_grad, capsys=capsys)
    # the decisions of the task
    expect_reject(check, make_d_step(zero_grad="inside"), hint="a zero_grad() inside the loop")
    expect_reject(check, make_d_step(weight="none"), hint="added up without weights")
    expect_reject(check, make_d_step(weight="chunks"), hint="1 / chunks is right only when")
    expect_reject(check, make_d_step(weight="size"), hint="multiplied by len(piece)")
    expect_reject(check, make_d_step(step="per piece"), hint="a step per piece")
    expect_reject(check, make_d_step(backward="once"), hint="one backward() per piece")
    expect_reject(check, make_d_step(how="whole"), hint="push one piece at a time")
    expect_reject(check, make_d_step(how="two"), hint="use the chunks argument")
    expect_reject(check, make_d_step(how="split"), hint="torch.split(real, n) cuts pieces")
    expect_reject(check, make_d_step(how="floor"), hint="leave the remainder out")
    expect_reject(check, make_d_step(report="last"), hint="not only the last piece's")
    expect_reject(check, make_d_step(logits="last"), hint="torch.cat them")
    expect_reject(check, make_d_step(total="float"), hint="keep the total a tensor")
    # what a D step must get right anyway
    expect_reject(check, make_d_step(detach=False), hint=".detach()")
    expect_reject(check, make_d_step(zero_grad=None), hint="zero_grad() first")
    expect_reject(check, make_d_step(zero_grad="late"), hint="between backward() and step()")
    expect_reject(check, make_d_step(step=None), hint="d_optimizer.step()")
    expect_reject(check, make_d_step(swap=True), hint="labels swapped")
    expect_reject(check, make_d_step(detach=False, freeze_g="for good"), hint="never set it back")
    expect_reject(check, make_d_step(g_eval="for good"), hint="left in eval mode")
    expect_reject(check, make_d_step(keep=lambda loss: loss.item()), hint="Python number")
    expect_reject(check, make_d_step(keep=lambda loss: loss.detach()), hint="cut off")
    fixed_loss = make_d_step(loss=lambda r, f: learner_copy(losses.d_loss_bce)(r, f))
    expect_reject(check, fixed_loss, hint="use the loss_fn argument")


def make_g_step(
    freeze="module",
    detach=False,
    no_grad=False,
    zero_grad=True,
    loss=None,
    moves_d=False,
    step=True,
    zero_grad_late=False,
    d_eval=None,
    clears_d=False,
):
    """The G step through a frozen D with one mistake switched on. `freeze`: "module"
    (D.requires_grad_), "loop" (each parameter), "save" (D's .grad saved and put back): right;
    None (not frozen), "for good" (left frozen): the mistakes. `d_eval`: "for the step" (put
    back), "for good" (left in eval mode)."""

    def g_step(generator, discriminator, g_optimizer, noise, loss_fn=losses.g_loss_nonsaturating):
        if zero_grad:
            g_optimizer.zero_grad()
        if clears_d:
            discriminator.zero_grad()
        if freeze in ("module", "for good"):
            discriminator.requires_grad_(False)
        if freeze == "loop":
            for p in discriminator.parameters():
                p.requires_grad = False
        if freeze == "save":
            saved = [None if p.grad is None else p.grad.clone() for p in discriminator.parameters()]
        if d_eval:
            discriminator.eval()
        with torch.set_grad_enabled(not no_grad):
            fake = generator(noise)
        if detach:
            fake = fake.detach()
        value = (loss or loss_fn)(discriminator(fake))
        value.backward()
        if zero_grad_late:
            g_optimizer.zero_grad()
        if step:
            g_optimizer.step()
        if freeze in ("module", "loop"):
            discriminator.requires_grad_(True)
        if freeze == "save":
            for p, grad in zip(discriminator.parameters(), saved, strict=True):
                p.grad = grad
        if d_eval == "for the step":
            discriminator.train()
        if moves_d:
            with torch.no_grad():
                for p in discriminator.parameters():
                    p -= 0.1 * p.grad
        return {"g_loss": value.item()}

    return g_step


def test_check_g_step(capsys):
    check = checks.check_g_step
    expect_pass(check, make_g_step(), capsys=capsys)
    expect_not_implemented(check, stub)
    with pytest.raises(CourseAnswer, match="the course's own `g_step`"):
        check(train.g_step)
    # right, written differently
    for right in (make_g_step(freeze="loop"), make_g_step(freeze="save")):
        expect_pass(check, right, capsys=capsys)
    expect_pass(check, make_g_step(d_eval="for the step"), capsys=capsys)
    # the decision of the task: D frozen for the step, and only for the step
    expect_reject(check, learner_copy(train.g_step), hint="freeze D for the step")
    expect_reject(check, make_g_step(freeze=None), hint="freeze D for the step")
    expect_reject(check, make_g_step(freeze="for good"), hint="D is still frozen")
    expect_reject(check, make_g_step(clears_d=True), hint="D's .grad was cleared")
    expect_reject(check, make_g_step(d_eval="for good"), hint="eval() freezes nothing")
    expect_reject(check, make_g_step(freeze=None, d_eval="for good"), hint="eval() freezes")
    expect_reject(check, make_g_step(detach=True), hint="must stay connected to G")
    expect_reject(check, make_g_step(no_grad=True), hint="no torch.no_grad()")
    expect_reject(check, make_g_step(freeze=None, detach=True), hint="G learns through D")
    # what a G step must get right anyway
    expect_reject(check, make_g_step(zero_grad=False), hint="zero_grad() first")
    expect_reject(check, make_g_step(zero_grad_late=True), hint="between backward() and step()")
    expect_reject(check, make_g_step(step=False), hint="g_optimizer.step()")
    expect_reject(check, make_g_step(moves_d=True), hint="updates G only")
    expect_reject(check, make_g_step(loss=losses.g_loss_saturating), hint="saturating")
    expect_reject(check, make_g_step(loss=lambda f: F.softplus(-f).sum()), hint="sum instead")
    expect_reject(check, make_g_step(loss=lambda f: F.softplus(-f)), hint="with .mean() first")
    fixed_loss = make_g_step(loss=lambda f: F.softplus(-f).mean())  # ignores loss_fn
    expect_reject(check, fixed_loss, hint="use the loss_fn argument")


def solution_answers() -> dict:
    """The solution notebook's d_step and g_step, run as a learner's cells would be."""
    nb = nbformat.read(REPO / "solutions" / "sol05_training_loop.ipynb", as_version=4)
    namespace: dict = {"__name__": "learner"}
    exec(nb.cells[1].source, namespace)  # the setup cell's imports
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(("def d_step(", "def g_step(")):
            exec(cell.source, namespace)
    return {name: namespace[name] for name in ("d_step", "g_step")}


def test_the_solutions_steps_pass(capsys):
    answers = solution_answers()
    capsys.readouterr()  # what the setup cell printed
    expect_pass(checks.check_d_step, answers["d_step"], capsys=capsys)
    expect_pass(checks.check_g_step, answers["g_step"], capsys=capsys)


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
