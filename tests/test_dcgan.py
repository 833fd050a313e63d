"""gan_course.models.dcgan, gan_course.latent and gan_course.widgets: shapes, init, latent tools."""

from __future__ import annotations

import io
import math

import pytest
import torch
from PIL import Image
from torch import nn

from gan_course import latent
from gan_course.callbacks import Checkpoint
from gan_course.loop import load_nets
from gan_course.models import dcgan
from gan_course.models.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_init
from gan_course.train import TrainConfig, train_gan
from gan_course.widgets import LatentExplorer, image_png, latent_explorer


@pytest.mark.parametrize("size", [8, 16, 32])
def test_generator_and_discriminator_shapes(size):
    gen = DCGANGenerator(latent_dim=10, channels=3, image_size=size, width=8)
    disc = DCGANDiscriminator(channels=3, image_size=size, width=8)
    images = gen(gen.sample_noise(5))
    assert images.shape == (5, 3, size, size)
    assert images.abs().max() <= 1  # tanh
    assert disc(images).shape == (5,)
    assert disc.features(images).shape[-2:] == (4, 4)
    n_up = int(math.log2(size)) - 2  # doublings from 4x4
    kinds = [type(m) for m in gen.modules()]
    assert kinds.count(nn.ConvTranspose2d) == n_up + 1  # the projection, then one per doubling
    assert kinds.count(nn.BatchNorm2d) == n_up  # every hidden layer, not the output
    assert [type(m) for m in disc.modules()].count(nn.BatchNorm2d) == n_up - 1  # not the input


def test_widths_mirror_and_double():
    assert dcgan.dcgan_widths(16, 32) == [64, 32]
    assert dcgan.dcgan_widths(64, 64) == [512, 256, 128, 64]  # pytorch/examples' dcgan, ngf=64
    gen, disc = DCGANGenerator(4, 1, 32, 8), DCGANDiscriminator(1, 32, 8)
    g_out = [m.out_channels for m in gen.modules() if isinstance(m, nn.ConvTranspose2d)]
    d_out = [m.out_channels for m in disc.modules() if isinstance(m, nn.Conv2d)]
    assert g_out == [32, 16, 8, 1] and d_out == [8, 16, 32, 1]


@pytest.mark.parametrize("size", [0, 4, 12, 24, 100])
def test_bad_image_sizes_are_refused(size):
    with pytest.raises(ValueError, match="power of two"):
        DCGANGenerator(image_size=size)
    with pytest.raises(ValueError, match="power of two"):
        DCGANDiscriminator(image_size=size)


def test_discriminator_without_batchnorm_judges_each_image_alone():
    disc = DCGANDiscriminator(1, 16, 8, batchnorm=False)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in disc.modules())
    x = torch.randn(6, 1, 16, 16)
    assert torch.allclose(disc(x)[:2], disc(x[:2]), atol=1e-6)  # train mode, yet per sample


def test_blocks_shapes_and_layers():
    x = torch.randn(2, 8, 5, 5)
    up = dcgan.up_block(8, 4)
    assert up(x).shape == (2, 4, 10, 10) and (up(x) >= 0).all()  # ReLU
    assert [type(m) for m in up] == [nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU]
    assert up[0].bias is None  # BatchNorm's shift does its job
    down = dcgan.down_block(8, 16)
    assert down(torch.randn(2, 8, 6, 6)).shape == (2, 16, 3, 3)
    assert [type(m) for m in down] == [nn.Conv2d, nn.BatchNorm2d, nn.LeakyReLU]
    plain = dcgan.down_block(8, 16, batchnorm=False)
    assert [type(m) for m in plain] == [nn.Conv2d, nn.LeakyReLU] and plain[0].bias is not None
    assert dcgan.project_block(7, 12)(torch.randn(3, 7, 1, 1)).shape == (3, 12, 4, 4)
    image = dcgan.to_image(12, 3)(torch.randn(3, 12, 4, 4))
    assert image.shape == (3, 3, 8, 8) and image.abs().max() <= 1
    assert dcgan.to_logit(12)(torch.randn(3, 12, 4, 4)).shape == (3, 1, 1, 1)


@pytest.mark.parametrize("n, k, s, p", [(16, 4, 2, 1), (1, 4, 1, 0), (7, 3, 2, 1), (28, 5, 2, 2)])
def test_output_size_formulas_match_pytorch(n, k, s, p):
    x = torch.zeros(1, 1, n, n)
    assert (
        dcgan.conv_transpose_output_size(n, k, s, p)
        == nn.ConvTranspose2d(1, 1, k, s, p)(x).shape[-1]
    )
    if dcgan.conv_output_size(n, k, s, p) >= 1:
        assert dcgan.conv_output_size(n, k, s, p) == nn.Conv2d(1, 1, k, s, p)(x).shape[-1]


def test_dcgan_init_statistics():
    torch.manual_seed(0)
    gen, disc = DCGANGenerator(64, 1, 32, 64), DCGANDiscriminator(1, 32, 64)
    gen.apply(dcgan_init)
    disc.apply(dcgan_init)
    convs = [
        m
        for net in (gen, disc)
        for m in net.modules()
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d)
    ]
    weights = torch.cat([m.weight.detach().flatten() for m in convs])
    assert abs(weights.mean()) < 1e-3 and abs(weights.std() - 0.02) < 5e-4
    norms = [m for net in (gen, disc) for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    scales = torch.cat([m.weight.detach() for m in norms])
    assert abs(scales.mean() - 1) < 0.01 and abs(scales.std() - 0.02) < 0.005
    biases = [m.bias for m in [*convs, *norms] if m.bias is not None]
    assert all((b == 0).all() for b in biases)
    linear = nn.Linear(100, 100)
    dcgan_init(linear)
    assert abs(linear.weight.std() - 0.02) < 2e-3 and (linear.bias == 0).all()


def test_hparams_rebuild_the_networks_for_checkpoints(tmp_path):
    gen, disc = DCGANGenerator(8, 1, 8, 4), DCGANDiscriminator(1, 8, 4)
    assert DCGANGenerator(**gen.hparams).hparams == gen.hparams
    assert DCGANDiscriminator(**disc.hparams).hparams == disc.hparams
    images = torch.rand(40, 1, 8, 8) * 2 - 1
    config, path = TrainConfig(steps=3, batch_size=8), tmp_path / "dcgan.pt"
    history = train_gan(gen, disc, images, config, callbacks=[Checkpoint(path)])
    assert history.step == 3
    gen2, disc2 = DCGANGenerator(**gen.hparams), DCGANDiscriminator(**disc.hparams)
    load_nets(path, generator=gen2, discriminator=disc2)
    z = torch.randn(4, 8)
    assert torch.equal(latent.sample(gen2, z=z), latent.sample(gen, z=z))


# ---------------------------------------------------------------------------- latent tools


def test_lerp_and_slerp_endpoints_and_shapes():
    z0, z1 = torch.randn(3, 20), torch.randn(3, 20)
    for fn in (latent.lerp, latent.slerp):
        assert torch.allclose(fn(z0, z1, 0.0), z0, atol=1e-5)
        assert torch.allclose(fn(z0, z1, 1.0), z1, atol=1e-5)
    t = torch.linspace(0, 1, 7).unsqueeze(1)
    assert latent.slerp(z0[0], z1[0], t).shape == (7, 20)
    assert torch.allclose(latent.lerp(z0, z1, 0.5), (z0 + z1) / 2)


def test_slerp_stays_on_the_sphere_where_lerp_cuts_inside():
    torch.manual_seed(0)
    z0 = torch.randn(512)
    z1 = torch.randn(512)
    z1 = z1 * z0.norm() / z1.norm()
    t = torch.linspace(0, 1, 11).unsqueeze(1)
    assert torch.allclose(latent.slerp(z0, z1, t).norm(dim=1), z0.norm(), rtol=1e-4)
    midpoint = latent.lerp(z0, z1, 0.5).norm() / z0.norm()
    assert abs(midpoint - math.sqrt(0.5)) < 0.05  # independent z: nearly orthogonal


def test_slerp_matches_the_angle_formula_and_handles_parallel_vectors():
    z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])  # 90 degrees apart
    mid = latent.slerp(z0, z1, 0.5)
    s = math.sin(math.pi / 4)
    assert torch.allclose(mid, torch.tensor([s, 2 * s]) / 1.0, atol=1e-6)
    same = latent.slerp(z0, 3 * z0, 0.5)  # sin(omega) = 0: lerp
    assert torch.allclose(same, torch.tensor([2.0, 0.0]))
    assert torch.isfinite(latent.slerp(z0, -z0, 0.25)).all()


def test_interpolate_generates_the_path_in_eval_mode():
    gen = DCGANGenerator(6, 1, 8, 4)
    gen.train()
    z0, z1 = torch.randn(6), torch.randn(6)
    images = latent.interpolate(gen, z0, z1, steps=5, mode="lerp")
    assert images.shape == (5, 1, 8, 8) and gen.training  # mode restored
    assert torch.allclose(images[0], latent.sample(gen, z=z0.unsqueeze(0))[0], atol=1e-6)
    assert torch.allclose(images[-1], latent.sample(gen, z=z1.unsqueeze(0))[0], atol=1e-6)
    with pytest.raises(ValueError, match="slerp"):
        latent.interpolate(gen, z0, z1, mode="cubic")


def test_vector_arithmetic_averages_each_concept():
    plus, minus = torch.ones(3, 4), torch.zeros(2, 4)
    base = torch.arange(4.0)
    assert torch.equal(latent.vector_arithmetic(plus, minus, base), base + 1)
    assert torch.equal(latent.vector_arithmetic(plus[0], minus, base.repeat(5, 1)), base + 1)


def test_ink_and_slant_measure_what_they_say():
    blank = -torch.ones(1, 1, 8, 8)
    full = torch.ones(1, 1, 8, 8)
    assert latent.ink(blank).item() == 0 and latent.ink(full).item() == 1
    diagonal = -torch.ones(2, 1, 8, 8)
    for i in range(8):
        diagonal[0, 0, i, 7 - i] = 1  # "/" : top on the right
        diagonal[1, 0, i, i] = 1  # "\" : top on the left
    lean = latent.slant(diagonal)
    assert lean[0] > 0.9 and lean[1] < -0.9
    upright = -torch.ones(1, 1, 8, 8)
    upright[0, 0, :, 3] = 1
    assert abs(latent.slant(upright).item()) < 1e-6


class LinearGenerator(nn.Module):
    """A generator whose image is a known linear map of z: its main directions are known."""

    def __init__(self, scales=(5.0, 2.0, 0.5, 0.1)) -> None:
        super().__init__()
        self.latent_dim = len(scales)
        basis = torch.linalg.qr(torch.randn(16, 16, generator=torch.Generator().manual_seed(1)))[0]
        self.register_buffer("map", basis[:, : self.latent_dim] * torch.tensor(scales))  # (16, d)
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, z):
        return torch.tanh(0.01 * (z @ self.map.T)).view(len(z), 1, 4, 4) + self.dummy


def test_latent_directions_finds_the_strongest_latent_axes_first():
    gen = LinearGenerator()
    directions = latent.latent_directions(gen, n=1000, k=3)
    assert directions.shape == (3, 4)
    assert torch.allclose(directions.norm(dim=1), torch.ones(3), atol=1e-5)
    assert torch.allclose(directions.abs(), torch.eye(4)[:3], atol=0.05)  # axes 1, 2, 3 in order
    assert (directions.gather(1, directions.abs().argmax(1, keepdim=True)) > 0).all()
    again = latent.latent_directions(gen, n=1000, k=3)
    assert torch.equal(directions, again)  # seeded, deterministic


def test_latent_directions_from_an_inner_layer_and_rng_untouched():
    gen = DCGANGenerator(8, 1, 16, 4)
    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    directions = latent.latent_directions(gen, n=200, k=4, layer=gen.net[0])
    assert directions.shape == (4, 8)
    assert torch.equal(torch.rand(2), expected)


def test_attribute_direction_points_towards_more_of_the_attribute():
    gen = LinearGenerator()
    direction = latent.attribute_direction(gen, latent.ink, n=500)
    z = torch.zeros(1, 4)
    assert (
        latent.ink(gen(z + 3 * direction)) > latent.ink(gen(z)) > latent.ink(gen(z - 3 * direction))
    )
    assert abs(direction.norm().item() - 1) < 1e-5


# ---------------------------------------------------------------------------- the widget


def test_image_png_is_an_enlarged_png():
    png = image_png(torch.zeros(1, 8, 8), size=64)
    assert png.startswith(b"\x89PNG")

    assert Image.open(io.BytesIO(png)).size == (64, 64)
    assert image_png(torch.zeros(3, 8, 8)).startswith(b"\x89PNG")


def test_latent_explorer_builds_headless_and_follows_its_sliders():
    gen = DCGANGenerator(8, 1, 8, 4)
    explorer = latent_explorer(gen, n_directions=3)
    assert isinstance(explorer, LatentExplorer) and len(explorer.sliders) == 3
    first = bytes(explorer.image.value)
    assert first.startswith(b"\x89PNG")
    explorer.sliders[0].value = 2.5
    assert torch.allclose(explorer.z, explorer.base + 2.5 * explorer.directions[0])
    assert bytes(explorer.image.value) != first  # the image followed the slider
    explorer.reset_button.click()
    assert all(s.value == 0 for s in explorer.sliders)
    assert torch.equal(explorer.z, explorer.base)
    base = explorer.base.clone()
    explorer.new_button.click()
    assert not torch.equal(explorer.base, base)


def test_latent_explorer_takes_given_directions_and_checks_them():
    gen = LinearGenerator()
    explorer = latent_explorer(gen, torch.eye(4)[:2], labels=["a", "b"], span=2)
    assert [s.description for s in explorer.sliders] == ["a", "b"]
    assert explorer.sliders[0].max == 2
    with pytest.raises(ValueError, match="shape"):
        latent_explorer(gen, torch.eye(5))
