"""gan_course.playground: GAN Lab in the notebook. Painting makes the data; the buttons run the
course's own steps; the knobs reach the config and the optimizers; the picture follows."""

from __future__ import annotations

import pytest
import torch

from gan_course import train
from gan_course.playground import LOSSES, PRESETS, PaintedData, playground


def weights(net):
    return [p.detach().clone() for p in net.parameters()]


def moved(before, net):
    return any(not torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


def test_painted_data_samples_near_the_painted_points():
    painted = PaintedData([(1.0, 1.0), (-2.0, 0.5)], spread=0.01)
    sample = painted.sample(500)
    assert sample.shape == (500, 2)
    nearest = torch.cdist(sample, torch.tensor(painted.points)).min(dim=1).values
    assert nearest.max() < 0.1
    with pytest.raises(ValueError, match="nothing painted"):
        PaintedData().sample(3)


def test_dragging_the_pen_paints_points_where_the_mouse_is():
    lab = playground(lim=3.0, size=300)
    lab._pen_move(10, 10)  # not drawing yet: nothing
    lab._pen_down(150, 150)  # the centre of the canvas is the origin
    lab._pen_move(300, 0)  # the top right corner is (lim, lim)
    lab._pen_up(300, 0)
    assert lab.data.points == [(0.0, 0.0), (3.0, 3.0)]
    assert lab.to_canvas(*lab.to_plane(42, 17)) == pytest.approx((42, 17))


def test_step_d_moves_only_d_and_step_g_only_g_and_the_picture_follows():
    lab = playground()
    with pytest.raises(ValueError, match="nothing painted"):
        lab.step_d()
    lab._run(lab.step_d)  # a button press with nothing painted says so and breaks nothing
    assert "nothing painted" in lab.status.value
    lab.use_preset("ring of 8")
    assert len(lab.data) > 250
    d0, g0, picture = weights(lab.D), weights(lab.G), lab.view.value
    metrics = lab.step_d()
    assert moved(d0, lab.D) and not moved(g0, lab.G) and lab.view.value != picture
    assert {"d_loss", "d_real", "d_fake"} <= set(metrics) and "1 D steps" in lab.status.value
    d1, picture = weights(lab.D), lab.view.value
    lab.step_g()
    assert moved(g0, lab.G) and not moved(d1, lab.D) and lab.view.value != picture


def test_train_runs_the_courses_gan_step_with_k_d_steps(monkeypatch):
    lab = playground()
    lab.use_preset("two moons")
    lab.k.value = 3
    calls = []
    real_step = train.gan_step
    monkeypatch.setattr(train, "gan_step", lambda *a, **k: calls.append(1) or real_step(*a, **k))
    history = lab.train(5)
    assert history.step == 5 and len(calls) == 5 and lab.d_steps == 15 and lab.g_steps == 5
    assert lab.train(2).step == 7  # the game goes on from where it was


def test_the_knobs_reach_the_config_and_the_optimizers():
    lab = playground()
    lab.use_preset("spiral")
    adam_state = lab.state.d_optimizer.state
    lab.step_d()
    lab.lr_d.value, lab.lr_g.value = 1e-3, 5e-4
    assert lab.state.d_optimizer.param_groups[0]["lr"] == pytest.approx(1e-3)
    assert lab.state.g_optimizer.param_groups[0]["lr"] == pytest.approx(5e-4)
    assert lab.state.d_optimizer.state is adam_state and len(adam_state) > 0, "Adam carries on"
    for name, (d_loss, g_loss, penalty) in LOSSES.items():
        lab.loss.value, lab.penalty.value = name, 2.0
        assert (lab.config.d_loss, lab.config.g_loss) == (d_loss, g_loss)
        assert getattr(lab.config, penalty) == 2.0
        assert "gp" in lab.step_d() if penalty == "gradient_penalty" else True
        assert torch.isfinite(torch.tensor(lab.step_g()["g_loss"]))
    lab.k.value = 4
    assert lab.config.d_steps == 4


def test_presets_and_new_networks():
    lab = playground(seed=3)
    for name in PRESETS:
        lab.preset.value = name
        assert len(lab.data) > 100
    g0 = weights(lab.G)
    lab.use_preset("ring of 8")
    lab.train(3)
    lab.reset()
    assert not moved(g0, lab.G) and lab.d_steps == lab.g_steps == 0  # the same seeded start
    lab.clear()
    assert len(lab.data) == 0
