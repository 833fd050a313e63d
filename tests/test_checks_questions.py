"""Concept questions (`gan_course.checks.questions`): a right answer passes with its meaning, each
wrong one gets the explanation written for it, an unanswered one says so, and the release and the
grader know the answer line and the check cell."""

from __future__ import annotations

import pytest

from gan_course.checks import CheckFailed, NotImplementedYet
from gan_course.checks import questions as q
from gan_course.tooling.grading import QUESTION_CALL
from gan_course.tooling.release import strip_solutions


@pytest.fixture
def asked(monkeypatch):
    """Two questions of a pretend exercise 99, registered the way check modules do."""
    monkeypatch.setattr(q, "QUESTIONS", {})
    qid = "99.which_way"
    q.choice(
        qid,
        "abc",
        right=q.digest(qid, "b"),
        meaning="D's loss falls when D improves.",
        why={q.digest(qid, "a"): "that is G's loss", q.digest(qid, "c"): "that is the sum"},
    )
    q.number(
        "99.equilibrium",
        2.0 * 0.6931,
        0.02,
        meaning="2 log 2: D says ½ to everything.",
        traps=[(0.6931, 0.02, "log 2 is one of the two terms; add the other")],
        off="put D(x) = ½ into the loss",
    )
    return qid


def test_a_right_choice_passes_and_says_why(asked, capsys):
    q.check_question(asked, "b")
    q.check_question(asked, " B ")  # case and spaces do not matter
    out = capsys.readouterr().out
    assert out.count("✔ which_way: right. D's loss falls when D improves.") == 2


@pytest.mark.parametrize(("answer", "hint"), [("a", "G's loss"), ("c", "the sum")])
def test_each_wrong_choice_gets_its_own_explanation(asked, answer, hint):
    with pytest.raises(CheckFailed, match=f"\\({answer}\\) is not the answer") as err:
        q.check_question(asked, answer)
    assert err.value.hint == f"that is {hint}"


@pytest.mark.parametrize("answer", ["d", "(b)", 2, ["b"], "b and c"])
def test_an_answer_that_is_no_letter_is_told_the_form(asked, answer):
    with pytest.raises(CheckFailed, match="answer with one letter") as err:
        q.check_question(asked, answer)
    assert '"a" or "b" or "c"' in err.value.expected


def test_an_unanswered_question_is_not_implemented_yet(asked):
    with pytest.raises(NotImplementedYet, match="not answered yet"):
        q.check_question(asked, None)
    with pytest.raises(CheckFailed, match="no question called"):
        q.check_question("99.nothing", "a")


def test_numbers_pass_within_tolerance_and_name_the_usual_slip(asked, capsys):
    q.check_question("99.equilibrium", 1.386)
    assert "✔ equilibrium: right" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="0.69 is not the answer") as err:
        q.check_question("99.equilibrium", 0.69)
    assert "add the other" in err.value.hint
    with pytest.raises(CheckFailed, match="5 is not the answer") as err:
        q.check_question("99.equilibrium", 5)
    assert err.value.hint == "put D(x) = ½ into the loss"
    for bad in ("1.386", True, float("nan")):
        with pytest.raises(CheckFailed, match="number"):
            q.check_question("99.equilibrium", bad)


def test_a_choice_question_must_explain_every_wrong_letter(monkeypatch):
    monkeypatch.setattr(q, "QUESTIONS", {})
    d = q.digest
    with pytest.raises(ValueError, match="the others'"):  # c's explanation missing
        q.choice("99.x", "abc", d("99.x", "a"), "m", {d("99.x", "b"): "no"})
    with pytest.raises(ValueError, match="one letter's digest"):  # the right letter not a letter
        q.choice("99.x", "abc", d("99.x", "z"), "m", {d("99.x", "b"): "", d("99.x", "c"): ""})


def test_the_stored_questions_do_not_show_their_answers():
    """Every registered choice question: the right letter only as a digest, an explanation for
    every other letter, and no explanation under the right one."""
    assert q.QUESTIONS, "the exercises ask no concept questions"
    for qid, question in q.QUESTIONS.items():
        if isinstance(question, q.Choice):
            letters = {q.digest(qid, x): x for x in question.letters}
            assert question.right in letters and question.right not in question.why, qid
            assert set(question.why) == set(letters) - {question.right}, qid
            assert all(len(why) > 20 for why in question.why.values()), qid


def test_release_leaves_the_answer_line_for_the_learner_and_the_grader_names_the_task():
    source = 'why_detach = "b"  ### ANSWER: one of "a", "b", "c"\n'
    source += 'check_question("05.why_detach", why_detach)'
    released = strip_solutions(source)
    assert released.splitlines()[0] == 'why_detach = None  # YOUR CODE HERE: one of "a", "b", "c"'
    assert QUESTION_CALL.match(released.splitlines()[1]).group(1) == "05.why_detach"
    assert strip_solutions("    k = 3 ### ANSWER") == "    k = None  # YOUR CODE HERE"


def test_every_asked_question_explains_each_wrong_choice_and_passes_the_solutions_answer():
    """For every question the exercises ask: the solution's answer passes (read from its
    `### ANSWER` line) and every other letter is rejected with the explanation written for it."""
    import ast

    import nbformat

    from gan_course.tooling import layout

    answers = {}  # qid -> the solution's answer
    for path in layout.solutions():
        nb = nbformat.read(path, as_version=4)
        lines = [line for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()]
        given = {}
        for line in lines:
            if "### ANSWER" in line:
                name, value = line.split("### ANSWER")[0].split("=", 1)
                given[name.strip()] = ast.literal_eval(value.strip())
            elif line.startswith("check_question("):
                call = ast.parse(line).body[0].value
                answers[call.args[0].value] = given[call.args[1].id]
    assert answers, "no solution answers a concept question"
    for qid, answer in answers.items():
        question = q.QUESTIONS[qid]
        q.check_question(qid, answer)  # the solution's answer is right
        if isinstance(question, q.Choice):
            for letter in set(question.letters) - {answer}:
                with pytest.raises(CheckFailed) as err:
                    q.check_question(qid, letter)
                assert err.value.hint == question.why[q.digest(qid, letter)], (qid, letter)
        else:
            for value, _, why in question.traps:
                with pytest.raises(CheckFailed) as err:
                    q.check_question(qid, value)
                assert err.value.hint == why, (qid, value)
