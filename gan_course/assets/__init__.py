"""Small weights the course trained itself, each with the script that made it.

* `digits_classifier.pt`: `gan_course.models.classifier.DigitsClassifier` trained on the
  bundled digits' train split by `python -m gan_course.assets.train_classifier`.
* `checksums.json`: the SHA-256 of each file, checked by `verified_path` before anything loads.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent
SCRIPTS = {"digits_classifier.pt": "python -m gan_course.assets.train_classifier"}


def sha256(path: Path) -> str:
    """The SHA-256 of a file, as hex: what checksums.json records."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class AssetError(RuntimeError):
    """A shipped weights file is missing, corrupt, or not the one its checksum names."""


def verified_path(name: str, folder: Path = ASSETS_DIR) -> Path:
    """The path of asset `name` in `folder`, after checking its SHA-256 against checksums.json."""
    path, remake = Path(folder) / name, SCRIPTS.get(name, "the script that made it")
    if not path.is_file():
        raise AssetError(f"{path} is missing. Make it with `{remake}`.")
    try:
        expected = json.loads((Path(folder) / "checksums.json").read_text())[name]
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
