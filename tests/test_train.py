"""gan_course.train: lesson 05's steps and the classic GAN's `train_gan`, on `loop.fit`."""

from __future__ import annotations

import pytest
import torch

from gan_course import callbacks, data, loop, metrics, train
from gan_course.models import MLPDiscriminator, MLPGenerator


def nets(seed=0, hidden=(32, 32)):
    torch.manual_seed(seed)
    return MLPGenerator(2, 2, hidden), MLPDiscriminator(2, hidden)


def params(net):
    return [p.detach().clone() for p in net.parameters()]


def changed(before, net):
    return any(not torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


def test_d_step_moves_only_d_and_sends_no_gradient_into_g():
    gen, disc = nets()
    g0, d0 = params(gen), params(disc)
    opt = torch.optim.Adam(disc.parameters())
    out = train.d_step(gen, disc, opt, data.ring_of_8().sample(16), torch.randn(16, 2))
    assert set(out) == {"d_loss", "d_real", "d_fake", "d_acc"}
    assert changed(d0, disc) and not changed(g0, gen)
    assert all(p.grad is None for p in gen.parameters())


def test_g_step_moves_only_g():
    gen, disc = nets()
    g0, d0 = params(gen), params(disc)
    out = train.g_step(gen, disc, torch.optim.Adam(gen.parameters()), torch.randn(16, 2))
    assert set(out) == {"g_loss"} and changed(g0, gen) and not changed(d0, disc)


def test_train_gan_logs_every_step_and_calls_callbacks():
    gen, disc = nets()
    seen = []

    class Spy(callbacks.Callback):
        def on_train_begin(self, state):
            seen.append("begin")

        def on_step_end(self, state):
            seen.append(state.history.step)

        def on_train_end(self, state):
            seen.append("end")

    config = train.TrainConfig(steps=12, batch_size=16, d_steps=2)
    history = train.train_gan(gen, disc, data.ring_of_8(), config, callbacks=[Spy()])
    assert history.step == 12 and seen == ["begin", *range(1, 13), "end"]
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "d_acc"):
        assert history[key].shape == (12,)
    assert "step 12" in history.summary()


def test_train_gan_takes_a_tensor_dataset_and_learners_steps():
    digits = data.digits(8)
    gen = MLPGenerator(8, hidden=(32,), image_shape=(1, 8, 8))
    disc = MLPDiscriminator(64, (32,))
    calls = []

    def my_g_step(generator, discriminator, g_optimizer, noise, loss_fn):
        calls.append(noise.shape)
        return train.g_step(generator, discriminator, g_optimizer, noise, loss_fn)["g_loss"]

    history = train.train_gan(
        gen, disc, digits, train.TrainConfig(steps=5, batch_size=32), g_step=my_g_step
    )
    assert history.step == 5 and calls == [(32, 8)] * 5 and "g_loss" in history


def test_bad_data_and_config_are_explained():
    gen, disc = nets()
    with pytest.raises(TypeError, match="sample"):
        train.train_gan(gen, disc, [1, 2, 3], train.TrainConfig(steps=1))
    with pytest.raises(ValueError, match="only 4 items"):
        train.train_gan(gen, disc, torch.zeros(4, 2), train.TrainConfig(steps=1, batch_size=8))
    with pytest.raises(ValueError, match="non-saturating"):
        train.TrainConfig(g_loss="hinged")


def test_keyboard_interrupt_keeps_models_and_history(capsys):
    gen, disc = nets()

    class StopAt(callbacks.Callback):
        def on_step_end(self, state):
            if state.history.step == 4:
                raise KeyboardInterrupt

    ended = []
    end = type("End", (callbacks.Callback,), {"on_train_end": lambda s, st: ended.append(st)})
    history = train.train_gan(
        gen, disc, data.ring_of_8(), train.TrainConfig(steps=50), callbacks=[StopAt(), end()]
    )
    assert history.step == 4 and ended[0].interrupted
    assert "Interrupted at step 4/50" in capsys.readouterr().out
    assert torch.isfinite(gen(torch.randn(3, 2))).all()


def test_nan_loss_stops_with_a_clear_message():
    gen, disc = nets()

    def exploding_g_step(*args):
        return {"g_loss": float("nan")}

    with pytest.raises(loop.TrainingDiverged, match="not finite") as info:
        train.train_gan(
            gen, disc, data.ring_of_8(), train.TrainConfig(steps=10), g_step=exploding_g_step
        )
    assert info.value.history.step == 0


def test_nan_in_the_d_step_stops_before_g_learns_from_it():
    gen, disc = nets()
    before = params(gen)

    def nan_d_step(*args):
        return {"d_loss": float("inf")}

    with pytest.raises(loop.TrainingDiverged, match="d_loss"):
        train.train_gan(gen, disc, data.ring_of_8(), train.TrainConfig(steps=10), d_step=nan_d_step)
    assert not changed(before, gen)


def test_checkpoint_resume_continues_where_it_stopped(tmp_path):
    path = tmp_path / "run.pt"
    gen, disc = nets()
    config = train.TrainConfig(steps=6, batch_size=16)
    first = train.train_gan(
        gen, disc, data.ring_of_8(), config, callbacks=[callbacks.Checkpoint(path, 3)]
    )
    gen2, disc2 = nets(seed=1)
    config.steps = 9
    history = train.train_gan(gen2, disc2, data.ring_of_8(), config, resume_from=path)
    assert history.step == 9
    assert history.records["d_loss"][:6] == first.records["d_loss"], "the history continues"
    restored, _ = nets(seed=2)
    assert loop.load_nets(path, generator=restored).step == 6
    assert all(
        torch.equal(a, b) for a, b in zip(restored.parameters(), gen.parameters(), strict=True)
    )


def test_a_checkpoint_of_other_networks_is_refused_when_resuming(tmp_path):
    path = tmp_path / "run.pt"
    gen, disc = nets()
    train.train_gan(gen, disc, data.ring_of_8(), train.TrainConfig(steps=2, batch_size=8),
                    callbacks=[callbacks.Checkpoint(path)])  # fmt: skip
    bigger = nets(hidden=(64, 64))
    with pytest.raises(loop.CheckpointError, match="built with"):
        train.train_gan(*bigger, data.ring_of_8(), train.TrainConfig(steps=4), resume_from=path)


@pytest.mark.slow
def test_a_short_run_learns_the_ring():
    gen, disc = nets(hidden=(128, 128))
    train.train_gan(gen, disc, data.ring_of_8(), train.TrainConfig(steps=1500, batch_size=256))
    stats = metrics.generator_mode_stats(gen, data.ring_of_8())
    assert stats.modes_covered >= 7, stats


def test_every_field_of_train_config_is_used_or_a_switch_that_changes_the_update():
    """A field can no longer be silently ignored: the core fields are the ones `gan_step` and
    `make_optimizers` read, and every other field is a switch that `d_step_switched` (or
    `g_step_switched`) reads; `switched` is derived from those marks."""
    from dataclasses import fields

    core = {"steps", "batch_size", "lr_d", "lr_g", "betas", "d_steps", "g_loss", "d_loss"}
    core |= {"optimizer"}
    names = {f.name for f in fields(train.TrainConfig)}
    assert names == core | set(train.TrainConfig.switches()), "a new field must be a switch"
    for name in train.TrainConfig.switches():
        assert train.TrainConfig(**{name: 0.5}).switched, name
