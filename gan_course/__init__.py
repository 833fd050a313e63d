"""gan-course: the reference code of a hands-on course on Generative Adversarial Networks.

One module a concept: `runtime` (seed, device, threads, FAST mode), `data`, `models`, `losses`,
`train`, `callbacks`, `dynamics` (games, runs compared side by side), `latent` (interpolation,
directions), `metrics`, `viz`, `widgets`, `checks` (the exercise auto-checks), `assets` (weights
the project trained itself); `release`, `cli` and `tooling` serve instructors and Jupyter.

`from gan_course import budget, seed_everything, ...` loads `runtime` (and so PyTorch) on first
use: the tooling that needs no PyTorch (the Jupyter server extension) imports the package
without it.
"""

from importlib import import_module

__version__ = "0.1.0"
__all__ = ["budget", "describe", "get_device", "is_fast", "seed_everything", "set_threads"]


def __getattr__(name: str):
    if name in __all__:
        return getattr(import_module(".runtime", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
