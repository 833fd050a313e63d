"""LAPGAN: lesson 11's two-level LAPGAN against a single-scale DCGAN given the same time.

Denton et al. (2015) claim **better samples** from a Laplacian pyramid of GANs: in their human
study, people took LAPGAN's CIFAR-10 samples for real images about 40 % of the time, a
single-scale GAN's (fully connected, before DCGAN) about 10 %. We test the claim at our scale:
the typed digits at 16×16 (`gan_course.data.typed_digits`), LAPGAN 8 → 16 as in lesson 11, and
lesson 07's DCGAN trained for the same time on the same images.

Target: LAPGAN's Fréchet distance at most the DCGAN's (ratio <= 1, mean of the seeds). Scored in
the course classifier's features (lesson 08): 1,000 samples from fixed noise against the typed
digits' train split, beside the floor of the 1,000 held-out typed digits.
"""

from __future__ import annotations

from functools import partial

from gan_course import runtime
from gan_course.data import typed_digits
from gan_course.families.lapgan import LapganConfig, train_lapgan
from gan_course.latent import sample
from gan_course.models.dcgan import dcgan_init
from gan_course.models.lapgan import LAPGANGenerator, lapgan_discriminators

from .common import (
    TIME_HEADERS,
    Machine,
    Report,
    Target,
    mean,
    mean_std,
    our_row,
    plural,
    seed_notes,
    seed_runs,
)
from .typed import (
    COLUMNS,
    D_WIDTH,
    DCGAN_NAME,
    G_WIDTH,
    LATENT_DIM,
    TypedScores,
    clock_for,
    dcgan_for,
    floor,
    score,
)

LAPGAN_STEPS, BATCH, SAMPLES = 1500, 64, 1000  # lesson 11's run; samples scored
QUICK_STEPS, QUICK_BATCH, QUICK_SAMPLES = 5, 16, 50
PUBLISHED = (
    "Denton et al. 2015 (CIFAR-10, 32×32, human study): samples taken for real images about "
    "40 % of the time for LAPGAN, about 10 % for a single-scale GAN. No FD was published."
)


def train_both(steps: int, batch: int, n: int, seed: int) -> dict[str, TypedScores]:
    """From `seed`: lesson 11's LAPGAN for `steps` steps, timed; then lesson 07's DCGAN on the
    same images for the same time. Both scored on `n` samples of fixed noise."""
    runtime.seed_everything(seed)
    device = runtime.get_device()
    clock = clock_for(device)
    images = typed_digits(16, "train").to(device)
    lapgan = LAPGANGenerator(16, 8, base_latent_dim=LATENT_DIM).to(device)
    discriminators = {k: d.to(device) for k, d in lapgan_discriminators(16, 8).items()}
    for net in (lapgan, *discriminators.values()):
        net.apply(dcgan_init)
    start = clock()
    train_lapgan(lapgan, discriminators, images, LapganConfig(steps=steps, batch_size=batch))
    budget = clock() - start
    results = {"LAPGAN": score(sample(lapgan, n, seed=0), steps, budget)}
    results["DCGAN"] = dcgan_for(budget, images, batch, n, seed)
    return results


def run(seeds: int = 3, quick: bool = False) -> Report:
    """The LAPGAN suite: both models over `seeds` seeds, beside the held-out floor."""
    machine = Machine.here()
    steps, batch, n = (QUICK_STEPS, QUICK_BATCH, QUICK_SAMPLES) if quick else (
        LAPGAN_STEPS, BATCH, SAMPLES)  # fmt: skip
    runs = seed_runs(partial(train_both, steps, batch, n), seeds)
    names = {
        "LAPGAN": "LAPGAN 8 → 16 (lesson 11)",
        "DCGAN": DCGAN_NAME,
    }
    per_model = {
        key: [type(r)(r.value[key], r.wall, r.cpu) for r in runs] for key in ("LAPGAN", "DCGAN")
    }
    held_out = floor(n)
    rows = [
        [f"held-out typed digits ({n})", f"{held_out:.1f}", "1.0"]
        + ["–"] * (len(COLUMNS) - 2 + len(TIME_HEADERS)),
        *[our_row(names[key], model_runs, COLUMNS) for key, model_runs in per_model.items()],
    ]
    fds = {key: [r.value.fd for r in model_runs] for key, model_runs in per_model.items()}
    ratio = mean(fds["LAPGAN"]) / mean(fds["DCGAN"])
    seconds = [r.value.seconds for r in per_model["LAPGAN"]]
    setup = "\n".join(
        [
            "Typed digits, 16×16, train split (6,000). **LAPGAN**: lesson 11's networks (an 8×8 "
            f"DCGAN generator from {LATENT_DIM} numbers with a fully connected D, a 16×16 band "
            "generator with a D on band and condition), "
            f"{steps:,} steps, batch {batch}, Adam(2e-4, (0.5, 0.999)), every level trained on "
            "the real pyramid. **DCGAN**: lesson 07's networks (latent "
            f"{LATENT_DIM}, G width {G_WIDTH}, D width {D_WIDTH}), same Adam and batch, trained "
            "for as long as that seed's LAPGAN trained (CPU seconds on a CPU, so that other load "
            f"on a shared machine does not change the budget; LAPGAN took {mean_std(seconds, 1)} "
            "s). Scored by lesson 08's metrics in the course classifier's features: "
            f"{n} samples from fixed noise against the train split; the classifier was trained on "
            "the handwritten digits, so here it serves as a feature space. Mean ± std over seeds "
            f"0..{seeds - 1}; the time columns are whole runs (both models and their scoring).",
            "",
            f"Published: {PUBLISHED}",
        ]
    )
    verdict = (
        "The paper's claim holds here: LAPGAN's FD is lower than the DCGAN's at the same time."
        if ratio <= 1
        else "The paper's claim does **not** hold here: at 16×16 and the same time, the "
        "single-scale DCGAN reaches a lower FD than the LAPGAN. (The paper's single-scale "
        "baseline was a fully connected GAN; ours is a convolutional DCGAN.)"
    )
    report = Report(
        "lapgan",
        "LAPGAN against DCGAN at equal time",
        machine,
        setup,
        ["method", *[c.header for c in COLUMNS], *TIME_HEADERS],
        rows,
        [
            Target(
                f"LAPGAN FD / DCGAN FD at equal time (mean of {plural(len(runs), 'seed')})",
                ratio,
                1.0,
                at_least=False,
                note="the paper's claim, better samples, read as a lower FD",
            )
        ],
    )
    report.notes.append(verdict)
    for key, model_runs in per_model.items():
        report.notes += seed_notes(names[key], model_runs)
    return report
