"""Small weights the course trained itself, each with the recipe that made it.

* `digits_classifier.pt`: `gan_course.models.classifier.DigitsClassifier` trained on the
  bundled digits' train split (`gan_course.assets.train_classifier`).
* `ring_gan_05.pt`, `dcgan_digits_07.pt`, `conditional_gan_10.pt`, `lapgan_digits_11.pt`:
  lessons 05, 07, 10 and 11 after the lesson's own full training run, and
  `conditional_concat_10.pt`, lesson 10's second run (the concatenation discriminator's). A
  lesson loads them instead of training when `gan_course.runtime.use_pretrained()` is True.
* `checksums.json`: the SHA-256 of each file, checked by `verified_path` before anything
  loads. Its keys are the list of files the course ships.

`python -m gan_course.assets.make_weights NAME` remakes any of them, seeded, on one CPU thread;
its table of recipes (`make_weights.RECIPES`) is the one place that says how each was made.

A lesson's weights file is a checkpoint of `gan_course.loop` (read with `weights_only=True`:
tensors, numbers, strings, lists and dicts; no code), the named-nets format of every run:

    format            "gan-course-checkpoint-v2"
    nets              {name: state_dict}: "generator", "discriminator" (lesson 11's LAPGAN:
                      "generator", and a discriminator a level, "d8" and "d16")
    hparams           {name: the arguments the network was built with}
    optimizers        {name: state_dict}: those a lesson resumes from (lesson 05's), else {}
    config            the run's TrainConfig as a dict
    history           {metric: float32 tensor (steps,)}: what the run's History held
    made_by           the command that remakes the file

and, where the lesson looks back at its run, `snapshots` (lesson 05: {step: {net name:
state_dict}}) and `progression` (lesson 07: {step: images (16, 1, 16, 16)} of one fixed batch of
noise). A file that holds a whole run (nets and optimizers) resumes like any checkpoint:
`pretrained_checkpoint` writes it where a learner's run can continue from it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import torch
from torch import nn

from ..loop import CHECKPOINT_FORMAT, History

ASSETS_DIR = Path(__file__).resolve().parent
CHECKSUMS = "checksums.json"


def shipped(folder: Path = ASSETS_DIR) -> list[str]:
    """The weights files the course ships: those `checksums.json` vouches for."""
    try:
        return sorted(json.loads((Path(folder) / CHECKSUMS).read_text()))
    except (OSError, ValueError):
        return []


def remake_command(name: str) -> str:
    """The command that remakes weights file `name`."""
    return f"python -m gan_course.assets.make_weights {name}"


def sha256(path: Path) -> str:
    """The SHA-256 of a file, as hex: what checksums.json records."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def record_checksum(path: Path, folder: Path = ASSETS_DIR) -> None:
    """Write `path`'s SHA-256 into `folder`/checksums.json, keeping the other files' entries."""
    table_path = Path(folder) / CHECKSUMS
    table = json.loads(table_path.read_text()) if table_path.is_file() else {}
    table[Path(path).name] = sha256(path)
    table_path.write_text(json.dumps(dict(sorted(table.items())), indent=2) + "\n")


class AssetError(RuntimeError):
    """A shipped weights file is missing, corrupt, or not the one its checksum names."""


def verified_path(name: str, folder: Path = ASSETS_DIR) -> Path:
    """The path of asset `name` in `folder`, after checking its SHA-256 against checksums.json."""
    path, remake = Path(folder) / name, remake_command(name)
    if not path.is_file():
        raise AssetError(f"{path} is missing. Make it with `{remake}`.")
    try:
        expected = json.loads((Path(folder) / CHECKSUMS).read_text())[name]
    except (OSError, ValueError, KeyError) as err:
        raise AssetError(
            f"no checksum for {name} in {folder}/checksums.json ({type(err).__name__}: {err}). "
            f"`{remake}` writes both files."
        ) from err
    actual = sha256(path)
    if actual != expected:
        raise AssetError(
            f"{path} does not match its checksum (sha256 {actual[:12]}…, expected "
            f"{expected[:12]}…): the file is corrupt or was changed. Remake it with `{remake}` "
            "(or restore it with git)."
        )
    return path


# ------------------------------------------------------------------------------ loading


def read_pretrained(name: str, folder: Path | None = None, map_location="cpu") -> dict:
    """Everything in weights file `name`, checksum verified, loaded with `weights_only=True`.

    A plain state_dict (`digits_classifier.pt`) comes back as it is; a lesson's file as the
    dict described in this module's docstring. Raises `AssetError` when the file is missing,
    fails its checksum, or cannot be read.
    """
    path = verified_path(name) if folder is None else verified_path(name, folder)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # a truncated zip, a pickle that is not ours, ...
        raise AssetError(
            f"{path} could not be read ({type(err).__name__}: {err}): the file is corrupt. "
            f"Remake it with `{remake_command(name)}` "
            "(or restore it with git)."
        ) from err


def _state_dict(name: str, payload: dict, key: str) -> dict:
    """The state_dict at `key` ("generator", "snapshots/1000/generator", ...) of a file."""
    if payload.get("format") != CHECKPOINT_FORMAT:
        if all(isinstance(v, torch.Tensor) for v in payload.values()):
            return payload  # a plain state_dict: the file holds one model only
        raise AssetError(f"{name} is not a gan-course weights file (no format {CHECKPOINT_FORMAT})")
    parts = key.split("/")
    node = payload if len(parts) > 1 else payload["nets"]  # "generator" is a net's name
    for part in parts:
        if isinstance(node, dict) and part not in node and part.isdigit():
            part = int(part)  # snapshot steps are stored as ints
        if not isinstance(node, dict) or part not in node:
            keys = sorted(map(str, node)) if isinstance(node, dict) else []
            raise AssetError(f"{name} holds no {key!r} (at {part!r} it holds {keys})")
        node = node[part]
    return node


def _mismatch(state: dict, model: nn.Module) -> str:
    """What differs between a state_dict and `model`'s: keys and shapes ("" when it fits)."""
    mine = model.state_dict()
    missing = [k for k in mine if k not in state]
    unexpected = [k for k in state if k not in mine]
    shapes = [
        f"{k}: file {tuple(state[k].shape)}, model {tuple(mine[k].shape)}"
        for k in mine
        if k in state and state[k].shape != mine[k].shape
    ]
    parts = [
        f"missing keys {missing}" if missing else "",
        f"unexpected keys {unexpected}" if unexpected else "",
        f"shape mismatches: {'; '.join(shapes)}" if shapes else "",
    ]
    return "; ".join(p for p in parts if p)


def load_pretrained(
    name: str,
    model: nn.Module,
    device=None,
    *,
    key: str = "generator",
    folder: Path | None = None,
) -> nn.Module:
    """Load the weights `key` of file `name` into `model`; return `model`, in eval mode.

    `name` is a file in `gan_course/assets` (see `shipped`); its checksum is verified first.
    `key` picks a network in a lesson's file: "generator" (the default), "discriminator" ("d8",
    "d16" in lesson 11's), or "snapshots/1000/generator". `device` (default: where `model`
    already is) is where the weights are mapped and the model moved. Raises `AssetError` when
    the file is missing, corrupt or changed (naming the command that remakes it), and when the
    weights do not fit `model` (naming the keys and shapes that differ).
    """
    params = [*model.parameters(), *model.buffers()]
    device = torch.device(device) if device is not None else (params[0].device if params else "cpu")
    payload = read_pretrained(name, folder, map_location=device)
    state = _state_dict(name, payload, key)
    problem = _mismatch(state, model)
    if problem:
        built = (
            payload.get("hparams", {}).get(key.rsplit("/", 1)[-1]) if "format" in payload else None
        )
        mine = getattr(model, "hparams", None)
        hint = f" The file's was built with {built}; this one with {mine}." if built else ""
        raise AssetError(
            f"{name}: {key!r} does not fit this {type(model).__name__}: {problem}.{hint} "
            "Build the network as the lesson does (recipes: gan_course/assets/make_weights.py)."
        )
    model.load_state_dict(state)
    return model.to(device).eval()


def pretrained_history(name: str, folder: Path | None = None) -> History:
    """The training history stored in lesson file `name`."""
    payload = read_pretrained(name, folder)
    if not isinstance(payload, dict) or "history" not in payload:
        raise AssetError(f"{name} holds no training history")
    return History(payload["history"])


def pretrained_checkpoint(name: str, path, folder: Path | None = None) -> Path:
    """Copy lesson file `name` (checksum verified) to `path`, where `load_nets`, or
    `train_gan(..., resume_from=path)` for a file with its optimizers (`ring_gan_05.pt`),
    treat it as any checkpoint of yours; return `path`."""
    payload = read_pretrained(name, folder)
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise AssetError(f"{name} is not a run's checkpoint")
    source = verified_path(name) if folder is None else verified_path(name, folder)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, path)
    return path
