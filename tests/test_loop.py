"""gan_course.loop: `fit` runs any step, logs it, keeps everything on Ctrl-C, stops on NaN,
and checkpoints and resumes any set of named networks and optimizers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gan_course import callbacks, loop
from gan_course.loop import CheckpointError, History, TrainingDiverged, TrainState, fit


def regression_state(seed=0, width=4):
    """Not a GAN at all: one linear net learning y = 2x, which `fit` must not mind."""
    torch.manual_seed(seed)
    net = nn.Linear(1, width)
    head = nn.Linear(width, 1)
    params = [*net.parameters(), *head.parameters()]
    return TrainState(
        nets={"body": net, "head": head},
        optimizers={"sgd": torch.optim.SGD(params, lr=0.05)},
        batches=iter(lambda: torch.randn(32, 1), None),
    )


def regression_step(state) -> dict:
    x = next(state.batches)
    state.sgd.zero_grad()
    loss = (state.head(state.body(x)) - 2 * x).pow(2).mean()
    loss.backward()
    state.sgd.step()
    return {"mse_loss": loss.item(), "lr": 0.05}


def test_fit_runs_any_step_and_logs_what_it_returns():
    state = regression_state()
    seen = []
    watcher = type("W", (callbacks.Callback,), {"on_step_end": lambda s, st: seen.append(st)})()
    history = fit(regression_step, state, steps=40, callbacks=[watcher])
    assert history is state.history and history.step == 40 and state.steps == 40
    assert history.logged() == ["mse_loss", "lr"]
    assert history["mse_loss"][-5:].mean() < history["mse_loss"][:5].mean()
    assert len(seen) == 40 and seen[0] is state
    assert state.body is state.nets["body"] and state.sgd is state.optimizers["sgd"]
    with pytest.raises(AttributeError, match="its nets are \\['body', 'head'\\]"):
        _ = state.generator
    assert fit(lambda s: 0.5, regression_state(), steps=2).logged() == ["loss"]  # a bare loss


def test_fit_puts_the_nets_in_train_mode_and_refuses_a_step_that_returns_nonsense():
    state = regression_state()
    state.body.eval()
    fit(regression_step, state, steps=1)
    assert state.body.training
    with pytest.raises(TypeError, match="return a dict or a loss"):
        fit(lambda s: "fine", regression_state(), steps=1)


def test_ctrl_c_keeps_everything_and_callbacks_still_end():
    state, ended = regression_state(), []

    def step(state):
        if state.history.step == 7:
            raise KeyboardInterrupt
        return regression_step(state)

    end = type("E", (callbacks.Callback,), {"on_train_end": lambda s, st: ended.append(st)})()
    history = fit(step, state, steps=100, callbacks=[end])
    assert history.step == 7 and state.interrupted and ended == [state]


def test_a_nan_loss_stops_the_run_naming_the_loss_and_keeping_the_history():
    def step(state):
        bad = state.history.step == 3
        return {"mse_loss": float("nan") if bad else 1.0, "accuracy": float("nan")}

    with pytest.raises(TrainingDiverged, match="mse_loss is not finite") as info:
        fit(step, regression_state(), steps=10)
    assert info.value.history.step == 3  # the good steps; NaN in a metric that is no loss is ok
    message = str(info.value)
    assert "learning rate" in message and "err.history" in message


def test_checkpoints_save_and_resume_any_named_nets_and_optimizers(tmp_path):
    path = tmp_path / "run.pt"
    state = regression_state()
    first = fit(regression_step, state, steps=5, callbacks=[callbacks.Checkpoint(path, every=5)])
    payload = loop.read_checkpoint(path)
    assert set(payload["nets"]) == {"body", "head"} and set(payload["optimizers"]) == {"sgd"}
    assert payload["history"]["mse_loss"].dtype == torch.float64
    again = regression_state(seed=1)
    history = fit(regression_step, again, steps=8, resume_from=path)
    assert history.step == 8 and history.records["mse_loss"][:5] == first.records["mse_loss"]
    body = nn.Linear(1, 4)
    assert loop.load_nets(path, body=body).step == 5  # one net of the run, by its name
    assert torch.equal(body.weight, state.body.weight)


def test_a_checkpoint_that_does_not_fit_is_refused_with_what_differs(tmp_path):
    good = loop.save_checkpoint(tmp_path / "good.pt", regression_state())
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(good.read_bytes()[:300])
    with pytest.raises(CheckpointError, match="corrupt"):
        loop.load_checkpoint(corrupt, regression_state())
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(CheckpointError, match="not a gan-course checkpoint"):
        loop.load_checkpoint(foreign, regression_state())
    with pytest.raises(CheckpointError, match="does not fit this network"):
        loop.load_checkpoint(good, regression_state(width=8))
    other = regression_state()
    other.nets["extra"] = nn.Linear(1, 1)
    with pytest.raises(CheckpointError, match="another kind of training"):
        loop.load_checkpoint(good, other)
    with pytest.raises(CheckpointError, match="holds no \\['generator'\\]"):
        loop.load_nets(good, generator=nn.Linear(1, 1))
    with pytest.raises(FileNotFoundError):
        loop.load_checkpoint(tmp_path / "missing.pt", regression_state())
    assert loop.load_checkpoint(good, regression_state(seed=3)).step == 0  # still loads


def test_a_checkpoint_of_the_first_format_is_still_read(tmp_path):
    """Checkpoints written before `fit` (one generator, one discriminator) still resume."""
    state = regression_state()
    old = {
        "format": loop.OLD_FORMAT,
        "generator": state.body.state_dict(),
        "discriminator": state.head.state_dict(),
        "g_optimizer": state.sgd.state_dict(),
        "d_optimizer": state.sgd.state_dict(),
        "generator_hparams": None,
        "discriminator_hparams": None,
        "config": {"steps": 3},
        "history": {"step": [1.0, 2.0], "d_loss": [0.7, 0.6]},
    }
    torch.save(old, tmp_path / "old.pt")
    payload = loop.read_checkpoint(tmp_path / "old.pt")
    assert set(payload["nets"]) == {"generator", "discriminator"}
    body = nn.Linear(1, 4)
    assert loop.load_nets(tmp_path / "old.pt", generator=body).step == 2
    assert torch.equal(body.weight, state.body.weight)


def test_history_reads_lists_and_tensors_and_summarises_what_was_logged():
    history = History({"step": torch.tensor([1.0, 2.0]), "g_loss": [0.5, 0.25]})
    assert history.step == 2 and history.logged() == ["g_loss"]
    history.log(step=3, g_loss=1.0, d_real=0.5)
    assert history.last("g_loss", 2) == pytest.approx(0.625)
    assert "g_loss=" in history.summary() and "d_real=" in history.summary()
    assert History().summary() == "empty history"
