"""Train the digit classifier whose weights ship in this folder.

    python -m gan_course.assets.train_classifier          # under half a minute on one core

It trains `DigitsClassifier` on the bundled digits' train split (1,438 images, 16x16), with
small random rotations, scalings and shifts as augmentation, reports its accuracy on the
held-out test split (359 images; it must reach 95 %), and writes `digits_classifier.pt` (a
state_dict, loaded with `torch.load(..., weights_only=True)`) and its SHA-256 into
`checksums.json` (which `gan_course.metrics.load_digits_classifier` checks; the other files'
entries are kept). Seeded and run on one CPU thread, so a rerun on the same machine gives the
same weights. `python -m gan_course.assets.make_weights digits_classifier.pt` runs it too.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from ..data import digits_with_labels
from ..models.classifier import DigitsClassifier
from . import ASSETS_DIR, CHECKSUMS, record_checksum

WEIGHTS = "digits_classifier.pt"
MIN_ACCURACY = 0.95


def augment(images: Tensor, generator: torch.Generator) -> Tensor:
    """Random rotation (±10°), scaling (±10 %) and shift (±1.5 px) of images (N, 1, H, W)."""
    n, _, h, _ = images.shape
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(10)
    scale = 1 + (torch.rand(n, generator=generator) * 2 - 1) * 0.1
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * 1.5 * 2 / h  # pixels -> [-1, 1]
    cos, sin = angle.cos() / scale, angle.sin() / scale
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )  # (N, 2, 3)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    # grid_sample pads with 0, but our background is -1: shift to [0, 2] and back
    return F.grid_sample(images + 1, grid, align_corners=False) - 1


@torch.no_grad()
def accuracy(model: DigitsClassifier, images: Tensor, labels: Tensor) -> float:
    model.eval()
    return (model(images).argmax(1) == labels).float().mean().item()


def train(epochs: int = 60, batch_size: int = 64, seed: int = 0) -> DigitsClassifier:
    """A DigitsClassifier trained on the train split; prints the test accuracy as it goes."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    images, labels = digits_with_labels(16, "train")  # (1438, 1, 16, 16), (1438,)
    test_images, test_labels = digits_with_labels(16, "test")
    model = DigitsClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(images), batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(augment(images[batch], generator)), labels[batch])
            loss.backward()
            optimizer.step()
        schedule.step()
        if epoch % 10 == 0 or epoch == epochs:
            test_acc = accuracy(model, test_images, test_labels)
            print(f"epoch {epoch:3d}: loss {loss.item():.3f}, test accuracy {test_acc:.2%}")
    return model.eval()


def save(model: DigitsClassifier, folder: Path = ASSETS_DIR) -> Path:
    """Write the state_dict into `folder`, and its checksum into `folder`/checksums.json."""
    path = folder / WEIGHTS
    torch.save(model.state_dict(), path)
    record_checksum(path, folder)
    return path


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ASSETS_DIR, help="folder for the weights")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # one thread: the same arithmetic, so the same weights, every run
    model = train(args.epochs, seed=args.seed)
    test_acc = accuracy(model, *digits_with_labels(16, "test"))
    if test_acc < MIN_ACCURACY:
        raise SystemExit(f"test accuracy {test_acc:.2%} < {MIN_ACCURACY:.0%}: weights not saved")
    path = save(model, args.out)
    size = path.stat().st_size / 1024
    print(f"held-out accuracy {test_acc:.2%}; wrote {path} ({size:.0f} KiB) and {CHECKSUMS}")
    return path


if __name__ == "__main__":
    main()
