"""gan_course.images (halving, doubling, the Gaussian and Laplacian pyramids) and the data the
pyramids are for: the typed digits of `gan_course.data`, which have detail at 16 and 32 pixels
where the bundled handwritten digits, enlarged from 8x8, have none."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gan_course import data
from gan_course.data import (
    DATASETS,
    digits_with_labels,
    load_dataset,
    typed_digits,
    typed_digits_with_labels,
)
from gan_course.images import (
    downsample,
    gaussian_pyramid,
    laplacian_pyramid,
    reconstruct,
    upsample,
)


def random_images(n=4, channels=1, size=16, seed=0):
    rng = torch.Generator().manual_seed(seed)
    return torch.rand(n, channels, size, size, generator=rng) * 2 - 1


# ------------------------------------------------------------------------------ down and up


def test_downsample_halves_and_upsample_doubles_keeping_constants_constant():
    images = random_images(3, channels=2)
    assert downsample(images).shape == (3, 2, 8, 8)
    assert upsample(images).shape == (3, 2, 32, 32)
    flat = torch.full((2, 1, 8, 8), 0.3)
    assert torch.allclose(downsample(flat), torch.full((2, 1, 4, 4), 0.3))  # weights sum to 1
    assert torch.allclose(upsample(flat), torch.full((2, 1, 16, 16), 0.3))


def test_down_and_up_are_centred_so_that_a_flipped_image_gives_a_flipped_result():
    images = random_images()
    for op in (downsample, upsample):
        for dims in ((-1,), (-2,)):
            assert torch.allclose(op(images.flip(dims)), op(images).flip(dims), atol=1e-6)


def test_downsample_blurs_with_the_binomial_kernel_and_keeps_every_second_pixel():
    images = random_images(size=8)
    kernel = torch.tensor([1.0, 3.0, 3.0, 1.0]) / 8
    padded = F.pad(images, (1, 1, 1, 1), mode="replicate")
    by_hand = torch.zeros(4, 1, 4, 4)
    for r in range(4):
        for c in range(4):
            patch = padded[:, :, 2 * r : 2 * r + 4, 2 * c : 2 * c + 4]
            by_hand[:, :, r, c] = (patch * torch.outer(kernel, kernel)).sum(dim=(-1, -2))
    assert torch.allclose(downsample(images), by_hand, atol=1e-6)


def test_odd_sizes_and_images_without_a_channel_axis_are_refused():
    with pytest.raises(ValueError, match="must be even"):
        downsample(torch.zeros(1, 1, 7, 8))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        downsample(torch.zeros(4, 16, 16))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        upsample(torch.zeros(16, 16))


# ------------------------------------------------------------------------------ pyramids


@pytest.mark.parametrize("levels", [1, 2, 3])
def test_the_laplacian_pyramid_is_exactly_invertible(levels):
    images = random_images(size=32)
    gaussian = gaussian_pyramid(images, levels)
    assert [g.shape[-1] for g in gaussian] == [32 // 2**k for k in range(levels + 1)]
    pyramid = laplacian_pyramid(images, levels)
    assert [p.shape[-1] for p in pyramid] == [g.shape[-1] for g in gaussian]  # finest first
    assert torch.equal(pyramid[-1], gaussian[-1])  # the low-pass residual I_K
    for k in range(levels):
        assert torch.allclose(pyramid[k], gaussian[k] - upsample(gaussian[k + 1]))
    assert (reconstruct(pyramid) - images).abs().max() <= 1e-6


def test_reconstruction_is_exact_on_real_digits_and_zero_levels_is_the_image():
    images = typed_digits(32, "test", n=50)
    assert (reconstruct(laplacian_pyramid(images, 2)) - images).abs().max() <= 1e-6
    assert torch.equal(reconstruct(laplacian_pyramid(images, 0)), images)
    assert torch.equal(gaussian_pyramid(images, 0)[0], images)


# ------------------------------------------------------------------------------ typed digits

# A fingerprint of the test split (made on the project's machine): every machine must draw
# the same images, so a change of the fonts, the jitter or the rendering shows here.
FINGERPRINT_MEAN, FINGERPRINT_INK = -0.638584, 478


def test_typed_digits_are_the_same_every_call_and_served_as_copies():
    first, labels = typed_digits_with_labels(16, "train")
    first[0] = 5.0  # a learner's edit must not reach the cache
    again, labels_again = typed_digits_with_labels(16, "train")
    assert again.abs().max() <= 1 and torch.equal(labels, labels_again)
    assert torch.equal(typed_digits(16, "train")[1:], first[1:])
    # a fingerprint of the images: a change of fonts or of the jitter shows here
    test = typed_digits(16, "test")
    assert test.mean().item() == pytest.approx(FINGERPRINT_MEAN, abs=1e-5)
    assert (test[:10] > 0).sum().item() == FINGERPRINT_INK


def test_typed_digits_shapes_splits_and_balance():
    train, train_labels = typed_digits_with_labels(32, "train")
    test, test_labels = typed_digits_with_labels(16, "test")
    assert train.shape == (6000, 1, 32, 32) and test.shape == (1000, 1, 16, 16)
    assert train.dtype == torch.float32 and train.min() == -1 and train.max() == 1
    for labels in (train_labels, test_labels):
        counts = torch.bincount(labels, minlength=10)
        assert counts.min() == counts.max()  # balanced
    small = typed_digits_with_labels(16, "train")[0]
    assert torch.allclose(small, F.avg_pool2d(train, 2))  # 16 is 32 averaged over 2x2
    assert torch.equal(typed_digits(16, "train", n=30), small[:30])
    assert torch.equal(typed_digits_with_labels(16, "train", n=30)[1], torch.arange(30) % 10)
    everything = typed_digits(16, "all")
    assert len(everything) == 7000 and torch.equal(everything[6000:], test)


def test_typed_digits_have_ink_and_are_all_different():
    images = typed_digits(16, "all").flatten(1)  # (7000, 256)
    ink = (images > 0).sum(dim=1)
    assert ink.min() >= 8, "no blank image"
    assert (images == -1).sum(dim=1).min() >= 64, "a background around every digit"
    assert len(torch.unique(images, dim=0)) == len(images), "no two images the same"
    nearest = torch.cdist(images[6000:], images[:6000]).min(dim=1).values
    assert nearest.min() > 0.5, "the test split holds no copy of a training image"


def test_wrong_sizes_splits_and_counts_say_what_is_valid():
    with pytest.raises(ValueError, match="16 or 32"):
        typed_digits(8)
    with pytest.raises(ValueError, match="'train', 'test'"):
        typed_digits(16, "validation")
    with pytest.raises(ValueError, match="1000 typed digits"):
        typed_digits(16, "test", n=1001)


def test_typed_digits_are_registered_among_the_datasets():
    assert load_dataset("typed-digits").shape == (6000, 1, 16, 16)
    assert load_dataset("Typed_Digits32").shape == (6000, 1, 32, 32)
    assert "typed-digits" in data.BUNDLED
    with pytest.raises(ValueError, match="'typed-digits'") as info:
        load_dataset("typed")
    assert all(repr(name) in str(info.value) for name in DATASETS)


def finest_band_left_by_a_linear_guess(images, held_out) -> float:
    """The share of the finest band's energy that a linear map of the coarse image cannot
    predict, on held-out images (ridge regression, fitted on `images`)."""
    (band, low), (held_band, held_low) = [
        (x - upsample(downsample(x)), upsample(downsample(x))) for x in (images, held_out)
    ]
    design = torch.cat([low.flatten(1), torch.ones(len(low), 1)], dim=1).double()
    weights = torch.linalg.solve(
        design.T @ design + 1e-2 * torch.eye(design.shape[1], dtype=torch.float64),
        design.T @ band.flatten(1).double(),
    )
    held = torch.cat([held_low.flatten(1), torch.ones(len(held_low), 1)], dim=1).double()
    left = held_band.flatten(1).double() - held @ weights
    return (left.pow(2).sum() / held_band.double().pow(2).sum()).item()


def test_the_fine_band_of_typed_digits_holds_new_detail_the_enlarged_digits_lack():
    # The bundled digits at 16 are their 8x8 originals enlarged: the finest band is a fixed
    # linear function of the coarse image. The typed digits' is not: it is worth generating.
    enlarged = finest_band_left_by_a_linear_guess(
        digits_with_labels(16, "train")[0], digits_with_labels(16, "test")[0]
    )
    typed = finest_band_left_by_a_linear_guess(typed_digits(16, "train"), typed_digits(16, "test"))
    assert enlarged < 0.001 < 0.15 < typed
