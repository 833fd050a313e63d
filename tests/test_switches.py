"""The switches of lessons 06, 09 and 10: losses, penalties, steps, and the loop using them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_course import callbacks, data, losses, train
from gan_course.models import MLPDiscriminator, MLPGenerator


def nets(seed=0, **d_kwargs):
    torch.manual_seed(seed)
    return MLPGenerator(2, 2, (16, 16)), MLPDiscriminator(2, (16, 16), **d_kwargs)


class TinyConditionalG(nn.Module):
    """z (N, 2) and labels (N,) -> points (N, 2): the label picks an offset, so it matters."""

    def __init__(self, n_classes=3):
        super().__init__()
        self.latent_dim, self.n_classes = 2, n_classes
        self.embed = nn.Embedding(n_classes, 4)
        self.net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, z, labels):
        return self.net(torch.cat([z, self.embed(labels)], dim=1))


class TinyConditionalD(nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.embed = nn.Embedding(n_classes, 4)
        self.net = nn.Sequential(nn.Linear(6, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))

    def forward(self, x, labels):
        return self.net(torch.cat([x, self.embed(labels)], dim=1)).squeeze(1)


# ------------------------------------------------------------------------------ losses


def test_wasserstein_least_squares_and_hinge_losses_match_their_formulas():
    real, fake = torch.tensor([2.0, -0.5, 0.3]), torch.tensor([-1.5, 0.8, 0.1])
    assert losses.d_loss_wasserstein(real, fake).item() == pytest.approx(fake.mean() - real.mean())
    assert losses.g_loss_wasserstein(fake).item() == pytest.approx(-fake.mean().item())
    ls_d = 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()
    assert losses.d_loss_least_squares(real, fake).item() == pytest.approx(ls_d.item())
    assert losses.g_loss_least_squares(fake).item() == pytest.approx(
        (0.5 * ((fake - 1) ** 2).mean()).item()
    )
    # hinge: real 2.0 is past the margin (costs 0), fake -1.5 too
    hinge = (0 + 1.5 + 0.7) / 3 + (0 + 1.8 + 1.1) / 3
    assert losses.d_loss_hinge(real, fake).item() == pytest.approx(hinge)
    assert set(losses.D_LOSSES) <= set(losses.G_LOSSES) | {"bce"}


def test_bce_with_targets_is_plain_bce_at_one_and_smoothed_below():
    real, fake = torch.randn(16) * 2, torch.randn(16) * 2
    ones = torch.ones(16)
    assert torch.allclose(
        losses.d_loss_bce_targets(real, fake, ones), losses.d_loss_bce(real, fake)
    )
    smooth = losses.d_loss_bce_targets(real, fake, 0.9 * ones)
    expected = F.binary_cross_entropy_with_logits(real, 0.9 * ones) + F.softplus(fake).mean()
    assert torch.allclose(smooth, expected)


def test_gradient_penalty_and_r1_on_a_linear_critic_are_exact():
    w = torch.tensor([3.0, 4.0])  # |w| = 5: the gradient of x -> w.x everywhere
    critic = lambda x: x @ w  # noqa: E731
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    assert losses.gradient_penalty(critic, real, fake).item() == pytest.approx((5 - 1) ** 2)
    real.requires_grad_(True)
    assert losses.r1_penalty(critic(real), real).item() == pytest.approx(25.0)


def test_gradient_penalty_is_zero_for_a_unit_gradient_and_differentiable():
    layer = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.6, 0.8]]))
    gp = losses.gradient_penalty(
        lambda x: layer(x).squeeze(1), torch.randn(8, 2), torch.randn(8, 2)
    )
    assert gp.item() == pytest.approx(0.0, abs=1e-10)
    with torch.no_grad():
        layer.weight.mul_(2)
    gp = losses.gradient_penalty(
        lambda x: layer(x).squeeze(1), torch.randn(8, 2), torch.randn(8, 2)
    )
    gp.backward()  # create_graph=True: the penalty trains the critic
    assert layer.weight.grad is not None and layer.weight.grad.abs().sum() > 0


def test_weight_penalty_counts_weights_not_biases():
    layer = nn.Linear(2, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, -2.0], [0.0, 3.0]]))
        layer.bias.fill_(100.0)
    assert losses.weight_penalty(layer, l1=1.0).item() == pytest.approx(6.0)
    assert losses.weight_penalty(layer, l2=0.5).item() == pytest.approx(7.0)


# ------------------------------------------------------------------------------ configuration


def test_real_targets_smooth_and_flip():
    assert torch.allclose(train.real_targets(5, 0.0, 0.1), torch.full((5,), 0.9))
    assert torch.equal(train.real_targets(5, 1.0, 0.0), torch.zeros(5))
    torch.manual_seed(0)
    flipped = (train.real_targets(10_000, 0.35, 0.0) == 0).float().mean().item()
    assert flipped == pytest.approx(0.35, abs=0.02)


def test_config_says_which_switches_and_refuses_nonsense():
    assert not train.TrainConfig().switched
    for name in ("label_flip", "label_smoothing", "instance_noise", "d_l2", "clip", "r1"):
        assert train.TrainConfig(**{name: 0.1}).switched, name
    with pytest.raises(ValueError, match="adam"):
        train.TrainConfig(optimizer="sgd")
    with pytest.raises(ValueError, match="d_loss='bce'"):
        train.TrainConfig(label_flip=0.3, d_loss="hinge")
    gen, disc = nets()
    g_opt, d_opt = train.make_optimizers(gen, disc, train.TrainConfig(optimizer="rmsprop"))
    assert isinstance(g_opt, torch.optim.RMSprop) and isinstance(d_opt, torch.optim.RMSprop)


# ------------------------------------------------------------------------------ steps


def step_both(config, progress=0.0):
    """One plain d_step and one switched d_step from the same start and the same RNG."""
    results = []
    for step in ("plain", "switched"):
        gen, disc = nets()
        opt = torch.optim.Adam(disc.parameters(), lr=0.01)
        torch.manual_seed(1)
        real, noise = data.ring_of_8().sample(32), torch.randn(32, 2)
        if step == "plain":
            train.d_step(gen, disc, opt, real, noise)
        else:
            train.d_step_switched(gen, disc, opt, real, noise, config=config, progress=progress)
        results.append(torch.cat([p.detach().flatten() for p in disc.parameters()]))
    return results


def test_switched_step_with_nothing_on_is_the_plain_step():
    plain, switched = step_both(train.TrainConfig())
    assert torch.allclose(plain, switched)


def test_instance_noise_is_annealed_to_nothing():
    plain, noisy = step_both(train.TrainConfig(instance_noise=0.5), progress=0.0)
    assert not torch.allclose(plain, noisy)
    plain, annealed = step_both(train.TrainConfig(instance_noise=0.5), progress=1.0)
    assert torch.allclose(plain, annealed)


@pytest.mark.parametrize(
    "switch",
    [dict(label_flip=0.35), dict(label_smoothing=0.1), dict(d_l2=0.01), dict(r1=1.0)],
    ids=lambda s: next(iter(s)),
)
def test_each_remedy_changes_the_update(switch):
    plain, switched = step_both(train.TrainConfig(**switch))
    assert not torch.allclose(plain, switched)


def test_clipping_boxes_the_critic_and_gp_is_logged():
    gen, disc = nets()
    config = train.TrainConfig(
        steps=3, batch_size=16, d_loss="wasserstein", g_loss="wasserstein", clip=0.01
    )
    train.train_gan(gen, disc, data.ring_of_8(), config)
    assert all(p.abs().max() <= 0.01 for p in disc.parameters())
    config = train.TrainConfig(
        steps=3, batch_size=16, d_loss="wasserstein", g_loss="wasserstein", gradient_penalty=10
    )
    history = train.train_gan(*nets(), data.ring_of_8(), config)
    assert "gp" in history and len(history["gp"]) == 3 and (history["gp"] >= 0).all()


def test_every_loss_pair_trains_without_nan():
    for name in losses.D_LOSSES:
        g_name = "non-saturating" if name == "bce" else name
        config = train.TrainConfig(steps=5, batch_size=16, d_loss=name, g_loss=g_name)
        history = train.train_gan(*nets(), data.ring_of_8(), config)
        assert history.step == 5
        assert np.isfinite(history["d_loss"]).all() and np.isfinite(history["g_loss"]).all()


# ------------------------------------------------------------------------------ conditional


def test_pairs_of_samples_and_labels_stay_aligned():
    labels = torch.arange(40) % 4
    samples = labels.float().unsqueeze(1).repeat(1, 2)  # each sample carries its label
    batches = data.real_batches((samples, labels), 8, "cpu")
    for _ in range(7):
        x, y = next(batches)
        assert torch.equal(x[:, 0], y.float())
    with pytest.raises(ValueError, match="differ in length"):
        next(data.real_batches((samples, labels[:10]), 8, "cpu"))


def test_conditional_networks_train_on_labelled_data_and_show_in_the_monitor():
    torch.manual_seed(0)
    gen, disc = TinyConditionalG(), TinyConditionalD()
    labels = torch.randint(3, (300,))
    points = torch.randn(300, 2) * 0.1 + labels.float().unsqueeze(1)
    monitor = callbacks.LiveMonitor(every=2)
    g0 = [p.detach().clone() for p in gen.parameters()]
    history = train.train_gan(
        gen, disc, (points, labels), train.TrainConfig(steps=4, batch_size=32), callbacks=[monitor]
    )
    assert history.step == 4 and monitor.draws >= 2
    assert any(not torch.equal(a, b) for a, b in zip(g0, gen.parameters(), strict=True))
    assert all(p.grad is not None for p in gen.embed.parameters())  # the label reached G


# ------------------------------------------------------------------------------ EMA, spectral norm


def test_ema_is_the_running_average_of_the_generator():
    gen, disc = nets()
    snapshots = [[p.detach().clone() for p in gen.parameters()]]  # the weights before step 1
    ema = callbacks.EMA(decay=0.5)

    class Record(callbacks.Callback):
        def on_step_end(self, state):
            snapshots.append([p.detach().clone() for p in state.generator.parameters()])

    config = train.TrainConfig(steps=3, batch_size=16)
    train.train_gan(gen, disc, data.ring_of_8(), config, callbacks=[Record(), ema])
    for avg, *steps in zip(ema.generator.parameters(), *snapshots, strict=True):
        expected = steps[0]
        for weights in steps[1:]:
            expected = 0.5 * expected + 0.5 * weights
        assert torch.allclose(avg, expected, atol=1e-6)
        assert not torch.allclose(avg, steps[-1])  # an average, not the live weights
    assert not any(p.requires_grad for p in ema.generator.parameters())
    with pytest.raises(ValueError, match="decay"):
        callbacks.EMA(decay=1.0)


def test_spectral_norm_keeps_each_layer_near_one():
    _, disc = nets(spectral_norm=True)
    assert disc.hparams["spectral_norm"] is True
    with torch.no_grad():
        for _ in range(20):  # power iteration converges while training runs forward passes
            disc(torch.randn(8, 2))
    for module in disc.modules():
        if isinstance(module, nn.Linear):
            assert torch.linalg.matrix_norm(module.weight, ord=2).item() == pytest.approx(
                1, rel=0.05
            )
    _, plain = nets()
    assert "spectral_norm" not in plain.hparams


def test_weight_penalty_reaches_a_spectral_norm_critic():
    _, disc = nets(spectral_norm=True)
    assert losses.weight_penalty(disc, l2=1.0).item() > 0
    config = train.TrainConfig(steps=2, batch_size=16, d_l2=1e-3)
    assert train.train_gan(*nets(), data.ring_of_8(), config).step == 2


def test_instance_noise_reaches_the_generator_step_too():
    def g_update(progress):
        gen, disc = nets()
        opt = torch.optim.Adam(gen.parameters(), lr=0.01)
        torch.manual_seed(1)
        noise = torch.randn(32, 2)
        config = train.TrainConfig(instance_noise=0.5)
        train.g_step_switched(gen, disc, opt, noise, config=config, progress=progress)
        return torch.cat([p.detach().flatten() for p in gen.parameters()])

    gen, disc = nets()
    opt = torch.optim.Adam(gen.parameters(), lr=0.01)
    torch.manual_seed(1)
    train.g_step(gen, disc, opt, torch.randn(32, 2))
    plain = torch.cat([p.detach().flatten() for p in gen.parameters()])
    assert torch.allclose(plain, g_update(progress=1.0))  # annealed away: the plain step
    assert not torch.allclose(plain, g_update(progress=0.0))
