"""Checks for exercise 05: the D step, the G step, and a trained generator on the ring."""

from __future__ import annotations

import copy

import torch

from .. import losses, train
from ..data import ring_of_8
from ..loop import fit
from ..metrics import generator_mode_stats
from ..models import MLPDiscriminator, MLPGenerator
from .core import STEP_LR, Check, fill_stale_grads, same, snapshot
from .losses import d_loss_mistakes


def _setup():
    """Small fixed networks, a real batch, noise, and clones for the reference step."""
    generator, discriminator = MLPGenerator(2, 2, (16, 16)), MLPDiscriminator(2, (16, 16))
    real, noise = ring_of_8().sample(64), torch.randn(64, 2)
    return generator, discriminator, real, noise


def _loss_of(result, key: str) -> float:
    return float(result[key]) if isinstance(result, dict) else float(result)


def check_d_step(fn) -> None:
    """`d_step(generator, discriminator, d_optimizer, real, noise)`: one update of D only."""
    with Check("d_step", reference=(train.d_step, train.d_step_switched)) as c:
        gen, disc, real, noise = _setup()
        ref_gen, ref_disc = copy.deepcopy(gen), copy.deepcopy(disc)
        ref_opt = torch.optim.SGD(ref_disc.parameters(), lr=STEP_LR)
        with torch.no_grad():
            ref_logits = disc(real), disc(gen(noise))  # D as given, for the mistakes' losses
        want = train.d_step(ref_gen, ref_disc, ref_opt, real, noise)
        opt = torch.optim.SGD(disc.parameters(), lr=STEP_LR)
        fill_stale_grads(disc)  # stale gradients from "an earlier step"
        g_before, d_before = snapshot(gen), snapshot(disc)
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
        c.expect_close(
            _loss_of(got, "d_loss"),
            want["d_loss"],
            "the D loss on fixed networks",
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
        opt = torch.optim.SGD(gen.parameters(), lr=STEP_LR)
        fill_stale_grads(gen)
        g_before, d_before = snapshot(gen), snapshot(disc)
        got = c.call(fn, gen, disc, opt, noise)
        saturating = losses.g_loss_saturating(fake_logits)
        mistakes = [
            (saturating, "that's the saturating loss; use loss_fn (-log D(G(z)))"),
            (-want["g_loss"], "wrong sign: G minimises -log D(G(z))"),
            (64 * want["g_loss"], "sum instead of mean: average over the batch"),
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
        c.expect_one_sgd_step(
            "G",
            g_before,
            snapshot(gen),
            snapshot(ref_gen),
            move_hint="don't detach the fakes in the G step (G learns through D), "
            "and call g_optimizer.step()",
            step_hint="minimise loss_fn: backward() on it, then step",
        )


def check_train_loop(fn, steps: int = 1500, min_modes: int = 7) -> None:
    """`train_loop(generator, discriminator, distribution, steps, d_step, g_step,
    batch_size=256)`: alternate the D and G steps it is given, with Adam(2e-4, (0.5, 0.999));
    after 1,500 steps on fresh networks the generator should put high-quality samples on at
    least 7 of the ring's 8 modes. The loop gets the course's `d_step` and `g_step` (which have
    checks of their own), so it is judged on its own."""
    with Check("train_loop", reference=(train.train_gan, train.gan_step, fit)) as c:
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
