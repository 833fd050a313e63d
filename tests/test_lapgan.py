"""gan_course.models.lapgan and gan_course.families.lapgan: the networks' shapes and noise, the
sampling chain, the training pair, the step's losses by hand, and a run through `loop.fit` with
the progress bar, the monitor, a checkpoint, resuming, the NaN stop and Ctrl-C."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gan_course import callbacks, loop
from gan_course.families.lapgan import (
    LapganConfig,
    lapgan_step,
    make_lapgan_state,
    train_lapgan,
    training_pair,
)
from gan_course.images import downsample, gaussian_pyramid, laplacian_pyramid, upsample
from gan_course.latent import sample
from gan_course.models.lapgan import (
    BandDiscriminator,
    LAPGANGenerator,
    LevelGenerator,
    lapgan_discriminators,
    pyramid_sizes,
    sample_chain,
)
from gan_course.views import NoiseGrid


def nets(image_size=16, seed=0):
    torch.manual_seed(seed)
    G = LAPGANGenerator(image_size, 8, base_latent_dim=8, base_width=8, width=6, depth=2)
    return G, lapgan_discriminators(image_size, 8, width=6, base_hidden=(16,))


def images(n=48, size=16, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, size, size, generator=generator) * 2 - 1


# ------------------------------------------------------------------------------ the networks


def test_sizes_noise_and_shapes_of_a_three_level_generator():
    assert pyramid_sizes(32, 8) == [32, 16, 8]
    with pytest.raises(ValueError, match="power of 2"):
        pyramid_sizes(24, 8)
    G, Ds = nets(image_size=32)
    assert G.latent_dim == 8 + 16 * 16 + 32 * 32 and set(Ds) == {"d8", "d16", "d32"}
    z = G.sample_noise(5)
    base_z, planes = G.split_noise(z)
    assert base_z.shape == (5, 8) and [p.shape[-1] for p in planes] == [32, 16]  # finest first
    assert torch.equal(planes[1].flatten(1), z[:, 8 : 8 + 256])  # coarsest plane stored first
    chain = G.eval().chain(z)
    assert [c.shape[-1] for c in chain] == [8, 16, 32]  # coarsest first
    assert G(z).shape == (5, 1, 32, 32) and G(z).abs().max() <= 1
    assert Ds["d32"](chain[2], upsample(chain[1])).shape == (5,)
    assert Ds["d8"](chain[0]).shape == (5,)
    with pytest.raises(ValueError, match=r"\(N, 1288\)"):
        G.split_noise(torch.zeros(5, 7))
    with pytest.raises(ValueError, match="one plane"):
        G.levels[0](torch.zeros(2, 2, 32, 32), torch.zeros(2, 1, 32, 32))


def test_each_level_adds_its_band_to_the_upsampled_level_below():
    G, _ = nets()
    G.eval()
    z = G.sample_noise(4, generator=torch.Generator().manual_seed(1))
    base_z, (plane,) = G.split_noise(z)
    with torch.no_grad():
        coarse, fine = G.chain(z)
        assert torch.allclose(coarse, G.base(base_z))
        condition = upsample(coarse)
        assert torch.allclose(fine, condition + G.levels[0](plane, condition), atol=1e-6)
        # the same by `sample_chain`, and `latent.sample` sees the final images
        again = sample_chain(G.base, list(G.levels), base_z, [plane])
        assert all(torch.allclose(a, b) for a, b in zip(again, (coarse, fine), strict=True))
        assert torch.allclose(sample(G, z=z), fine.clamp(-1, 1))


def test_band_discriminator_reads_band_and_condition_together():
    D = BandDiscriminator(1, 16, 6)
    band, condition = images(4), images(4, seed=1)
    assert D(band, condition).shape == (4,)
    assert not torch.allclose(D(band, condition), D(band, condition.flip(0)))
    G = LevelGenerator(1, 16, 6, 2)
    assert G(torch.randn(4, 1, 16, 16), condition).shape == (4, 1, 16, 16)


# ------------------------------------------------------------------------------ training


def test_training_pair_is_the_real_images_condition_and_band():
    real = images(6)
    condition, band = training_pair(real)
    assert torch.allclose(condition, upsample(downsample(real)))
    assert torch.allclose(band, laplacian_pyramid(real, 1)[0])
    assert torch.allclose(condition + band, real, atol=1e-6)


def test_lapgan_step_trains_every_level_on_the_real_pyramid():
    G, Ds = nets()
    real = images(8)
    config = LapganConfig(batch_size=8)
    state = make_lapgan_state(G, Ds, real, config)
    state.batches = iter([real])
    for opt in state.optimizers.values():  # lr 0: nothing moves, so the losses can be redone
        for group in opt.param_groups:
            group["lr"] = 0.0
    torch.manual_seed(3)
    metrics = lapgan_step(state)
    assert set(state.optimizers) == {
        "g8_optimizer",
        "d8_optimizer",
        "g16_optimizer",
        "d16_optimizer",
    }
    assert set(metrics) >= {"d8_loss", "g8_loss", "d16_loss", "g16_loss", "d16_real", "d16_fake"}
    torch.manual_seed(3)  # the same noise, drawn in the same order as the step draws it
    z8_d, z8_g = torch.randn(8, 8), torch.randn(8, 8)
    plane_d, plane_g = torch.randn(8, 1, 16, 16), torch.randn(8, 1, 16, 16)
    small = gaussian_pyramid(real, 1)[1]
    condition, band = training_pair(real)
    with torch.no_grad():
        d8 = F.softplus(-Ds["d8"](small)).mean() + F.softplus(Ds["d8"](G.base(z8_d))).mean()
        fake_band = G.levels[0](plane_d, condition)
        d16 = (
            F.softplus(-Ds["d16"](band, condition)).mean()
            + F.softplus(Ds["d16"](fake_band, condition)).mean()
        )
        g16 = F.softplus(-Ds["d16"](G.levels[0](plane_g, condition), condition)).mean()
    assert z8_g.shape == (8, 8)  # drawn by the step for G_8's update
    assert metrics["d8_loss"] == pytest.approx(d8.item(), rel=1e-4)
    assert metrics["d16_loss"] == pytest.approx(d16.item(), rel=1e-4)
    assert metrics["g16_loss"] == pytest.approx(g16.item(), rel=1e-4)


def test_a_state_needs_one_discriminator_a_level():
    G, Ds = nets()
    del Ds["d16"]
    with pytest.raises(ValueError, match="one discriminator a level"):
        make_lapgan_state(G, Ds, images(), LapganConfig())


def test_lapgan_training_has_the_whole_loop(tmp_path, capsys):
    real = images()
    G, Ds = nets()
    path = tmp_path / "lapgan.pt"
    shown = []
    slot = type("Slot", (), {"show": lambda self, png: shown.append(png)})()
    monitor = callbacks.LiveMonitor(NoiseGrid(n=8), every=2, slot=slot)
    bar = callbacks.ProgressBar(every=1)
    config = LapganConfig(steps=4, batch_size=8)
    watchers = [bar, monitor, callbacks.Checkpoint(path, every=2)]
    history = train_lapgan(G, Ds, real, config, callbacks=watchers)
    assert history.step == 4 and monitor.draws >= 2 and shown[0].startswith(b"\x89PNG")
    payload = loop.read_checkpoint(path)
    assert set(payload["nets"]) == {"generator", "d8", "d16"}
    G2, Ds2 = nets(seed=1)
    resumed = train_lapgan(G2, Ds2, real, LapganConfig(steps=6, batch_size=8), resume_from=path)
    assert resumed.step == 6 and resumed.records["d16_loss"][:4] == history.records["d16_loss"]


def test_lapgan_training_stops_on_nan_and_on_ctrl_c(capsys):
    real = images()

    class Poison(callbacks.Callback):
        def on_step_end(self, state):
            if state.history.step == 2:
                with torch.no_grad():
                    state.d16.features[0][0].weight.fill_(float("nan"))

    G, Ds = nets()
    with pytest.raises(loop.TrainingDiverged, match="d16_loss") as info:
        train_lapgan(G, Ds, real, LapganConfig(steps=10, batch_size=8), callbacks=[Poison()])
    assert info.value.history.step == 2

    class Stop(callbacks.Callback):
        def on_step_end(self, state):
            if state.history.step == 3:
                raise KeyboardInterrupt

    G, Ds = nets()
    history = train_lapgan(G, Ds, real, LapganConfig(steps=10, batch_size=8), callbacks=[Stop()])
    assert history.step == 3 and "Interrupted at step 3/10" in capsys.readouterr().out
