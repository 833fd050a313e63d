"""gan-course: the reference code of a hands-on course on Generative Adversarial Networks.

One module a concept: `runtime` (seed, device, FAST mode), `data`, `models`, `losses`, `train`,
`callbacks`, `dynamics` (games, runs compared side by side), `latent` (interpolation, directions),
`metrics`, `viz`, `widgets`, `checks` (the exercise auto-checks), `assets` (weights the project
trained itself), `release` and `cli`.
"""

from .runtime import budget, describe, get_device, is_fast, seed_everything, set_threads

__version__ = "0.1.0"
__all__ = ["budget", "describe", "get_device", "is_fast", "seed_everything", "set_threads"]
