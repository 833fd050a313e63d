"""The networks of the course, one file a family."""

from .classifier import DigitsClassifier
from .conditional import ConcatDiscriminator, ConditionalGenerator, ProjectionDiscriminator
from .dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_init
from .mlp import MLPDiscriminator, MLPGenerator
from .shapes import print_shapes

__all__ = [
    "ConcatDiscriminator",
    "ConditionalGenerator",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "DigitsClassifier",
    "MLPDiscriminator",
    "MLPGenerator",
    "ProjectionDiscriminator",
    "dcgan_init",
    "print_shapes",
]
