"""Checks for exercise 05: the D step, the G step, and a trained generator on the ring."""

from __future__ import annotations

import copy
import inspect

import torch

from .. import losses, train
from ..data import ring_of_8
from ..loop import fit
from ..metrics import generator_mode_stats
from ..models import MLPDiscriminator, MLPGenerator
from .core import STEP_LR, Check, WatchedSGD, fill_stale_grads, same, snapshot
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

    def __init__(self, name: str, step, calls: list) -> None:
        self.name, self.step, self.calls = name, step, calls
        self.signature = inspect.signature(step)

    def __call__(self, *args, **kwargs):
        arguments = self.signature.bind(*args, **kwargs).arguments
        self.calls.append((self.name, arguments))
        return self.step(*args, **kwargs)


def _expect_loop_structure(c: Check, fn, steps: int = 3, batch_size: int = 256) -> None:
    """A few steps of the learner's loop with steps that record what they are given: one D step
    then one G step per iteration, each network's own Adam (created once), fresh real data and
    fresh noise for each step. Quick, and says what is wrong before a long run would."""
    generator, discriminator = MLPGenerator(2, 2, (16, 16)), MLPDiscriminator(2, (16, 16))
    calls: list = []
    d_step, g_step = _Recorded("d", train.d_step, calls), _Recorded("g", train.g_step, calls)
    c.call(fn, generator, discriminator, ring_of_8(), steps, d_step, g_step)
    order = "".join(name for name, _ in calls)
    for who in ("d", "g"):
        c.expect(
            who in order,
            f"{who}_step calls in a loop of {steps} steps",
            f"{steps}",
            "none",
            hint=f"call {who}_step, the one train_loop is given as an argument, with "
            f"{who.upper()}'s optimizer in every iteration",
        )
    c.expect(
        order == "dg" * steps,
        f"the steps a loop of {steps} steps calls, in order",
        " ".join(["d_step g_step"] * steps),
        " ".join(f"{name}_step" for name in order),
        hint="in each of the `steps` iterations: one d_step, then one g_step",
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
            f"the optimizer {who.lower()}_step gets, over {steps} steps",
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
        "the real batch d_step gets",
        hint="distribution.sample(batch_size)",
    )
    for name, noise in noises.items():
        c.expect_shape(
            noise[0],
            (batch_size, generator.latent_dim),
            f"the noise {name} gets",
            hint="torch.randn(batch_size, generator.latent_dim)",
        )
    for what, step, batches, how in (
        ("real batch", "d_step", reals, "distribution.sample(batch_size)"),
        *[("noise", step, noise, "torch.randn(...)") for step, noise in noises.items()],
    ):
        c.expect(
            all(not torch.equal(a, b) for a, b in zip(batches, batches[1:], strict=False)),
            f"the {what} {step} gets, over {steps} steps",
            "a fresh one every step",
            "the same one every step",
            hint=f"draw the real batch and the noise inside the loop, fresh at every step "
            f"({how}); and don't seed inside the loop",
        )
    c.expect(
        all(not torch.equal(d, g) for d, g in zip(noises["d_step"], noises["g_step"], strict=True)),
        "the noise g_step gets",
        "fresh noise, drawn after the D step",
        "the D step's noise again",
        hint="draw fresh noise for the G step: torch.randn(batch_size, generator.latent_dim) "
        "again after d_step",
    )
    z = torch.cat(noises["d_step"])
    c.expect(
        abs(z.mean().item()) < 0.1 and abs(z.std().item() - 1) < 0.1,
        "the noise's mean and std",
        "0 and 1: z ~ N(0, I)",
        f"{z.mean().item():.2f} and {z.std().item():.2f}",
        hint="draw the noise from the standard normal, torch.randn, as in exercise 02",
    )


def check_train_loop(fn, steps: int = 1500, min_modes: int = 7) -> None:
    """`train_loop(generator, discriminator, distribution, steps, d_step, g_step,
    batch_size=256)`: alternate the D and G steps it is given, with Adam(2e-4, (0.5, 0.999));
    after 1,500 steps on fresh networks the generator should put high-quality samples on at
    least 7 of the ring's 8 modes. The loop gets the course's `d_step` and `g_step` (which have
    checks of their own), so it is judged on its own."""
    with Check("train_loop", reference=(train.train_gan, train.gan_step, fit)) as c:
        _expect_loop_structure(c, fn)
        ring = ring_of_8()
        generator, discriminator = MLPGenerator(2, 2, (128, 128)), MLPDiscriminator(2, (128, 128))
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
        if stats.high_quality < 0.01:
            hint = (
                "almost no samples land on a mode: is each step using its own optimizer, "
                "Adam(lr=2e-4, betas=(0.5, 0.999)), and fresh noise and real data every step?"
            )
        else:
            hint = (
                f"only {stats.modes_covered} modes: that's mode collapse. Alternate one D "
                "step and one G step, with fresh noise each time"
            )
        c.expect(
            stats.modes_covered >= min_modes,
            f"modes covered after {steps} steps",
            f">= {min_modes} of 8",
            str(stats),
            hint=hint,
        )


__all__ = ["check_d_step", "check_g_step", "check_train_loop"]
