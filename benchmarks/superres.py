"""Super-resolution: lesson 14's SRResNet and SRGAN against bicubic, on three test photographs.

Ledig et al. (2017), x4 on Set5 (PSNR on the luma, border cropped): bicubic 28.43 dB, SRResNet
32.05 dB, SRGAN 29.40 dB: SRGAN gives up PSNR for sharpness, the perception-distortion
trade-off. We run lesson 14 at its size (a 4-block SRResNet of 32 channels on patches of nine of
scikit-image's photographs, then SRGAN from it) and score chelsea, camera and coffee, whose
bicubic x4 the course holds to 31.47, 26.17 and 27.29 dB. SRGAN's feature network is chosen by
measurement: the course's own `FeatureNet` trained on the training photographs, against the same
network left at its random initialisation; and SRGAN's loss without its adversarial term shows
how much of the sharpening the content loss alone brings.

Targets: SRResNet at least bicubic + 1.0 dB on every test photograph; SRGAN below SRResNet's
PSNR on every one, and sharper on every one (sharpness ratio, `metrics.sharpness` over the
truth's, at least 0.1 above SRResNet's).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import partial

from gan_course import runtime
from gan_course.assets.make_weights import SR_STEPS
from gan_course.data import PHOTOS
from gan_course.families.superres import (
    SRGANConfig,
    SRResNetConfig,
    patch_pairs,
    sr_photo,
    super_resolve,
    train_feature_net,
    train_srgan,
    train_srresnet,
)
from gan_course.metrics import sr_score
from gan_course.models.srgan import FeatureNet, SRDiscriminator, SRResNet

from .common import (
    TIME_HEADERS,
    Column,
    Machine,
    Report,
    Target,
    mean,
    our_row,
    plural,
    seed_runs,
)

PAIRS, QUICK_PAIRS = 4000, 64
QUICK_STEPS = {"srresnet": 3, "features": 2, "srgan": 2}
REFERENCE = {"chelsea": 31.47, "camera": 26.17, "coffee": 27.29}  # bicubic x4, the course's
PUBLISHED = "Ledig et al. 2017, Set5 ×4: bicubic 28.43 dB, SRResNet 32.05 dB, SRGAN 29.40 dB"
NAMES = {
    "bicubic": "bicubic (PIL)",
    "SRResNet": "SRResNet, L1 (lesson 14)",
    "SRGAN": "SRGAN, trained feature network (lesson 14)",
    "SRGAN random": "SRGAN, random feature network",
    "content only": "content loss only (trained feature network, no D)",
}


@dataclass(frozen=True)
class SRScores:
    """One method on the test photographs: photograph name -> `metrics.SRScore`."""

    photos: dict

    def __str__(self) -> str:
        cells = [f"{n} {s.psnr:.2f} dB / {s.ssim:.3f} / {s.sharpness:.2f}"
                 for n, s in self.photos.items()]  # fmt: skip
        return ", ".join(cells)


def scores(generator, photos: dict) -> SRScores:
    """Every photograph of `photos` (name -> `SRPhoto`) enlarged by `generator` (None: by
    bicubic), scored against its truth."""
    enlarged = {n: p.bicubic if generator is None else super_resolve(generator, p.small)
                for n, p in photos.items()}  # fmt: skip
    return SRScores({n: sr_score(enlarged[n], p.truth) for n, p in photos.items()})


def train_all(steps: dict, n_pairs: int, seed: int) -> dict[str, SRScores]:
    """From `seed`, as lesson 14: SRResNet, then the feature network and SRGAN from it; also
    SRGAN with the feature network untrained, and with the content loss alone (adversarial
    weight 0). Every model scored on the test photographs."""
    device = runtime.get_device()
    photos = {name: sr_photo(name) for name in PHOTOS["test"]}
    pairs = patch_pairs(PHOTOS["train"], n_pairs, seed=seed)
    runtime.seed_everything(seed)
    srresnet = SRResNet().to(device)
    train_srresnet(srresnet, pairs, SRResNetConfig(steps=steps["srresnet"]))
    results = {
        "bicubic": scores(None, photos),
        "SRResNet": scores(srresnet, photos),
    }
    variants = (("SRGAN", True, 1e-3), ("SRGAN random", False, 1e-3), ("content only", True, 0.0))
    for key, trained, adversarial in variants:
        runtime.seed_everything(seed + 1)  # the same start for every variant
        features = FeatureNet().to(device)
        if trained:
            train_feature_net(features, steps=steps["features"], seed=seed)
        G, D = copy.deepcopy(srresnet), SRDiscriminator().to(device)
        config = SRGANConfig(steps=steps["srgan"], adversarial_weight=adversarial)
        train_srgan(G, D, features, pairs, config)
        results[key] = scores(G, photos)
    return results


def columns() -> list[Column]:
    cols = [Column(f"{n} PSNR", lambda s, n=n: s.photos[n].psnr) for n in PHOTOS["test"]]
    cols += [Column(f"{n} SSIM", lambda s, n=n: s.photos[n].ssim, 3) for n in PHOTOS["test"]]
    cols.append(
        Column("sharpness (mean of 3)", lambda s: mean([p.sharpness for p in s.photos.values()]))
    )
    return cols


def run(seeds: int = 3, quick: bool = False) -> Report:
    """The super-resolution suite over `seeds` seeds."""
    machine = Machine.here()
    steps, n_pairs = (QUICK_STEPS, QUICK_PAIRS) if quick else (SR_STEPS, PAIRS)
    runs = seed_runs(partial(train_all, steps, n_pairs), seeds)
    per_model = {key: [type(r)(r.value[key], r.wall, r.cpu) for r in runs] for key in NAMES}
    cols = columns()
    reference = [f"{REFERENCE[n]:.2f}" for n in PHOTOS["test"]]
    rows = [
        ["bicubic, the course's reference values", *reference]
        + ["–"] * (len(cols) - len(reference) + len(TIME_HEADERS)),
        *[our_row(NAMES[key], model_runs, cols) for key, model_runs in per_model.items()],
    ]

    def per_photo(key: str, field: str) -> dict:
        """Mean over the seeds of one `SRScore` field, per test photograph."""
        values = [
            [getattr(r.value.photos[n], field) for r in per_model[key]] for n in PHOTOS["test"]
        ]
        return dict(zip(PHOTOS["test"], map(mean, values), strict=True))

    psnr = {key: per_photo(key, "psnr") for key in NAMES}
    sharp = {key: per_photo(key, "sharpness") for key in NAMES}
    targets = [
        Target(
            f"SRResNet − bicubic on {n} (mean of {plural(len(runs), 'seed')})",
            psnr["SRResNet"][n] - psnr["bicubic"][n],
            1.0,
            unit=" dB",
        )
        for n in PHOTOS["test"]
    ]
    targets.append(
        Target(
            "SRResNet − SRGAN PSNR, the smallest over the test photographs",
            min(psnr["SRResNet"][n] - psnr["SRGAN"][n] for n in PHOTOS["test"]),
            0.0,
            unit=" dB",
            note="SRGAN at a lower PSNR than SRResNet on every photograph",
        )
    )
    targets.append(
        Target(
            "SRGAN − SRResNet sharpness ratio, the smallest over the test photographs",
            min(sharp["SRGAN"][n] - sharp["SRResNet"][n] for n in PHOTOS["test"]),
            0.1,
            note="SRGAN sharper than SRResNet on every photograph",
        )
    )
    setup = "\n".join(
        [
            f"Training: {n_pairs:,} aligned patch pairs (16×16 small, 64×64 original) from the "
            f"nine training photographs ({', '.join(PHOTOS['train'])}), luma only. "
            f"**SRResNet**: 4 residual blocks of 32 channels, learning the residual over bicubic, "
            f"L1 loss, {steps['srresnet']:,} steps, batch 16, Adam 2e-3 down a cosine to 1e-4. "
            f"**Feature network**: `FeatureNet` (4 convolutions, 2 poolings) trained "
            f"{steps['features']} steps to tell which training photograph a patch comes from, or "
            "left untrained. **SRGAN**: from that seed's SRResNet, the relative content loss on "
            f"the feature maps + 1e-3 × the non-saturating adversarial loss, {steps['srgan']} "
            "steps, Adam(1e-4, (0.9, 0.999)), a VGG-like discriminator on the 64×64 patches. "
            "Scored on the luma (BT.601) of chelsea (cropped to 300×448), camera and coffee, "
            "shrunk ×4 with PIL's bicubic and enlarged back, with a 4-pixel border cropped: PSNR "
            "and SSIM from scikit-image; sharpness is the mean Sobel gradient over the truth's "
            f"(1: as much detail as the original). Mean ± std over seeds 0..{seeds - 1}; the "
            "time columns are whole runs (all models of a seed and their scoring).",
            "",
            f"Published (other images): {PUBLISHED}.",
        ]
    )
    report = Report(
        "superres",
        "Super-resolution ×4: bicubic, SRResNet, SRGAN",
        machine,
        setup,
        ["method", *[c.header for c in cols], *TIME_HEADERS],
        rows,
        targets,
    )
    for n in PHOTOS["test"]:
        cells = [f"{NAMES[key]} {sharp[key][n]:.2f}" for key in NAMES]
        report.notes.append(f"sharpness on {n} (mean of the seeds): " + ", ".join(cells))
    trained_better = all(psnr["SRGAN"][n] >= psnr["SRGAN random"][n] for n in PHOTOS["test"])
    report.notes.append(
        "Feature network: the trained one gives SRGAN a higher PSNR than the random one on every "
        "test photograph."
        if trained_better
        else "Feature network: the trained one does **not** give SRGAN a higher PSNR than the "
        "random one on every test photograph."
    )
    for seed, r in enumerate(runs):
        for key in NAMES:
            report.notes.append(f"{NAMES[key]}, seed {seed}: {r.value[key]}")
    report.notes.append(
        "Seconds a seed: " + ", ".join(f"{r.wall:.0f} s ({r.cpu:.0f} CPU s)" for r in runs)
    )
    return report
