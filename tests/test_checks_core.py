"""The checks' machinery: deterministic, teaching, safe in a kernel (`gan_course.checks.core`)."""

from __future__ import annotations

import pytest
import torch

from gan_course import checks, losses
from gan_course.checks import CheckFailed, LearnerError

from .check_helpers import learner_copy


def test_check_does_not_disturb_the_learners_rng(capsys):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    checks.check_d_loss(learner_copy(losses.d_loss_bce))
    assert torch.equal(torch.rand(3), expected)


def test_in_a_kernel_a_pass_is_a_green_box_and_a_check_before_its_answer_says_so():
    """In a real kernel (as JupyterLab runs it): the ✔ line comes as a green box with the same
    plain text; a check cell whose answer cell never ran says so; any other NameError keeps
    Python's own traceback."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    cells = [
        "from gan_course.checks import check_d_loss\nimport torch.nn.functional as F",
        "check_d_loss(d_loss)",  # the answer cell was never run
        "print(undefined_thing)",  # not a check: Python's own error
        "def d_loss(real, fake):\n    return F.softplus(-real).mean() + F.softplus(fake).mean()",
        "check_d_loss(d_loss)",
    ]
    nb = new_notebook(cells=[new_code_cell(source) for source in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    outputs = [cell.outputs for cell in nb.cells]
    early = outputs[1][0]
    assert early.output_type == "error" and early.ename == "NameError"
    assert early.traceback[0].startswith("✘ `d_loss` is not defined yet")
    assert "run the cell that defines `d_loss`" in early.traceback[0]
    other = outputs[2][0]
    assert other.ename == "NameError" and "is not defined yet" not in "".join(other.traceback)
    passed = outputs[4][0]
    assert passed.output_type == "display_data"
    assert passed.data["text/plain"] == "✔ d_loss: all 5 checks passed"
    assert 'class="gan-course-pass"' in passed.data["text/html"]
    assert "✔ d_loss: all 5 checks passed" in passed.data["text/html"]


def test_name_error_hint_only_for_a_check_call_naming_the_missing_name():
    assert checks.core.name_error_hint("check_d_step(d_step)", "d_step").startswith("✘ `d_step`")
    assert checks.core.name_error_hint("  check_g_step(g_step, opt)", "opt") is not None
    assert checks.core.name_error_hint("x = d_step(1)", "d_step") is None  # not a check cell
    assert checks.core.name_error_hint("check_d_step(d_step)", "d_ste") is None  # whole words
    assert checks.core.name_error_hint("", "d_step") is None


def test_learner_exception_is_reported_with_the_learners_line():
    def crashes(real_logits, fake_logits):
        return real_logits.no_such_method()

    with pytest.raises(LearnerError) as info:
        checks.check_d_loss(crashes)
    message = str(info.value)
    assert "AttributeError" in message and "no_such_method" in message
    assert "line" in info.value.hint and "no_such_method" in info.value.hint
    assert isinstance(info.value.__cause__, AttributeError)  # chained, not swallowed


def test_failure_renders_without_a_traceback_in_jupyter():
    err = CheckFailed("task", "what", expected=1, got=2, hint="do this")
    (rendered,) = err._render_traceback_()
    assert rendered.splitlines() == [
        "✘ task: what",
        "    expected: 1",
        "    got:      2",
        "    hint: do this",
    ]


def test_non_callable_answer_is_rejected():
    with pytest.raises(CheckFailed, match="callable"):
        checks.check_d_loss(3.0)


def test_the_courses_own_code_is_told_from_the_learners():
    import functools

    from gan_course import data, train
    from gan_course.checks.core import course_s_own
    from gan_course.models import MLPGenerator

    refs = (train.d_step,)
    assert course_s_own(train.d_step, refs) == "d_step"  # handed in as it is
    assert course_s_own(functools.partial(train.d_step), refs) == "d_step"
    assert course_s_own(losses.d_loss_bce, refs) == "d_loss_bce"  # any of the course's code
    namespace = {"train": train, "d_step": train.d_step}
    exec("def wraps(*a):\n    return train.d_step(*a)\n", namespace)
    exec("def named(*a):\n    return d_step(*a)\n", namespace)
    exec("def nested(*a):\n    f = lambda: train.d_step(*a)\n    return f()\n", namespace)
    for name in ("wraps", "named", "nested"):
        assert course_s_own(namespace[name], refs) == "d_step", name
    exec("def mine(n):\n    return data.latent_noise(n, 2) * 0\n", {"data": data}, namespace)
    assert course_s_own(namespace["mine"], refs) is None  # other course code is allowed

    class Subclass(MLPGenerator):
        pass

    class Wrapper(torch.nn.Module):
        def forward(self, *args):
            return train.d_step(*args)

    assert course_s_own(Subclass, (MLPGenerator,)) == "MLPGenerator"
    assert course_s_own(Wrapper, refs) == "d_step"
    assert course_s_own(Subclass, refs) is None  # building on earlier lessons' models is fine


def test_a_course_network_returned_by_the_answer_is_refused():
    from gan_course.checks import CourseAnswer
    from gan_course.checks.core import Check
    from gan_course.models import MLPGenerator

    with pytest.raises(CourseAnswer, match="course's own `MLPGenerator`"):
        with Check("Generator2D") as c:
            c.call(lambda latent_dim, hidden: MLPGenerator(latent_dim, 2, (hidden,)), 2, 8)
