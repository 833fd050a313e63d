"""Ring of 8 (radius 2, std 0.02): the lesson-05 recipe against published numbers.

    python benchmarks/ring.py [--seeds 3] [--steps 20000]

Prints mean ± std over seeds of modes covered and high-quality samples (2,500 samples, within
3 std of the nearest mode), with the time per run and the torch thread count. A benchmark, not a
test: it reports, it does not assert.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

from gan_course import data, metrics, runtime, train
from gan_course.models import MLPDiscriminator, MLPGenerator

PUBLISHED = [  # (method, modes, high-quality %), Srivastava et al. 2017 (VEEGAN), Table 1
    ("GAN (VEEGAN paper)", 1.0, 99.3),
    ("Unrolled GAN", 7.6, 35.6),
    ("VEEGAN", 8.0, 52.9),
]


def run(seed: int, steps: int) -> tuple[metrics.ModeStats, float]:
    runtime.seed_everything(seed)
    device = runtime.get_device()
    generator = MLPGenerator(2, 2, (128, 128)).to(device)
    discriminator = MLPDiscriminator(2, (128, 128)).to(device)
    start = time.perf_counter()
    train.train_gan(
        generator, discriminator, data.ring_of_8(), train.TrainConfig(steps=steps, batch_size=256)
    )
    return metrics.generator_mode_stats(generator, data.ring_of_8()), time.perf_counter() - start


def mean_std(values) -> str:
    values = list(values)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.2f} ± {spread:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20000)
    args = parser.parse_args()
    threads = runtime.set_threads()
    results = [run(seed, args.steps) for seed in range(args.seeds)]
    print(
        f"ring of 8, {args.steps} steps, batch 256, Adam(2e-4, 0.5, 0.999), "
        f"{threads} torch threads, {runtime.get_device()}, {platform.processor() or '?'}"
    )
    print("| method | modes (of 8) | high quality % | s / run |")
    print("|---|---|---|---|")
    for name, modes, hq in PUBLISHED:
        print(f"| {name} | {modes} | {hq} | – |")
    modes = mean_std(r.modes_covered for r, _ in results)
    hq = mean_std(100 * r.high_quality for r, _ in results)
    print(
        f"| gan-course lesson 05 ({args.seeds} seeds) | {modes} | {hq} | "
        f"{mean_std(t for _, t in results)} |"
    )
    for seed, (stats, seconds) in enumerate(results):
        print(f"  seed {seed}: {stats} in {seconds:.0f} s")
    worst = min(results, key=lambda r: (r[0].modes_covered, r[0].high_quality))[0]
    if worst.modes_covered < 8 or worst.high_quality < 0.8:
        print(f"target missed (8/8 modes, >= 80% high quality) by the worst seed: {worst}")
    else:
        print("target met by every seed: 8/8 modes, >= 80% high quality")


if __name__ == "__main__":
    main()
