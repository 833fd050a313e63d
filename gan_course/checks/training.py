"""Checks for exercise 05: the D step, the G step, and a trained generator on the ring."""

from __future__ import annotations

import copy

import torch

from .. import losses, train
from ..data import ring_of_8
from ..metrics import generator_mode_stats
from ..models import MLPDiscriminator, MLPGenerator
from .core import Check

LR = 0.1  # the checks use plain SGD, so one step's effect is exactly predictable
GARBAGE = 5.0  # stale gradient left in .grad, to catch a missing zero_grad()


def _setup():
    """Small fixed networks, a real batch, noise, and clones for the reference step."""
    generator, discriminator = MLPGenerator(2, 2, (16, 16)), MLPDiscriminator(2, (16, 16))
    real, noise = ring_of_8().sample(64), torch.randn(64, 2)
    return generator, discriminator, real, noise


def _params(net) -> list[torch.Tensor]:
    return [p.detach().clone() for p in net.parameters()]


def _same(a, b) -> bool:
    return all(torch.allclose(x, y, atol=1e-6) for x, y in zip(a, b, strict=True))


def _fill_grads(net, value: float) -> None:
    for p in net.parameters():
        p.grad = torch.full_like(p, value)


def _loss_of(result, key: str) -> float:
    return float(result[key]) if isinstance(result, dict) else float(result)


def check_d_step(fn) -> None:
    """`d_step(generator, discriminator, d_optimizer, real, noise)`: one update of D only."""
    with Check("d_step") as c:
        gen, disc, real, noise = _setup()
        ref_gen, ref_disc = copy.deepcopy(gen), copy.deepcopy(disc)
        ref_opt = torch.optim.SGD(ref_disc.parameters(), lr=LR)
        want = train.d_step(ref_gen, ref_disc, ref_opt, real, noise)
        opt = torch.optim.SGD(disc.parameters(), lr=LR)
        _fill_grads(disc, GARBAGE)  # stale gradients from "an earlier step"
        g_before, d_before = _params(gen), _params(disc)
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
        c.expect(
            _same(g_before, _params(gen)),
            "G's parameters after the D step",
            "unchanged",
            "changed",
            hint="the D step must update D only",
        )
        c.expect_close(
            _loss_of(got, "d_loss"),
            want["d_loss"],
            "the D loss on fixed networks",
            hint="use loss_fn(real_logits, fake_logits), real first",
            mistakes=_d_loss_mistakes(gen, copy.deepcopy(disc), d_before, real, noise),
            rtol=1e-4,
        )
        d_after = _params(disc)
        c.expect(
            not _same(d_before, d_after),
            "D's parameters after the D step",
            "changed",
            "unchanged",
            hint="call d_optimizer.step() after loss.backward()",
        )
        stale = [p - LR * GARBAGE for p in _params(ref_disc)]  # what skipping zero_grad gives
        c.expect(
            _same(_params(ref_disc), d_after),
            "D's parameters after one SGD step",
            "one step along the gradient of the D loss",
            "a different update",
            hint="call d_optimizer.zero_grad() first: old gradients add up in .grad"
            if _same(stale, d_after)
            else "backpropagate the D loss, then step once",
        )


def _d_loss_mistakes(gen, disc_clone, d_before, real, noise):
    """The D loss as common mistakes compute it, on the networks as given."""
    with torch.no_grad():
        for p, v in zip(disc_clone.parameters(), d_before, strict=True):
            p.copy_(v)
        r, f = disc_clone(real), disc_clone(gen(noise))
    return [
        (losses.d_loss_bce(f, r), "labels swapped: real samples are labelled 1, fakes 0"),
        (64 * losses.d_loss_bce(r, f), "sum instead of mean: average over the batch"),
        (
            losses.d_loss_bce(torch.sigmoid(r), torch.sigmoid(f)),
            "sigmoid applied twice: the discriminator already returns logits",
        ),
    ]


def check_g_step(fn) -> None:
    """`g_step(generator, discriminator, g_optimizer, noise)`: one update of G only."""
    with Check("g_step") as c:
        gen, disc, _, noise = _setup()
        ref_gen, ref_disc = copy.deepcopy(gen), copy.deepcopy(disc)
        ref_opt = torch.optim.SGD(ref_gen.parameters(), lr=LR)
        want = train.g_step(ref_gen, ref_disc, ref_opt, noise)
        with torch.no_grad():
            fake_logits = disc(gen(noise))
        opt = torch.optim.SGD(gen.parameters(), lr=LR)
        _fill_grads(gen, GARBAGE)
        g_before, d_before = _params(gen), _params(disc)
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
        c.expect(
            _same(d_before, _params(disc)),
            "D's parameters after the G step",
            "unchanged",
            "changed",
            hint="the G step updates G only: step g_optimizer, nothing else",
        )
        g_after = _params(gen)
        c.expect(
            not _same(g_before, g_after),
            "G's parameters after the G step",
            "changed",
            "unchanged",
            hint="don't detach the fakes in the G step (G learns through D), "
            "and call g_optimizer.step()",
        )
        stale = [p - LR * GARBAGE for p in _params(ref_gen)]  # what skipping zero_grad gives
        c.expect(
            _same(_params(ref_gen), g_after),
            "G's parameters after one SGD step",
            "one step down the gradient of the G loss",
            "a different update",
            hint="call g_optimizer.zero_grad() first: old gradients add up in .grad"
            if _same(stale, g_after)
            else "minimise loss_fn: backward() on it, then step",
        )


def check_train_loop(fn, steps: int = 1500, min_modes: int = 7) -> None:
    """`train_loop(generator, discriminator, distribution, steps, batch_size=256)`: alternate
    D and G steps with Adam(2e-4, betas=(0.5, 0.999)); after 1,500 steps on fresh networks the
    generator should put high-quality samples on at least 7 of the ring's 8 modes."""
    with Check("train_loop") as c:
        ring = ring_of_8()
        generator, discriminator = MLPGenerator(2, 2, (128, 128)), MLPDiscriminator(2, (128, 128))
        g_before, d_before = _params(generator), _params(discriminator)
        c.call(fn, generator, discriminator, ring, steps)
        c.expect(
            not _same(d_before, _params(discriminator)),
            "did D learn?",
            "D's weights moved",
            "D is unchanged",
            hint="call d_step(...) with D's optimizer in every iteration",
        )
        c.expect(
            not _same(g_before, _params(generator)),
            "did G learn?",
            "G's weights moved",
            "G is unchanged",
            hint="call g_step(...) with G's optimizer in every iteration",
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
