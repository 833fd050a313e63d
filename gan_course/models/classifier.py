"""A small digit classifier: the judge behind the digit metrics of `gan_course.metrics`.

FID (Heusel et al. 2017) compares generated and real images in the feature space of a
classifier, Inception v3 trained on ImageNet. For 16x16 digits that network is far too big and
knows nothing of digits, so the course trains its own (`python -m
gan_course.assets.train_classifier`) and ships the weights: two conv blocks, then a
64-unit layer whose activations are the *features* the metrics compare, then the class logits.
"""

from __future__ import annotations

from torch import Tensor, nn


class DigitsClassifier(nn.Module):
    """Digits (N, 1, 16, 16) in [-1, 1] -> class logits (N, 10).

    `features(x)` gives the penultimate activations (N, num_features): what Fréchet distance,
    precision and recall compare.
    """

    def __init__(
        self,
        width: int = 16,  # channels of the first conv block (the second has twice as many)
        num_features: int = 64,  # size of the feature vector the metrics use
        n_classes: int = 10,
    ) -> None:
        super().__init__()
        self.num_features = num_features  # torchmetrics reads this instead of probing the net
        self.body = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1),  # (N, w, 16, 16)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (N, w, 8, 8)
            nn.Conv2d(width, 2 * width, 3, padding=1),  # (N, 2w, 8, 8)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (N, 2w, 4, 4)
            nn.Flatten(),  # (N, 2w * 16)
            nn.Linear(2 * width * 16, num_features),  # (N, F)
            nn.ReLU(),
        )
        self.head = nn.Sequential(
            nn.Dropout(0.3),  # only while training: regularises the features too
            nn.Linear(num_features, n_classes),  # (N, 10): logits, no softmax
        )

    def features(self, x: Tensor) -> Tensor:
        """Images (N, 1, 16, 16) -> penultimate features (N, num_features), all >= 0."""
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))
