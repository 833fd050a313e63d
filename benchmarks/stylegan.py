"""StyleGAN: lesson 13's generator built up step by step, as StyleGAN's Table 1, and its
truncation curve; beside lesson 12's growing GAN and lesson 07's DCGAN.

Karras, Laine & Aila (2019), Table 1 (FFHQ, 1024×1024, FID): (A) the progressive GAN 8.04;
(C, D) with the mapping network, styles (AdaIN) and a constant input 4.85; (E) with noise
inputs 4.42; (F) with mixing regularisation 4.40. We run the same ladder at our scale on the
typed digits at 16×16 (`gan_course.data.typed_digits`), lesson 13's step count for every
StyleGAN row, plus StyleGAN2's weight demodulation in place of AdaIN; lesson 12's growing GAN
with its own schedule; and lesson 07's DCGAN trained for as long as the full StyleGAN row.

Targets: the full StyleGAN (row F) at most the growing GAN's FD (the paper's A → F, read as
"lower"); and the truncation trade: precision at ψ = 0.5 above precision at ψ = 1, recall below.
"""

from __future__ import annotations

import contextlib
import io
import statistics
from functools import partial

from gan_course import runtime
from gan_course.data import typed_digits
from gan_course.families.progressive import ProgressiveConfig, train_progressive
from gan_course.families.stylegan import StyleGANConfig, train_stylegan
from gan_course.latent import sample
from gan_course.models.progan import ProgressiveDiscriminator, ProgressiveGenerator
from gan_course.models.stylegan import StyleGenerator

from .common import (
    TIME_HEADERS,
    Machine,
    Report,
    Target,
    markdown_table,
    mean,
    mean_std,
    our_row,
    plural,
    seed_notes,
    seed_runs,
)
from .typed import (
    DCGAN_NAME,
    LATENT_DIM,
    SampleAt,
    TypedScores,
    clock_for,
    dcgan_for,
    floor,
    score,
)
from .typed import TIMED_COLUMNS as COLUMNS

STEPS, BATCH, SAMPLES = 1200, 64, 1000  # lesson 13's run; samples scored
QUICK_STEPS, QUICK_BATCH, QUICK_SAMPLES = 4, 16, 50
PSIS = (0.0, 0.25, 0.5, 0.75, 1.0)
LADDER = {  # row -> (StyleGenerator's arguments, style mixing), as the paper's Table 1
    "C+D": (dict(noise=False), 0.0),
    "E": (dict(noise=True), 0.0),
    "F": (dict(noise=True), 0.9),
    "F2": (dict(noise=True, modulation="demod"), 0.9),
}
NAMES = {
    "A": "(A) growing GAN (lesson 12), as long as row F",
    "C+D": "(C, D) + mapping, styles (AdaIN), constant input",
    "E": "(E) + noise inputs",
    "F": "(F) + mixing regularisation: lesson 13",
    "F2": "StyleGAN2: demodulated weights in place of AdaIN",
    "DCGAN": f"{DCGAN_NAME} as row F",
}
PUBLISHED = {"A": "8.04", "C+D": "4.85 (C)", "E": "4.42", "F": "4.40"}  # StyleGAN Table 1, FFHQ


def train_all(steps: int, batch: int, n: int, seed: int) -> dict:
    """From `seed`: every row of the ladder, scored on n samples of fixed noise (row F also at
    every ψ of `PSIS`), the growing GAN, and the DCGAN for as long as row F trained."""
    device = runtime.get_device()
    clock = clock_for(device)
    images = typed_digits(16, "train").to(device)
    results = {}
    for key, (arguments, mixing) in LADDER.items():
        runtime.seed_everything(seed)
        G = StyleGenerator(latent_dim=LATENT_DIM, image_size=16, **arguments).to(device)
        D = ProgressiveDiscriminator(image_size=16).to(device)
        config = StyleGANConfig(steps=steps, batch_size=batch, mixing=mixing)
        start = clock()
        train_stylegan(G, D, images, config)
        seconds = clock() - start
        results[key] = score(sample(G, n, seed=0), steps, seconds)
        if key == "F":
            results["psi"] = {psi: score(sample(G, n, seed=0, truncation=psi), steps, seconds)
                              for psi in PSIS}  # fmt: skip
    results["A"] = grown_for(results["F"].seconds, images, steps, batch, n, seed)
    results["DCGAN"] = dcgan_for(results["F"].seconds, images, batch, n, seed)
    return results


def grown_for(seconds: float, images, steps: int, batch: int, n: int, seed: int) -> TypedScores:
    """Lesson 12's growing GAN from `seed`, on lesson 12's schedule scaled to `steps` (300 a
    phase and 600 last for 1,200), stopped after `seconds` of training if it has not finished
    by then, and scored on n samples of fixed noise."""
    runtime.seed_everything(seed)
    device = images.device
    G = ProgressiveGenerator(LATENT_DIM, 1, 16).to(device)
    D = ProgressiveDiscriminator(1, 16).to(device)
    phase = max(1, steps // 4)
    config = ProgressiveConfig(phase_steps=phase, final_steps=2 * phase, batch_size=batch)
    at = SampleAt([seconds], clock_for(device), n)  # stops the run when the time is up
    start = clock_for(device)()
    with contextlib.redirect_stdout(io.StringIO()):  # "Interrupted at step ...": expected
        history = train_progressive(G, D, images, config, callbacks=[at])
    if at.kept:  # stopped by the clock: the samples it kept then
        return score(*at.kept[0])
    return score(sample(G, n, seed=0), history.step, clock_for(device)() - start)


def run(seeds: int = 3, quick: bool = False) -> Report:
    """The StyleGAN suite: the ladder, the growing GAN and the DCGAN over `seeds` seeds, and the
    truncation curve of the full StyleGAN."""
    machine = Machine.here()
    steps, batch, n = (QUICK_STEPS, QUICK_BATCH, QUICK_SAMPLES) if quick else (
        STEPS, BATCH, SAMPLES)  # fmt: skip
    runs = seed_runs(partial(train_all, steps, batch, n), seeds)
    keys = ["A", *LADDER, "DCGAN"]
    per_model = {key: [type(r)(r.value[key], r.wall, r.cpu) for r in runs] for key in keys}
    held_out = floor(n)
    rows = [[f"held-out typed digits ({n})", f"{held_out:.1f}", "1.0"]
            + ["–"] * (len(COLUMNS) - 2 + len(TIME_HEADERS) + 1)]  # fmt: skip
    for key in keys:
        rows.append([*our_row(NAMES[key], per_model[key], COLUMNS), PUBLISHED.get(key, "–")])
    curve = []
    for psi in PSIS:
        scores = [r.value["psi"][psi] for r in runs]
        fd, precision, recall = (
            [getattr(s, m) for s in scores] for m in ("fd", "precision", "recall")
        )
        curve.append([f"ψ = {psi}", mean_std(fd, 1), mean_std(precision), mean_std(recall)])
    fds = {key: [r.value.fd for r in model_runs] for key, model_runs in per_model.items()}
    ratio = mean(fds["F"]) / mean(fds["A"])
    at = {psi: [r.value["psi"][psi] for r in runs] for psi in (0.5, 1.0)}
    precision_gain = mean([s.precision for s in at[0.5]]) - mean([s.precision for s in at[1.0]])
    recall_loss = mean([s.recall for s in at[1.0]]) - mean([s.recall for s in at[0.5]])
    setup = "\n".join(
        [
            "Typed digits, 16×16, train split (6,000). **StyleGAN rows**: lesson 13's generator "
            f"(latent and w {LATENT_DIM}, mapping 4 layers, feature maps 32, 32, 16 at 4, 8, "
            f"16 pixels, two style layers a resolution, Tanh toRGB), {steps:,} steps, batch "
            f"{batch}, the logistic loss with lazy R1 (γ = 1), Adam(1e-3, (0, 0.99)), against "
            "lesson 12's discriminator fully grown; each row adds one piece, as the paper's "
            "Table 1 (its row B, a tuned baseline, is left out). **(A)**: lesson 12's growing "
            "GAN, 4 → 8 → 16, WGAN-GP, on its schedule for as many CPU seconds as row F trained "
            "(it reaches 16×16 well before). **DCGAN**: lesson 07's, for as long as row F. "
            "Scored by lesson 08's metrics in the course classifier's features: "
            f"{n} samples from fixed noise at ψ = 1 against the train split. Mean ± std over "
            f"seeds 0..{seeds - 1}; the time columns are whole runs (every row and its scoring). "
            "The last column is the paper's FID on FFHQ at 1024×1024: a different data set, "
            "size and metric, shown for the direction of each step, not its size.",
            "",
            "The truncation curve of row F (w' = w̄ + ψ (w − w̄)), mean ± std over the seeds:",
            "",
            markdown_table(["ψ", "FD", "precision", "recall"], curve),
        ]
    )
    verdict = (
        "The paper's ladder holds here at its ends: the full StyleGAN reaches a lower FD than the "
        "growing GAN."
        if ratio <= 1
        else "The paper's ladder does **not** hold here at its ends: the growing GAN reaches a "
        "lower FD than the full StyleGAN."
    )
    report = Report(
        "stylegan",
        "StyleGAN, built up as its Table 1, and its truncation curve",
        machine,
        setup,
        ["method", *[c.header for c in COLUMNS], *TIME_HEADERS, "paper: FFHQ FID"],
        rows,
        [
            Target(
                f"StyleGAN (F) FD / growing GAN (A) FD (mean of {plural(len(runs), 'seed')})",
                ratio,
                1.0,
                at_least=False,
                note="StyleGAN's Table 1, A → F, read as a lower FD",
            ),
            Target(
                "truncation ψ = 0.5: precision gained over ψ = 1",
                precision_gain,
                0.0,
                note="truncation trades variety for typical samples",
            ),
            Target("truncation ψ = 0.5: recall lost against ψ = 1", recall_loss, 0.0),
        ],
    )
    gap = abs(mean(fds["F"]) - mean(fds["A"]))
    spread = max(statistics.stdev(fds[k]) for k in ("F", "A")) if len(runs) > 1 else 0.0
    if gap < spread:
        verdict += (
            f" The gap in FD ({gap:.1f}) is smaller than the seeds' spread (a standard deviation "
            f"of up to {spread:.1f}): {plural(len(runs), 'seed')} do not tell the two rows apart."
        )
    report.notes.append(verdict)
    for key in ("F", "A", "DCGAN"):
        report.notes += seed_notes(NAMES[key], per_model[key])
    return report
