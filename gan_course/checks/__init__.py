"""Auto-checks for the exercise notebooks: `from gan_course.checks import check_d_loss`.

One module per exercise, named by its notebook (`generator.py` for `ex02_generator.ipynb` ...
`conditional_gans.py` for `ex10_conditional_gans.ipynb`), all re-exported here; `core.py` holds
the machinery and the helpers they share.

Each `check_*` takes your function or class, tries it on fixed inputs against the course's
reference, and either prints one line starting with ✔ or raises `CheckFailed` with what it
checked, what it expected, what it got, and a hint.
"""

from .conditional_gans import (
    check_ask_for,
    check_conditional_input,
    check_per_class_accuracy,
    check_projection_logit,
)
from .core import (
    Check,
    CheckFailed,
    CourseAnswer,
    LearnerError,
    NotImplementedYet,
    install_notebook_hints,
)
from .dcgan import check_dcgan_generator, check_dcgan_init, check_output_sizes, check_slerp
from .discriminator import check_d_accuracy, check_discriminator_2d, check_train_discriminator
from .evaluating_gans import (
    check_class_kl,
    check_frechet_distance,
    check_knn_precision,
    check_mode_coverage,
)
from .generator import check_digit_generator, check_generator_2d, check_latent_noise
from .losses import check_d_loss, check_g_loss_nonsaturating, check_optimal_discriminator
from .training_dynamics import (
    check_d_loss_noisy_labels,
    check_ema_update,
    check_gda_step,
    check_instance_noise,
)
from .training_loop import check_d_step, check_g_step, check_train_loop
from .wasserstein import (
    check_clip_weights,
    check_d_loss_hinge,
    check_d_loss_wasserstein,
    check_g_loss_wasserstein,
    check_gradient_penalty,
)

install_notebook_hints()  # in a kernel: a check run before its answer says "run the cell above"

__all__ = [
    "Check",
    "CheckFailed",
    "CourseAnswer",
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
    "check_gda_step",
    "check_d_loss_noisy_labels",
    "check_instance_noise",
    "check_ema_update",
    "check_output_sizes",
    "check_dcgan_generator",
    "check_dcgan_init",
    "check_slerp",
    "check_frechet_distance",
    "check_knn_precision",
    "check_mode_coverage",
    "check_class_kl",
    "check_d_loss_wasserstein",
    "check_g_loss_wasserstein",
    "check_gradient_penalty",
    "check_d_loss_hinge",
    "check_clip_weights",
    "check_conditional_input",
    "check_projection_logit",
    "check_ask_for",
    "check_per_class_accuracy",
]
