"""gan_course.runtime and gan_course.data."""

from __future__ import annotations

import math
import struct
import subprocess
import sys

import numpy as np
import pytest
import torch

from gan_course import data, runtime


def test_budget_follows_fast_mode(monkeypatch):
    monkeypatch.setenv("GAN_COURSE_FAST", "1")
    assert runtime.is_fast() and runtime.budget(full=1000, fast=10) == 10
    for off in ("", "0", "false", "no"):
        monkeypatch.setenv("GAN_COURSE_FAST", off)
        assert not runtime.is_fast() and runtime.budget(full=1000, fast=10) == 1000
    monkeypatch.delenv("GAN_COURSE_FAST")
    assert runtime.budget(full=(64, 5000), fast=(8, 50)) == (64, 5000)


def test_get_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv("GAN_COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.get_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert runtime.get_device().type == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert runtime.get_device().type == "cpu"
    monkeypatch.setenv("GAN_COURSE_DEVICE", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.get_device().type == "cpu"


def test_seed_everything_repeats_runs():
    runtime.seed_everything(7)
    first = (torch.rand(3), np.random.rand(3))
    runtime.seed_everything(7)
    again = (torch.rand(3), np.random.rand(3))
    assert torch.equal(first[0], again[0]) and np.array_equal(first[1], again[1])


def test_one_thread_unless_told_otherwise_and_a_warning_with_more(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setenv("GAN_COURSE_DEVICE", "cpu")
    try:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        assert runtime.set_threads() == 1 == torch.get_num_threads()
        assert runtime.thread_warning() is None
        assert runtime.describe().startswith("device=cpu  threads=1  mode=")
        assert "\n" not in runtime.describe()
        monkeypatch.setenv("OMP_NUM_THREADS", "2")
        assert runtime.set_threads() == 2 == torch.get_num_threads()
        warning = runtime.describe().splitlines()[1]
        assert "2 CPU threads" in warning and "busy" in warning and "'2'" in warning
        assert runtime.set_threads(1) == 1 and runtime.thread_warning() is None
        monkeypatch.setenv("OMP_NUM_THREADS", "lots")  # not a number: the default
        assert runtime.set_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_the_package_imports_without_torch_until_runtime_is_used():
    code = (
        "import sys, gan_course, gan_course.tooling.jupyter, gan_course.tooling.layout\n"
        "assert 'torch' not in sys.modules, 'the tooling must not load PyTorch'\n"
        "from gan_course import budget\n"
        "assert 'torch' in sys.modules and budget(1, 2) in (1, 2)\n"
        "import gan_course as g\n"
        "try:\n    g.nope\nexcept AttributeError as err:\n    assert 'nope' in str(err)\n"
        "else:\n    raise SystemExit('no AttributeError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_ring_and_grid_have_the_published_geometry():
    ring = data.ring_of_8()
    assert ring.means.shape == (8, 2) and ring.std == 0.02
    assert torch.allclose(ring.means.norm(dim=1), torch.full((8,), 2.0))
    grid = data.grid_of_25()
    assert grid.std == 0.05
    assert sorted(set(grid.means[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    samples = ring.sample(4000, generator=torch.Generator().manual_seed(0))
    nearest = torch.cdist(samples, ring.means).min(dim=1).values
    assert samples.shape == (4000, 2) and nearest.max() < 6 * ring.std
    counts = torch.bincount(torch.cdist(samples, ring.means).argmin(dim=1), minlength=8)
    assert counts.min() > 400  # every mode drawn about 500 times


def test_mixture_density_integrates_to_one():
    mix = data.mixture_1d()
    x = torch.linspace(-6, 6, 20001).unsqueeze(1)
    integral = mix.density(x).sum() * (12 / 20000)
    assert math.isclose(integral.item(), 1.0, abs_tol=1e-3)


@pytest.mark.parametrize("name", ["spiral", "moons"])
def test_other_toy_sets_sample_2d_points(name):
    points = data.load_dataset(name).sample(500)
    assert points.shape == (500, 2) and torch.isfinite(points).all()
    assert points.abs().max() < 5


@pytest.mark.parametrize("size", [8, 16])
def test_bundled_digits_are_images_in_minus_one_one(size):
    images, labels = data.digits_with_labels(size)
    assert images.shape == (1797, 1, size, size) and labels.shape == (1797,)
    assert images.min() >= -1 and images.max() <= 1 and images.min() < -0.99
    assert set(labels.tolist()) == set(range(10))


def test_digits_reject_other_sizes():
    with pytest.raises(ValueError, match="8 or 16"):
        data.digits(28)


def test_wrong_dataset_name_lists_the_valid_ones():
    with pytest.raises(ValueError) as info:
        data.load_dataset("cifar")
    for name in ("'ring'", "'grid'", "'digits'", "'mnist'"):
        assert name in str(info.value)
    assert data.load_dataset("Digits16").shape[-1] == 16  # names are forgiving about case


def write_idx(path, array: np.ndarray) -> None:
    """An IDX file as MNIST ships it: magic (0, 0, ubyte, ndim), big-endian sizes, raw bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += b"".join(struct.pack(">I", n) for n in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("fashion", [False, True])
def test_mnist_loader_reads_idx_files(tmp_path, fashion):
    folder = tmp_path / ("FashionMNIST" if fashion else "MNIST") / "raw"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", 5), ("t10k", 3)):
        write_idx(folder / f"{split}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        write_idx(folder / f"{split}-labels-idx1-ubyte", np.arange(n))
    images, labels = data.mnist_with_labels(fashion=fashion, root=tmp_path)
    assert images.shape == (5, 1, 28, 28) and labels.tolist() == [0, 1, 2, 3, 4]
    assert images.min() >= -1 and images.max() <= 1
    assert data.mnist(fashion=fashion, train=False, root=tmp_path).shape == (3, 1, 28, 28)


def test_digit_images_offer_mnist_and_fall_back_to_the_bundled_digits(tmp_path, capsys):
    folder = tmp_path / "MNIST" / "raw"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", 6), ("t10k", 2)):
        write_idx(folder / f"{split}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        write_idx(folder / f"{split}-labels-idx1-ubyte", np.arange(n))
    images, labels = data.digit_images("mnist", 16, "train", root=tmp_path)
    assert images.shape == (6, 1, 16, 16) and images.abs().max() <= 1 and len(labels) == 6
    images, labels = data.digit_images("mnist", 16, "test", root=tmp_path / "empty")
    assert "Using the bundled digits instead" in capsys.readouterr().out
    assert images.shape == (359, 1, 16, 16)
    images, _ = data.digit_images("mnist", 32, "test", root=tmp_path / "empty")  # MNIST-sized
    assert images.shape == (359, 1, 32, 32) and images.abs().max() <= 1
    with pytest.raises(ValueError, match="'digits'"):
        data.digit_images("cifar")


def test_digit_splits_are_fixed_disjoint_and_cover_every_class():
    train_x, train_y = data.digits_with_labels(8, "train")
    test_x, test_y = data.digits_with_labels(8, "test")
    all_x, _ = data.digits_with_labels(8)
    assert len(train_x) + len(test_x) == len(all_x) and len(test_x) == len(all_x) // 5
    assert torch.equal(test_x, data.digits_with_labels(8, "test")[0])  # same split every time
    flat = {tuple(x.flatten().tolist()) for x in test_x}
    overlap = sum(tuple(x.flatten().tolist()) in flat for x in train_x)
    assert overlap <= 5  # scikit-learn's digits hold a few exact duplicates, nothing more
    assert set(train_y.tolist()) == set(test_y.tolist()) == set(range(10))
    with pytest.raises(ValueError, match="'train'"):
        data.digits(8, split="validation")


def test_stacked_digits_have_a_thousand_equally_likely_modes():
    stacked = data.load_dataset("stacked-digits")
    images, modes = stacked.sample_with_modes(20_000, torch.Generator().manual_seed(0))
    assert images.shape == (20_000, 3, 16, 16) and images.abs().max() <= 1
    counts = torch.bincount(modes, minlength=1000)
    assert len(counts) == 1000 and counts.min() > 0 and counts.max() < 50  # mean 20
    first = stacked.labels[stacked.images.flatten(1).eq(images[0, 0].flatten()).all(1)]
    assert int(first[0]) == int(modes[0]) // 100  # channel 0 is the hundreds digit


def test_mnist_missing_offline_names_the_bundled_alternative(tmp_path):
    with pytest.raises(data.DownloadError, match="download=True.*load_dataset\\('digits'\\)"):
        data.mnist(root=tmp_path)


def test_mnist_download_failure_is_clear(tmp_path, monkeypatch):
    from torchvision import datasets

    # no network here: point the real download code at a closed port on this machine
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(data.DownloadError, match="offline.*bundled digits"):
        data.mnist(root=tmp_path, download=True)
