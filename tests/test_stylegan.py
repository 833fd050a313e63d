"""gan_course.models.stylegan and gan_course.families.stylegan: the pieces (AdaIN, modulation,
truncation, mixing, noise), the generator's styles and determinism, a run through `loop.fit`,
the faces, and lesson 13's widget."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gan_course import callbacks, loop
from gan_course.data import faces, load_dataset
from gan_course.families.stylegan import (
    StyleGANConfig,
    make_stylegan_state,
    train_stylegan,
    training_styles,
)
from gan_course.latent import sample
from gan_course.models.progan import ProgressiveDiscriminator
from gan_course.models.stylegan import (
    MappingNetwork,
    StyleGenerator,
    StyleLayer,
    adain,
    instance_norm,
    mix_styles,
    modulate,
    truncate,
)
from gan_course.widgets import StyleExplorer, style_explorer

SMALL = (8, 8, 4)


def generator(seed=0, **kwargs):
    torch.manual_seed(seed)
    return StyleGenerator(latent_dim=8, w_dim=8, mapping_layers=2, widths=SMALL, **kwargs)


def images(n=40, seed=0):
    return torch.rand(n, 1, 16, 16, generator=torch.Generator().manual_seed(seed)) * 2 - 1


# ------------------------------------------------------------------------------ the pieces


def test_adain_gives_each_map_the_style_s_mean_and_spread():
    x = torch.randn(2, 3, 5, 7) * 4 + 3
    scale, bias = torch.rand(2, 3) + 0.5, torch.randn(2, 3)
    out = adain(x, scale, bias)
    assert torch.allclose(out.mean(dim=(2, 3)), bias, atol=1e-5)
    assert torch.allclose(out.std(dim=(2, 3), unbiased=False), scale, atol=1e-4)
    flat = instance_norm(torch.full((1, 2, 4, 4), 3.0))
    assert torch.equal(flat, torch.zeros(1, 2, 4, 4))  # a constant map: 0, not nan


def test_modulation_and_demodulation():
    weight, styles = torch.randn(6, 4, 3, 3), torch.rand(2, 4) + 0.1
    modulated = modulate(weight, styles, demodulate=False)
    assert modulated.shape == (2, 6, 4, 3, 3)
    assert torch.allclose(modulated[1, :, 2], weight[:, 2] * styles[1, 2])
    demodulated = modulate(weight, styles)
    norms = demodulated.pow(2).sum(dim=(2, 3, 4))
    assert torch.allclose(norms, torch.ones(2, 6), atol=1e-5)  # each output map's weights: norm 1
    x = torch.randn(64, 4, 16, 16)  # unit-variance inputs keep unit variance, whatever the style
    out = F.conv2d(x, demodulated[0], padding=1)
    assert 0.85 < out[:, :, 1:-1, 1:-1].std().item() < 1.15


def test_truncation_and_mixing():
    w, w_avg = torch.randn(5, 8), torch.randn(8)
    assert torch.allclose(truncate(w, w_avg, 1.0), w, atol=1e-6)
    assert torch.allclose(truncate(w, w_avg, 0.0), w_avg.expand(5, 8))
    assert torch.allclose(truncate(w, w_avg, 0.5), (w + w_avg) / 2)
    w1, w2 = torch.zeros(3, 8), torch.ones(3, 8)
    mixed = mix_styles(w1, w2, crossover=2, n_layers=6)
    assert mixed.shape == (3, 6, 8)
    assert mixed[:, :2].eq(0).all() and mixed[:, 2:].eq(1).all()


def test_mapping_network_and_its_slow_layers():
    torch.manual_seed(0)
    mapping = MappingNetwork(8, 8, layers=3)
    assert mapping(torch.randn(4, 8)).shape == (4, 8)
    assert all(layer.lr_mul == 0.01 for layer in mapping.net if hasattr(layer, "lr_mul"))
    assert torch.allclose(MappingNetwork(8, 8, layers=0)(torch.ones(2, 8)), torch.ones(2, 8))
    with pytest.raises(ValueError, match="w_dim must equal latent_dim"):
        MappingNetwork(8, 16, layers=0)
    with pytest.raises(ValueError, match="modulation must be one of"):
        StyleLayer(4, 4, 8, "batchnorm", noise=True)


# ------------------------------------------------------------------------------ the generator


@pytest.mark.parametrize("modulation", ["adain", "demod"])
def test_generator_shapes_styles_and_noise(modulation):
    G = generator(modulation=modulation)
    z = G.sample_noise(5)
    assert G.n_styles == 6 and G.styles(z).shape == (5, 6, 8)
    out = G(z)
    assert out.shape == (5, 1, 16, 16) and out.abs().max() <= 1
    noise = G.make_noise(5, torch.Generator().manual_seed(1))
    assert [n.shape[-1] for n in noise] == [4, 4, 8, 8, 16, 16]
    ws = G.styles(z)
    # the noise strengths start at 0: noise changes nothing until training turns them up
    assert torch.allclose(G.synthesis(ws, noise), G.synthesis(ws, G.make_noise(5)))
    for layer in G.layers:
        layer.noise.strength.data.fill_(1.0)
    assert not torch.allclose(G.synthesis(ws, noise), G.synthesis(ws, G.make_noise(5)))
    out.mean().backward()
    assert all(p.grad is not None for n, p in G.named_parameters() if "strength" not in n)


def test_sampling_is_repeatable_and_leaves_the_global_rng_alone():
    G = generator()
    for layer in G.layers:
        layer.noise.strength.data.fill_(1.0)  # noise that shows
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    first = sample(G, 6, seed=0)
    assert torch.equal(torch.rand(3), expected)  # eval mode draws its noise from its own seed
    assert torch.equal(sample(G, 6, seed=0), first)
    at_average = G.styles(G.sample_noise(6), truncation=0.0)
    assert torch.allclose(at_average, G.w_avg.expand(6, G.n_styles, -1))


def test_generator_refuses_widths_that_miss_the_size():
    with pytest.raises(ValueError, match="reach 8 pixels, not 16"):
        StyleGenerator(widths=(8, 8), image_size=16)


# ------------------------------------------------------------------------------ training


def test_training_styles_mix_about_the_share_asked_for():
    G = generator()
    torch.manual_seed(0)
    ws = training_styles(G, 400, mixing=0.5, device="cpu")
    switched = (ws[:, 0] != ws[:, -1]).any(dim=1).float().mean().item()
    assert 0.4 < switched < 0.6
    assert (training_styles(G, 50, mixing=0.0, device="cpu")[:, 0] == ws[:50, 0]).shape == (50, 8)
    unmixed = training_styles(G, 50, mixing=0.0, device="cpu")
    assert torch.equal(unmixed[:, 0], unmixed[:, -1])


def test_a_run_trains_moves_w_avg_and_resumes(tmp_path):
    G = generator()
    torch.manual_seed(0)
    D = ProgressiveDiscriminator(1, 16, SMALL)
    config = StyleGANConfig(steps=9, batch_size=8, r1_every=4)
    path = tmp_path / "run.pt"
    history = train_stylegan(
        G,
        D,
        images(),
        config,
        callbacks=[callbacks.LiveMonitor(every=4), callbacks.Checkpoint(path, every=5)],
    )
    assert history.step == 9 and {"d_loss", "g_loss", "d_real", "d_fake"} <= set(history.keys())
    assert (~np.isnan(history["r1"])).sum() == 3  # steps 0, 4 and 8 pay for R1
    assert G.w_avg.abs().sum() > 0
    G2 = generator(seed=1)
    torch.manual_seed(1)
    state = make_stylegan_state(G2, ProgressiveDiscriminator(1, 16, SMALL), images(), config)
    assert loop.load_checkpoint(path, state).step == 9
    assert torch.equal(G2.w_avg, G.w_avg)  # the buffer travels with the weights


# ------------------------------------------------------------------------------ data and widget


def test_faces_come_from_scikit_image_split_and_mirrored():
    train, test, both = faces(16, "train"), faces(16, "test"), faces(16, "train", flips=True)
    assert train.shape == (80, 1, 16, 16) and test.shape == (20, 1, 16, 16)
    assert both.shape == (160, 1, 16, 16) and torch.equal(both[80:], train.flip(-1))
    assert -1 <= train.min() < train.max() <= 1
    assert load_dataset("faces").shape == (80, 1, 16, 16)
    with pytest.raises(ValueError, match="choose one of"):
        faces(16, "validation")


def test_style_explorer_builds_headless_and_follows_its_controls():
    G = generator()
    for layer in G.layers:
        layer.noise.strength.data.fill_(1.0)
    torch.manual_seed(3)
    before_rng = torch.rand(1)
    torch.manual_seed(3)
    explorer = style_explorer(G, n=3)
    assert isinstance(explorer, StyleExplorer) and explorer.grid().shape == (16, 1, 16, 16)
    first = bytes(explorer.image.value)
    assert first.startswith(b"\x89PNG")
    explorer.psi.value = 0.0  # every w at w_avg: every image of the grid alike
    grid = explorer.grid()
    assert torch.allclose(grid[1:4], grid[5:8], atol=1e-6)
    explorer.psi.value = 1.0
    explorer.new_noise.click()
    assert bytes(explorer.image.value) != first
    explorer.crossover.value = 4
    explorer.new_latents.click()
    assert torch.equal(torch.rand(1), before_rng)  # its own RNG: the notebook's is untouched
