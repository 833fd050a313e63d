"""The Wasserstein pieces as lesson 09 uses them, beyond tests/test_switches.py: the penalty on
images, the number of critic steps, a critic trained alone against a fixed generator, and the
estimate of W that the lesson explains."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gan_course import data, losses, train
from gan_course.models import MLPDiscriminator, MLPGenerator


def test_gradient_penalty_on_images_draws_one_alpha_per_image():
    torch.manual_seed(0)
    real, fake = torch.randn(4096, 1, 2, 2), torch.randn(4096, 1, 2, 2)
    linear = nn.Linear(4, 1, bias=False)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, 2.0, 2.0, 4.0]]))  # |w| = 5
    critic = lambda x: linear(x.flatten(1)).squeeze(1)  # noqa: E731
    assert losses.gradient_penalty(critic, real, fake).item() == pytest.approx(16.0)
    # f(x) = |x|^2 / 2 has gradient x: with fake = -real and |real| = 1 the mixed point is
    # (2 alpha - 1) real, so the penalty is E[(1 - |2 alpha - 1|)^2] = 1/3 when alpha is drawn
    # once per image; one alpha per pixel would give another number
    real = real / real.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
    bowl = lambda x: 0.5 * x.flatten(1).pow(2).sum(dim=1)  # noqa: E731
    assert losses.gradient_penalty(bowl, real, -real).item() == pytest.approx(1 / 3, abs=0.02)


def test_hinge_loss_leaves_scores_beyond_the_margin_alone():
    real = torch.tensor([2.0, 0.5], requires_grad=True)
    fake = torch.tensor([-3.0, 0.0], requires_grad=True)
    losses.d_loss_hinge(real, fake).backward()
    assert real.grad.tolist() == [0.0, -0.5] and fake.grad.tolist() == [0.0, 0.5]


def test_n_critic_steps_per_generator_step():
    calls = []

    def counting_d_step(*args):
        calls.append(1)
        return train.d_step_switched(*args, config=config)

    torch.manual_seed(0)
    gen, disc = MLPGenerator(2, 2, (8,)), MLPDiscriminator(2, (8,))
    config = train.TrainConfig(
        steps=3, batch_size=16, d_steps=5, d_loss="wasserstein", g_loss="wasserstein", clip=0.01
    )
    history = train.train_gan(gen, disc, data.ring_of_8(), config, d_step=counting_d_step)
    assert history.step == 3 and len(calls) == 15
    assert all(p.abs().max() <= 0.01 for p in disc.parameters())


def train_critic_1d(critic, config, steps):
    """Lesson 09's `train_critic`: the package's D step against a fixed generator (a function)."""
    optimizer = train.OPTIMIZERS[config.optimizer](critic.parameters(), config.lr_d, config.betas)
    pile_at_0 = data.GaussianMixture(torch.zeros(1, 1), std=0.05)
    for _ in range(steps):
        real = pile_at_0.sample(256)
        train.d_step_switched(
            lambda z: 3.0 + 0.05 * z,
            critic,
            optimizer,
            real,
            torch.randn_like(real),
            losses.D_LOSSES[config.d_loss],
            config,
        )


def test_a_penalised_critic_estimates_the_distance_between_two_piles():
    """Piles at 0 and 3: W = 3. The soft penalty settles the slope at 1 + 3 / (2 lambda) = 1.15,
    so the critic's estimate is about 3.45, as lesson 09 explains; it starts flat."""
    torch.manual_seed(0)
    critic = MLPDiscriminator(1, (32, 32))
    with torch.no_grad():
        critic.net[-1].weight.zero_()
    config = train.TrainConfig(
        d_loss="wasserstein", lr_d=1e-3, betas=(0.0, 0.9), gradient_penalty=10
    )
    train_critic_1d(critic, config, 300)
    with torch.no_grad():
        real = critic(0.05 * torch.randn(4000, 1))
        fake = critic(3.0 + 0.05 * torch.randn(4000, 1))
    estimate = -losses.d_loss_wasserstein(real, fake).item()
    assert estimate == pytest.approx(3.45, abs=0.25)
