"""Concept questions: a choice, a number or a prediction, checked without free text.

An exercise ends with two or three questions. The notebook asks each in Markdown, with its
choices (a), (b), (c) ... , and the learner answers in a code cell::

    why_detach = "b"  # one of "a", "b", "c", "d"

    check_question("05.why_detach", why_detach)

A right answer prints the ✔ line and what the answer means; a wrong one raises `CheckFailed`
with the explanation written for *that* answer (the misconception it reveals); an unanswered
one (`None`, as `gan-course release` leaves it) says "not answered yet". The grader counts each
question as a task named after it (`why_detach`).

The right choices are stored as digests, so that a glance at this file does not give them away;
each wrong choice's explanation is stored under the digest of that choice. Numbers are stored as
they are (with a tolerance), since a number's explanation has to know how far off it is.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

from .core import PASS_MARK, CheckFailed, NotImplementedYet, show_pass


@dataclass(frozen=True)
class Choice:
    """A question answered by one letter."""

    letters: str  # the valid answers, "abcd"
    right: str  # digest(question id, the right letter)
    why: dict[str, str]  # digest(question id, a wrong letter) -> what that answer gets wrong
    meaning: str  # shown with the ✔: why the right answer is right


@dataclass(frozen=True)
class Number:
    """A question answered by a number, right within `tolerance` (absolute)."""

    value: float
    tolerance: float
    meaning: str
    # (a wrong value, its tolerance, what that answer gets wrong): the usual slips, each named
    traps: tuple[tuple[float, float, str], ...] = field(default_factory=tuple)
    off: str = ""  # said for any other wrong number


def digest(qid: str, answer: str) -> str:
    """The stored form of a choice: sha256 of the question id and the letter, shortened."""
    return hashlib.sha256(f"{qid}:{answer.strip().lower()}".encode()).hexdigest()[:16]


QUESTIONS: dict[str, Choice | Number] = {}  # "05.why_detach" -> the question; filled by the
# exercises' check modules, each with its own questions (`choice` and `number` below)


def choice(qid: str, letters: str, right: str, meaning: str, why: dict[str, str]) -> None:
    """Register a choice question: `right` the right letter's `digest`, `why` every wrong
    letter's digest with what that answer gets wrong.

    To write one: `python -m gan_course.checks.questions 05.why_detach b` prints the digests.
    """
    wrong = {digest(qid, x) for x in letters} - {right}
    if right not in {digest(qid, x) for x in letters} or set(why) != wrong:
        raise ValueError(f"{qid}: `right` must be one letter's digest and `why` the others'")
    QUESTIONS[qid] = Choice(letters, right, why, meaning)


def number(qid: str, value: float, tolerance: float, meaning: str, traps=(), off="") -> None:
    """Register a number question; `traps`: (value, tolerance, explanation) of usual slips."""
    QUESTIONS[qid] = Number(value, tolerance, meaning, tuple(traps), off)


def check_question(qid: str, answer) -> None:
    """Check the learner's `answer` to the concept question `qid` ("05.why_detach")."""
    task = qid.split(".")[-1]
    question = QUESTIONS.get(qid)
    if question is None:
        raise CheckFailed(task, f"no question called {qid!r}", hint=f"known: {sorted(QUESTIONS)}")
    if answer is None or answer is Ellipsis:
        raise NotImplementedYet(
            task,
            "not answered yet",
            hint="put your answer in place of None in the cell above, run it, then this check",
        )
    if isinstance(question, Choice):
        _check_choice(task, qid, question, answer)
    else:
        _check_number(task, question, answer)
    show_pass(f"{PASS_MARK} {task}: right. {question.meaning}")


def _check_choice(task: str, qid: str, question: Choice, answer) -> None:
    letters = " or ".join(f'"{x}"' for x in question.letters)
    if not isinstance(answer, str) or answer.strip().lower() not in question.letters:
        raise CheckFailed(
            task,
            "answer with one letter",
            expected=letters,
            got=repr(answer)[:80],
            hint='the letter of your choice, as a string in quotes: "b", not b or (b)',
        )
    said = digest(qid, answer)
    if said != question.right:
        why = question.why.get(said, "not quite: read the question's choices again")
        raise CheckFailed(task, f"({answer.strip().lower()}) is not the answer", hint=why)


def _check_number(task: str, question: Number, answer) -> None:
    if isinstance(answer, bool) or not isinstance(answer, int | float):
        raise CheckFailed(
            task, "answer with a number", got=repr(answer)[:80], hint="a Python int or float"
        )
    if not math.isfinite(answer):
        raise CheckFailed(task, "answer with a finite number", got=repr(answer))
    if abs(answer - question.value) <= question.tolerance:
        return
    for value, tolerance, why in question.traps:
        if abs(answer - value) <= tolerance:
            raise CheckFailed(task, f"{answer:g} is not the answer", hint=why)
    raise CheckFailed(task, f"{answer:g} is not the answer", hint=question.off or None)


__all__ = ["check_question"]


if __name__ == "__main__":  # the digests to write a choice question: QID RIGHT_LETTER [LETTERS]
    import sys

    qid, right, letters = sys.argv[1], sys.argv[2], (sys.argv[3:] or ["abcd"])[0]
    print(f"right={digest(qid, right)!r}")
    for letter in letters:
        if letter != right:
            print(f"{letter}: {digest(qid, letter)!r}")
