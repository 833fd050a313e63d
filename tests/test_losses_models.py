"""gan_course.losses and gan_course.models: against PyTorch's own BCE, and their shapes."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gan_course import losses
from gan_course.models import MLPDiscriminator, MLPGenerator


def bce(logits, label):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def test_d_loss_is_bce_real_one_fake_zero():
    real, fake = torch.randn(32) * 3, torch.randn(32) * 3
    assert torch.allclose(losses.d_loss_bce(real, fake), bce(real, 1.0) + bce(fake, 0.0))
    assert torch.allclose(losses.minimax_value(real, fake), -losses.d_loss_bce(real, fake))


def test_g_losses_match_their_formulas():
    fake = torch.randn(32) * 3
    d = torch.sigmoid(fake)
    assert torch.allclose(losses.g_loss_saturating(fake), torch.log(1 - d).mean(), atol=1e-5)
    assert torch.allclose(losses.g_loss_nonsaturating(fake), bce(fake, 1.0))


def test_minimax_value_at_an_undecided_discriminator_is_minus_log_4():
    zeros = torch.zeros(10)  # sigmoid(0) = 1/2 everywhere
    assert math.isclose(losses.minimax_value(zeros, zeros).item(), -math.log(4), rel_tol=1e-6)


def test_losses_stay_finite_for_huge_logits():
    big = torch.tensor([200.0, -200.0])
    for value in (
        losses.d_loss_bce(big, big),
        losses.g_loss_nonsaturating(big),
        losses.g_loss_saturating(big),
        losses.minimax_value(big, big),
    ):
        assert torch.isfinite(value)


def test_saturating_gradient_vanishes_where_nonsaturating_does_not():
    rejected = torch.tensor([-8.0], requires_grad=True)  # D(G(z)) ~ 3e-4: D wins
    (g_sat,) = torch.autograd.grad(losses.g_loss_saturating(rejected), rejected)
    (g_ns,) = torch.autograd.grad(losses.g_loss_nonsaturating(rejected), rejected)
    assert g_sat.abs() < 1e-3 < 0.99 < g_ns.abs()


def test_optimal_discriminator():
    p = torch.tensor([1.0, 0.0, 0.0, 3.0])
    q = torch.tensor([1.0, 2.0, 0.0, 1.0])
    expected = torch.tensor([0.5, 0.0, 0.5, 0.75])
    assert torch.equal(losses.optimal_discriminator(p, q), expected)


def test_mlp_shapes_and_hparams():
    gen = MLPGenerator(latent_dim=5, out_dim=2, hidden=(16,))
    assert gen(gen.sample_noise(7)).shape == (7, 2)
    images = MLPGenerator(latent_dim=5, hidden=(16,), image_shape=(1, 8, 8))
    out = images(torch.randn(7, 5) * 50)
    assert out.shape == (7, 1, 8, 8) and out.abs().max() <= 1
    disc = MLPDiscriminator(in_dim=64, hidden=(16, 16))
    assert disc(out).shape == (7,)
    assert disc.hparams == {"in_dim": 64, "hidden": [16, 16]}
    assert images.hparams["image_shape"] == [1, 8, 8]
