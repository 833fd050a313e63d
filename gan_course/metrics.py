r"""How good is a generator? Numbers, and what each one can and cannot see.

**2-D mixtures** (we know the true distribution). The protocol of VEEGAN (Srivastava et al. 2017)
and PacGAN (Lin et al. 2018): draw 2,500 samples; a sample is *high quality* when it lies within
3 standard deviations of its nearest mode; a mode is *covered* when at least one high-quality
sample lands on it; the *reverse KL* is $\mathrm{KL}(p_G \,\|\, \mathcal{U})$ between the
high-quality samples' mode histogram and the uniform one. (PacGAN's code,
`synthetic_data_experiments/PacGAN/pacgan/extensions.py`, `MetricLogger`: `dis_thre=3`, a mode
counts when its count is non-zero, 2,500 samples logged.)

**Digits** (we know only samples). A small classifier the course trained itself
(`gan_course.models.classifier`, weights in `gan_course/assets`) is the judge:

* Fréchet distance (Heusel et al. 2017) between Gaussians fitted to its features,
  $\lVert\mu_r-\mu_g\rVert^2 + \mathrm{Tr}\big(\Sigma_r+\Sigma_g-2(\Sigma_r\Sigma_g)^{1/2}\big)$;
* k-NN precision and recall (Kynkäänniemi et al. 2019): how many fakes lie on the real
  manifold, how many reals on the fake one;
* class coverage and $\mathrm{KL}(p_G(\text{class}) \,\|\, \mathcal{U})$ of its predictions;
* memorisation: generated-to-train nearest-neighbour distances against held-out-to-train ones.

`digit_scores` computes them all against the bundled digits' train split, next to the floor a
held-out real set reaches; `stacked_mode_stats` is PacGAN's stacked-MNIST count of 1,000 modes.
`gradient_norms` measures a critic's slope between real and fake points (lesson 09).

**Photographs** (lesson 14, super-resolution): PSNR and SSIM on the luma with the border
cropped, as super-resolution tables give them (scikit-image's implementations), and a sharpness
statistic (the mean Sobel gradient), which PSNR cannot see.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import torch
from torch import Tensor, nn

from .data import GaussianMixture, denoising_pairs, digits_with_labels, inpainting_pairs
from .latent import fixed_noise, sample
from .runtime import device_of

# ------------------------------------------------------------------------------ 2-D mixtures


@dataclass(frozen=True)
class ModeStats:
    """How `n` samples spread over the modes of a mixture."""

    modes_covered: int  # modes with >= min_count high-quality samples
    n_modes: int
    high_quality: float  # fraction of samples within `threshold` std of their nearest mode
    counts: tuple[int, ...]  # high-quality samples per mode
    reverse_kl: float  # KL(generated mode histogram || uniform), over high-quality samples

    def __str__(self) -> str:
        return (
            f"{self.modes_covered}/{self.n_modes} modes covered, "
            f"{100 * self.high_quality:.1f}% high-quality samples, reverse KL {self.reverse_kl:.3f}"
        )


def mode_stats(
    samples: Tensor, mixture: GaussianMixture, threshold: float = 3.0, min_count: int = 1
) -> ModeStats:
    """Mode coverage and quality of `samples` (N, D) against `mixture`'s modes.

    VEEGAN/PacGAN: high quality = within `threshold` (3) std of the nearest mode; covered = at
    least `min_count` (1) high-quality samples. Even the true distribution scores below 100 %
    high quality: in 2-D, P(|noise| <= 3 std) = 1 - exp(-9/2) = 98.9 %.
    """
    samples = samples.detach().float().cpu()
    dist = torch.cdist(samples, mixture.means)  # (N, K)
    nearest_dist, nearest = dist.min(dim=1)
    good = nearest_dist <= threshold * mixture.std
    counts = torch.bincount(nearest[good], minlength=len(mixture.means))
    covered = int((counts >= min_count).sum())
    reverse_kl = histogram_kl(counts) if good.any() else float("inf")
    return ModeStats(
        covered, len(mixture.means), float(good.float().mean()), tuple(counts.tolist()), reverse_kl
    )


def generator_mode_stats(generator, mixture: GaussianMixture, n: int = 2500, seed: int = 0):
    """`mode_stats` of `n` samples from `generator`, drawn with a fixed seed (RNG untouched)."""
    return mode_stats(sample(generator, n, seed=seed), mixture)


def histogram_kl(counts: Tensor) -> float:
    r"""$\mathrm{KL}(p \,\|\, \mathcal{U}) = \sum_k p_k \log(K p_k)$ for a histogram `counts` (K,).

    Empty bins add nothing ($0 \log 0 = 0$, which `xlogy` knows). 0 for a flat histogram,
    $\log K$ when everything falls into one bin.
    """
    p = counts.double() / counts.sum()
    return float(torch.xlogy(p, p * len(p)).sum())


# ------------------------------------------------------------------------------ the judge


@lru_cache(maxsize=4)
def load_digits_classifier(device=None) -> nn.Module:
    """The course's digit classifier, in eval mode, frozen, on `device` (default: the best one).

    Input (N, 1, 16, 16) in [-1, 1]; `forward` -> logits (N, 10); `.features(x)` -> (N, 64).
    Cached: every call with the same device returns the same network, so don't train it.
    Raises `gan_course.assets.AssetError` when the weights are missing or fail their checksum.
    """
    from .assets import verified_path
    from .models.classifier import DigitsClassifier
    from .runtime import get_device

    path = verified_path("digits_classifier.pt")
    classifier = DigitsClassifier()
    classifier.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return classifier.requires_grad_(False).eval().to(device or get_device())


@torch.no_grad()
def digit_features(images: Tensor, classifier=None, batch_size: int = 1024) -> Tensor:
    """The classifier's penultimate features of images (N, 1, 16, 16): (N, 64), on the CPU."""
    classifier = classifier or load_digits_classifier()
    device = device_of(classifier)
    chunks = [classifier.features(x.to(device)).cpu() for x in images.split(batch_size)]
    return torch.cat(chunks).float()  # (N, F)


@torch.no_grad()
def predict_digits(images: Tensor, classifier=None, batch_size: int = 1024) -> Tensor:
    """The class the judge sees in each image (N, 1, 16, 16): labels (N,) in 0..9, on the CPU."""
    classifier = classifier or load_digits_classifier()
    device = device_of(classifier)
    return torch.cat([classifier(x.to(device)).argmax(1).cpu() for x in images.split(batch_size)])


# ------------------------------------------------------------------------------ Fréchet distance


def gaussian_frechet_distance(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor) -> Tensor:
    r"""Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2) (means (F,), covariances (F, F)).

    $$d^2 = \lVert\mu_1-\mu_2\rVert^2
            + \mathrm{Tr}\big(\Sigma_1+\Sigma_2-2(\Sigma_1\Sigma_2)^{1/2}\big),$$
    the squared 2-Wasserstein distance between the two Gaussians. The trace of the matrix square
    root is the sum of the square roots of the eigenvalues of Sigma1 Sigma2 (real and >= 0 for
    covariances; eigvals returns them as complex numbers, and rounding can make tiny ones
    negative: hence `.real`).
    """
    mean_term = (mu1 - mu2).pow(2).sum()
    root_trace = torch.linalg.eigvals(sigma1 @ sigma2).sqrt().real.sum()
    return mean_term + sigma1.trace() + sigma2.trace() - 2 * root_trace


class _Features(nn.Module):
    """The judge's features as torchmetrics wants a feature extractor: `num_features`, forward.

    With `num_features` set, torchmetrics does not probe the module with a dummy image of
    `input_img_size` (by default a uint8 (3, 299, 299) one, which our network can't take).
    """

    def __init__(self, classifier: nn.Module) -> None:
        super().__init__()
        self.classifier, self.num_features = classifier, classifier.num_features

    def forward(self, images: Tensor) -> Tensor:
        return digit_features(images, self.classifier)  # (N, F) on the CPU


def frechet_distance(real_images: Tensor, fake_images: Tensor, classifier=None) -> float:
    """Fréchet distance between two sets of digits (N, 1, 16, 16), in the judge's features.

    torchmetrics' `FrechetInceptionDistance` with our classifier as its `feature` module: it
    passes the images to it unchanged (its `normalize` only rescales for Inception) and keeps
    its sums in float64 on the CPU, so this runs anywhere, MPS included. Like FID it is biased
    upwards for small sets: compare values only at the same number of samples.
    """
    from torchmetrics.image.fid import FrechetInceptionDistance  # 2 s to import: only when used

    fid = FrechetInceptionDistance(feature=_Features(classifier or load_digits_classifier()))
    fid.update(real_images, real=True)
    fid.update(fake_images, real=False)
    return max(float(fid.compute()), 0.0)  # a set against itself can round to -1e-12


# ------------------------------------------------------------------------------ precision/recall


def knn_precision(real_feats: Tensor, fake_feats: Tensor, k: int = 3) -> float:
    """Fraction of `fake_feats` (M, F) inside the real manifold of `real_feats` (N, F).

    Kynkäänniemi et al. 2019: the manifold is the union of balls around each real point, of
    radius the distance to its k-th nearest *other* real point. Swap the arguments for recall.
    """
    rows = real_feats.split(1024)  # a block of rows at a time: N x N distances can be large
    # each row's smallest distance is the point to itself (0): the k-th other is the (k+1)-th
    radii = torch.cat([torch.cdist(r, real_feats).kthvalue(k + 1, dim=1).values for r in rows])
    inside = [(torch.cdist(f, real_feats) <= radii).any(dim=1) for f in fake_feats.split(1024)]
    return torch.cat(inside).float().mean().item()


class PrecisionRecall(NamedTuple):
    precision: float  # fakes on the real manifold: are the samples realistic?
    recall: float  # reals on the fake manifold: does the generator cover the data?


def precision_recall(real_feats: Tensor, fake_feats: Tensor, k: int = 3) -> PrecisionRecall:
    """k-NN precision and recall (Kynkäänniemi et al. 2019) of features (N, F) and (M, F)."""
    return PrecisionRecall(
        knn_precision(real_feats, fake_feats, k), knn_precision(fake_feats, real_feats, k)
    )


# ------------------------------------------------------------------------------ classes, copies


def class_kl(labels: Tensor, n_classes: int = 10) -> float:
    """KL(histogram of `labels` || uniform). Uniform because the bundled digits are balanced
    (174-183 of each class), and it is what PacGAN compares with."""
    return histogram_kl(torch.bincount(labels.flatten().cpu(), minlength=n_classes))


class Memorisation(NamedTuple):
    ratio: float  # median NN distance to train, generated / held-out: ~1 fine, << 1 copying
    near_copies: float  # fraction of generated closer to train than 99 % of held-out images
    fake_to_train: Tensor  # (M,) each generated sample's distance to its nearest train image
    test_to_train: Tensor  # (N,) the same for held-out real images


def nearest_distance(images: Tensor, train: Tensor) -> Tensor:
    """(N,): each of `images` (N, ...)'s distance in pixels to its nearest image in `train`."""
    pixels, train_pixels = images.flatten(1).float().cpu(), train.flatten(1).float().cpu()
    return torch.cdist(pixels, train_pixels).min(dim=1).values  # (N, T) distances -> (N,)


def memorisation(fake: Tensor, train: Tensor, test: Tensor) -> Memorisation:
    """Is the generator copying its training set? Nearest-neighbour distances in pixel space.

    A held-out real image lies at some typical distance from its nearest training image; a
    generator that generalises should too. One that memorised lies much closer.
    """
    fake_nn = nearest_distance(fake, train)  # (M,): how far each sample is from the train set
    test_nn = nearest_distance(test, train)  # (N,): how far new real images are
    ratio = (fake_nn.median() / test_nn.median()).item()  # about 1: new; far below 1: copies
    near_copies = (fake_nn < test_nn.quantile(0.01)).float().mean().item()  # vs 99 % of reals
    return Memorisation(ratio, near_copies, fake_nn, test_nn)


# ------------------------------------------------------------------------------ super-resolution
# Super-resolution tables (SRCNN onwards, SRGAN's among them) measure the luma Y (0..255, see
# `gan_course.images.luma`) with a border of `scale` pixels cropped away, where every method
# must guess beyond the image. PSNR and SSIM are scikit-image's.


def _luma_pixels(y: Tensor, border: int):
    """(1, H, W) or (H, W) luma -> a float64 array (H - 2b, W - 2b), clipped to 0..255."""
    y = y.detach().cpu().double().squeeze(0)
    if y.dim() != 2:
        raise ValueError(f"luma must be (1, H, W) or (H, W), got {tuple(y.shape)}")
    return y.clamp(0, 255)[border : y.shape[0] - border, border : y.shape[1] - border].numpy()


def psnr_y(image: Tensor, truth: Tensor, border: int = 4) -> float:
    r"""Peak signal-to-noise ratio in dB, $10 \log_{10}(255^2 / \mathrm{MSE})$, of a luma
    image against the true one (both (1, H, W), 0..255), `border` pixels cropped."""
    from skimage.metrics import peak_signal_noise_ratio

    return float(
        peak_signal_noise_ratio(_luma_pixels(truth, border), _luma_pixels(image, border),
                                data_range=255)
    )  # fmt: skip


def ssim_y(image: Tensor, truth: Tensor, border: int = 4) -> float:
    """Structural similarity (Wang et al. 2004; 7x7 windows, scikit-image's defaults) of a
    luma image against the true one (both (1, H, W), 0..255), `border` pixels cropped."""
    from skimage.metrics import structural_similarity

    return float(
        structural_similarity(_luma_pixels(truth, border), _luma_pixels(image, border),
                              data_range=255)
    )  # fmt: skip


def sharpness(y: Tensor, border: int = 4) -> float:
    """How much fine detail a luma image (1, H, W) has: the mean magnitude of its Sobel
    gradient (grey levels a pixel), `border` pixels cropped. Blur lowers it; noise and made-up
    texture raise it. Compare with the true image's: the ratio is 1 when the detail is as
    strong as in the truth (not necessarily in the right places: PSNR says that)."""
    from skimage.filters import sobel

    return float(
        sobel(_luma_pixels(y, 0))[border : -border or None, border : -border or None].mean()
    )


class SRScore(NamedTuple):
    """How close a luma image comes to the original (`sr_score`)."""

    psnr: float  # dB, `psnr_y`
    ssim: float  # `ssim_y`
    sharpness: float  # `sharpness` over the original's: 1, as much fine detail


def sr_score(image: Tensor, truth: Tensor, border: int = 4) -> SRScore:
    """PSNR, SSIM and sharpness of a luma image (1, H, W), 0..255, against the true one."""
    return SRScore(psnr_y(image, truth, border), ssim_y(image, truth, border),
                   sharpness(image, border) / sharpness(truth, border))  # fmt: skip


# ------------------------------------------------------------------------------ a critic's slope


def gradient_norms(critic: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
    r"""$\lVert\nabla_x f\rVert$ at one random point between each real point and its fake.

    real, fake (N, D) -> (N,) on the CPU: the slope WGAN-GP's penalty holds near 1 (lesson 09).
    """
    alpha = torch.rand(len(real), 1, device=real.device)  # (N, 1): where on each line
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed)  # row i: grad f at mixed[i]
    return grad.norm(dim=1).cpu()


# ------------------------------------------------------------------------------ one entry point


@dataclass(frozen=True)
class DigitScores:
    """Every digit metric of `n` generated images, against the bundled digits' train split."""

    n: int
    fd: float  # Fréchet distance in the judge's features
    fd_floor: float  # the same for n held-out real digits: the best a generator can expect
    precision: float  # k-NN precision (k = 3)
    recall: float  # k-NN recall
    classes_covered: int  # classes the judge sees at least once, of 10
    class_kl: float  # KL(predicted class histogram || uniform)
    memorisation: float  # Memorisation.ratio

    def __str__(self) -> str:
        return (
            f"FD {self.fd:.1f} (held-out real: {self.fd_floor:.1f}), precision "
            f"{self.precision:.2f}, recall {self.recall:.2f}, {self.classes_covered}/10 classes, "
            f"class KL {self.class_kl:.3f}, memorisation ratio {self.memorisation:.2f} "
            f"(n={self.n})"
        )


@lru_cache(maxsize=1)
def _reference() -> tuple[Tensor, Tensor, Tensor]:
    """Train images, their features, and the held-out test images."""
    train, test = digits_with_labels(16, "train")[0], digits_with_labels(16, "test")[0]
    return train, digit_features(train, load_digits_classifier("cpu")), test


@lru_cache(maxsize=8)
def _fd_floor(n: int) -> float:
    train, _, test = _reference()
    return frechet_distance(train, test[:n], load_digits_classifier("cpu"))


def digit_scores(images, n: int | None = None, seed: int = 0) -> DigitScores:
    """All digit metrics for images (N, 1, 16, 16) in [-1, 1], or for a generator.

    A generator is sampled `n` times from fixed noise (seed `seed`; RNG and mode untouched).
    `n` (default and maximum: the 359 held-out digits) fixes the sample size, so that `fd`
    and `fd_floor` are measured alike. Everything is judged on the CPU.
    """
    train, train_feats, test = _reference()
    n = n or len(test)
    if n > len(test):
        raise ValueError(f"n={n}: at most {len(test)}, the held-out digits the floor is made of")
    images = (sample(images, n, seed=seed) if isinstance(images, nn.Module) else images[:n]).cpu()
    classifier = load_digits_classifier("cpu")
    labels = predict_digits(images, classifier)
    return DigitScores(
        len(images),
        frechet_distance(train, images, classifier),
        _fd_floor(len(images)),
        *precision_recall(train_feats, digit_features(images, classifier)),
        int(labels.unique().numel()),
        class_kl(labels),
        memorisation(images, train, test).ratio,
    )


# ------------------------------------------------------------------------------ stacked digits


@dataclass(frozen=True)
class StackedModeStats:
    modes_covered: int  # distinct digit triples seen, of 1,000
    kl: float  # KL(generated triple histogram || uniform over 1,000)
    n: int

    def __str__(self) -> str:
        return f"{self.modes_covered}/1000 modes covered, KL {self.kl:.3f} (n={self.n})"


def stacked_mode_stats(images: Tensor, classifier=None) -> StackedModeStats:
    """PacGAN's stacked-MNIST protocol (Lin et al. 2018; after Metz et al. 2017) for images
    (N, 3, 16, 16): the judge reads each channel as a digit, the triple is one of 1,000 modes;
    a mode counts once it appears, and KL(mode histogram || uniform over 1,000). As PacGAN's
    code (`stacked_MNIST_experiments/*/model.py`, `log_metrics`), which draws 26,000 samples."""
    n, channels = images.shape[:2]
    if channels != 3:
        raise ValueError(
            f"stacked digits have 3 channels, got images of shape {tuple(images.shape)}"
        )
    digits = predict_digits(images.reshape(n * 3, 1, *images.shape[2:]), classifier).view(n, 3)
    modes = digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]  # (N,) in 0..999
    counts = torch.bincount(modes, minlength=1000)
    return StackedModeStats(int((counts > 0).sum()), histogram_kl(counts), n)


# ------------------------------------------------------------------------------ conditional


def per_class_accuracy(classifier: nn.Module, images: Tensor, labels: Tensor, n_classes=10):
    """For each class k: the fraction of the images asked to be k that `classifier` calls k.

    images (N, C, H, W), labels (N,) the classes asked for -> (n_classes,) in [0, 1]
    (NaN for a class no image was asked to be).
    """
    with torch.no_grad():
        predicted = classifier(images).argmax(dim=1)  # (N,): the class with the largest logit
    correct = (predicted == labels).float()  # (N,)
    hits = torch.zeros(n_classes, device=correct.device).index_add_(0, labels, correct)  # (K,)
    asked = torch.bincount(labels, minlength=n_classes)  # (K,): group by the asked label
    return hits / asked


@dataclass(frozen=True)
class LabelAccuracy:
    """How often generated images are classified as the class they were asked to be."""

    overall: float  # mean over classes (equal numbers per class: the mean over images too)
    per_class: tuple[float, ...]

    def __str__(self) -> str:
        classes = " ".join(f"{k}:{100 * a:.0f}" for k, a in enumerate(self.per_class))
        return f"{100 * self.overall:.1f}% classified as asked (per class, %: {classes})"


@torch.no_grad()
def label_accuracy(
    generator, classifier: nn.Module | None = None, n_per_class: int = 100, seed: int = 0
) -> LabelAccuracy:
    """Ask `generator` for `n_per_class` images of each class and let `classifier` (default: the
    course's digit classifier, `load_digits_classifier`) say what it sees.

    The noise comes from a fixed `seed` (the caller's RNG is left alone) and both networks
    run in eval mode, so the same networks always get the same number.
    """
    classifier = load_digits_classifier() if classifier is None else classifier
    n_classes = generator.n_classes
    z = fixed_noise(n_per_class * n_classes, generator.latent_dim, seed)
    labels = torch.arange(n_classes).repeat_interleave(n_per_class)  # 0, 0, ..., 9, 9
    images = sample(generator, z=z, labels=labels)  # (K * n, C, H, W), eval mode
    judge = device_of(classifier)
    was_training = classifier.training
    classifier.eval()  # no dropout, BatchNorm's running statistics: as when you use it
    per_class = per_class_accuracy(classifier, images.to(judge), labels.to(judge), n_classes)
    classifier.train(was_training)
    return LabelAccuracy(per_class.mean().item(), tuple(per_class.tolist()))


# ------------------------------------------------------------------------------ translation


def masked_psnr(output: Tensor, target: Tensor, mask: Tensor, data_range: float = 2.0) -> Tensor:
    r"""PSNR in dB on the masked pixels only, one per image: (N,) on the CPU.

    $$\mathrm{PSNR} = 10 \log_{10} \frac{R^2}{\mathrm{MSE}}, \quad \mathrm{MSE} =
    \frac{\sum_{\text{masked}} (\text{output} - \text{target})^2}{\#\text{masked}},$$
    with $R$ = `data_range` = 2 for images in [-1, 1]. Images (N, C, H, W); `mask` (N, 1 or
    C, H, W), True (or 1) where to measure, such as the square `data.inpainting_pairs` blanked:
    the pixels left as they were would flatter the score. `.mean()` of the result is the mean
    over images, as restoration papers report it, not the PSNR of the pooled error. A perfect
    repair gives `inf`, an image with an empty mask `nan`.
    """
    output, target = output.detach().float().cpu(), target.detach().float().cpu()
    weight = mask.detach().float().cpu().expand_as(output)  # (N, C, H, W): 1 where measured
    squared = ((output - target) ** 2 * weight).flatten(1).sum(1)  # (N,)
    mse = squared / weight.flatten(1).sum(1)  # (N,): mean over the masked pixels only
    return 10 * torch.log10(data_range**2 / mse)


class RepairScores(NamedTuple):
    """Lesson 15's measures of a digit repairer over the test images."""

    hole: float  # mean PSNR in dB on the painted-out square only (`masked_psnr`)
    noise: float  # mean PSNR in dB of the whole denoised image: every pixel was damaged
    read: float = float("nan")  # holed digits the classifier reads right after the repair

    def __str__(self) -> str:
        text = f"hole {self.hole:.2f} dB, noise {self.noise:.2f} dB"
        return text if self.read != self.read else f"{text}, read {self.read:.0%}"  # NaN: none


def repair_scores(
    generator: nn.Module, images: Tensor, seed: int = 1, labels: Tensor | None = None
) -> RepairScores:
    """How well `generator` repairs `images` (N, 1, H, W) given a 6x6 grey hole
    (`data.inpainting_pairs`) and given noise of std 0.5 (`data.denoising_pairs`), both drawn
    with `seed`, as lesson 15 measures its pix2pix runs on the typed test digits. With the
    digits' `labels` (N,), also how often the course's classifier reads a repaired holed digit
    right (`label_kept`)."""
    holed, _, masks = inpainting_pairs(images, mask_size=6, seed=seed)
    noisy, _ = denoising_pairs(images, std=0.5, seed=seed)
    repaired = sample(generator, inputs=holed)
    hole = masked_psnr(repaired, images, masks).mean().item()
    everywhere = torch.ones_like(masks)
    noise = masked_psnr(sample(generator, inputs=noisy), images, everywhere).mean().item()
    read = float("nan") if labels is None else label_kept(repaired, labels)
    return RepairScores(hole, noise, read)


def label_kept(translated: Tensor, labels: Tensor, classifier=None) -> float:
    """The fraction of `translated` images (N, 1, 16, 16) the course's digit classifier reads as
    their source's label (N,): does a translated 3 still read 3? Chance is about 0.1."""
    return (predict_digits(translated, classifier) == labels.cpu()).float().mean().item()


class NearestLabels(NamedTuple):
    votes: Tensor  # (N,): the majority label of each image's k nearest references
    distance: float  # the mean RMS pixel difference to the nearest reference


def nearest_labels(images: Tensor, references: Tensor, labels: Tensor, k: int = 5) -> NearestLabels:
    """A judge that knows no classifier: the `k` `references` (M, C, H, W) nearest to each of
    `images` (N, C, H, W) in pixels vote for their labels (M,). How far the nearest one is (the
    RMS difference a pixel) says whether an image looks like the references at all; lesson 15
    asks it of digits translated into handwriting, against the handwritten training digits."""
    images, references = images.detach().flatten(1).cpu(), references.detach().flatten(1).cpu()
    nearest = torch.cdist(images, references).topk(k, largest=False)  # (N, k) each
    votes = labels.cpu()[nearest.indices].mode(dim=1).values  # (N,)
    rms = nearest.values[:, 0] / images.shape[1] ** 0.5  # distance / sqrt(pixels)
    return NearestLabels(votes, rms.mean().item())


def cycle_error(g_ab: nn.Module, g_ba: nn.Module, images: Tensor) -> float:
    r"""Mean $|G_{BA}(G_{AB}(a)) - a|$ over images `a` (N, C, H, W) of domain A: how well the
    round trip returns them (0: exactly). Both generators run in eval mode (`latent.sample`)."""
    round_trip = sample(g_ba, inputs=sample(g_ab, inputs=images))  # (N, C, H, W)
    return (round_trip.cpu() - images.cpu()).abs().mean().item()
