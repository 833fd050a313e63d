"""gan_course.callbacks and gan_course.views: what a person watches follows the step."""

from __future__ import annotations

import matplotlib
import pytest
import torch

from gan_course import callbacks, data, train, viz
from gan_course.loop import History, TrainState, fit
from gan_course.models import MLPDiscriminator, MLPGenerator
from gan_course.views import MixtureView, NoiseGrid

matplotlib.use("Agg")


def nets(seed=0, hidden=(32, 32)):
    torch.manual_seed(seed)
    return MLPGenerator(2, 2, hidden), MLPDiscriminator(2, hidden)


def test_progress_bar_shows_what_the_step_logs():
    state = TrainState(nets={}, optimizers={})
    bar = callbacks.ProgressBar(every=2)

    def step(state):
        return {"recon_loss": 0.5, "cycle_loss": 0.25, "psnr": 30.0}

    fit(step, state, steps=4, callbacks=[bar])
    assert bar.bar.n == 4
    assert set(bar.bar.postfix.replace(" ", "").split(",")) == {
        "recon_loss=0.500",
        "cycle_loss=0.250",
        "psnr=30.000",
    }


def test_live_monitor_draws_a_mixture_view_and_its_curves_outside_jupyter():
    gen, disc = nets()
    ring = data.ring_of_8()
    monitor = callbacks.LiveMonitor(MixtureView(ring), every=5, max_overhead=1.0)
    train.train_gan(
        gen,
        disc,
        ring,
        train.TrainConfig(steps=10, batch_size=16),
        callbacks=[callbacks.ProgressBar(), monitor],
    )
    assert monitor.draws == 4  # at the start, steps 5 and 10, and at the end
    state = TrainState({"generator": gen, "discriminator": disc}, {}, history=History())
    figure = monitor.figure(state)
    assert len(figure.axes) == 3 and "step 0" in figure.axes[-1].get_title()


def test_live_monitor_skips_redraws_that_would_dominate():
    monitor = callbacks.LiveMonitor(every=1, max_overhead=0.0)  # images view, never worth it
    digits_gen = MLPGenerator(4, hidden=(8,), image_shape=(1, 8, 8))
    train.train_gan(
        digits_gen,
        MLPDiscriminator(64, (8,)),
        data.digits(8),
        train.TrainConfig(steps=20, batch_size=16),
        callbacks=[monitor],
    )
    assert monitor.draws == 2  # only the first and the last picture
    assert isinstance(monitor.view, NoiseGrid)


def test_a_step_without_d_outputs_gets_a_monitor_of_two_panels():
    """A family whose step logs no D(x) (a pix2pix pretraining, say): losses and the view."""
    gen = MLPGenerator(4, hidden=(8,), image_shape=(1, 8, 8))
    shown = []

    class Slot:
        def show(self, png):
            shown.append(png)

    monitor = callbacks.LiveMonitor(NoiseGrid(n=16, nrow=4), every=1, max_overhead=1.0, slot=Slot())
    state = TrainState({"generator": gen}, {})
    fit(lambda state: {"l1_loss": 0.1}, state, steps=2, callbacks=[monitor])
    assert len(monitor.figure(state).axes) == 2 and len(shown) == monitor.draws == 4


def test_noise_grid_gives_a_conditional_generator_a_class_a_column():
    from gan_course.models.conditional import ConditionalGenerator

    torch.manual_seed(0)
    gen = ConditionalGenerator(latent_dim=4, n_classes=10, width=4, image_size=8)
    view = NoiseGrid(n=20)
    view.begin(TrainState({"generator": gen}, {}))
    assert view.columns == 10 and view.labels.tolist() == [*range(10), *range(10)]
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    again = NoiseGrid(n=20)
    again.begin(TrainState({"generator": gen}, {}))
    assert torch.equal(torch.rand(3), expected), "the learner's RNG is left alone"
    assert torch.equal(view.z, again.z), "the same fixed noise every time"


def test_grad_norm_logs_the_norm_of_gs_last_gradient():
    torch.manual_seed(0)
    gen, disc = nets(hidden=(8,))
    history = train.train_gan(
        gen,
        disc,
        data.grid_of_25(),
        train.TrainConfig(steps=4, batch_size=16),
        callbacks=[callbacks.GradNorm()],
    )
    assert len(history["g_grad"]) == 4 and (history["g_grad"] > 0).all()
    last = torch.cat([p.grad.flatten() for p in gen.parameters()]).norm().item()
    assert history["g_grad"][-1] == pytest.approx(last)


def test_mode_tracker_counts_samples_per_mode_over_time():
    torch.manual_seed(0)
    gen, disc = nets(hidden=(8,))
    grid = data.grid_of_25()
    tracker = callbacks.ModeTracker(grid, every=2, n=200)
    train.train_gan(gen, disc, grid, train.TrainConfig(steps=6, batch_size=16), callbacks=[tracker])
    assert tracker.steps == [2, 4, 6]
    assert tracker.counts.shape == (3, 25) and (tracker.counts >= 0).all()
    assert (tracker.counts.sum(axis=1) == 200).all()  # every sample has a nearest mode
    ax = viz.plot_mode_occupancy(tracker)
    assert ax.images and ax.get_xlabel() == "step"
    matplotlib.pyplot.close("all")
