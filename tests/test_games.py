"""gan_course.games: the bilinear game xy, played by gradient descent-ascent."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from gan_course import games

matplotlib.use("Agg")


def radius(path: np.ndarray) -> np.ndarray:
    return np.linalg.norm(path, axis=1)


def test_simultaneous_updates_spiral_out_at_the_predicted_rate():
    lr, steps = 0.1, 200
    path = games.bilinear_game(steps, lr, "simultaneous", start=(1.0, 0.5))
    assert path.shape == (steps + 1, 2)
    assert np.allclose(path[0], (1.0, 0.5))
    predicted = radius(path[:1]) * (1 + lr**2) ** (np.arange(steps + 1) / 2)  # r_t = r_0 ρ^t
    assert np.allclose(radius(path), predicted)
    assert np.all(np.diff(radius(path)) > 0)


def test_alternating_updates_orbit_on_a_bounded_ellipse():
    lr = 0.3
    path = games.bilinear_game(2000, lr, "alternating")
    r = radius(path)
    assert r.max() < 1.5 * r[0] and r.min() > 0.5 * r[0]  # bounded, and never converges
    x, y = path[:, 0], path[:, 1]
    conserved = x**2 - lr * x * y + y**2  # the invariant of the alternating map
    assert np.allclose(conserved, conserved[0])


def test_one_step_by_hand_and_unknown_modes_are_refused():
    assert games.gda_step(1.0, 2.0, 0.1, "simultaneous") == pytest.approx((0.8, 2.1))
    assert games.gda_step(1.0, 2.0, 0.1, "alternating") == pytest.approx((0.8, 2.08))
    with pytest.raises(ValueError, match="alternating"):
        games.gda_step(1.0, 2.0, 0.1, "sequential")
    with pytest.raises(ValueError):
        games.bilinear_game(3, 0.1, mode="both")


def test_plot_bilinear_game_draws_each_path_in_both_panels():
    paths = {mode: games.bilinear_game(30, 0.2, mode) for mode in games.GDA_MODES}
    ax_plane, ax_radius = games.plot_bilinear_game(paths)
    assert len(ax_radius.lines) == 2
    assert {t.get_text() for t in ax_plane.get_legend().get_texts()} >= set(paths)
    matplotlib.pyplot.close("all")
