"""gan_course.dynamics: the bilinear game, the callbacks of lesson 06, and compare_runs."""

from __future__ import annotations

import math
from dataclasses import replace

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from gan_course import data, dynamics, train
from gan_course.dynamics import Run, Variant, compare_runs, show_runs
from gan_course.metrics import ModeStats
from gan_course.models import MLPDiscriminator, MLPGenerator

matplotlib.use("Agg")

# ------------------------------------------------------------------------------ the bilinear game


def radius(path: np.ndarray) -> np.ndarray:
    return np.linalg.norm(path, axis=1)


def test_simultaneous_updates_spiral_out_at_the_predicted_rate():
    lr, steps = 0.1, 200
    path = dynamics.bilinear_game(steps, lr, "simultaneous", start=(1.0, 0.5))
    assert path.shape == (steps + 1, 2)
    assert np.allclose(path[0], (1.0, 0.5))
    predicted = radius(path[:1]) * (1 + lr**2) ** (np.arange(steps + 1) / 2)  # r_t = r_0 ρ^t
    assert np.allclose(radius(path), predicted)
    assert np.all(np.diff(radius(path)) > 0)


def test_alternating_updates_orbit_on_a_bounded_ellipse():
    lr = 0.3
    path = dynamics.bilinear_game(2000, lr, "alternating")
    r = radius(path)
    assert r.max() < 1.5 * r[0] and r.min() > 0.5 * r[0]  # bounded, and never converges
    x, y = path[:, 0], path[:, 1]
    conserved = x**2 - lr * x * y + y**2  # the invariant of the alternating map
    assert np.allclose(conserved, conserved[0])


def test_one_step_by_hand_and_unknown_modes_are_refused():
    assert dynamics.gda_step(1.0, 2.0, 0.1, "simultaneous") == pytest.approx((0.8, 2.1))
    assert dynamics.gda_step(1.0, 2.0, 0.1, "alternating") == pytest.approx((0.8, 2.08))
    with pytest.raises(ValueError, match="alternating"):
        dynamics.gda_step(1.0, 2.0, 0.1, "sequential")
    with pytest.raises(ValueError):
        dynamics.bilinear_game(3, 0.1, mode="both")


def test_plot_bilinear_game_draws_each_path_in_both_panels():
    paths = {mode: dynamics.bilinear_game(30, 0.2, mode) for mode in dynamics.GDA_MODES}
    ax_plane, ax_radius = dynamics.plot_bilinear_game(paths)
    assert len(ax_radius.lines) == 2
    assert {t.get_text() for t in ax_plane.get_legend().get_texts()} >= set(paths)
    matplotlib.pyplot.close("all")


# ------------------------------------------------------------------------------ callbacks


def tiny_models(hidden=(8,), latent_dim=2):
    return MLPGenerator(latent_dim, 2, hidden), MLPDiscriminator(2, hidden)


def test_grad_norm_logs_the_norm_of_gs_last_gradient():
    torch.manual_seed(0)
    gen, disc = tiny_models()
    history = train.train_gan(
        gen,
        disc,
        data.grid_of_25(),
        train.TrainConfig(steps=4, batch_size=16),
        callbacks=[dynamics.GradNorm()],
    )
    assert len(history["g_grad"]) == 4 and (history["g_grad"] > 0).all()
    last = torch.cat([p.grad.flatten() for p in gen.parameters()]).norm().item()
    assert history["g_grad"][-1] == pytest.approx(last)


def test_mode_tracker_counts_samples_per_mode_over_time():
    torch.manual_seed(0)
    gen, disc = tiny_models()
    grid = data.grid_of_25()
    tracker = dynamics.ModeTracker(grid, every=2, n=200)
    train.train_gan(gen, disc, grid, train.TrainConfig(steps=6, batch_size=16), callbacks=[tracker])
    assert tracker.steps == [2, 4, 6]
    assert tracker.counts.shape == (3, 25) and (tracker.counts >= 0).all()
    assert (tracker.counts.sum(axis=1) == 200).all()  # every sample has a nearest mode
    ax = dynamics.plot_mode_occupancy(tracker)
    assert ax.images and ax.get_xlabel() == "step"
    matplotlib.pyplot.close("all")


# ------------------------------------------------------------------------------ compare_runs

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
    table = dynamics.runs_table(runs)
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


def test_the_live_board_redraws_one_figure_as_runs_progress(monkeypatch):
    monkeypatch.setattr(dynamics, "_in_notebook", lambda: True)  # pretend: a notebook
    boards = []
    board_class = dynamics._Board

    def recording_board(*args, **kwargs):  # never "busy": every redraw happens
        boards.append(board_class(*args, max_overhead=1e9, **kwargs))
        return boards[-1]

    monkeypatch.setattr(dynamics, "_Board", recording_board)
    runs = compare_runs(
        {"a": CONFIG, "b": Variant(CONFIG, ema=0.9)},
        tiny_models,
        data.ring_of_8(),
        every=4,
        progress=False,
    )
    (board,) = boards
    assert board.draws == 2 * 5  # each run: its start, steps 4, 8 and 12, its end
    assert board.handle is None  # outside IPython nothing is displayed
    assert list(board.columns.values()) == list(runs.values()) and not board.stale
    heights = {pixels.shape[0] for pixels in board.pixels.values()}
    assert len(heights) == 1  # columns of one height, side by side in one picture
    assert runs["a"].seconds > 0


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
