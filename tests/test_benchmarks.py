"""benchmarks/: the one command runs every suite in quick mode and prints its table.

Smoke tests and unit tests of the framework only: no timing and no quality is asserted here
(the suites report those; they are not tests).
"""

from __future__ import annotations

import contextlib
import io
import os
import runpy
import sys

import pytest

import benchmarks
from benchmarks import __main__ as command
from benchmarks import common, readme
from benchmarks.mixtures import Recipe
from gan_course.train import TrainConfig

pytestmark = pytest.mark.slow  # left out by `./course test fast`

TYPED = ["method", "FD", "FD / held-out floor", "precision", "recall", "classes (of 10)"]
COLUMNS = {
    "ring": ["method", "modes (of 8)", "high quality %", "reverse KL", "s / run", "CPU s / run"],
    "grid": ["method", "modes (of 25)", "high quality %", "reverse KL", "s / run", "CPU s / run"],
    "digits": TYPED,
    "stacked": ["method", "modes (of 1,000)", "KL", "s / run", "CPU s / run"],
    "conditional": ["method", "classified as asked %", "worst class %", "s / run", "CPU s / run"],
    "lapgan": TYPED,
    "progressive": TYPED,
    "stylegan": TYPED,
    "superres": ["method", "chelsea PSNR", "camera PSNR", "coffee PSNR", "chelsea SSIM"],
    "pix2pix": ["method", "hole PSNR dB", "denoised PSNR dB", "holed digits read right %"],
    "cyclegan": ["method", "read as their digit %", "of those read right untouched %"],
    "speed": ["loop", "batch", "iterations / s", "compared with", "ratio", "ratio, CPU time"],
    "grading": ["sandbox", "notebooks", "minutes", "notebooks / minute", "verdicts as expected"],
    "threads": ["workload", "setting", "torch threads", "OMP_WAIT_POLICY"],
    "notebooks": ["notebook", "FAST s", "full s", "peak MiB"],
}


@pytest.fixture(scope="module")
def quick_output():
    """What `python -m benchmarks --quick --seeds 2` prints (in-process, so it stays quick)."""
    out = io.StringIO()
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    threads = os.environ.get("OMP_NUM_THREADS")
    with contextlib.redirect_stdout(out):
        assert command.main(["--quick", "--seeds", "2"]) == 0
    if cores is not None:  # the notebooks suite pins itself to one core, and must let go
        assert os.sched_getaffinity(0) == cores
    assert os.environ.get("OMP_NUM_THREADS") == threads
    return out.getvalue()


@pytest.mark.parametrize("suite", benchmarks.SUITES)
def test_quick_run_prints_a_table_with_the_expected_columns(quick_output, suite):
    header = "| " + " | ".join(COLUMNS[suite])  # the first columns, in this order
    assert header in quick_output
    assert quick_output.count("Run on ") == len(benchmarks.SUITES)  # the machine, per suite
    assert "torch thread" in quick_output


def test_quick_run_shows_mean_and_std_and_the_verdicts(quick_output):
    assert "(2 seeds)" in quick_output  # our rows are over the seeds asked for
    assert " ± " in quick_output
    assert "(target ≥" in quick_output and "(target ≤" in quick_output
    assert "No target missed." in quick_output or "Targets missed:" in quick_output


def test_the_one_command_runs_as_a_module_and_honours_fast_mode(monkeypatch, capsys):
    """`python -m benchmarks ring --seeds 1` under GAN_COURSE_FAST=1, run in-process by runpy."""
    monkeypatch.setenv("GAN_COURSE_FAST", "1")
    monkeypatch.setattr(sys, "argv", ["benchmarks", "ring", "--seeds", "1"])
    monkeypatch.delitem(sys.modules, "benchmarks.__main__")  # run it afresh, as python -m does
    with pytest.raises(SystemExit) as done:
        runpy.run_module("benchmarks", run_name="__main__", alter_sys=True)
    out = capsys.readouterr().out
    assert done.value.code == 0
    assert "### Ring of 8" in out and "(1 seed)" in out and "Grid of 25" not in out
    assert "20 steps" in out  # quick sizes, not the real run


# ------------------------------------------------------------------------------ the command


def test_unknown_suites_and_readme_in_quick_mode_are_refused(capsys):
    with pytest.raises(SystemExit):
        command.parse_args(["nope"])
    assert "unknown suite" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        command.parse_args(["--quick", "--readme"])
    assert "--readme" in capsys.readouterr().err


def test_fast_mode_means_quick(monkeypatch):
    monkeypatch.setenv("GAN_COURSE_FAST", "1")
    assert command.parse_args([]).quick
    monkeypatch.setenv("GAN_COURSE_FAST", "0")
    assert not command.parse_args([]).quick


def test_a_suite_whose_package_piece_is_missing_is_skipped_with_the_reason(monkeypatch, capsys):
    monkeypatch.setattr(benchmarks, "SUITES", (*benchmarks.SUITES, "not_written_yet"))
    with pytest.raises(benchmarks.SuiteUnavailable, match="not_written_yet"):
        benchmarks.load("not_written_yet")
    monkeypatch.setattr(command, "SUITES", benchmarks.SUITES)
    command.main(["not_written_yet"])
    assert "skipped: not_written_yet" in capsys.readouterr().out
    with pytest.raises(ValueError, match="no suite"):
        benchmarks.load("nope")


def test_every_listed_suite_loads_and_has_run():
    for name in benchmarks.SUITES:
        assert callable(benchmarks.load(name).run)


# ------------------------------------------------------------------------------ common


def test_mean_std():
    assert common.mean_std([8, 8, 8]) == "8.00 ± 0.00"
    assert common.mean_std([1, 3], 1) == "2.0 ± 1.4"
    assert common.mean_std([5]) == "5.00 ± 0.00"
    assert common.mean_std([float("inf"), 0.031], 3) == "inf / 0.031"  # no mean of infinities
    assert common.mean([float("inf"), 1.0]) == float("inf")


def test_timed_returns_the_value_and_both_clocks():
    result = common.timed(sum, [1, 2, 3])
    assert result.value == 6 and result.wall >= 0 and result.cpu >= 0


def test_markdown_table_and_its_row_check():
    table = common.markdown_table(["a", "b"], [[1, 2]])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| 1 | 2 |"]
    with pytest.raises(ValueError, match="2 columns"):
        common.markdown_table(["a", "b"], [[1]])


def test_targets_say_plainly_when_they_are_missed():
    assert str(common.Target("modes", 8, 8)).startswith("met: modes: 8 (target ≥ 8)")
    missed = common.Target("reverse KL", 0.08, 0.05, at_least=False)
    assert not missed.met and str(missed).startswith("**MISSED** by 0.03")


def test_time_target_names_threads_and_load():
    machine = common.Machine.here()
    busy = common.Machine(**{**machine.__dict__, "threads": 1, "load": 9.0, "cores": 2})
    target = common.time_target([70.0, 80.0], [30.0, 32.0], 60.0, busy)
    assert not target.met and target.value == 75.0
    assert "1 torch thread" in target.note and "31 CPU s" in target.note


def test_machine_line_names_what_the_issue_asks_for():
    line = str(common.Machine.here())
    for part in ("cores", "torch thread", "device", "torch ", "load average"):
        assert part in line


def test_report_counts_the_missed_targets():
    report = common.Report(
        "x", "X", common.Machine.here(), "setup", ["a"], [[1]], [common.Target("t", 1, 2)]
    )
    text = report.markdown()
    assert text.startswith("### X") and "**1 of 1 targets missed.**" in text


# ------------------------------------------------------------------------------ recipes, README


def test_recipe_describes_itself_and_shrinks_for_quick_runs():
    config = TrainConfig(steps=5000, lr_d=1e-3, gradient_penalty=10.0, d_steps=5)
    recipe = Recipe("r", config, hidden=(64, 64), ema=0.999)
    words = recipe.describe()
    for part in ("MLPs 64×64", "5,000 steps", "gradient_penalty 10", "d_steps 5", "EMA"):
        assert part in words
    assert recipe.quick().config.steps < 100 and recipe.quick().config.gradient_penalty == 10.0


def test_readme_sections_are_added_then_replaced(tmp_path):
    path = tmp_path / "README.md"
    path.write_text("# Benchmarks\n\nintro\n")
    readme.write_section("ring", "old table", path)
    readme.write_section("grid", "grid table", path)
    readme.write_section("ring", "new table", path)
    text = path.read_text()
    assert text.count("<!-- benchmark:ring -->") == 1 and "old table" not in text
    assert text.index("new table") < text.index("grid table") and text.startswith("# Benchmarks")
    with pytest.raises(ValueError, match="no closing"):
        readme.replace_section("<!-- benchmark:ring -->", "ring", "x")


def test_the_readme_has_markers_for_every_suite():
    text = readme.README.read_text()
    for name in benchmarks.SUITES:
        begin, end = readme.markers(name)
        assert begin in text and end in text


def test_the_examples_step_through_fit_is_pytorch_examples_loop():
    """The speed suite's `examples_step`, run by `fit`, makes the very updates of the plain
    pytorch/examples loop it is raced against (the same batches, noise and arithmetic)."""
    import torch

    from benchmarks import speed

    images = torch.rand(96, 1, 16, 16) * 2 - 1
    runs = {}
    for name in (speed.PLAIN, speed.FIT_EXAMPLES, speed.BARE_EXAMPLES):
        generator, discriminator = speed.networks(torch.device("cpu"))
        torch.manual_seed(5)  # the same batches and noise for every contestant
        speed.CONTESTANTS[name](
            generator, discriminator, images, 32, 3, speed.StepClock(images.device)
        )
        runs[name] = [
            p.detach().clone() for net in (generator, discriminator) for p in net.parameters()
        ]
    for name in (speed.FIT_EXAMPLES, speed.BARE_EXAMPLES):
        for ours, theirs in zip(runs[name], runs[speed.PLAIN], strict=True):
            assert torch.allclose(ours, theirs, atol=1e-6), name
