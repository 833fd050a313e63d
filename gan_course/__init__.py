"""gan-course: the reference code of a hands-on course on Generative Adversarial Networks.

One module a concept: `runtime` (seed, device, FAST mode), `data`, `models`, `losses`, `train`,
`callbacks`, `metrics`, `viz`, `checks` (the exercise auto-checks), `release` and `cli`.
"""

from .runtime import budget, describe, get_device, is_fast, seed_everything, set_threads

__version__ = "0.1.0"
__all__ = ["budget", "describe", "get_device", "is_fast", "seed_everything", "set_threads"]
