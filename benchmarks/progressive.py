"""Progressive growing: lesson 12's GAN, grown 4 → 8 → 16, against a DCGAN given the same time.

Karras et al. (2018) grow both networks from 4×4, fading each new block in, and claim that it
**speeds training up and stabilises it**, with better images in the end. We test that at our
scale: the typed digits at 16×16 (`gan_course.data.typed_digits`), lesson 12's networks and
schedule, and lesson 07's DCGAN trained on the same images for the same time, scored at the end
of every stage of the growing GAN (the DCGAN at the same CPU seconds) and at the end.

Target: the growing GAN's final Fréchet distance at most the DCGAN's (ratio <= 1, mean of the
seeds). Scored in the course classifier's features (lesson 08): 1,000 samples from fixed noise
against the typed digits' train split, beside the floor of the 1,000 held-out typed digits; a
stage smaller than 16×16 is scored against the real digits halved to its size
(`benchmarks.typed`).
"""

from __future__ import annotations

from functools import partial

from gan_course import runtime
from gan_course.callbacks import Callback
from gan_course.data import typed_digits
from gan_course.families.progressive import ProgressiveConfig, phases, train_progressive
from gan_course.latent import sample
from gan_course.models.progan import ProgressiveDiscriminator, ProgressiveGenerator

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
from .typed import DCGAN_NAME, LATENT_DIM, TypedScores, clock_for, dcgan_along, floor, score
from .typed import TIMED_COLUMNS as COLUMNS

PHASE_STEPS, FINAL_STEPS, BATCH, SAMPLES = 300, 600, 64, 1000  # lesson 12's run; samples scored
QUICK_PHASE, QUICK_FINAL, QUICK_BATCH, QUICK_SAMPLES = 2, 3, 16, 50
WIDTHS = (32, 32, 16)  # lesson 12's networks
SIZES = (4, 8, 16)
PUBLISHED = (
    "Karras et al. 2018: a record inception score of 8.80 on unsupervised CIFAR-10, and faces of "
    "1024×1024 (CelebA-HQ); StyleGAN's Table 1 (Karras et al. 2019) measured their growing GAN "
    "at FID 7.79 on CelebA-HQ and 8.04 on FFHQ. No FD at a scale like ours was published."
)


class StageEnds(Callback):
    """Keep n samples of fixed noise at the end of every stage (its last stable step), with the
    training time spent so far on `clock` (the sampling left out)."""

    def __init__(self, config: ProgressiveConfig, stages: int, clock, n: int) -> None:
        self.clock, self.n, self.kept = clock, n, {}
        self.ends, step = {}, 0
        for phase in phases(stages, config):
            step += phase.steps
            if not phase.fade:
                self.ends[step] = SIZES[phase.stage]

    def on_train_begin(self, state) -> None:
        self.start = self.clock()

    def on_step_end(self, state) -> None:
        size = self.ends.get(state.history.step)
        if size is not None:
            spent = self.clock() - self.start
            samples = sample(state.generator, self.n, seed=0).cpu()
            self.kept[size] = (samples, state.history.step, spent)
            self.start += self.clock() - self.start - spent  # sampling is not training time


def train_both(phase: int, final: int, batch: int, n: int, seed: int) -> dict[str, TypedScores]:
    """From `seed`: lesson 12's growing GAN, scored at the end of each stage; then lesson 07's
    DCGAN on the same images, scored at the same training times."""
    runtime.seed_everything(seed)
    device = runtime.get_device()
    images = typed_digits(16, "train").to(device)
    G = ProgressiveGenerator(LATENT_DIM, 1, 16, WIDTHS).to(device)
    D = ProgressiveDiscriminator(1, 16, WIDTHS).to(device)
    config = ProgressiveConfig(phase_steps=phase, final_steps=final, batch_size=batch)
    ends = StageEnds(config, len(G.sizes), clock_for(device), n)
    train_progressive(G, D, images, config, callbacks=[ends])
    results = {f"grown {size}": score(*ends.kept[size]) for size in SIZES}
    times = [ends.kept[size][2] for size in SIZES]
    for size, dcgan in zip(SIZES, dcgan_along(times, images, batch, n, seed), strict=True):
        results[f"DCGAN at {size}"] = dcgan
    return results


def run(seeds: int = 3, quick: bool = False) -> Report:
    """The progressive suite: both models over `seeds` seeds, per stage, beside the floors."""
    machine = Machine.here()
    phase, final, batch, n = (QUICK_PHASE, QUICK_FINAL, QUICK_BATCH, QUICK_SAMPLES) if quick else (
        PHASE_STEPS, FINAL_STEPS, BATCH, SAMPLES)  # fmt: skip
    runs = seed_runs(partial(train_both, phase, final, batch, n), seeds)
    keys = [key for size in SIZES for key in (f"grown {size}", f"DCGAN at {size}")]
    names = {}
    for size in SIZES:
        stage = "the end" if size == 16 else f"the end of its {size}×{size} stage"
        names[f"grown {size}"] = f"growing GAN (lesson 12) at {stage}, {size}×{size}"
        names[f"DCGAN at {size}"] = f"{DCGAN_NAME} as the {size}×{size} stage"
    per_model = {key: [type(r)(r.value[key], r.wall, r.cpu) for r in runs] for key in keys}
    rows = [
        [f"held-out typed digits ({n}) at {size}×{size}", f"{floor(n, size):.1f}", "1.0"]
        + ["–"] * (len(COLUMNS) - 2 + len(TIME_HEADERS))
        for size in SIZES
    ]
    rows += [our_row(names[key], model_runs, COLUMNS) for key, model_runs in per_model.items()]
    fds = {key: [r.value.fd for r in model_runs] for key, model_runs in per_model.items()}
    ratio = mean(fds["grown 16"]) / mean(fds["DCGAN at 16"])
    seconds = [r.value.seconds for r in per_model["grown 16"]]
    setup = "\n".join(
        [
            "Typed digits, 16×16, train split (6,000). **Growing GAN**: lesson 12's networks "
            f"(latent {LATENT_DIM}, feature maps {WIDTHS} at 4, 8 and 16 pixels; equalised "
            "learning rate, pixel norm, minibatch standard deviation, Tanh toRGB), grown 4 → 8 "
            f"→ 16 with {phase:,} steps per fade-in and per stable phase and {final:,} in the "
            f"last, batch {batch}, WGAN-GP with the drift term, Adam(1e-3, (0, 0.99)). "
            "**DCGAN**: lesson 07's networks, Adam(2e-4, (0.5, 0.999)), same batch, scored when "
            "it had trained as long as the growing GAN had at the end of each of its stages "
            "(CPU seconds on a CPU, so that other load on a shared machine does not change the "
            f"budget; the whole growing run took {mean_std(seconds, 1)} s). Scored by lesson "
            f"08's metrics in the course classifier's features: {n} samples from fixed noise "
            "against the train split (a stage's samples against the digits halved to its size, "
            "both enlarged to 16×16 by repeating pixels). Mean ± std over seeds "
            f"0..{seeds - 1}; the time columns are whole runs (both models and their scoring).",
            "",
            f"Published: {PUBLISHED}",
        ]
    )
    verdict = (
        "The paper's claim holds here: the grown GAN's final FD is lower than the DCGAN's at "
        "the same time."
        if ratio <= 1
        else "The paper's claim does **not** hold here: at 16×16 and the same time, lesson "
        "07's DCGAN reaches a lower FD than the growing GAN. (Growing saves time where most "
        "steps run at low resolution; with three stages, most of our time goes to the last.)"
    )
    report = Report(
        "progressive",
        "Progressive growing against DCGAN at equal time",
        machine,
        setup,
        ["method", *[c.header for c in COLUMNS], *TIME_HEADERS],
        rows,
        [
            Target(
                f"growing GAN FD / DCGAN FD at equal time, at the end (mean of "
                f"{plural(len(runs), 'seed')})",
                ratio,
                1.0,
                at_least=False,
                note="the paper's claim, better images for the time, read as a lower FD",
            )
        ],
    )
    report.notes.append(verdict)
    for size in SIZES:  # who is ahead at each stage's end, the DCGAN after as much time
        grown, dcgan = (
            mean([r.value.fd / r.value.fd_floor for r in per_model[key]])
            for key in (f"grown {size}", f"DCGAN at {size}")
        )
        ahead = "the growing GAN" if grown < dcgan else "the DCGAN"
        report.notes.append(
            f"At the end of the {size}×{size} stage: {ahead} is ahead (FD / held-out floor "
            f"{grown:.1f} against {dcgan:.1f}; each scored at its own size)."
        )
    for key in ("grown 16", "DCGAN at 16"):
        report.notes += seed_notes(names[key], per_model[key])
    return report
