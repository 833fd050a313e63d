"""What every test of an auto-check asks: the reference passes, the untouched stub is told
"not implemented yet", and each plausible wrong answer is rejected with the hint aimed at it.

The tests of each exercise's checks (`tests/test_checks*.py`) import these.
"""

from __future__ import annotations

import inspect
import textwrap

import pytest
from torch import nn

from gan_course.checks import CheckFailed, CourseAnswer, LearnerError, NotImplementedYet
from gan_course.checks.core import course_s_own


def stub(*args, **kwargs):
    """An exercise's function as the learner finds it."""
    raise NotImplementedError()


class StubModule(nn.Module):
    """An exercise's module as the learner finds it."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        raise NotImplementedError()


def learner_copy(obj, namespace: dict | None = None):
    """The course's function or class `obj` as a learner who typed it out would have it: the
    same source, compiled anew in a namespace of the learner's (not the course's code any more,
    so its check judges what it does), with the same module's helpers it calls typed out too."""
    original = inspect.unwrap(obj)  # under a decorator (torch.no_grad()), the function itself
    module = inspect.getmodule(original)
    if namespace is None:
        namespace = {**vars(module), "__name__": "learner"}
    source = "from __future__ import annotations\n" + textwrap.dedent(inspect.getsource(original))
    exec(compile(source, "<learner>", "exec"), namespace)
    copy = namespace[obj.__name__]
    functions = [copy] if inspect.isfunction(copy) else list(vars(copy).values())
    for function in filter(inspect.isfunction, functions):
        for name, value in inspect.getclosurevars(function).globals.items():
            helper = inspect.isfunction(value)  # (its classes stay the course's: data, not answers)
            if helper and value.__module__ == module.__name__ and name != obj.__name__:
                learner_copy(value, namespace)  # the helper it calls, typed out as well
    return copy


def expect_pass(check, *answers, capsys) -> None:
    """`check(*answers)` prints one ✔ line, and the same line when run again.

    An answer that is the course's own code (the reference) is refused as such, with its name;
    typed out by a learner (`learner_copy`) it passes.
    """
    if any(course_s_own(answer) for answer in answers):
        with pytest.raises(CourseAnswer, match="course's own") as info:
            check(*answers)
        assert str(info.value).startswith("✘") and "write yours" in str(info.value)
        answers = tuple(learner_copy(a) if course_s_own(a) else a for a in answers)
    check(*answers)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("✔") and "passed" in out[0], out
    check(*answers)  # deterministic: the same line again
    assert capsys.readouterr().out.strip() == out[0]


def expect_reject(check, *answers, hint: str, crash_ok: bool = True) -> CheckFailed:
    """`check(*answers)` fails with a message and a hint containing `hint`.

    `crash_ok=False`: the answer runs; the check must catch the mistake in what it returns,
    not report an exception raised by the learner's code.
    """
    answers = tuple(learner_copy(a) if course_s_own(a) else a for a in answers)  # the mistake
    with pytest.raises(CheckFailed) as info:
        check(*answers)
    err = info.value
    assert not isinstance(err, CourseAnswer), str(err)
    assert not isinstance(err, NotImplementedYet)
    if not crash_ok:
        assert not isinstance(err, LearnerError), str(err)
    assert hint in (err.hint or ""), f"hint was: {err.hint!r}\n{err}"
    assert err.what and str(err).startswith("✘")
    return err


def expect_not_implemented(check, *stubs) -> None:
    """`check` says "not implemented yet" to the stub(s) (default: `stub`)."""
    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check(*(stubs or (stub,)))


def mlp(sizes, act, last=None) -> nn.Sequential:
    """Linear layers of `sizes` with `act` between them and `last` at the end: the shape of many
    learners' networks, right and wrong."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 and act is not None:
            layers.append(act())
    if last is not None:
        layers.append(last())
    return nn.Sequential(*layers)
