"""Lesson 10's package code: conditional generator, concat and projection discriminators, and
the tools (asking for a digit, class interpolation, label accuracy)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_course import callbacks, train
from gan_course.data import digits_with_labels
from gan_course.metrics import LabelAccuracy, label_accuracy, per_class_accuracy
from gan_course.models.conditional import (
    ConcatDiscriminator,
    ConditionalGenerator,
    ProjectionDiscriminator,
    ask_for,
    class_interpolation,
    conditional_input,
    label_maps,
    projection_logit,
)
from gan_course.models.dcgan import dcgan_init

DISCRIMINATORS = [ConcatDiscriminator, ProjectionDiscriminator]


def small_pair(d_class=ProjectionDiscriminator, **g_kwargs):
    torch.manual_seed(0)
    return ConditionalGenerator(latent_dim=8, width=8, **g_kwargs), d_class(width=8)


# ------------------------------------------------------------------------------ the generator


def test_conditional_input_is_z_then_the_one_hot():
    z, labels = torch.randn(3, 4), torch.tensor([2, 0, 2])
    x = conditional_input(z, labels, 3)
    assert x.shape == (3, 7) and x.dtype == torch.float32
    assert torch.equal(x[:, :4], z)
    assert torch.equal(x[:, 4:], torch.tensor([[0.0, 0, 1], [1, 0, 0], [0, 0, 1]]))


def test_a_one_hot_times_a_weight_matrix_is_an_embedding_lookup():
    layer = nn.Linear(10, 5, bias=False)
    labels = torch.tensor([3, 7])
    picked = layer(F.one_hot(labels, 10).float())  # (2, 5)
    assert torch.allclose(picked, layer.weight.T[labels])


@pytest.mark.parametrize("embed_dim", [None, 6])
@pytest.mark.parametrize("image_size", [8, 16, 32])
def test_generator_shapes_range_and_hparams(embed_dim, image_size):
    torch.manual_seed(0)
    gen = ConditionalGenerator(latent_dim=8, image_size=image_size, width=8, embed_dim=embed_dim)
    z, labels = gen.sample_noise(5), torch.arange(5)
    images = gen(z, labels)
    assert images.shape == (5, 1, image_size, image_size)
    assert images.abs().max() <= 1
    assert gen.latent_dim == 8 and gen.n_classes == 10
    assert gen.hparams["embed_dim"] == embed_dim and gen.hparams["image_size"] == image_size
    assert gen.label_vectors(labels).shape == (5, embed_dim or 10)


@pytest.mark.parametrize("embed_dim", [None, 6])
def test_the_label_changes_the_image_and_the_noise_does_too(embed_dim):
    gen, _ = small_pair(embed_dim=embed_dim)
    gen.apply(dcgan_init).eval()
    z = gen.sample_noise(4)
    threes, sevens = gen(z, torch.full((4,), 3)), gen(z, torch.full((4,), 7))
    assert not torch.allclose(threes, sevens)
    assert not torch.allclose(threes[0], threes[1])  # different z, same label


def test_generator_is_mirza_osindero_concatenation():
    gen, _ = small_pair()
    gen.eval()
    z, labels = gen.sample_noise(4), torch.tensor([1, 5, 9, 0])
    by_hand = gen.net(conditional_input(z, labels, 10).view(4, -1, 1, 1))
    assert torch.allclose(gen(z, labels), by_hand)


# ------------------------------------------------------------------------------ discriminators


def test_label_maps_are_constant_planes():
    maps = label_maps(torch.tensor([2, 0]), 3, 4)
    assert maps.shape == (2, 3, 4, 4)
    assert maps[0, 2].eq(1).all() and maps[0, :2].eq(0).all() and maps[1, 0].eq(1).all()


@pytest.mark.parametrize("d_class", DISCRIMINATORS)
@pytest.mark.parametrize("image_size", [8, 16, 32])
def test_discriminators_give_one_logit_per_image_that_depends_on_the_label(d_class, image_size):
    torch.manual_seed(0)
    disc = d_class(image_size=image_size, width=8).eval()
    x = torch.rand(6, 1, image_size, image_size) * 2 - 1
    logits = disc(x, torch.zeros(6, dtype=torch.long))
    assert logits.shape == (6,)
    assert not torch.allclose(logits, disc(x, torch.full((6,), 4)))
    assert disc.n_classes == 10 and disc.hparams["image_size"] == image_size


def test_concat_discriminator_reads_image_and_label_maps():
    disc = ConcatDiscriminator(width=8)
    assert disc.features[0][0].in_channels == 1 + 10


def test_projection_logit_is_the_formula():
    torch.manual_seed(0)
    features, labels = torch.randn(5, 6), torch.tensor([0, 1, 2, 1, 0])
    psi, embed = nn.Linear(6, 1), nn.Embedding(3, 6)
    got = projection_logit(features, labels, psi, embed)
    for i in range(5):  # one image at a time: psi(phi) + <e_y, phi>
        want = psi.weight[0] @ features[i] + psi.bias[0] + embed.weight[labels[i]] @ features[i]
        assert got[i].item() == pytest.approx(want.item(), abs=1e-5)


def test_projection_discriminator_adds_the_class_inner_product_to_psi():
    torch.manual_seed(0)
    disc = ProjectionDiscriminator(width=8).eval()
    x = torch.rand(4, 1, 16, 16) * 2 - 1
    phi = disc.features(x)  # (4, F)
    assert phi.shape == (4, 16 * 4 * 4)
    for a, b in ((3, 8), (0, 1)):
        ya, yb = torch.full((4,), a), torch.full((4,), b)
        difference = disc(x, ya) - disc(x, yb)  # psi cancels: <e_a - e_b, phi(x)>
        want = phi @ (disc.embed.weight[a] - disc.embed.weight[b])
        assert torch.allclose(difference, want, atol=1e-5)
    assert torch.allclose(disc(x, ya), disc.psi(phi).squeeze(1) + phi @ disc.embed.weight[a])
    assert disc.embed.weight.std().item() < 0.05  # small, like DCGAN's weights


# ------------------------------------------------------------------------------ training


@pytest.mark.parametrize("d_class", DISCRIMINATORS)
def test_train_gan_runs_on_images_and_labels(d_class):
    gen, disc = small_pair(d_class)
    images, labels = digits_with_labels(16, "train")
    g_before = [p.detach().clone() for p in gen.parameters()]
    monitor = callbacks.LiveMonitor(every=2)
    history = train.train_gan(
        gen,
        disc,
        (images[:200], labels[:200]),
        train.TrainConfig(steps=3, batch_size=32),
        callbacks=[monitor],
    )
    assert history.step == 3 and monitor.draws >= 2
    assert all(torch.isfinite(torch.as_tensor(history[k])).all() for k in ("d_loss", "g_loss"))
    assert any(not torch.equal(a, b) for a, b in zip(g_before, gen.parameters(), strict=True))


# ------------------------------------------------------------------------------ the tools


class RecordingGenerator(nn.Module):
    """Wraps a conditional generator and keeps the labels it was asked for."""

    def __init__(self, gen):
        super().__init__()
        self.gen, self.latent_dim, self.n_classes = gen, gen.latent_dim, gen.n_classes
        self.labels = []

    def forward(self, z, labels):
        self.labels.append(labels)
        return self.gen(z, labels)

    def sample_noise(self, n, device=None):
        return self.gen.sample_noise(n, device)


def test_ask_for_gives_n_images_of_the_asked_class():
    gen, _ = small_pair()
    spy = RecordingGenerator(gen.eval())
    images = ask_for(spy, 7, 12)
    assert images.shape == (12, 1, 16, 16) and not images.requires_grad
    (labels,) = spy.labels
    assert labels.dtype == torch.long and labels.eq(7).all() and labels.shape == (12,)
    assert not torch.allclose(images[0], images[1])  # a new z for each image


def test_class_interpolation_runs_from_one_class_to_the_other():
    gen, _ = small_pair()
    gen.apply(dcgan_init).eval()
    z = gen.sample_noise(1)
    path = class_interpolation(gen, z[0], 1, 7, steps=5)
    assert path.shape == (5, 1, 16, 16)
    assert torch.allclose(path[0], gen(z, torch.tensor([1]))[0], atol=1e-6)
    assert torch.allclose(path[-1], gen(z, torch.tensor([7]))[0], atol=1e-6)
    middle = gen.generate(z, 0.5 * gen.label_vectors(torch.tensor([1, 7])).sum(0, keepdim=True))
    assert torch.allclose(path[2], middle[0], atol=1e-6)


def test_per_class_accuracy_groups_by_the_asked_label():
    judge = nn.Flatten()  # a "classifier" whose logits are the image's 3 pixels
    images = F.one_hot(torch.tensor([0, 0, 1, 2, 2, 2]), 3).float().view(6, 1, 1, 3)
    asked = torch.tensor([0, 1, 1, 2, 2, 0])  # seen: 0 0 1 2 2 2
    got = per_class_accuracy(judge, images, asked, 3)
    assert torch.allclose(got, torch.tensor([0.5, 0.5, 1.0]))
    assert per_class_accuracy(judge, images[:2], asked[:2], 3)[2].isnan()  # nobody asked for 2


class ReplayGenerator(nn.Module):
    """A "perfect" conditional generator: it hands back a real test digit of the asked class."""

    def __init__(self, shift: int = 0):
        super().__init__()
        images, labels = digits_with_labels(16, "test")
        self.by_class = [images[labels == k] for k in range(10)]
        self.latent_dim, self.n_classes, self.shift = 4, 10, shift
        self.weight = nn.Parameter(torch.zeros(1))  # so that it has a device

    def forward(self, z, labels):
        pick = (z[:, 0].abs() * 1000).long().tolist()
        classes = ((labels + self.shift) % 10).tolist()
        return torch.stack(
            [
                self.by_class[k][i % len(self.by_class[k])]
                for k, i in zip(classes, pick, strict=True)
            ]
        )


def test_label_accuracy_of_a_perfect_and_of_a_wrong_generator():
    from gan_course.metrics import load_digits_classifier

    classifier = load_digits_classifier("cpu")
    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    perfect = label_accuracy(ReplayGenerator(), classifier, n_per_class=40)
    assert torch.equal(torch.rand(2), expected)  # the caller's RNG is left alone
    assert isinstance(perfect, LabelAccuracy) and len(perfect.per_class) == 10
    assert perfect.overall >= 0.9 and min(perfect.per_class) >= 0.75
    assert perfect == label_accuracy(ReplayGenerator(), classifier, n_per_class=40)  # seeded
    off_by_one = label_accuracy(ReplayGenerator(shift=1), classifier, n_per_class=40)
    assert off_by_one.overall < 0.1
    assert "classified as asked" in str(perfect)


def test_label_accuracy_restores_train_mode():
    gen, _ = small_pair()
    judge = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(256, 10))
    gen.train(), judge.train()
    result = label_accuracy(gen, judge, n_per_class=3)
    assert gen.training and judge.training
    assert 0 <= result.overall <= 1


# ------------------------------------------------------------------------------ the widget


def test_class_explorer_builds_headless_and_follows_its_controls():
    from gan_course.widgets import ClassExplorer, class_explorer

    gen, _ = small_pair()
    gen.apply(dcgan_init).train()
    torch.manual_seed(5)
    expected = torch.rand(1)
    torch.manual_seed(5)
    explorer = class_explorer(gen, n=4)
    assert torch.equal(torch.rand(1), expected)  # its own RNG: the notebook's is left alone
    assert isinstance(explorer, ClassExplorer) and explorer.z.shape == (4, 8)
    first = bytes(explorer.image.value)
    assert first.startswith(b"\x89PNG")
    explorer.picker.value = 7  # another class: new images
    seven = bytes(explorer.image.value)
    assert seven != first
    explorer.slider.value = 1.0  # the other end of the noise path
    assert torch.allclose(explorer.z, explorer.end, atol=1e-5)
    assert bytes(explorer.image.value) != seven
    start = explorer.start.clone()
    explorer.new_button.click()
    assert not torch.equal(explorer.start, start)
    assert gen.training  # the generator's mode is restored
