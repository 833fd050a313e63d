"""The networks of the course, one file a family."""

from .mlp import MLPDiscriminator, MLPGenerator
from .shapes import print_shapes

__all__ = ["MLPDiscriminator", "MLPGenerator", "print_shapes"]
