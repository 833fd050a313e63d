"""The training loop that knows no GAN: `fit` calls a step function, logs, watches, checkpoints.

    state = TrainState(nets={"generator": G, "discriminator": D},
                       optimizers={"g_optimizer": g_opt, "d_optimizer": d_opt}, ...)
    history = fit(step, state, steps=2000, callbacks=[ProgressBar(), Checkpoint("run.pt")])

A **step** is a function `step(state) -> dict` that does one iteration of a family's algorithm
(a D step and a G step; a pix2pix step; a CycleGAN step ...) and returns what to log, e.g.
`{"d_loss": 0.61, "g_loss": 0.93}`. `fit` knows nothing else about it: it calls the step until
`state.history.step == steps`, logs what it returns in the `History`, and calls the callbacks
(progress bar, live monitor, checkpoints), which see the same `TrainState`. Along the way it

* keeps everything when the run is interrupted (Ctrl-C, or JupyterLab's stop button);
* stops with `TrainingDiverged`, naming the loss, when a logged loss becomes NaN or infinite;
* saves and resumes any set of named networks and optimizers (`save_checkpoint`,
  `fit(..., resume_from=path)`), atomically, loaded with `weights_only=True`; a corrupt file,
  a file that is not a checkpoint, or one made for other networks gives `CheckpointError`.

Families build on it: `gan_course.train.train_gan` is the classic GAN of lessons 05-10 on
`fit`; `gan_course.families` holds the others.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

# ------------------------------------------------------------------------------ history


class History:
    """Per-step metrics of a run: `history["d_loss"]` is a NumPy array, `history.step` the count."""

    def __init__(self, records: dict | None = None) -> None:
        self.records: dict[str, list[float]] = {
            k: [float(x) for x in (v.tolist() if isinstance(v, Tensor) else v)]
            for k, v in (records or {}).items()
        }

    @property
    def step(self) -> int:
        return len(self.records.get("step", []))

    def log(self, **metrics: float) -> None:
        for key, value in metrics.items():
            self.records.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> np.ndarray:
        return np.asarray(self.records[key])

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def keys(self):
        return self.records.keys()

    def logged(self) -> list[str]:
        """The metrics the step logs, in the order it first logged them ("step" left out)."""
        return [k for k in self.records if k != "step"]

    def last(self, key: str, n: int = 1) -> float:
        """Mean of the last `n` values of `key`."""
        return float(np.mean(self.records[key][-n:]))

    def summary(self, n: int = 50) -> str:
        keys = self.logged()
        values = "  ".join(f"{k}={self.last(k, n):.3f}" for k in keys)
        return f"step {self.step}: {values}" if keys else "empty history"

    def __repr__(self) -> str:
        return f"History({self.summary(1)})"


# ------------------------------------------------------------------------------ the state


@dataclass
class TrainState:
    """What a step and the callbacks see: named networks and optimizers, the history, and more.

    A name in `nets` or `optimizers` is also an attribute: `state.generator` is
    `state.nets["generator"]`, `state.d_optimizer` is `state.optimizers["d_optimizer"]`.
    """

    nets: dict[str, nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]
    history: History = field(default_factory=History)
    config: object = None  # the family's config (a dataclass): saved with checkpoints
    data: object = None  # the training data as given
    batches: Iterator | None = None  # the data, batch after batch, for the step to draw from
    device: torch.device | None = None
    steps: int = 0  # where this run stops: `fit` sets it
    interrupted: bool = False
    extra: dict = field(default_factory=dict)  # room for steps and callbacks to keep things

    def __getattr__(self, name: str):
        for table in ("nets", "optimizers"):  # only reached when normal lookup fails
            found = self.__dict__.get(table, {})
            if name in found:
                return found[name]
        raise AttributeError(
            f"TrainState has no {name!r}; its nets are {list(self.__dict__.get('nets', {}))} "
            f"and its optimizers {list(self.__dict__.get('optimizers', {}))}"
        )


# ------------------------------------------------------------------------------ the loop


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; `.history` holds the run up to that point."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


def as_metrics(result, loss_key: str = "loss") -> dict[str, float]:
    """A step may return a dict of metrics or just its loss (a float or a 0-d tensor)."""
    if isinstance(result, dict):
        return {k: float(v) for k, v in result.items()}
    if isinstance(result, Tensor | float | int):
        return {loss_key: float(result)}
    raise TypeError(f"a training step returned {type(result).__name__}; return a dict or a loss")


def stop_if_diverged(metrics: dict[str, float], history: History, who: str = "") -> None:
    """Raise `TrainingDiverged` when a logged loss (a key ending in "loss") is NaN or inf.

    A step may call it between its updates (the classic GAN does, after D's step), so that a
    broken network does not teach the other one; `fit` calls it on what every step returns.
    """
    bad = {k: v for k, v in metrics.items() if k.endswith("loss") and not math.isfinite(v)}
    if not bad:
        return
    names = ", ".join(bad)
    stepped = (
        f" {who} has just stepped on a NaN gradient, so its weights are broken:" if who else ""
    )
    raise TrainingDiverged(
        f"training stopped at step {history.step + 1}: {names} is not finite ({bad}). Usual "
        "causes: a learning rate too high, or a log taken of probabilities (log(sigmoid(x))) "
        "instead of softplus on logits. The history up to here is in err.history."
        f"{stepped} reload a Checkpoint.",
        history,
    )


def fit(
    step: Callable[[TrainState], dict],
    state: TrainState,
    steps: int,
    callbacks: Sequence = (),
    *,
    resume_from: str | os.PathLike | None = None,
) -> History:
    """Call `step(state)` until the run has `steps` steps; log, watch and return the history.

    `resume_from` first restores the nets, optimizers and history of a checkpoint, so the run
    continues up to `steps`. Ctrl-C (or the stop button) ends the run early and keeps
    everything (`state.interrupted` is then True); a NaN or infinite loss raises
    `TrainingDiverged`. Callbacks see `on_train_begin`, `on_step_end` after each step and
    `on_train_end` (also after an interruption or an error).
    """
    if resume_from is not None:
        state.history = load_checkpoint(resume_from, state)
    state.steps = steps
    history = state.history
    for net in state.nets.values():
        net.train()
    try:
        for cb in callbacks:
            cb.on_train_begin(state)
        while history.step < steps:
            metrics = as_metrics(step(state))
            stop_if_diverged(metrics, history)
            history.log(step=history.step + 1, **metrics)
            for cb in callbacks:
                cb.on_step_end(state)
    except KeyboardInterrupt:
        state.interrupted = True
        print(f"Interrupted at step {history.step}/{steps}: models and history are kept.")
    finally:
        for cb in callbacks:
            cb.on_train_end(state)
    return history


# ------------------------------------------------------------------------------ checkpoints

CHECKPOINT_FORMAT = "gan-course-checkpoint-v2"
OLD_FORMAT = "gan-course-checkpoint-v1"  # one generator, one discriminator: still read


class CheckpointError(RuntimeError):
    """A checkpoint file is corrupt, not ours, or made for other networks."""


def checkpoint_payload(state: TrainState, history_dtype=torch.float64) -> dict:
    """What a checkpoint holds: every net with its hparams, every optimizer, config, history.

    The history is kept in float64, so a resumed run's history equals the one it continues."""
    config = state.config
    history = state.history.records
    return {
        "format": CHECKPOINT_FORMAT,
        "nets": {name: net.state_dict() for name, net in state.nets.items()},
        "hparams": {name: getattr(net, "hparams", None) for name, net in state.nets.items()},
        "optimizers": {name: opt.state_dict() for name, opt in state.optimizers.items()},
        "config": asdict(config) if is_dataclass(config) else None,
        "history": {k: torch.tensor(v, dtype=history_dtype) for k, v in history.items()},
    }


def write_atomically(payload: dict, path: str | os.PathLike) -> Path:
    """`torch.save` to a temporary file, then rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def save_checkpoint(path: str | os.PathLike, state: TrainState) -> Path:
    """Write the run's nets, optimizers, config and history to `path`, atomically."""
    return write_atomically(checkpoint_payload(state), path)


def _upgrade(payload: dict) -> dict:
    """A v1 checkpoint (the four keys of lessons 05-10 before `fit`) in the v2 layout."""
    return {
        "format": CHECKPOINT_FORMAT,
        "nets": {k: payload[k] for k in ("generator", "discriminator")},
        "hparams": {k: payload.get(f"{k}_hparams") for k in ("generator", "discriminator")},
        "optimizers": {k: payload[k] for k in ("g_optimizer", "d_optimizer")},
        "config": payload.get("config"),
        "history": payload.get("history", {}),
    }


def read_checkpoint(path: str | os.PathLike) -> dict:
    """A checkpoint's contents, loaded safely (`weights_only=True`), in the v2 layout."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise CheckpointError(
            f"{path} is corrupt or not a checkpoint ({type(err).__name__}: {err})"
        ) from err
    if isinstance(payload, dict) and payload.get("format") == OLD_FORMAT:
        payload = _upgrade(payload)
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not a gan-course checkpoint")
    return payload


def load_checkpoint(path: str | os.PathLike, state: TrainState) -> History:
    """Restore `state`'s nets and optimizers from `path` (to resume it); return the history.

    The file must hold exactly the nets and optimizers of `state`, each built the same way
    (same hparams, same parameter shapes): otherwise `CheckpointError` says what differs.
    Networks are loaded on the device they are on.
    """
    payload = read_checkpoint(path)
    for table in ("nets", "optimizers"):
        saved, mine = set(payload[table]), set(getattr(state, table))
        if saved != mine:
            raise CheckpointError(
                f"{path} holds {table} {sorted(saved)}, this run has {sorted(mine)}: "
                "it was made by another kind of training"
            )
    _load_nets(path, payload, state.nets)
    for name, optimizer in state.optimizers.items():
        try:
            optimizer.load_state_dict(payload["optimizers"][name])
        except (ValueError, KeyError) as err:
            raise CheckpointError(f"{path}: its {name} does not fit this optimizer: {err}") from err
    saved_config = payload.get("config") or {}
    mine = asdict(state.config) if is_dataclass(state.config) else {}
    changed = {k: (v, mine[k]) for k, v in saved_config.items() if k in mine and mine[k] != v}
    changed.pop("steps", None)  # a resumed run usually goes further: not worth a note
    if changed:
        print(f"note: {path} was trained with other settings: {changed} (saved, now)")
    return History(payload["history"])


def load_nets(path: str | os.PathLike, **nets: nn.Module) -> History:
    """Load some of a checkpoint's networks by name, e.g. `load_nets(path, generator=G)`;
    return the run's history. Optimizers are left alone: to continue training, resume instead
    (`fit(..., resume_from=path)`)."""
    payload = read_checkpoint(path)
    missing = sorted(set(nets) - set(payload["nets"]))
    if missing:
        raise CheckpointError(f"{path} holds no {missing}: it holds {sorted(payload['nets'])}")
    _load_nets(path, payload, nets)
    return History(payload["history"])


def _load_nets(path, payload: dict, nets: dict[str, nn.Module]) -> None:
    for name, net in nets.items():
        saved, built = payload["hparams"].get(name), getattr(net, "hparams", None)
        if saved is not None and built is not None and saved != built:
            raise CheckpointError(f"{path} holds a {name} built with {saved}, this one has {built}")
        try:
            net.load_state_dict(payload["nets"][name])
        except RuntimeError as err:
            raise CheckpointError(f"{path}: its {name} does not fit this network:\n{err}") from err
