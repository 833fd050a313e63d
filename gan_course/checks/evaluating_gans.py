"""Checks for exercise 08: the Fréchet distance, k-NN precision, mode coverage, class KL."""

from __future__ import annotations

import math

import torch

from .. import metrics
from ..data import GaussianMixture
from . import questions
from .core import Check

ELEMENTWISE_SQRT = (
    "torch.sqrt works elementwise, but the formula needs the *matrix* square root: "
    "Tr((Σ1 Σ2)^(1/2)) is the sum of the square roots of the eigenvalues of Σ1 @ Σ2 "
    "(torch.linalg.eigvals(...).sqrt().real.sum())"
)


EIGVALSH = (
    "torch.linalg.eigvalsh is for symmetric matrices: it reads one triangle only, and Σ1 Σ2 is "
    "not symmetric. Use torch.linalg.eigvals(sigma1 @ sigma2).sqrt().real.sum(), or eigvalsh "
    "of the symmetric Σ1^(1/2) Σ2 Σ1^(1/2), which has the same eigenvalues"
)


def _gaussians():
    """Two 3-D Gaussians with full covariances: means (3,), covariances (3, 3), float64."""
    a, b = torch.randn(3, 3, dtype=torch.float64), torch.randn(3, 3, dtype=torch.float64)
    mu1, mu2 = torch.randn(3, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    eye = torch.eye(3, dtype=torch.float64)
    return mu1, a @ a.T + 0.5 * eye, mu2, b @ b.T + 0.5 * eye


def _fd_mistakes(mu1, sigma1, mu2, sigma2) -> list[tuple[torch.Tensor, str]]:
    mean_term = (mu1 - mu2).pow(2).sum()
    traces = sigma1.trace() + sigma2.trace()
    want = metrics.gaussian_frechet_distance(mu1, sigma1, mu2, sigma2)
    return [
        (mean_term + traces, "the cross term is missing: subtract 2 Tr((Σ1 Σ2)^(1/2))"),
        (mean_term + traces - 2 * (sigma1 * sigma2).sqrt().trace(), ELEMENTWISE_SQRT),
        (mean_term + traces - 2 * (sigma1 @ sigma2).sqrt().trace(), ELEMENTWISE_SQRT),
        (
            mean_term,
            "only the means count here: add the covariance term Tr(Σ1 + Σ2 - 2 (Σ1 Σ2)^(1/2))",
        ),
        (
            (mu1 - mu2).norm() + want - mean_term,
            "the mean term is the *squared* distance ||μ1 - μ2||², not ||μ1 - μ2||",
        ),
        (want.sqrt(), "the Fréchet distance of FID is d², not d: don't take the square root"),
        *[
            (
                mean_term + traces - 2 * root(torch.linalg.eigvalsh(product, UPLO=uplo)).sum(),
                EIGVALSH,
            )
            for product in (sigma1 @ sigma2, sigma2 @ sigma1)
            for uplo in "LU"
            for root in (torch.sqrt, lambda e: e.clamp_min(0).sqrt(), lambda e: e.abs().sqrt())
        ],
    ]


def check_frechet_distance(fn) -> None:
    """`frechet_distance(mu1, sigma1, mu2, sigma2)`: ||μ1-μ2||² + Tr(Σ1 + Σ2 - 2(Σ1Σ2)^½)."""
    with Check(
        "frechet_distance", reference=(metrics.gaussian_frechet_distance, metrics.frechet_distance)
    ) as c:
        mu1, sigma1, mu2, sigma2 = _gaussians()
        got = c.call(fn, mu1, sigma1, mu2, sigma2)
        c.expect(
            not (isinstance(got, torch.Tensor) and got.is_complex()),
            "is the distance a real number?",
            "a real number",
            "a complex tensor",
            hint="eigvals returns complex numbers: keep the real part (.real) after .sqrt()",
        )
        got = c.expect_scalar(got, "frechet_distance(...)", hint="sum the terms to one number")
        c.expect_finite(
            got,
            "the distance between two 3-D Gaussians",
            "NaN comes from the square root of a negative number: the eigenvalues of Σ1 Σ2 are "
            ">= 0 in theory, so take them with torch.linalg.eigvals (eigvalsh assumes a "
            "symmetric matrix) and .sqrt() them before keeping .real",
        )
        c.expect_close(
            got,
            metrics.gaussian_frechet_distance(mu1, sigma1, mu2, sigma2),
            "the distance between two 3-D Gaussians",
            hint="||μ1 - μ2||² + Tr(Σ1) + Tr(Σ2) - 2 Tr((Σ1 Σ2)^(1/2))",
            mistakes=_fd_mistakes(mu1, sigma1, mu2, sigma2),
        )
        itself = c.expect_scalar(c.call(fn, mu1, sigma1, mu1, sigma1), "frechet_distance(a, a)")
        c.expect_close(itself, 0.0, "a Gaussian's distance to itself", atol=1e-6)
        one_d = [
            torch.tensor([0.0]),
            torch.tensor([[4.0]]),
            torch.tensor([1.0]),
            torch.tensor([[1.0]]),
        ]
        c.expect_close(
            c.expect_scalar(c.call(fn, *one_d), "frechet_distance in 1-D"),
            2.0,
            "N(0, 2²) against N(1, 1²): in 1-D, d² = (μ1 - μ2)² + (s1 - s2)²",
            hint="pass the covariance matrices as given (here 1x1) and keep the cross term",
        )


def _precision_data():
    """Real: 120 points of a 2-D blob. Fake: 40 points like them and 40 shifted off the blob."""
    real = torch.randn(120, 2)
    fake = torch.cat([torch.randn(40, 2), torch.randn(40, 2) * 0.5 + torch.tensor([3.0, 0.0])])
    return real, fake


def _inside(radii: torch.Tensor, dist: torch.Tensor) -> torch.Tensor:
    return dist <= radii.unsqueeze(1)  # dist (N_real, M): is each fake inside each real's ball?


def check_knn_precision(fn) -> None:
    """`knn_precision(real_feats, fake_feats, k=3)`: the fraction of fakes that lie inside at
    least one real ball, each real ball reaching to its k-th nearest other real point."""
    with Check("knn_precision", reference=(metrics.knn_precision, metrics.precision_recall)) as c:
        real, fake = _precision_data()
        got = c.expect_scalar(c.call(fn, real, fake, 3), "knn_precision(real, fake, 3)")
        real_dist, dist = torch.cdist(real, real), torch.cdist(real, fake)  # (N, N), (N, M)
        with_itself = real_dist.kthvalue(3, dim=1).values
        from_fakes = [dist.kthvalue(k, dim=1).values for k in (3, 4)]
        radii = real_dist.kthvalue(4, dim=1).values
        mistakes = [
            (
                _inside(with_itself, dist).any(0).float().mean(),
                "each real point is its own nearest neighbour (distance 0): the radius is the "
                "(k+1)-th smallest distance in its row, kthvalue(k + 1)",
            ),
            (
                metrics.knn_precision(fake, real, 3),
                "that's recall, real and fake swapped: precision asks how many *fakes* lie in "
                "the balls around the *real* points",
            ),
            (
                _inside(radii, dist).any(1).float().mean(),
                "count fakes, not balls: for each fake, is it inside *any* real ball "
                "(.any over the real points), then average over the fakes",
            ),
            *[
                (
                    _inside(radii_from_fakes, dist).any(0).float().mean(),
                    "the radii come from real-to-real distances, not from real-to-fake ones",
                )
                for radii_from_fakes in from_fakes
            ],
        ]
        c.expect_close(
            got,
            metrics.knn_precision(real, fake, 3),
            "precision of 80 fakes, half of them off the blob, k = 3",
            hint="radius of real i: its k-th nearest other real point; a fake counts when it "
            "is within the radius of at least one real point",
            mistakes=mistakes,
        )
        c.expect_close(
            c.expect_scalar(c.call(fn, real, fake, 1), "knn_precision(real, fake, 1)"),
            metrics.knn_precision(real, fake, 1),
            "the same with k = 1",
            hint="use the k argument, not a fixed 3",
        )
        c.expect_close(
            c.expect_scalar(c.call(fn, real, real[:50], 3), "knn_precision(real, real[:50])"),
            1.0,
            "real points as fakes: each sits at the centre of its own ball",
            hint="a fake identical to a real point is inside that point's ball (0 <= radius): "
            "compare with <=, and don't drop zero distances",
        )


def _mode_data():
    """A 3x3 grid of modes (std 0.1) and 120 samples placed to tell the rules apart."""
    ticks = torch.tensor([-1.0, 0.0, 1.0])
    means, std = torch.cartesian_prod(ticks, ticks), 0.1  # (9, 2)
    unit = torch.nn.functional.normalize(torch.randn(120, 2), dim=1)  # random directions
    # distances in std: modes 0-4 get 20 samples each at 0-2.5 std, mode 5 three at 2 std,
    # mode 6 two at 5 std (not high quality), 15 samples at 8-14 std from any mode, 7-8 none
    radius = torch.cat([torch.rand(100) * 2.5, torch.full((3,), 2.0), torch.full((2,), 5.0)])
    mode = torch.cat([torch.arange(5).repeat_interleave(20), torch.tensor([5, 5, 5, 6, 6])])
    near = means[mode] + std * radius.unsqueeze(1) * unit[:105]
    far = torch.tensor([-0.5, 0.5]) + 0.02 * torch.randn(15, 2)  # between four modes
    return torch.cat([near, far]), means, std


def check_mode_coverage(fn) -> None:
    """`mode_coverage(samples, means, std)` -> (modes covered, high-quality fraction)."""
    with Check("mode_coverage", reference=(metrics.mode_stats, metrics.generator_mode_stats)) as c:
        samples, means, std = _mode_data()
        got = c.call(fn, samples, means, std)
        c.expect(
            isinstance(got, tuple | list) and len(got) == 2,
            "what mode_coverage returns",
            "a pair (modes_covered, high_quality)",
            type(got).__name__,
            hint="return a pair: modes_covered, high_quality",
        )
        got = torch.tensor([float(got[0]), float(got[1])])
        mixture = GaussianMixture(means, std)

        def pair(stats):
            return torch.tensor([stats.modes_covered, stats.high_quality])

        nearest = torch.cdist(samples, means).argmin(1)
        hq_count = metrics.mode_stats(samples, mixture).high_quality * len(samples)
        mistakes = [
            (
                pair(metrics.mode_stats(samples, mixture, threshold=1.0)),
                "high quality means within *3* standard deviations: 3 * std",
            ),
            (
                pair(metrics.mode_stats(samples, GaussianMixture(means, std**2))),
                "std is already a standard deviation: the radius is 3 * std, not 3 * std**2",
            ),
            (
                torch.tensor([float(nearest.unique().numel()), 1.0]),
                "count only the high-quality samples: a sample far from every mode "
                "neither covers a mode nor counts as good",
            ),
            (
                torch.tensor([float(nearest.unique().numel()), hq_count / len(samples)]),
                "a mode is covered by a *high-quality* sample only: drop the samples beyond "
                "3 std before you look at their nearest modes",
            ),
            (
                torch.tensor([6.0, hq_count]),
                "high_quality is a fraction: divide by the number of samples",
            ),
        ]
        c.expect_close(
            got,
            pair(metrics.mode_stats(samples, mixture)),
            "(modes covered, high-quality fraction) of 120 samples on a 3x3 grid",
            hint="distance to the nearest mode <= 3 * std makes a sample high quality; "
            "a mode is covered when at least one high-quality sample is nearest to it",
            mistakes=mistakes,
        )
        truth = mixture.sample(900)  # the true distribution: the floor of both numbers
        got = c.call(fn, truth, means, std)
        c.expect_close(
            torch.tensor([float(got[0]), float(got[1])]),
            pair(metrics.mode_stats(truth, mixture)),
            "900 samples of the true mixture: 9/9 modes, about 98.9 % high quality",
            hint="compare with <= 3 * std, and count a mode once however many samples it gets",
        )


NORMALISE = (
    "KL(p || U) is at most log K (all in one class): normalise the counts to probabilities, "
    "p = counts / counts.sum()"
)


def _kl_mistakes(labels, n_classes) -> list[tuple[float, str]]:
    counts = torch.bincount(labels, minlength=n_classes).double()
    p = counts / counts.sum()
    present = p[p > 0]
    return [
        (
            (torch.log(1 / (n_classes * p)) / n_classes).sum().item(),
            "wrong direction: that's KL(uniform || p). We want KL(p || uniform) = "
            "sum_k p_k log(K p_k), which stays finite when a class is missing",
        ),
        (metrics.histogram_kl(counts) / math.log(2), "use the natural log (torch.log), not log2"),
        (
            -(present * present.log()).sum().item(),
            "that's the entropy H(p); KL(p || U) = log K - H(p)",
        ),
        (
            metrics.histogram_kl(torch.bincount(labels)),
            "classes that never appear count too: torch.bincount(labels, minlength=n_classes)",
        ),
    ]


def check_class_kl(fn) -> None:
    """`class_kl(labels, n_classes=10)`: KL(p || uniform) of the labels' class histogram."""
    with Check("class_kl", reference=(metrics.class_kl, metrics.histogram_kl)) as c:
        counts = torch.tensor([30, 25, 20, 15, 10, 8, 6, 4, 2, 1])
        labels = torch.arange(10).repeat_interleave(counts)[torch.randperm(int(counts.sum()))]
        got = c.expect_scalar(c.call(fn, labels, 10), "class_kl(labels, 10)")
        c.expect_close(
            got,
            metrics.class_kl(labels, 10),
            "KL of an unbalanced histogram of 10 classes",
            hint=NORMALISE
            if got > math.log(10)
            else "p = histogram / total; KL(p || U) = sum_k p_k log(p_k / (1/K))",
            mistakes=_kl_mistakes(labels, 10),
        )
        missing = labels[labels < 7]  # classes 7, 8 and 9 never appear
        got = c.expect_scalar(c.call(fn, missing, 10), "class_kl with classes 7-9 missing")
        c.expect(
            not math.isnan(got),
            "KL when some classes never appear",
            "a number",
            "nan",
            hint="0 * log 0 is nan in floating point but 0 in the formula: keep only p > 0, "
            "or use torch.xlogy(p, p * K)",
        )
        c.expect_close(
            got,
            metrics.class_kl(missing, 10),
            "KL with classes 7-9 missing",
            hint="empty classes add 0 to the sum",
            mistakes=_kl_mistakes(missing, 10),
        )
        c.expect_close(
            c.expect_scalar(c.call(fn, torch.zeros(50, dtype=torch.long), 1000), "class_kl(...)"),
            math.log(1000),
            "one mode of 1,000 (n_classes=1000): log 1000",
            hint="use n_classes, not a fixed 10",
        )


__all__ = ["check_class_kl", "check_frechet_distance", "check_knn_precision", "check_mode_coverage"]


# ------------------------------------------------------------------------------ concept questions

questions.number(
    "08.fd_1d",
    8.0,
    0.01,
    meaning="In 1-D the Fréchet distance is (mu1 - mu2)^2 + (s1 - s2)^2 with standard deviations: "
    "(0 - 2)^2 + (3 - 1)^2 = 8, the squared distance, as FID reports it.",
    traps=[
        (
            68.0,
            0.01,
            "(9 - 1)^2 + 4 squares the difference of the variances; the formula uses "
            "standard deviations, (3 - 1)^2, and your function takes covariances, [[9.0]] and "
            "[[1.0]], to get there",
        ),
        (
            2.828,
            0.01,
            "that's the square root of the answer: FID, and every FD of the course, "
            "reports d^2, not d",
        ),
        (4.0, 0.01, "that's the mean term alone: the spreads differ too, (3 - 1)^2 = 4 more"),
        (
            14.0,
            0.01,
            "4 + 9 + 1 forgets the cross term: Tr(S1 + S2 - 2 (S1 S2)^(1/2)) = 9 + 1 - 2 x 3 = 4",
        ),
    ],  # fmt: skip
    off="in 1-D, d^2 = (mu1 - mu2)^2 + (s1 - s2)^2 with standard deviations s",
)
questions.choice(
    "08.blur_first",
    "abcd",
    right="bd39bb1da6309466",
    meaning="A little blur leaves each digit close to some real digit (precision stays high) but "
    "pulls them all towards a few soft, average shapes: the balls around the blurred digits stop "
    "reaching most real digits, and recall drops first and fastest.",
    why={
        "59c764630f0e1a2e": "precision stays high for the first blurs (the line for blur 0.5 "
        "under the blur cell): soft digits still land inside the balls around real ones. It is "
        "the variety that goes first",
        "2ce71b291590090e": "precision asks whether the fakes lie near the data, recall whether "
        "the data lies near the fakes; blur hurts the second long before the first, as the "
        "printed numbers show. Two numbers are needed because they can disagree",
        "d4aaa616f7799db3": "both numbers move (the lines printed under the blur cell), and so "
        "does lesson 08's Fréchet distance: a classifier's features do see soft strokes",
    },
)
questions.number(
    "08.hq_truth",
    1 - math.exp(-4.5),
    0.004,
    meaning="The distance of a 2-D Gaussian sample from its mean is Rayleigh distributed: "
    "P(r <= 3 sigma) = 1 - exp(-9/2) = 0.989. Even the true distribution scores about 98.9 % "
    "high quality: the floor to read a generator against.",
    traps=[
        (
            0.997,
            0.0015,
            "99.7 % within 3 sigma is the 1-D rule; in 2-D a sample strays in two "
            "directions at once, and P(r <= 3 sigma) = 1 - exp(-9/2) = 0.989",
        ),
        (
            1.0,
            0.0005,
            "a Gaussian has no edge: some samples of the true distribution lie beyond "
            "3 sigma (the line printed for it under the mode-coverage cell)",
        ),
        (98.9, 0.5, "a fraction between 0 and 1, not a percentage: 0.989"),
        (
            0.954,
            0.003,
            "that's the 1-D rule for 2 sigma; the question is about 3 sigma in 2-D: 1 - exp(-9/2)",
        ),
    ],  # fmt: skip
    off="in 2-D, P(distance <= r) = 1 - exp(-r^2 / (2 sigma^2)); put r = 3 sigma",
)
