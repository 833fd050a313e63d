"""pix2pix: lesson 15's three losses repairing typed digits, against doing nothing.

Isola et al. (2017) compared pix2pix's losses on Cityscapes labels -> photographs with the
"FCN-score" (how well a segmentation network reads the outputs): the L1 term alone gave blurry
results, the conditional GAN alone sharper ones with artefacts, both together the best score.
We repeat the comparison at the size of lesson 15: one U-Net of width 16 learns to repair the
typed digits given a 6x6 grey hole or noise (std 0.5), with lambda = 100 and the adversarial
term (the paper's), with the L1 term alone, and with the adversarial term alone (lambda = 0).
Scored on the 1,000 typed test digits: PSNR on the hole only, PSNR of the whole denoised image,
and how often lesson 08's classifier reads a repaired holed digit right.

Targets: pix2pix's repair of the hole at least 3 dB above doing nothing, at least 1 dB above
lambda = 0, and not below the L1-only baseline (the issue's "against a non-adversarial
baseline").
"""

from __future__ import annotations

from functools import partial

from torch import nn

from gan_course import runtime
from gan_course.assets.make_weights import PIX2PIX_RUNS, PIX2PIX_STEPS, repair_pairs
from gan_course.data import typed_digits_with_labels
from gan_course.families.paired import PairedConfig, train_paired
from gan_course.metrics import RepairScores, repair_scores
from gan_course.models.translation import PatchDiscriminator, UNet

from .common import TIME_HEADERS, Column, Machine, Report, Target, mean, our_row, seed_runs

QUICK_STEPS = 2
NAMES = {  # PIX2PIX_RUNS' files, named as lesson 15 names them
    "pix2pix_digits_15.pt": "pix2pix, λ = 100 (lesson 15)",
    "pix2pix_l1_only_15.pt": "L1 only (no adversarial term)",
    "pix2pix_no_l1_15.pt": "λ = 0 (adversarial term only)",
}
NOTHING = "doing nothing (the damaged digits)"
PUBLISHED = (
    "Isola et al. 2017, Table 1, Cityscapes labels → photo, FCN-score per-pixel accuracy "
    "(other task, other measure): see benchmarks/README.md"
)


def score(generator: nn.Module) -> RepairScores:
    """`generator`'s repairs of the typed test digits, with the classifier's reading."""
    images, labels = typed_digits_with_labels(16, "test")
    return repair_scores(generator, images, labels=labels)


def train_all(steps: int, seed: int) -> dict[str, RepairScores]:
    """From `seed`, lesson 15's three runs, each reseeded as the lesson does, and their scores."""
    device = runtime.get_device()
    pairs = repair_pairs()
    results = {NOTHING: score(nn.Identity())}
    for name, weights in PIX2PIX_RUNS.items():
        runtime.seed_everything(seed)
        G, D = UNet(width=16).to(device), PatchDiscriminator(width=16).to(device)
        train_paired(G, D, pairs, PairedConfig(steps=steps, **weights))
        results[NAMES[name]] = score(G)
    return results


COLUMNS = [
    Column("hole PSNR dB", lambda r: r.hole),
    Column("denoised PSNR dB", lambda r: r.noise),
    Column("holed digits read right %", lambda r: 100 * r.read, 1),
]


def run(seeds: int = 3, quick: bool = False) -> Report:
    """The pix2pix suite over `seeds` seeds."""
    machine = Machine.here()
    steps = QUICK_STEPS if quick else PIX2PIX_STEPS
    runs = seed_runs(partial(train_all, steps), seeds)
    keys = [NOTHING, *NAMES.values()]
    per_key = {key: [type(r)(r.value[key], r.wall, r.cpu) for r in runs] for key in keys}
    rows = [our_row(key, per_key[key], COLUMNS) for key in keys]  # times: whole runs

    def hole(key: str) -> float:
        return mean([r.value[key].hole for r in runs])

    lesson, l1, no_l1 = NAMES.values()
    targets = [
        Target("pix2pix − doing nothing, hole PSNR", hole(lesson) - hole(NOTHING), 3.0, unit=" dB"),
        Target("pix2pix − λ = 0, hole PSNR", hole(lesson) - hole(no_l1), 1.0, unit=" dB"),
        Target(
            "pix2pix − L1 only, hole PSNR",
            hole(lesson) - hole(l1),
            0.0,
            unit=" dB",
            note="the adversarial term against the non-adversarial baseline",
        ),
    ]
    setup = "\n".join(
        [
            "Training: the 6,000 typed training digits (16×16), each once with a 6×6 hole "
            "painted grey at a random place and once with Gaussian noise (std 0.5, clamped), "
            f"paired with the clean digit: 12,000 pairs. {steps:,} steps, batch 16, Adam(2e-4, "
            "(0.5, 0.999)) for both networks, D's loss halved. G: a U-Net of width 16 "
            "(16 → 1×1 and back, skips, no dropout); D: a PatchGAN of width 16 judging "
            "(source, image) pairs on 10×10 patches, no BatchNorm. Scored on the 1,000 typed test "
            "digits (holes and noise drawn with seed 1): PSNR on the hole only "
            "(`metrics.masked_psnr`, range 2), PSNR of the whole denoised image, and how often "
            "lesson 08's classifier (trained on handwritten digits; it reads 66 % of the clean "
            f"typed test digits right) reads a repaired holed digit right. Mean ± std over seeds "
            f"0..{seeds - 1}; the time columns are whole runs: all three models of a seed and "
            "their scoring.",
            "",
            f"Published: {PUBLISHED}.",
        ]
    )
    report = Report(
        "pix2pix",
        "pix2pix: repairing typed digits, λ = 100 against L1 only and λ = 0",
        machine,
        setup,
        ["method", *[c.header for c in COLUMNS], *TIME_HEADERS],
        rows,
        targets,
    )
    for seed, r in enumerate(runs):
        report.notes.append(f"seed {seed}: " + "; ".join(f"{k}: {v}" for k, v in r.value.items()))
    return report
