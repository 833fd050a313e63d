"""Auto-checks for the exercise notebooks: `from gan_course.checks import check_d_loss`.

Each `check_*` takes your function or class, tries it on fixed inputs against the course's
reference, and either prints one line starting with ✔ or raises `CheckFailed` with what it
checked, what it expected, what it got, and a hint.
"""

from .core import Check, CheckFailed, LearnerError, NotImplementedYet
from .discriminator import check_d_accuracy, check_discriminator_2d, check_train_discriminator
from .generator import check_digit_generator, check_generator_2d, check_latent_noise
from .losses import check_d_loss, check_g_loss_nonsaturating, check_optimal_discriminator
from .training import check_d_step, check_g_step, check_train_loop

__all__ = [
    "Check",
    "CheckFailed",
    "LearnerError",
    "NotImplementedYet",
    "check_d_accuracy",
    "check_discriminator_2d",
    "check_train_discriminator",
    "check_digit_generator",
    "check_generator_2d",
    "check_latent_noise",
    "check_d_loss",
    "check_g_loss_nonsaturating",
    "check_optimal_discriminator",
    "check_d_step",
    "check_g_step",
    "check_train_loop",
]
