"""Auto-checks for the exercise notebooks: `from gan_course.checks import check_d_loss`.

One module per exercise, named by its notebook (`generator.py` for `ex02_generator.ipynb` ...
`stylegan.py` for `ex13_stylegan.ipynb`), all re-exported here; `core.py` holds the machinery
and the helpers they share.

Each `check_*` takes your function or class, tries it on fixed inputs against the course's
reference, and either prints one line starting with ✔ or raises `CheckFailed` with what it
checked, what it expected, what it got, and a hint.
"""

from . import (
    conditional_gans,
    dcgan,
    discriminator,
    evaluating_gans,
    generator,
    image_to_image,
    lapgan,
    losses,
    progressive_growing,
    questions,
    stylegan,
    super_resolution,
    training_dynamics,
    training_loop,
    wasserstein,
)
from .conditional_gans import *  # noqa: F403  (each module's __all__: its check_* functions)
from .core import (
    Check,
    CheckFailed,
    CourseAnswer,
    LearnerError,
    NotImplementedYet,
    install_notebook_hints,
)
from .dcgan import *  # noqa: F403
from .discriminator import *  # noqa: F403
from .evaluating_gans import *  # noqa: F403
from .generator import *  # noqa: F403
from .image_to_image import *  # noqa: F403
from .lapgan import *  # noqa: F403
from .losses import *  # noqa: F403
from .progressive_growing import *  # noqa: F403
from .questions import *  # noqa: F403
from .stylegan import *  # noqa: F403
from .super_resolution import *  # noqa: F403
from .training_dynamics import *  # noqa: F403
from .training_loop import *  # noqa: F403
from .wasserstein import *  # noqa: F403

install_notebook_hints()  # in a kernel: a check run before its answer says "run the cell above"

MODULES = (  # one per exercise, and the concept questions of them all
    generator,
    discriminator,
    losses,
    training_loop,
    training_dynamics,
    dcgan,
    evaluating_gans,
    wasserstein,
    conditional_gans,
    lapgan,
    progressive_growing,
    stylegan,
    super_resolution,
    image_to_image,
    questions,
)
__all__ = [
    "Check",
    "CheckFailed",
    "CourseAnswer",
    "LearnerError",
    "NotImplementedYet",
    *(name for module in MODULES for name in module.__all__),
]
