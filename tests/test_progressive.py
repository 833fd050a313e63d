"""gan_course.models.progan and gan_course.families.progressive: the layers, growing and fading
in, the schedule, the reals at a stage, and a run through `loop.fit` with its snapshots, the
monitor, a checkpoint and resuming."""

from __future__ import annotations

import math

import pytest
import torch

from gan_course import callbacks, loop
from gan_course.callbacks import GrowthSnapshots
from gan_course.families import progressive
from gan_course.families.progressive import (
    ProgressiveConfig,
    make_progressive_state,
    real_at,
    train_progressive,
)
from gan_course.models.progan import (
    EqualizedConv2d,
    EqualizedLinear,
    MinibatchStdDev,
    PixelNorm,
    ProgressiveDiscriminator,
    ProgressiveGenerator,
    double,
    halve,
    stage_sizes,
)
from gan_course.views import GrowingGrid

SMALL = (8, 8, 4)  # feature maps a stage: quick networks for the tests


def nets(seed=0):
    torch.manual_seed(seed)
    return ProgressiveGenerator(16, 1, 16, SMALL), ProgressiveDiscriminator(1, 16, SMALL)


def images(n=40, seed=0):
    return torch.rand(n, 1, 16, 16, generator=torch.Generator().manual_seed(seed)) * 2 - 1


# ------------------------------------------------------------------------------ the layers


def test_equalised_layers_store_unit_weights_and_scale_them_on_every_call():
    torch.manual_seed(0)
    conv = EqualizedConv2d(32, 64, 3, padding=1)
    assert abs(conv.weight.std().item() - 1) < 0.02 and conv.scale == pytest.approx(
        math.sqrt(2 / 288)
    )
    x = torch.randn(2, 32, 5, 5)
    with torch.no_grad():
        conv.weight.mul_(3)  # as training moves it: the scale still applies
    expected = torch.nn.functional.conv2d(x, conv.weight * math.sqrt(2 / 288), conv.bias, padding=1)
    assert torch.allclose(conv(x), expected, atol=1e-6)
    slow = EqualizedLinear(10, 4, lr_mul=0.01, bias_init=1.0)
    assert torch.allclose(slow.bias * slow.lr_mul, torch.ones(4))  # the bias used starts at 1
    assert abs(slow.weight.std().item() * slow.scale - math.sqrt(2 / 10)) < 0.25  # He's, used
    assert [name for name, _ in conv.named_parameters()] == ["weight", "bias"]


def test_pixel_norm_and_minibatch_stddev():
    x = torch.randn(3, 8, 4, 4) * 10
    assert torch.allclose(PixelNorm()(x).pow(2).mean(dim=1), torch.ones(3, 4, 4), atol=1e-4)
    out = MinibatchStdDev()(x)
    assert out.shape == (3, 9, 4, 4) and torch.equal(out[:, :8], x)
    spread = torch.sqrt(x.var(dim=0, unbiased=False) + 1e-8).mean()
    assert torch.allclose(out[:, 8], spread.expand(3, 4, 4))
    copies = MinibatchStdDev()(x[:1].expand(3, -1, -1, -1))
    assert copies[0, 8, 0, 0] < 1e-3  # no variety, no spread


def test_sizes_and_shapes_at_every_stage_and_fade():
    assert stage_sizes(16, SMALL) == [4, 8, 16]
    with pytest.raises(ValueError, match="one width a stage"):
        stage_sizes(16, (8, 8))
    with pytest.raises(ValueError, match="power of two"):
        stage_sizes(12, SMALL)
    G, D = nets()
    z = G.sample_noise(5)
    for stage, size in enumerate(G.sizes):
        for alpha in (0.0, 0.5, 1.0):
            progressive.set_stage(stage, alpha, G, D)
            fake = G(z)
            assert fake.shape == (5, 1, size, size) and fake.abs().max() <= 1  # Tanh
            assert D(fake).shape == (5,)
    with pytest.raises(ValueError, match="reads 16x16"):
        D(torch.zeros(2, 1, 8, 8))


def test_a_grown_network_at_alpha_zero_is_the_old_one_doubled_and_d_fades_the_same_way():
    G, D = nets()
    z = G.sample_noise(4)
    with torch.no_grad():
        for stage in (1, 2):
            progressive.set_stage(stage - 1, 1.0, G, D)
            old_image = G(z)
            progressive.set_stage(stage, 0.0, G, D)
            assert torch.allclose(G(z), double(old_image), atol=1e-6)
            # D at alpha 0 reads the halved image through the old input layer only
            progressive.set_stage(stage - 1, 1.0, D)
            small_score = D(halve(G(z)))
            progressive.set_stage(stage, 0.0, D)
            assert torch.allclose(D(G(z)), small_score, atol=1e-5)


# ------------------------------------------------------------------------------ the schedule


def test_schedule_phases_and_milestones():
    config = ProgressiveConfig(phase_steps=10, final_steps=20)
    phases = progressive.phases(3, config)
    assert [(p.stage, p.fade, p.steps) for p in phases] == [
        (0, False, 10), (1, True, 10), (1, False, 10), (2, True, 10), (2, False, 20)]  # fmt: skip
    assert progressive.total_steps(3, config) == 60
    assert progressive.schedule(0, 3, config) == (0, 1.0)
    assert progressive.schedule(10, 3, config) == (1, 0.1)  # the fade's first step
    assert progressive.schedule(19, 3, config) == (1, 1.0)
    assert progressive.schedule(25, 3, config) == (1, 1.0)
    assert progressive.schedule(34, 3, config) == (2, 0.5)
    assert progressive.schedule(99, 3, config) == (2, 1.0)  # past the end: grown
    assert progressive.milestones(3, config) == {
        10: "4x4", 15: "8x8, alpha 0.5", 20: "8x8 faded in", 30: "8x8 stable",
        35: "16x16, alpha 0.5", 40: "16x16 faded in", 60: "16x16 stable"}  # fmt: skip


def test_real_images_at_a_stage_and_through_a_fade():
    x = images(4)
    assert torch.equal(real_at(x, 16, 1.0), x)
    assert torch.allclose(real_at(x, 4, 1.0), halve(halve(x)))
    assert torch.allclose(real_at(x, 8, 0.0), double(halve(halve(x))))  # the old stage's view
    half = real_at(x, 8, 0.5)
    assert torch.allclose(half, 0.5 * double(halve(halve(x))) + 0.5 * halve(x))


# ------------------------------------------------------------------------------ training


def test_a_run_grows_through_every_stage_keeps_snapshots_and_resumes(tmp_path):
    G, D = nets()
    config = ProgressiveConfig(phase_steps=2, final_steps=4, batch_size=8)
    growth = GrowthSnapshots(n=3)
    monitor = callbacks.LiveMonitor(GrowingGrid(n=4), every=3)
    path = tmp_path / "run.pt"
    history = train_progressive(
        G, D, images(), config, callbacks=[growth, monitor, callbacks.Checkpoint(path, every=5)]
    )
    assert history.step == 12 and (G.stage, G.alpha) == (2, 1.0)
    assert history["size"].tolist() == [4, 4, 8, 8, 8, 8, 16, 16, 16, 16, 16, 16]
    assert history["alpha"][2:4].tolist() == [0.5, 1.0]  # the 8x8 fade
    assert sorted(growth.images) == sorted(progressive.milestones(3, config))
    assert all(im.shape == (3, 1, 16, 16) for im in growth.images.values())
    assert monitor.draws >= 2 and {"d_loss", "g_loss", "gp"} <= set(history.keys())
    G2, D2 = nets(seed=1)
    state = make_progressive_state(G2, D2, images(), config)
    resumed = loop.load_checkpoint(path, state)
    assert resumed.step == 12 and torch.equal(G2.to_rgb[2][0].weight, G.to_rgb[2][0].weight)


def test_mismatched_networks_and_images_are_refused():
    G, _ = nets()
    D = ProgressiveDiscriminator(1, 8, (8, 8))
    with pytest.raises(ValueError, match="grows through"):
        make_progressive_state(G, D, images(), ProgressiveConfig())
    _, D = nets()
    with pytest.raises(ValueError, match="must be 16 pixels"):
        make_progressive_state(G, D, images()[:, :, :8, :8], ProgressiveConfig())
