"""The networks of the course, one file a family."""

from .classifier import DigitsClassifier
from .mlp import MLPDiscriminator, MLPGenerator
from .shapes import print_shapes

__all__ = ["DigitsClassifier", "MLPDiscriminator", "MLPGenerator", "print_shapes"]
