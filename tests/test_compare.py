"""gan_course.compare: fair, seeded comparisons of training recipes, drawn side by side."""

from __future__ import annotations

import math
from dataclasses import replace

import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure

from gan_course import compare, data, train
from gan_course.compare import Run, Variant, compare_runs, runs_table, show_runs
from gan_course.metrics import ModeStats
from gan_course.models import MLPDiscriminator, MLPGenerator

matplotlib.use("Agg")


def tiny_models(hidden=(8,), latent_dim=2):
    return MLPGenerator(latent_dim, 2, hidden), MLPDiscriminator(2, hidden)


CONFIG = train.TrainConfig(steps=12, batch_size=32, lr_d=1e-3, lr_g=1e-3)


def weights(net) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in net.parameters()])


def test_compare_runs_returns_fair_seeded_comparable_runs():
    grid = data.grid_of_25()
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    runs = compare_runs(
        {"a": CONFIG, "b": Variant(CONFIG), "flip": replace(CONFIG, label_flip=0.35)},
        tiny_models,
        grid,
        live=False,
    )
    assert torch.equal(torch.rand(3), expected_next), "the learner's RNG is left alone"
    assert list(runs) == ["a", "b", "flip"]
    a, b, flip = runs.values()
    assert isinstance(a, Run) and a.name == "a" and a.config is CONFIG
    # same seed, same config: the very same run
    assert torch.equal(weights(a.generator), weights(b.generator))
    assert np.array_equal(a.history["d_loss"], b.history["d_loss"])
    # same start, a different recipe: a different run
    assert not torch.equal(weights(a.generator), weights(flip.generator))
    for run in runs.values():
        assert run.history.step == CONFIG.steps and len(run.history["g_grad"]) == CONFIG.steps
        assert isinstance(run.stats, ModeStats) and run.stats.n_modes == 25  # data is a mixture
        assert run.seconds > 0 and run.ema_generator is None and run.ema_stats is None
    other_seed = compare_runs({"a": CONFIG}, tiny_models, grid, seed=1, live=False)["a"]
    assert not torch.equal(weights(a.generator), weights(other_seed.generator))
    table = runs_table(runs)
    assert len(table.splitlines()) == 3 and "/25 modes" in table


def test_variant_overrides_networks_and_keeps_an_ema():
    wide = lambda: tiny_models(hidden=(16, 16))  # noqa: E731
    runs = compare_runs(
        {
            "plain": CONFIG,
            "wide": Variant(CONFIG, make_models=wide),
            "ema": Variant(CONFIG, ema=0.9),
        },
        tiny_models,
        data.ring_of_8(),
        live=False,
    )
    assert runs["plain"].generator.hparams["hidden"] == [8]
    assert runs["wide"].generator.hparams["hidden"] == [16, 16]
    assert runs["wide"].discriminator.hparams["hidden"] == [16, 16]
    ema = runs["ema"]
    assert ema.ema_generator is not None and ema.ema_stats.n_modes == 8
    assert not torch.equal(weights(ema.ema_generator), weights(ema.generator))
    # EMA changes nothing in training: the live generator is the plain run's
    assert torch.equal(weights(ema.generator), weights(runs["plain"].generator))
    assert "EMA" in ema.summary()


def test_without_a_mixture_there_are_no_mode_stats_and_images_are_shown():
    images = torch.rand(64, 1, 8, 8) * 2 - 1  # (64, 1, 8, 8) in [-1, 1], like digits

    def digit_models():
        return (
            MLPGenerator(4, hidden=(16,), image_shape=(1, 8, 8)),
            MLPDiscriminator(64, (16,)),
        )

    runs = compare_runs(
        {"digits": train.TrainConfig(steps=3, batch_size=32)}, digit_models, images, live=False
    )
    assert runs["digits"].stats is None and "D(x)" in runs["digits"].summary()
    fig = show_runs(runs)
    assert len(fig.axes) == 3 and fig.axes[0].images  # one column: samples, losses, D
    matplotlib.pyplot.close("all")


def test_show_runs_draws_one_column_a_run_with_metrics_in_the_title():
    grid = data.grid_of_25()
    runs = compare_runs(
        {"base": CONFIG, "ema": Variant(CONFIG, ema=0.9)}, tiny_models, grid, live=False
    )
    fig = show_runs(runs, grid)
    assert isinstance(fig, Figure) and len(fig.axes) == 6
    top = [ax for ax in fig.axes if "modes" in ax.get_title()]
    assert len(top) == 2 and "EMA" in top[1].get_title()
    assert any(ax.get_title() == "losses" for ax in fig.axes)
    assert any(ax.get_title() == "discriminator outputs" for ax in fig.axes)
    matplotlib.pyplot.close("all")


def test_a_live_comparison_redraws_one_picture_shared_by_the_runs(monkeypatch):
    shown = []

    class RecordingSlot:  # stands in for the notebook's output: keeps every picture shown
        def show(self, png: bytes) -> None:
            shown.append((id(self), png))

    monkeypatch.setattr(compare, "Slot", RecordingSlot)
    runs = compare_runs(
        {"a": CONFIG, "b": Variant(CONFIG, ema=0.9)},
        tiny_models,
        data.ring_of_8(),
        every=4,
        progress=False,
    )
    assert len({slot for slot, _ in shown}) == 1, "one picture, replaced in place"
    assert 2 * 2 <= len(shown) <= 2 * 5  # each run: its start and end, and steps 4, 8, 12 at most
    assert all(png.startswith(b"\x89PNG") for _, png in shown)
    assert runs["a"].seconds > 0 and runs["b"].history.step == CONFIG.steps


def test_a_diverging_run_is_reported_and_the_comparison_goes_on(capsys):
    def broken_models():
        gen, disc = tiny_models()
        with torch.no_grad():
            gen.net[0].weight.fill_(math.nan)
        return gen, disc

    runs = compare_runs(
        {"broken": Variant(CONFIG, make_models=broken_models), "fine": CONFIG},
        tiny_models,
        data.ring_of_8(),
        live=False,
    )
    assert "broken: training stopped at step 1" in capsys.readouterr().out
    assert runs["broken"].history.step == 0 and runs["fine"].history.step == CONFIG.steps


def test_the_stop_button_ends_the_whole_comparison_and_keeps_what_is_done(capsys):
    class PressesStop(MLPGenerator):
        calls = 0

        def forward(self, z):
            PressesStop.calls += 1
            if PressesStop.calls == 7:  # as if ■ was pressed during the fourth step
                raise KeyboardInterrupt
            return super().forward(z)

    def stopping_models():
        return PressesStop(2, 2, (8,)), MLPDiscriminator(2, (8,))

    runs = compare_runs(
        {"stopped": Variant(CONFIG, make_models=stopping_models), "never": CONFIG},
        tiny_models,
        data.ring_of_8(),
        live=False,
    )
    assert list(runs) == ["stopped"] and 0 < runs["stopped"].history.step < CONFIG.steps
    assert "later variants were not trained" in capsys.readouterr().out
