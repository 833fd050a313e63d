"""gan_course.metrics: the digit judge and its asset, Fréchet distance, precision/recall,
memorisation, class and stacked-mode statistics, and the 2-D mode protocol."""

from __future__ import annotations

import json
import math
import shutil

import pytest
import torch
import torch.nn.functional as F

from gan_course import data, metrics
from gan_course.assets import ASSETS_DIR, AssetError, verified_path
from gan_course.models import MLPGenerator


@pytest.fixture(scope="module")
def digits():
    """(train images, test images, test labels) of the bundled 16x16 digits."""
    train = data.digits_with_labels(16, "train")[0]
    test, test_labels = data.digits_with_labels(16, "test")
    return train, test, test_labels


def blur(images, sigma: float):
    """A Gaussian blur of images (N, 1, H, W) in [-1, 1] (background stays -1)."""
    x = torch.arange(-3, 4, dtype=torch.float32)
    kernel = torch.exp(-(x**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    out = F.conv2d(F.pad(images + 1, (3, 3, 0, 0)), kernel.view(1, 1, 1, 7))
    return F.conv2d(F.pad(out, (0, 0, 3, 3)), kernel.view(1, 1, 7, 1)) - 1


# ------------------------------------------------------------------------------ the judge


def test_classifier_asset_loads_with_weights_only_and_passes_95_percent(digits):
    _, test, test_labels = digits
    state = torch.load(verified_path("digits_classifier.pt"), weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    assert (ASSETS_DIR / "digits_classifier.pt").stat().st_size <= 2 * 1024**2
    classifier = metrics.load_digits_classifier("cpu")
    assert classifier is metrics.load_digits_classifier("cpu")  # cached
    assert not classifier.training and not any(p.requires_grad for p in classifier.parameters())
    assert classifier(test[:5]).shape == (5, 10) and classifier.features(test[:5]).shape == (5, 64)
    accuracy = (metrics.predict_digits(test, classifier) == test_labels).float().mean().item()
    assert accuracy >= 0.95


def test_a_changed_or_missing_asset_gives_a_clear_error(tmp_path):
    for name in ("digits_classifier.pt", "checksums.json"):
        shutil.copy(ASSETS_DIR / name, tmp_path / name)
    assert verified_path("digits_classifier.pt", tmp_path) == tmp_path / "digits_classifier.pt"
    weights = tmp_path / "digits_classifier.pt"
    content = bytearray(weights.read_bytes())
    content[len(content) // 2] ^= 0xFF  # one byte flipped
    weights.write_bytes(bytes(content))
    with pytest.raises(AssetError, match="does not match its checksum") as info:
        verified_path("digits_classifier.pt", tmp_path)
    assert "python -m gan_course.assets.make_weights digits_classifier.pt" in str(info.value)
    (tmp_path / "checksums.json").write_text(json.dumps({}))
    with pytest.raises(AssetError, match="no checksum"):
        verified_path("digits_classifier.pt", tmp_path)
    weights.unlink()
    with pytest.raises(AssetError, match="missing.*make_weights digits_classifier"):
        verified_path("digits_classifier.pt", tmp_path)


# ------------------------------------------------------------------------------ Fréchet distance


def test_gaussian_frechet_distance_in_1d_and_agrees_with_torchmetrics(digits):
    one_d = [torch.tensor([0.0]), torch.tensor([[4.0]]), torch.tensor([1.0]), torch.tensor([[1.0]])]
    assert torch.isclose(metrics.gaussian_frechet_distance(*one_d), torch.tensor(2.0))
    train, test, _ = digits
    a, b = metrics.digit_features(train).double(), metrics.digit_features(test).double()
    ours = metrics.gaussian_frechet_distance(a.mean(0), torch.cov(a.T), b.mean(0), torch.cov(b.T))
    assert math.isclose(metrics.frechet_distance(train, test), ours.item(), rel_tol=1e-4)


def test_frechet_distance_is_zero_for_a_set_with_itself_and_grows_with_blur_and_noise(digits):
    train, test, _ = digits
    assert metrics.frechet_distance(test, test) < 1e-6
    floor = metrics.frechet_distance(train, test)
    blurs = [metrics.frechet_distance(train, blur(test, s)) for s in (0.7, 1.0, 2.0)]
    torch.manual_seed(0)
    noisy = [(test + s * torch.randn_like(test)).clamp(-1, 1) for s in (0.3, 1.0)]
    noises = [metrics.frechet_distance(train, x) for x in noisy]
    assert floor < blurs[0] < blurs[1] < blurs[2] and floor < noises[0] < noises[1]


# ------------------------------------------------------------------------------ precision/recall


def test_knn_precision_uses_the_kth_nearest_other_point():
    real = torch.tensor([[0.0], [1.0], [3.0]])  # k=1 radii: 1, 1, 2 (not 0: itself excluded)
    assert metrics.knn_precision(real, torch.tensor([[4.5], [5.5]]), k=1) == 0.5
    assert metrics.knn_precision(real, real, k=1) == 1.0


def test_precision_recall_on_constructed_sets():
    torch.manual_seed(0)
    real = torch.randn(500, 2)
    same = metrics.precision_recall(real, torch.randn(500, 2))
    assert same.precision > 0.9 and same.recall > 0.9
    far = metrics.precision_recall(real, torch.randn(500, 2) + 10)
    assert far == (0.0, 0.0)
    collapsed = metrics.precision_recall(real, 0.2 * torch.randn(500, 2))  # one corner of it
    assert collapsed.precision > 0.9 and collapsed.recall < 0.3
    p, r = metrics.precision_recall(real, real[:400], k=3)
    assert p == 1.0 and r > 0.9


# ------------------------------------------------------------------------------ classes, copies


def test_histogram_and_class_kl():
    assert metrics.histogram_kl(torch.tensor([5, 5, 5, 5])) == 0.0
    assert math.isclose(metrics.histogram_kl(torch.tensor([0, 7, 0])), math.log(3))
    labels = torch.tensor([0, 0, 1, 2])  # classes 3-9 missing: still finite
    p = torch.tensor([0.5, 0.25, 0.25])
    assert math.isclose(metrics.class_kl(labels), (p * (10 * p).log()).sum().item(), rel_tol=1e-6)


def test_memorisation_flags_copies_of_train_images(digits):
    train, test, _ = digits
    held_out = metrics.memorisation(test, train, test)
    assert held_out.ratio == 1.0 and held_out.near_copies <= 0.02
    copies = metrics.memorisation(train[:300], train, test)
    assert copies.ratio == 0.0 and copies.near_copies == 1.0
    nudged = metrics.memorisation(train[:300] + 0.01, train, test)  # copies, slightly changed
    assert nudged.ratio < 0.1 and nudged.near_copies == 1.0
    assert copies.fake_to_train.shape == (300,) and held_out.test_to_train.shape == (len(test),)


def test_digit_scores_calibrates_against_held_out_digits(digits):
    train, test, test_labels = digits
    held_out = metrics.digit_scores(test)
    assert held_out.n == len(test) and held_out.fd == held_out.fd_floor
    assert held_out.classes_covered == 10 and held_out.class_kl < 0.05
    assert held_out.memorisation == 1.0 and held_out.precision > 0.8 and held_out.recall > 0.8
    ones = metrics.digit_scores(test[test_labels == 1])
    assert ones.classes_covered == 1 and math.isclose(ones.class_kl, math.log(10), rel_tol=1e-3)
    assert ones.recall < 0.2 and ones.fd > 10 * ones.fd_floor / 2
    assert metrics.digit_scores(train[:100]).memorisation == 0.0
    assert "FD" in str(held_out) and "10/10 classes" in str(held_out)
    with pytest.raises(ValueError, match="at most 359"):
        metrics.digit_scores(train, n=1000)


def test_digit_scores_samples_a_generator_without_touching_rng_or_mode():
    generator = MLPGenerator(8, hidden=(16,), image_shape=(1, 16, 16))
    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    scores = metrics.digit_scores(generator, n=100)
    assert torch.equal(torch.rand(2), expected) and generator.training
    assert scores.n == 100 and scores == metrics.digit_scores(generator, n=100)


# ------------------------------------------------------------------------------ stacked digits


def test_stacked_mode_stats_counts_triples(digits):
    _, test, test_labels = digits
    right = metrics.predict_digits(test) == test_labels
    one_of_each = torch.stack([test[right & (test_labels == d)][0] for d in range(10)])  # (10,1,..)
    triples = torch.cartesian_prod(*[torch.arange(10)] * 3)  # (1000, 3): every mode once
    stacked = one_of_each[triples].squeeze(2)  # (1000, 3, 16, 16)
    every = metrics.stacked_mode_stats(stacked)
    assert every.modes_covered == 1000 and every.kl < 1e-9 and every.n == 1000
    same = metrics.stacked_mode_stats(stacked[:1].repeat(50, 1, 1, 1))
    assert same.modes_covered == 1 and math.isclose(same.kl, math.log(1000))
    assert "1/1000 modes" in str(same)
    with pytest.raises(ValueError, match="3 channels"):
        metrics.stacked_mode_stats(test[:4])


# ------------------------------------------------------------------------------ 2-D protocol


def test_mode_stats_follows_the_veegan_pacgan_protocol():
    mixture = data.GaussianMixture(torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]), 0.1)
    samples = torch.tensor([[0.29, 0.0], [0.31, 0.0], [10.0, 0.0], [0.0, 10.0], [5.0, 5.0]])
    stats = metrics.mode_stats(samples, mixture)
    # within 3 std (0.3) is high quality; one high-quality sample covers a mode
    assert stats.counts == (1, 1, 1) and stats.modes_covered == 3
    assert math.isclose(stats.high_quality, 3 / 5, rel_tol=1e-6) and stats.reverse_kl < 1e-9
    assert metrics.mode_stats(samples, mixture, min_count=2).modes_covered == 0
    assert metrics.mode_stats(samples, mixture, threshold=1.0).modes_covered == 2
