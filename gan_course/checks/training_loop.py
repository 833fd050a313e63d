"""Checks for exercise 05: the D step, the G step, and a trained generator on the ring."""

from __future__ import annotations

import copy
import inspect

import torch
from torch import Tensor

from .. import losses, train
from ..data import ring_of_8
from ..loop import fit
from ..metrics import generator_mode_stats
from ..models import MLPDiscriminator, MLPGenerator
from . import questions
from .core import (
    STEP_LR,
    Check,
    CourseAnswer,
    WatchedSGD,
    course_s_own,
    fill_stale_grads,
    same,
    snapshot,
)
from .losses import d_loss_mistakes


def _setup():
    """Small fixed networks, 64 real points and 48 noise vectors (batches of unequal sizes show
    a loss that is right only for equal ones)."""
    generator, discriminator = MLPGenerator(2, 2, (16, 16)), MLPDiscriminator(2, (16, 16))
    real, noise = ring_of_8().sample(64), torch.randn(48, 2)
    return generator, discriminator, real, noise


def _loss_of(result, key: str) -> float:
    return float(result[key]) if isinstance(result, dict) else float(result)


def _expect_left_as_given(c: Check, who: str, net, name: str, step: str, instead: str) -> None:
    """After the `step` step, `net` (`who`, called `name` in the learner's code) can still learn
    (no parameter left frozen) and is still in training mode."""
    frozen = [n for n, p in net.named_parameters() if not p.requires_grad]
    c.expect(
        not frozen,
        f"can {who} still learn after the {step} step?",
        "every parameter with requires_grad=True",
        f"frozen: {frozen[:3]}",
        hint=f"{who} is still frozen after the {step} step: you set requires_grad_(False) and "
        f"never set it back, so {who} can't learn any more; call {name}.requires_grad_(True) "
        f"before returning, or don't freeze it ({instead})",
    )
    c.expect(
        net.training,
        f"{who}'s mode after the {step} step",
        "training mode, as it was given",
        "eval mode",
        hint=f"{who} was left in eval mode ({name}.eval()), which changes BatchNorm and Dropout "
        f"for the rest of training: call {name}.train() before returning, or don't switch "
        f"it ({instead})",
    )


def _expect_uses_loss_fn(c: Check, call, wants: tuple, what: str) -> None:
    """`call(loss_fn)` runs the learner's step with a loss_fn of ours: it must be the loss used,
    on the logits in the order the task gives (`wants`: their shapes)."""
    seen = []

    def loss_fn(*logits, **named):  # not the default loss: a step that ignores loss_fn shows
        logits = (*logits, *named.values())
        seen.append(tuple(tuple(x.shape) for x in logits))
        return sum(((x - 1) ** 2).mean() for x in logits)

    call(loss_fn)
    c.expect(
        bool(seen),
        "does the step use the loss_fn it is given?",
        "loss_fn(...) called",
        "never called",
        hint="use the loss_fn argument, not a loss of your own: train_gan passes other losses "
        "(lesson 09's) through it",
    )
    c.expect(
        seen[0] == wants,
        "the logits handed to loss_fn",
        what,
        f"shapes {seen[0]}",
        hint=f"call it as {what}",
    )


def check_d_step(fn) -> None:
    """`d_step(generator, discriminator, d_optimizer, real, noise)`: one update of D only."""
    with Check("d_step", reference=(train.d_step, train.d_step_switched)) as c:
        gen, disc, real, noise = _setup()
        ref_gen, ref_disc = copy.deepcopy(gen), copy.deepcopy(disc)
        ref_opt = torch.optim.SGD(ref_disc.parameters(), lr=STEP_LR)
        with torch.no_grad():
            ref_logits = disc(real), disc(gen(noise))  # D as given, for the mistakes' losses
        want = train.d_step(ref_gen, ref_disc, ref_opt, real, noise)
        opt = WatchedSGD(disc.parameters())
        fill_stale_grads(disc)  # stale gradients from "an earlier step"
        g_before, d_before = snapshot(gen), snapshot(disc)
        fresh = copy.deepcopy(gen), copy.deepcopy(disc)  # for a run with a loss_fn of ours
        got = c.call(fn, gen, disc, opt, real, noise)
        c.expect(
            isinstance(got, dict) and "d_loss" in got or isinstance(got, float | torch.Tensor),
            "what d_step returns",
            "a dict with 'd_loss' (or the loss)",
            type(got).__name__,
            hint="return d_diagnostics(loss, real_logits, fake_logits)",
        )
        silent = all(p.grad is None or not p.grad.any() for p in gen.parameters())
        c.expect(
            silent,
            "G's gradients after the D step",
            "none",
            "G received gradients",
            hint="detach the fakes: generator(noise).detach(), so no gradient flows into G",
        )
        c.expect_untouched("G", g_before, gen, "D", "the D step must update D only")
        detach = "detach the fakes instead"
        _expect_left_as_given(c, "G", gen, "generator", "D", detach)
        _expect_left_as_given(c, "D", disc, "discriminator", "D", "D learns in this step")
        c.expect_close(
            _loss_of(got, "d_loss"),
            want["d_loss"],
            "the D loss on fixed networks, 64 real points and 48 fakes",
            hint="use loss_fn(real_logits, fake_logits), real first",
            mistakes=d_loss_mistakes(*ref_logits),
            rtol=1e-4,
        )
        c.expect_one_sgd_step(
            "D",
            d_before,
            snapshot(disc),
            snapshot(ref_disc),
            move_hint="call d_optimizer.step() after loss.backward()",
            step_hint="backpropagate the D loss, then step once",
            optimizer=opt,
        )
        gen, disc = fresh
        optimizer = torch.optim.SGD(disc.parameters(), lr=STEP_LR)
        _expect_uses_loss_fn(
            c,
            lambda loss_fn: c.call(fn, gen, disc, optimizer, real, noise, loss_fn),
            ((64,), (48,)),
            "loss_fn(real_logits, fake_logits), real first",
        )


def check_g_step(fn) -> None:
    """`g_step(generator, discriminator, g_optimizer, noise)`: one update of G only."""
    with Check("g_step", reference=(train.g_step, train.g_step_switched)) as c:
        gen, disc, _, noise = _setup()
        ref_gen, ref_disc = copy.deepcopy(gen), copy.deepcopy(disc)
        ref_opt = torch.optim.SGD(ref_gen.parameters(), lr=STEP_LR)
        want = train.g_step(ref_gen, ref_disc, ref_opt, noise)
        with torch.no_grad():
            fake_logits = disc(gen(noise))
        opt = WatchedSGD(gen.parameters())
        fill_stale_grads(gen)
        g_before, d_before = snapshot(gen), snapshot(disc)
        fresh = copy.deepcopy(gen), copy.deepcopy(disc)  # for a run with a loss_fn of ours
        got = c.call(fn, gen, disc, opt, noise)
        saturating = losses.g_loss_saturating(fake_logits)
        mistakes = [
            (saturating, "that's the saturating loss; use loss_fn (-log D(G(z)))"),
            (-want["g_loss"], "wrong sign: G minimises -log D(G(z))"),
            (len(noise) * want["g_loss"], "sum instead of mean: average over the batch"),
        ]
        c.expect_close(
            _loss_of(got, "g_loss"),
            want["g_loss"],
            "the G loss on fixed networks",
            hint="loss_fn(discriminator(generator(noise)))",
            mistakes=mistakes,
        )
        c.expect_untouched(
            "D", d_before, disc, "G", "the G step updates G only: step g_optimizer, nothing else"
        )
        only_g = "g_optimizer steps G only, so D stays as it is without it"
        _expect_left_as_given(c, "D", disc, "discriminator", "G", only_g)
        _expect_left_as_given(c, "G", gen, "generator", "G", "G learns in this step")
        c.expect_one_sgd_step(
            "G",
            g_before,
            snapshot(gen),
            snapshot(ref_gen),
            move_hint="don't detach the fakes in the G step, no .detach() or .data (G learns "
            "through D), and call g_optimizer.step()",
            step_hint="minimise loss_fn: backward() on it, then step",
            optimizer=opt,
        )
        gen, disc = fresh
        optimizer = torch.optim.SGD(gen.parameters(), lr=STEP_LR)
        _expect_uses_loss_fn(
            c,
            lambda loss_fn: c.call(fn, gen, disc, optimizer, noise, loss_fn),
            ((48,),),
            "loss_fn(fake_logits)",
        )


ADAM = "torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999))"


class _Recorded:
    """A d_step or g_step that notes what the loop hands it, then runs the course's."""

    def __init__(self, name: str, step, calls: list, guard=None) -> None:
        self.name, self.step, self.calls, self.guard = name, step, calls, guard
        self.signature = inspect.signature(step)

    def __call__(self, *args, **kwargs):
        arguments = self.signature.bind(*args, **kwargs).arguments
        self.calls.append((self.name, arguments))
        if self.guard is not None:
            self.guard(self.name, arguments)  # may raise CheckFailed before the step crashes
        return self.step(*args, **kwargs)


def _order_hint(order: str, steps: int, k: int, default: bool) -> str:
    """What the order of the step calls says about the loop."""
    if default and order.count("g") == steps and order.count("d") > steps:
        return "k=1 by default: one D step per G step unless k says otherwise"
    if order == "dg" * steps and k > 1:
        return (
            f"k={k} asks for {k} D steps before each G step: repeat d_step k times in every "
            "iteration, each time on a fresh real batch and fresh noise"
        )
    if order == ("d" + "g" * k) * steps:
        return "k counts D steps per G step, not G steps: k d_steps, then one g_step"
    if order.count("g") != steps:
        return (
            "`steps` counts iterations, one G step each: in each of the `steps` iterations, "
            "k d_steps and then one g_step"
        )
    if order.startswith("g"):
        return "D goes first in each iteration: k d_steps, then one g_step"
    return "in each of the `steps` iterations: k d_steps, then one g_step"


def _expect_loop_structure(
    c: Check, fn, steps: int, k: int | None = None, batch_size: int = 96, latent_dim: int = 3
) -> None:
    """A few steps of the learner's loop with steps that record what they are given: k D steps
    (`k=None`: the loop's default, which must be 1) then one G step per iteration, each
    network's own Adam (created once), a fresh real batch and fresh noise for each step, of the
    sizes asked for. Quick, and says what is wrong before a long run would. Sizes other than the
    defaults (a batch of 96, a latent space of 3) show a size written in by hand."""
    generator = MLPGenerator(latent_dim, 2, (16, 16))
    discriminator = MLPDiscriminator(2, (16, 16))
    calls: list = []

    def guard(name: str, arguments) -> None:  # noise G can't take would crash inside the step
        noise = arguments.get("noise")
        if isinstance(noise, Tensor) and noise.dim() == 2 and noise.shape[1] != latent_dim:
            c.expect_shape(
                noise,
                (noise.shape[0], latent_dim),
                f"the noise {name}_step gets, for a generator with latent_dim={latent_dim}",
                hint="torch.randn(batch_size, generator.latent_dim): the generator's own "
                "latent_dim, not a number of your own",
            )

    d_step = _Recorded("d", train.d_step, calls, guard)
    g_step = _Recorded("g", train.g_step, calls, guard)
    more = {"batch_size": batch_size} if k is None else {"batch_size": batch_size, "k": k}
    c.call(fn, generator, discriminator, ring_of_8(), steps, d_step, g_step, **more)
    per_g = 1 if k is None else k
    called = f"train_loop(..., steps={steps}" + ("" if k is None else f", k={k}") + ")"
    order = "".join(name for name, _ in calls)
    for who in ("d", "g"):
        c.expect(
            who in order,
            f"{who}_step calls in {called}",
            "some",
            "none",
            hint=f"call {who}_step, the one train_loop is given as an argument, with "
            f"{who.upper()}'s optimizer in every iteration",
        )
    c.expect(
        order == ("d" * per_g + "g") * steps,
        f"the steps {called} calls, in order",
        " ".join(["d_step"] * per_g + ["g_step"]) + f" ... ({steps} times)",
        " ".join(f"{name}_step" for name in order),
        hint=_order_hint(order, steps, per_g, k is None),
    )
    d_calls = [arguments for name, arguments in calls if name == "d"]
    g_calls = [arguments for name, arguments in calls if name == "g"]
    for who, net, given, key in (
        ("D", discriminator, d_calls, "d_optimizer"),
        ("G", generator, g_calls, "g_optimizer"),
    ):
        optimizers = [arguments[key] for arguments in given]
        c.expect(
            all(o is optimizers[0] for o in optimizers),
            f"the optimizer {who.lower()}_step gets, over {len(given)} steps",
            "the same one every step",
            f"{len({id(o) for o in optimizers})} different ones",
            hint="create each optimizer once, before the loop: a new Adam at every step "
            "starts from scratch (its running averages are lost)",
        )
        optimizer = optimizers[0]
        params = {id(p) for group in optimizer.param_groups for p in group["params"]}
        c.expect(
            params == {id(p) for p in net.parameters()},
            f"the parameters of the optimizer {who.lower()}_step gets",
            f"{who}'s, and only {who}'s",
            "others",
            hint="each network needs its own optimizer: Adam(discriminator.parameters(), ...) "
            "for d_step and Adam(generator.parameters(), ...) for g_step",
        )
        group = optimizer.param_groups[0]
        settings = f"{type(optimizer).__name__}(lr={group['lr']:g}, betas={group.get('betas')})"
        c.expect(
            isinstance(optimizer, torch.optim.Adam)
            and abs(group["lr"] - 2e-4) < 1e-12
            and tuple(group["betas"]) == (0.5, 0.999),
            f"{who}'s optimizer",
            "Adam(lr=0.0002, betas=(0.5, 0.999))",
            settings,
            hint=f"the optimizer settings: {ADAM} for each network (Radford et al.); "
            "Adam's defaults, lr=1e-3 and betas=(0.9, 0.999), are too hasty for this game",
        )
    reals = [arguments["real"] for arguments in d_calls]
    noises = {"d_step": [a["noise"] for a in d_calls], "g_step": [a["noise"] for a in g_calls]}
    c.expect_shape(
        reals[0],
        (batch_size, 2),
        f"the real batch d_step gets, with batch_size={batch_size}",
        hint="distribution.sample(batch_size): use the argument, not a number of your own",
    )
    for name, noise in noises.items():
        c.expect_shape(
            noise[0],
            (batch_size, latent_dim),
            f"the noise {name} gets, with batch_size={batch_size} and a latent_dim of {latent_dim}",
            hint="torch.randn(batch_size, generator.latent_dim): the arguments and the "
            "generator's own latent_dim, not numbers of your own",
        )
    for what, step, batches, how in (
        ("real batch", "d_step", reals, "distribution.sample(batch_size)"),
        *[("noise", step, noise, "torch.randn(...)") for step, noise in noises.items()],
    ):
        repeats = _repeats(batches)
        hint = (
            f"draw the {what} inside the loop, fresh for every step ({how}); and don't seed "
            "inside the loop"
        )
        if step == "d_step" and per_g > 1 and repeats and repeats < len(batches) - 1:
            hint = (
                f"each of the k D steps needs its own {what}: draw it inside the inner loop, "
                "before every d_step, not once per iteration"
            )
        c.expect(
            not repeats,
            f"the {what} {step} gets, over {len(batches)} steps",
            "a fresh one every step",
            f"the same one {repeats + 1} times" if repeats else "",
            hint=hint,
        )
    last_d_noise = [noises["d_step"][per_g * (i + 1) - 1] for i in range(steps)]
    c.expect(
        all(not torch.equal(d, g) for d, g in zip(last_d_noise, noises["g_step"], strict=True)),
        "the noise g_step gets",
        "fresh noise, drawn after the D steps",
        "the last D step's noise again",
        hint="draw fresh noise for the G step: torch.randn(batch_size, generator.latent_dim) "
        "again after the D steps",
    )
    z = torch.cat(noises["d_step"])
    c.expect(
        abs(z.mean().item()) < 0.1 and abs(z.std().item() - 1) < 0.1,
        "the noise's mean and std",
        "0 and 1: z ~ N(0, I)",
        f"{z.mean().item():.2f} and {z.std().item():.2f}",
        hint="draw the noise from the standard normal, torch.randn, as in exercise 02",
    )


def _repeats(batches: list[Tensor]) -> int:
    """How many of `batches` equal one that came before them."""
    return sum(any(torch.equal(b, a) for a in batches[:i]) for i, b in enumerate(batches))


def _expect_takes_k(c: Check, fn) -> None:
    """`fn` is not the course's, and takes `k` (the number of D steps per G step)."""
    own = course_s_own(fn, c.references)
    if own is not None:
        raise CourseAnswer(c.task, own)
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # not a Python function: let the call say what it is
        return
    takes = "k" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
    c.expect(
        takes,
        "train_loop's arguments",
        "(generator, discriminator, distribution, steps, d_step, g_step, batch_size=256, k=1)",
        f"({', '.join(params)})",
        hint="add the argument k=1: the number of D steps in each iteration, before its G step",
    )


TRAIN_SEEDS = (0, 1, 2)  # a correct loop misses 7 modes in 1,500 steps about one run in four


def check_train_loop(fn, steps: int = 1500, min_modes: int = 7) -> None:
    """`train_loop(generator, discriminator, distribution, steps, d_step, g_step,
    batch_size=256, k=1)`: `steps` iterations of k D steps then one G step, with the steps it is
    given and Adam(2e-4, (0.5, 0.999)); after 1,500 steps (k=1) on fresh networks the generator
    should put high-quality samples on at least 7 of the ring's 8 modes, in one of up to three
    runs (GAN training is a gamble: a correct loop misses about one run in four). The loop gets the
    course's `d_step` and `g_step` (which have checks of their own), so it is judged on its
    own."""
    with Check("train_loop", reference=(train.train_gan, train.gan_step, fit)) as c:
        _expect_takes_k(c, fn)
        _expect_loop_structure(c, fn, steps=3)  # the default k: 1
        _expect_loop_structure(c, fn, steps=3, k=2)
        ring = ring_of_8()
        for seed in TRAIN_SEEDS:
            torch.manual_seed(seed)  # a new draw of the networks and the batches
            generator = MLPGenerator(2, 2, (128, 128))
            discriminator = MLPDiscriminator(2, (128, 128))
            players = (
                ("D", discriminator, snapshot(discriminator)),
                ("G", generator, snapshot(generator)),
            )
            c.call(fn, generator, discriminator, ring, steps, train.d_step, train.g_step)
            for who, net, before in players:
                c.expect(
                    not same(before, snapshot(net)),
                    f"did {who} learn?",
                    f"{who}'s weights moved",
                    f"{who} is unchanged",
                    hint=f"call {who.lower()}_step(...) with {who}'s optimizer in every iteration",
                )
            stats = generator_mode_stats(generator, ring, n=2500)
            if stats.modes_covered >= min_modes:
                break
        if stats.high_quality < 0.01:
            hint = (
                "almost no samples land on a mode: is each step using its own optimizer, "
                "Adam(lr=2e-4, betas=(0.5, 0.999)), and fresh noise and real data every step?"
            )
        else:
            hint = (
                f"only {stats.modes_covered} modes: that's mode collapse. Alternate k D steps "
                "and one G step, with fresh noise and real data each time"
            )
        c.expect(
            stats.modes_covered >= min_modes,
            f"modes covered after {steps} steps, in up to {len(TRAIN_SEEDS)} fresh runs",
            f">= {min_modes} of 8 in at least one",
            f"the last: {stats}",
            hint=hint,
        )


# ------------------------------------------------------------------------------ three bugs

THREE_BUGS = {  # a bug still in the loop -> what it does, then what to look for
    "same noise": (
        "the D step's fakes come from the same noise in every iteration",
        "D only ever sees the fakes of one fixed batch of z, so it learns to reject those few "
        "points, not what G makes of fresh noise: draw the D step's noise inside the loop, "
        "fresh in every iteration, as the real batch is",
    ),
    "leak": (
        "the D step's backward() reaches G",
        "G's .grad changed during the D step: D's loss must not flow into G (lesson 05, why "
        "detach in the D step?); cut the fakes off from G before D scores them",
    ),
    "stale": (
        "G's step uses gradients left over from before",
        "when G's optimizer stepped, G's .grad still held what earlier backward() calls had put "
        "there (the D step's too, when it reaches G): .grad adds up until cleared, so clear G's "
        "gradients at the start of every G step",
    ),
}
BUG_STALE = 100.0  # planted in every .grad before the loop: far above any gradient it computes


class _Referee:
    """Watches a training loop from the inside: the optimizers it is given, G's forward calls.

    Events in order: G's inputs, and the D and G optimizers' steps. At each D step it notes
    whether G's gradients changed since the last G optimizer event (the D loss reached G); at
    each G step, whether G's gradients still hold the stale value planted before the loop."""

    def __init__(self, generator, discriminator) -> None:
        self.generator, self.discriminator = generator, discriminator
        self.order, self.pending, self.inputs = "", [], {"d": [], "g": []}
        self.leaks, self.stale = 0, {"d": 0, "g": 0}
        self.empty = {"d": 0, "g": 0}  # steps taken with no gradient at all (nothing to step on)
        fill_stale_grads(generator, BUG_STALE)
        fill_stale_grads(discriminator, BUG_STALE)
        self.known = self._grads(generator)
        generator.register_forward_hook(self._forward)

    @staticmethod
    def _grads(net) -> list:
        return [None if p.grad is None else p.grad.detach().clone() for p in net.parameters()]

    def _forward(self, module, args, out) -> None:
        self.pending.append(args[0].detach().clone())

    def _changed(self, now) -> bool:
        """G's gradients differ from the last ones seen at a G optimizer event, and are there
        (a cleared .grad, by generator.zero_grad() say, is no leak)."""
        for then, grad in zip(self.known, now, strict=True):
            if grad is None or not grad.any():
                continue
            if then is None or not torch.equal(then, grad):
                return True
        return False

    def before_step(self, who: str) -> None:
        self.order += who
        self.inputs[who].append(self.pending)
        self.pending = []
        net = self.discriminator if who == "d" else self.generator
        grads = self._grads(net)
        if who == "d" and self._changed(self._grads(self.generator)):
            self.leaks += 1
        present = [g for g in grads if g is not None]
        self.empty[who] += not present or not any(g.any() for g in present)
        self.stale[who] += any(bool((g.abs() > BUG_STALE / 2).any()) for g in present)

    def after(self, who: str) -> None:
        if who == "g":
            self.known = self._grads(self.generator)


class _RefereedSGD(torch.optim.SGD):
    """Plain SGD that tells the referee when it steps and when it clears gradients."""

    def __init__(self, params, referee: _Referee, who: str) -> None:
        super().__init__(params, lr=STEP_LR)
        self.referee, self.who = referee, who

    def zero_grad(self, set_to_none: bool = True) -> None:
        super().zero_grad(set_to_none)
        self.referee.after(self.who)

    def step(self, closure=None):
        self.referee.before_step(self.who)
        out = super().step(closure)
        self.referee.after(self.who)
        return out


class _CountedRing:
    """The ring of 8, counting how often the loop samples it."""

    def __init__(self) -> None:
        self.ring, self.draws = ring_of_8(), 0

    def sample(self, n: int) -> Tensor:
        self.draws += 1
        return self.ring.sample(n)


def _bugs_left(referee: _Referee, steps: int) -> list[str]:
    """Which of the three bugs the loop's behaviour shows."""
    d_noise = [batch[-1] for batch in referee.inputs["d"] if batch]  # the D step's fakes' z
    left = []
    if len(d_noise) == steps and _repeats(d_noise):
        left.append("same noise")
    if referee.leaks:
        left.append("leak")
    if referee.stale["g"]:
        left.append("stale")
    return left


def check_three_bugs(fn, steps: int = 4, batch_size: int = 40) -> None:
    """`gan_loop(generator, discriminator, g_optimizer, d_optimizer, distribution, steps,
    batch_size=256)`: exercise 05's loop with three bugs, fixed. Graded by what the loop does,
    watched from inside its optimizers and G: fresh noise for every D step, no gradient from
    the D step into G, G's gradients cleared before each G step; and one D step then one G
    step per iteration, each moving its own network."""
    steps_of_the_course = (train.d_step, train.g_step, train.gan_step, train.train_gan)
    with Check("three_bugs", reference=steps_of_the_course) as c:
        generator, discriminator = MLPGenerator(3, 2, (16,)), MLPDiscriminator(2, (16,))
        referee = _Referee(generator, discriminator)
        g_opt = _RefereedSGD(generator.parameters(), referee, "g")
        d_opt = _RefereedSGD(discriminator.parameters(), referee, "d")
        ring, before = _CountedRing(), (snapshot(generator), snapshot(discriminator))
        c.call(fn, generator, discriminator, g_opt, d_opt, ring, steps, batch_size=batch_size)
        c.expect(
            referee.order == "dg" * steps,
            f"the optimizers' steps over {steps} iterations, in order",
            " ".join(["d_optimizer g_optimizer"] * steps),
            " ".join(f"{who}_optimizer" for who in referee.order) or "none",
            hint="keep the loop's shape: in each iteration one D step, then one G step, each "
            "with the optimizer the loop is given (d_optimizer, g_optimizer)",
        )
        left = _bugs_left(referee, steps)
        c.expect(
            not left,
            f"bugs still in the loop: {len(left)} of 3",
            "none",
            "; ".join(THREE_BUGS[bug][0] for bug in left),
            hint="\n          ".join(f"({i}) {THREE_BUGS[bug][1]}" for i, bug in enumerate(left, 1))
            if len(left) > 1
            else THREE_BUGS[left[0]][1]
            if left
            else None,
        )
        c.expect(
            referee.stale["d"] == 0,
            "D's gradients when its optimizer steps",
            "this step's only",
            "gradients left over from before",
            hint="keep d_optimizer.zero_grad() at the start of the D step: .grad adds up until "
            "cleared",
        )
        for who, net, was in (("D", discriminator, before[1]), ("G", generator, before[0])):
            c.expect(
                referee.empty[who.lower()] == 0 and not same(was, snapshot(net)),
                f"did {who} learn in every step?",
                f"a gradient for {who} at each of its optimizer's steps",
                "steps with no gradient to take",
                hint=f"{who}'s optimizer stepped with empty gradients: zero_grad() belongs "
                "before backward(), not between backward() and step()"
                if who == "D"
                else "G's optimizer stepped with no gradient: the G step's fakes must be made "
                "with G's graph (no .detach(), no torch.no_grad(), no frozen G left frozen), "
                "and zero_grad() belongs before backward(), not between backward() and step()",
            )
        c.expect(
            ring.draws >= steps,
            f"real batches drawn over {steps} iterations",
            f"{steps}, a fresh one each",
            f"{ring.draws}",
            hint="draw the real batch inside the loop, as the loop you were given does",
        )


# -- concept questions (ids "05.name": checked by `check_question`) ----------------------------

questions.choice(
    "05.curves",
    "abcd",
    right="a3ac04516bb718c2",
    meaning="G answers every D step, so neither player pulls ahead for long: D(x) and D(G(z)) "
    "close in on ½, D(x) a little above, D(G(z)) a little below while G still scatters "
    "samples D can reject. A D that kept winning would mean G had failed.",
    why={
        "e6ef34cf24b36d9f": "that is D against a generator that stands still (exercise 03). "
        "Here G takes a step after every D step, towards whatever D calls real: if D(G(z)) "
        "went to 0 and stayed there, G would have failed (lesson 06: D too strong)",
        "3d0a0750954eeec5": "D(G(z)) near 1 means D calls the fakes real with confidence: the "
        "very next D step is trained to push them down, and it does. Both near 1 can't last",
        "bf5dacbfd490351b": "the best G can do is match the data, and then D can't tell, "
        "D = ½ for both: there is no 'more real than real' for D(G(z)) to stay above D(x)",
    },
)
questions.choice(
    "05.without_detach",
    "abcd",
    right="376cafb256053ca5",
    meaning="Without detach the D step fills G's .grad, but the G step's zero_grad() clears it "
    "before G's optimizer uses it: nothing changes but the cost of a backward pass through G. "
    "It turns into a real bug only with a G step that forgets zero_grad() (task 4).",
    why={
        "386172f29716a622": "the leaked gradient does sit in G's .grad, but g_step starts with "
        "zero_grad(), which clears it before G's optimizer steps: nothing ever uses it (it "
        "would hurt with a G step that forgets zero_grad(), as in task 4)",
        "34320d704d787d7b": "a backward pass doesn't use anything up: the G step runs G again "
        "and computes G's own gradient afresh, whatever the D step did to G's .grad",
        "2cf6e3c4dab70c16": "each step makes its own fakes, with a graph of its own, and "
        "backpropagates through it once: nothing goes backward twice. That error comes from "
        "reusing fakes (or logits) from an earlier step's graph",
    },
)
questions.number(
    "05.momentum",
    2.0,
    0.3,
    meaning="1 / (1 - 0.5) = 2: with β₁ = 0.5 each player's momentum reacts to about the last "
    "two gradients, so neither keeps pushing in a direction that suited an opponent who has "
    "already moved.",
    traps=[
        (
            10.0,
            0.5,
            "10 is 1 / (1 - 0.9), the memory of PyTorch's default β₁ = 0.9: the course's "
            "optimizers use betas=(0.5, 0.999)",
        ),
        (
            0.5,
            0.05,
            "0.5 is β₁ itself, the weight kept from the old average at each step, not a number "
            "of steps: put it into 1 / (1 - β₁)",
        ),
        (
            1000.0,
            5.0,
            "1000 is 1 / (1 - 0.999): that is β₂, the memory of the squared gradients that "
            "scale the step; the momentum is β₁'s",
        ),
    ],
    off="put the course's β₁ into 1 / (1 - β₁): betas=(0.5, 0.999), β₁ is the first",
)


__all__ = ["check_d_step", "check_g_step", "check_train_loop", "check_three_bugs"]
