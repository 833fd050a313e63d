"""CycleGAN: lesson 15's typed -> handwritten digits, and what its identity loss and the size
of the digits do.

Zhu et al. (2017) measured CycleGAN's translations with the "FCN-score" on Cityscapes: a
segmentation network reads the translated images, and the better it reads them, the more of the
content the translation kept. We do the same with digits: lesson 08's classifier (trained on the
handwritten digits) reads each typed digit after translation into handwriting, and we count how
often it reads the digit the typed one was. Beside it, a measure that knows no classifier: the 5
nearest handwritten training digits, in pixels, vote for a label, and the nearest one's distance
says whether the translation looks handwritten at all. And the cycle error, which alone proves
little (a round trip can close through hidden detail).

Rows: lesson 15's run (typed digits enlarged to fill the frame, identity loss 0.5 lambda); the
same without the identity loss; the same on the typed digits as shipped (three quarters of the
frame's height); and the untouched digits each compares with.

Targets: the issue's, at least 80 % of the translated digits read as their digit; ours, at
least 80 % of those the classifier read right before translation (which takes its own failures
on typed digits out); without the identity loss, fewer kept than with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from gan_course import runtime
from gan_course.assets.make_weights import CYCLE_STEPS
from gan_course.data import unpaired_digits
from gan_course.families.cycle import CycleConfig, train_cycle
from gan_course.latent import sample
from gan_course.metrics import cycle_error, nearest_labels, predict_digits
from gan_course.models.translation import PatchDiscriminator, ResnetGenerator

from .common import TIME_HEADERS, Column, Machine, Report, Target, mean, our_row, seed_runs

QUICK_STEPS, QUICK_TYPED = 2, 200
RUNS = {  # name -> (typed digits enlarged to fill the frame?, identity weight)
    "CycleGAN (lesson 15): typed digits enlarged, identity loss": (True, 5.0),
    "the same without the identity loss": (True, 0.0),
    "the same on the typed digits as shipped": (False, 5.0),
}
UNTOUCHED = {
    True: "untouched typed digits, enlarged (no translation)",
    False: "untouched typed digits, as shipped (no translation)",
}
PUBLISHED = (
    "Zhu et al. 2017, Cityscapes photo → labels and labels → photo FCN-scores "
    "(other task, other measure): see benchmarks/README.md"
)


@dataclass(frozen=True)
class Translation:
    """Typed -> handwritten on the test digits: the fractions the classifier reads as their
    digit (of all; of those it read right untouched), the 5-nearest vote, the nearest
    handwritten digit's RMS distance, handwritten -> typed read right, and the cycle errors
    (NaN for untouched digits)."""

    kept: float
    kept_readable: float
    vote: float
    distance: float
    back: float = float("nan")
    cycle_a: float = float("nan")
    cycle_b: float = float("nan")

    def __str__(self) -> str:
        text = (
            f"kept {self.kept:.0%} ({self.kept_readable:.0%} of readable), vote {self.vote:.0%}, "
            f"nearest {self.distance:.3f}"
        )
        if self.back == self.back:  # not NaN: a translation
            text += f", back {self.back:.0%}, cycle {self.cycle_a:.3f} / {self.cycle_b:.3f}"
        return text


def read(typed, labels, translated, handwritten, hand_labels) -> dict:
    """What `translated` (the typed digits `typed` made handwritten) keeps of their digits."""
    before = predict_digits(typed) == labels
    after = predict_digits(translated) == labels
    votes, distance = nearest_labels(translated, handwritten, hand_labels, k=5)
    return dict(
        kept=after.float().mean().item(),
        kept_readable=after[before].float().mean().item(),
        vote=(votes == labels).float().mean().item(),
        distance=distance,
    )


def train_all(steps: int, n_typed: int | None, seed: int) -> dict[str, Translation]:
    """From `seed`, the three CycleGAN runs of `RUNS` and the untouched digits, all scored."""
    device = runtime.get_device()
    handwritten = unpaired_digits("train")[1]  # (images, labels): what the vote compares with
    results = {}
    for fill, name in UNTOUCHED.items():
        (typed, labels), _ = unpaired_digits("test", fill_frame=fill)
        results[name] = Translation(**read(typed, labels, typed, *handwritten))
    for name, (fill, identity) in RUNS.items():
        (typed, _), (hand, _) = unpaired_digits("train", n_typed, fill_frame=fill)
        (test_typed, labels), (test_hand, hand_labels) = unpaired_digits("test", fill_frame=fill)
        runtime.seed_everything(seed)
        g_ab, g_ba = ResnetGenerator(width=16).to(device), ResnetGenerator(width=16).to(device)
        d_a = PatchDiscriminator(paired=False).to(device)
        d_b = PatchDiscriminator(paired=False).to(device)
        config = CycleConfig(steps=steps, identity_weight=identity)
        train_cycle(g_ab, g_ba, d_a, d_b, typed, hand, config)
        translated = sample(g_ab, inputs=test_typed).cpu()
        back = predict_digits(sample(g_ba, inputs=test_hand).cpu()) == hand_labels
        results[name] = Translation(
            **read(test_typed, labels, translated, *handwritten),
            back=back.float().mean().item(),
            cycle_a=cycle_error(g_ab, g_ba, test_typed),
            cycle_b=cycle_error(g_ba, g_ab, test_hand),
        )
    return results


COLUMNS = [
    Column("read as their digit %", lambda t: 100 * t.kept, 1),
    Column("of those read right untouched %", lambda t: 100 * t.kept_readable, 1),
    Column("5 nearest handwritten vote it %", lambda t: 100 * t.vote, 1),
    Column("nearest handwritten (RMS)", lambda t: t.distance, 3),
    Column("handwritten → typed read right %", lambda t: 100 * t.back, 1),
    Column("cycle error from A", lambda t: t.cycle_a, 3),
    Column("cycle error from B", lambda t: t.cycle_b, 3),
]


def run(seeds: int = 3, quick: bool = False) -> Report:
    """The CycleGAN suite over `seeds` seeds."""
    machine = Machine.here()
    steps, n_typed = (QUICK_STEPS, QUICK_TYPED) if quick else (CYCLE_STEPS, None)
    runs = seed_runs(partial(train_all, steps, n_typed), seeds)
    keys = [UNTOUCHED[True], *RUNS, UNTOUCHED[False]]
    per_key = {key: [type(r)(r.value[key], r.wall, r.cpu) for r in runs] for key in keys}
    rows = [our_row(key, per_key[key], COLUMNS) for key in keys]  # times: whole runs
    rows = [["–" if "nan" in cell else cell for cell in row] for row in rows]  # untouched

    def kept(key: str, field: str = "kept") -> float:
        return mean([getattr(r.value[key], field) for r in runs])

    lesson, no_identity, _ = RUNS
    targets = [
        Target("typed → handwritten read as their digit (lesson 15)", kept(lesson), 0.8),
        Target(
            "the same, of the digits read right untouched",
            kept(lesson, "kept_readable"),
            0.8,
            note="the classifier reads the untouched enlarged typed test digits right "
            f"{kept(UNTOUCHED[True]):.0%} of the time",
        ),
        Target(
            "with − without the identity loss, read as their digit",
            kept(lesson) - kept(no_identity),
            0.0,
        ),
    ]
    setup = "\n".join(
        [
            "Domains: A, the 6,000 typed training digits (16×16; enlarged: the centre 26×26 of "
            "their 32×32 drawing shrunk to 16×16, `unpaired_digits(fill_frame=True)`), B, the "
            "1,438 handwritten training digits; nothing pairs them. Two ResNet generators of "
            "width 16 (down to 4×4, 3 residual blocks, instance norm), two PatchGANs of width "
            f"32 (10×10 patches, no BatchNorm). {steps:,} steps, batch 16, LSGAN losses, cycle "
            "weight 10, identity weight 5 (or 0), replay buffers of 50, Adam(2e-4, (0.5, "
            "0.999)). Scored on the 1,000 typed and 359 handwritten test digits with lesson 08's "
            "classifier; the vote and distance against the handwritten training digits, in "
            f"pixels (RMS a pixel, range 2). Mean ± std over seeds 0..{seeds - 1}; the time "
            "columns are whole runs: all three models of a seed and their scoring.",
            "",
            f"Published: {PUBLISHED}.",
        ]
    )
    report = Report(
        "cyclegan",
        "CycleGAN: typed → handwritten digits, label kept",
        machine,
        setup,
        ["method", *[c.header for c in COLUMNS], *TIME_HEADERS],
        rows,
        targets,
    )
    for seed, r in enumerate(runs):
        for key in keys:
            report.notes.append(f"{key}, seed {seed}: {r.value[key]}")
    return report
