"""The checks of exercise 08: each passes the package's reference, says "not implemented yet" to
the stub, and rejects plausible wrong answers, each with the hint aimed at that mistake."""

from __future__ import annotations

import math

import scipy.linalg
import torch

from gan_course import metrics
from gan_course.checks.evaluating_gans import (
    check_class_kl,
    check_frechet_distance,
    check_knn_precision,
    check_mode_coverage,
)
from gan_course.data import GaussianMixture

from .check_helpers import expect_not_implemented, expect_pass, expect_reject, learner_copy, stub

# ------------------------------------------------------------------------------ 1. Fréchet distance


def fd_with(cross=None, mean=None):
    """The Fréchet distance with its cross term or mean term computed by the given mistakes."""

    def frechet_distance(mu1, sigma1, mu2, sigma2):
        mean_term = (mean or (lambda d: d.pow(2).sum()))(mu1 - mu2)
        root = torch.linalg.eigvals(sigma1 @ sigma2).sqrt().real.sum()
        cross_term = root if cross is None else cross(sigma1, sigma2)
        return mean_term + sigma1.trace() + sigma2.trace() - 2 * cross_term

    return frechet_distance


def fd_scipy(mu1, sigma1, mu2, sigma2):
    """What many write: scipy's sqrtm on NumPy arrays, a NumPy float back."""
    root = scipy.linalg.sqrtm(sigma1.numpy() @ sigma2.numpy()).real
    return (
        float(((mu1 - mu2) ** 2).sum()) + float(sigma1.trace() + sigma2.trace()) - 2 * root.trace()
    )


def fd_symmetric(mu1, sigma1, mu2, sigma2):
    """Right, written differently: eigvalsh of the symmetric S1^(1/2) S2 S1^(1/2)."""
    values, vectors = torch.linalg.eigh(sigma1)
    root1 = vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T
    cross = torch.linalg.eigvalsh(root1 @ sigma2 @ root1).clamp_min(0).sqrt().sum()
    return (mu1 - mu2).pow(2).sum() + sigma1.trace() + sigma2.trace() - 2 * cross


def test_check_frechet_distance(capsys):
    check = check_frechet_distance
    expect_pass(check, metrics.gaussian_frechet_distance, capsys=capsys)
    expect_pass(check, fd_scipy, capsys=capsys)
    expect_not_implemented(check, stub)
    expect_reject(check, fd_with(cross=lambda s1, s2: 0.0), hint="cross term is missing")
    elementwise = lambda s1, s2: (s1 * s2).sqrt().trace()
    expect_reject(check, fd_with(cross=elementwise), hint="elementwise")
    expect_reject(check, fd_with(cross=lambda s1, s2: (s1 @ s2).sqrt().trace()), hint="eigenvalues")
    expect_reject(check, lambda m1, s1, m2, s2: (m1 - m2).pow(2).sum(), hint="covariance term")
    expect_reject(check, fd_with(mean=lambda d: d.norm()), hint="*squared* distance")
    mine = learner_copy(metrics.gaussian_frechet_distance)
    root = lambda *args: mine(*args).sqrt()
    expect_reject(check, root, hint="don't take the square root")
    no_real = fd_with(cross=lambda s1, s2: torch.linalg.eigvals(s1 @ s2).sqrt().sum())
    expect_reject(check, no_real, hint=".real")  # a complex number
    expect_pass(check, fd_symmetric, capsys=capsys)
    real_parts = fd_with(cross=lambda s1, s2: torch.linalg.eigvals(s1 @ s2).real.sqrt().sum())
    expect_pass(check, real_parts, capsys=capsys)
    eigvalsh = fd_with(cross=lambda s1, s2: torch.linalg.eigvalsh(s1 @ s2).sqrt().sum())
    expect_reject(check, eigvalsh, hint="eigvalsh is for symmetric matrices")
    clamped = lambda s1, s2: torch.linalg.eigvalsh(s1 @ s2).clamp_min(0).sqrt().sum()
    expect_reject(check, fd_with(cross=clamped), hint="eigvalsh is for symmetric matrices")
    every_entry = fd_with(cross=lambda s1, s2: (s1 @ s2).sqrt().sum())  # NaN: negative entries
    expect_reject(check, every_entry, hint="square root of a negative number")


# ------------------------------------------------------------------------------ 2. k-NN precision


def precision_with(kth_offset=1, any_dim=1, swap=False, radii_from_fakes=False):
    def knn_precision(real_feats, fake_feats, k=3):
        if swap:
            real_feats, fake_feats = fake_feats, real_feats
        dist = torch.cdist(fake_feats, real_feats)  # (M, N)
        source = dist.T if radii_from_fakes else torch.cdist(real_feats, real_feats)
        radii = source.kthvalue(k + kth_offset, dim=1).values  # (N,)
        return (dist <= radii).any(dim=any_dim).float().mean().item()

    return knn_precision


def precision_masking_zeros(real_feats, fake_feats, k=3):
    """Drops zero distances "to exclude itself" in the wrong place: the fake-to-real ones."""
    radii = torch.cdist(real_feats, real_feats).kthvalue(k + 1, dim=1).values
    dist = torch.cdist(fake_feats, real_feats)
    dist[dist == 0] = float("inf")
    return (dist <= radii).any(dim=1).float().mean().item()


def test_check_knn_precision(capsys):
    check = check_knn_precision
    expect_pass(check, metrics.knn_precision, capsys=capsys)
    expect_pass(check, precision_with(), capsys=capsys)
    expect_not_implemented(check, stub)
    expect_reject(check, precision_with(kth_offset=0), hint="kthvalue(k + 1)")
    expect_reject(check, precision_with(swap=True), hint="that's recall")
    expect_reject(check, precision_with(any_dim=0), hint="count fakes, not balls")
    expect_reject(check, precision_with(radii_from_fakes=True), hint="real-to-real distances")
    mine = learner_copy(metrics.knn_precision)
    fixed_k = lambda real, fake, k=3: mine(real, fake, 3)
    expect_reject(check, fixed_k, hint="use the k argument")
    expect_reject(check, precision_masking_zeros, hint="don't drop zero distances")


# ------------------------------------------------------------------------------ 3. mode coverage


def coverage_with(threshold=3.0, use_variance=False, all_samples=False, count=False):
    def mode_coverage(samples, means, std):
        dist, nearest = torch.cdist(samples, means).min(dim=1)
        radius = threshold * (std**2 if use_variance else std)
        good = torch.ones_like(dist, dtype=torch.bool) if all_samples else dist <= radius
        covered = nearest[good].unique().numel()
        high_quality = (dist <= radius).float().sum() if count else (dist <= radius).float().mean()
        return covered, float(high_quality)

    return mode_coverage


def test_check_mode_coverage(capsys):
    check = check_mode_coverage
    mode_stats = learner_copy(metrics.mode_stats)
    reference = lambda samples, means, std: (
        mode_stats(samples, GaussianMixture(means, std)).modes_covered,
        mode_stats(samples, GaussianMixture(means, std)).high_quality,
    )
    expect_pass(check, reference, capsys=capsys)
    expect_pass(check, coverage_with(), capsys=capsys)
    expect_not_implemented(check, stub)
    expect_reject(check, coverage_with(threshold=1.0), hint="within *3* standard deviations")
    expect_reject(check, coverage_with(use_variance=True), hint="not 3 * std**2")
    expect_reject(check, coverage_with(all_samples=True), hint="drop the samples beyond")
    expect_reject(check, coverage_with(count=True), hint="a fraction")
    everything = lambda samples, means, std: (
        torch.cdist(samples, means).argmin(1).unique().numel(),
        1.0,
    )
    expect_reject(check, everything, hint="count only the high-quality samples")
    expect_reject(check, lambda s, m, std: coverage_with()(s, m, std)[0], hint="a pair")


# ------------------------------------------------------------------------------ 4. class KL


def kl_with(direction="p||u", log=torch.log, normalise=True, minlength=True, drop_empty=True):
    def class_kl(labels, n_classes=10):
        counts = torch.bincount(labels, minlength=n_classes if minlength else 0).double()
        k = len(counts)
        p = counts / counts.sum() if normalise else counts
        if direction == "u||p":
            return (log(1 / (k * p)) / k).sum().item()
        if direction == "entropy":
            return -(p[p > 0] * log(p[p > 0])).sum().item()
        terms = p * log(p * k)
        return (terms.nansum() if drop_empty else terms.sum()).item()

    return class_kl


def kl_with_epsilon(labels, n_classes=10):
    p = torch.bincount(labels, minlength=n_classes).double() / len(labels)
    return (p * torch.log(p * n_classes + 1e-12)).sum().item()


def test_check_class_kl(capsys):
    check = check_class_kl
    expect_pass(check, metrics.class_kl, capsys=capsys)
    expect_pass(check, kl_with(), capsys=capsys)
    expect_pass(check, kl_with_epsilon, capsys=capsys)  # an epsilon inside the log is fine
    expect_not_implemented(check, stub)
    expect_reject(check, kl_with(direction="u||p"), hint="wrong direction")
    expect_reject(check, kl_with(log=torch.log2), hint="natural log")
    expect_reject(check, kl_with(direction="entropy"), hint="entropy")
    expect_reject(check, kl_with(normalise=False), hint="normalise the counts")
    expect_reject(check, kl_with(drop_empty=False), hint="0 * log 0")
    expect_reject(check, kl_with(minlength=False), hint="minlength=n_classes")
    mine = learner_copy(metrics.class_kl)
    fixed_k = lambda labels, n_classes=10: mine(labels, 10)
    expect_reject(check, fixed_k, hint="use n_classes")
    assert math.isclose(metrics.class_kl(torch.zeros(5, dtype=torch.long), 1000), math.log(1000))
