r"""DCGAN: convolutional generator and discriminator (Radford, Metz & Chintala 2015).

The paper's guidelines for a stable convolutional GAN, all followed here:

* no pooling: the discriminator halves the resolution with **strided convolutions**, the generator
  doubles it with **transposed convolutions** (fractionally strided);
* **BatchNorm** in both networks, except at the generator's output and the discriminator's input;
* **ReLU** in the generator with **Tanh** at its output; **LeakyReLU(0.2)** in the discriminator;
* no fully connected hidden layers; weights drawn from $\mathcal{N}(0, 0.02)$ (`dcgan_init`).

Output sizes along one spatial axis, for input size $n$, kernel $k$, stride $s$, padding $p$:

$$n_{\text{conv}} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1, \qquad
n_{\text{transposed}} = (n - 1)\,s - 2p + k.$$

Every layer here uses $k=4, s=2, p=1$, which exactly halves ($\lfloor (n - 2)/2 \rfloor + 1 = n/2$)
or doubles ($2(n - 1) - 2 + 4 = 2n$) an even size, except the first layer of G, $k=4, s=1, p=0$ on a
$1\times1$ input ($0 - 0 + 4 = 4$), and the last of D, $k=4, s=1, p=0$ on $4\times4$ (one logit).

The block builders `project_block`, `up_block`, `to_image`, `down_block` and `to_logit` are the
public pieces other families reuse (the conditional DCGAN of `gan_course.models.conditional`):
their names and signatures are stable.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..data import latent_noise


def conv_output_size(n: int, kernel: int = 4, stride: int = 2, padding: int = 1) -> int:
    r"""Size after `nn.Conv2d`: $\lfloor (n + 2p - k) / s \rfloor + 1$."""
    return (n + 2 * padding - kernel) // stride + 1


def conv_transpose_output_size(n: int, kernel: int = 4, stride: int = 2, padding: int = 1) -> int:
    r"""Size after `nn.ConvTranspose2d` (no output_padding): $(n - 1)s - 2p + k$."""
    return (n - 1) * stride - 2 * padding + kernel


def _check_size(image_size: int) -> int:
    """The number of doublings from 4x4 to `image_size`, which must be a power of two >= 8."""
    doublings = round(math.log2(image_size)) - 2 if image_size > 0 else 0
    if image_size < 8 or 2 ** (doublings + 2) != image_size:
        raise ValueError(
            f"image_size must be a power of two >= 8 (8, 16, 32, 64), not {image_size}"
        )
    return doublings


# ---------------------------------------------------------------------------- blocks


def project_block(latent_dim: int, c_out: int) -> nn.Sequential:
    """G's first block: z as (N, latent_dim, 1, 1) -> (N, c_out, 4, 4), then BatchNorm, ReLU.

    A transposed convolution with k=4, s=1, p=0 on a 1x1 input is a fully connected layer to a
    4x4 map; the paper calls it "project and reshape".
    """
    return nn.Sequential(
        nn.ConvTranspose2d(latent_dim, c_out, 4, 1, 0, bias=False),  # (N, c_out, 4, 4)
        nn.BatchNorm2d(c_out),  # BatchNorm's own shift replaces the conv's bias
        nn.ReLU(),
    )


def up_block(c_in: int, c_out: int) -> nn.Sequential:
    """(N, c_in, H, W) -> (N, c_out, 2H, 2W): transposed conv (k=4, s=2, p=1), BatchNorm, ReLU."""
    return nn.Sequential(
        nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),  # (N, c_out, 2H, 2W)
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
    )


def to_image(c_in: int, channels: int = 1) -> nn.Sequential:
    """G's last block: (N, c_in, H, W) -> images (N, channels, 2H, 2W) in [-1, 1].

    No BatchNorm here: the output must be free to take the data's own mean and spread.
    """
    return nn.Sequential(
        nn.ConvTranspose2d(c_in, channels, 4, 2, 1),  # (N, channels, 2H, 2W)
        nn.Tanh(),  # the data is scaled to [-1, 1]
    )


def down_block(c_in: int, c_out: int, batchnorm: bool = True) -> nn.Sequential:
    """(N, c_in, H, W) -> (N, c_out, H/2, W/2): strided conv (k=4, s=2, p=1), BatchNorm, LeakyReLU.

    `batchnorm=False` for D's first block (the paper leaves the input layer unnormalised) and for
    critics that must judge each sample on its own (WGAN-GP's gradient penalty, lesson 09).
    """
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, 4, 2, 1, bias=not batchnorm)  # (N, c_out, H/2, W/2)
    ]
    if batchnorm:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(nn.LeakyReLU(0.2))  # slope 0.2 as in the paper
    return nn.Sequential(*layers)


def to_logit(c_in: int) -> nn.Conv2d:
    """D's last layer: (N, c_in, 4, 4) -> (N, 1, 1, 1), one logit per image (no sigmoid)."""
    return nn.Conv2d(c_in, 1, 4, 1, 0)


def down_stack(c_in: int, image_size: int, width: int, batchnorm: bool = True) -> nn.Sequential:
    """D's feature stack: (N, c_in, S, S) -> (N, C, 4, 4), halving the size at every block.

    `width` channels after the first block, doubled at every halving: C = `dcgan_widths(S,
    width)[0]`. The first block has no BatchNorm (the paper leaves the input layer unnormalised).
    The DCGAN discriminator, the conditional ones and lesson 09's critics all start with it.
    """
    widths = dcgan_widths(image_size, width)[::-1]  # e.g. [32, 64] for 16x16
    blocks = [down_block(c_in, widths[0], batchnorm=False)]
    blocks += [down_block(a, b, batchnorm) for a, b in zip(widths[:-1], widths[1:], strict=True)]
    return nn.Sequential(*blocks)


def dcgan_widths(image_size: int, width: int) -> list[int]:
    """Channels at 4x4, 8x8, ... up to image_size/2: `width` at image_size/2, doubling inwards.

    The layout of pytorch/examples' dcgan (64x64 with ngf=64: 512, 256, 128, 64). D uses the same
    list reversed, so the two networks mirror each other.
    """
    doublings = _check_size(image_size)
    return [width * 2 ** (doublings - 1 - i) for i in range(doublings)]


# ---------------------------------------------------------------------------- networks


class DCGANGenerator(nn.Module):
    """Noise (N, latent_dim) -> images (N, channels, image_size, image_size) in [-1, 1].

    For image_size 16 and width 32: z -> (N, 64, 4, 4) -> (N, 32, 8, 8) -> (N, 1, 16, 16).
    """

    def __init__(
        self,
        latent_dim: int = 32,  # size of the noise vector z
        channels: int = 1,  # image channels: 1 for digits, 3 for colour
        image_size: int = 16,  # a power of two >= 8
        width: int = 32,  # channels of the last hidden map (image_size/2); doubled per step in
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.image_shape = (channels, image_size, image_size)
        self.hparams = dict(
            latent_dim=latent_dim, channels=channels, image_size=image_size, width=width
        )
        widths = dcgan_widths(image_size, width)  # e.g. [64, 32] for 16x16
        blocks = [project_block(latent_dim, widths[0])]  # (N, widths[0], 4, 4)
        blocks += [up_block(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True)]
        blocks.append(to_image(widths[-1], channels))  # (N, channels, image_size, image_size)
        self.net = nn.Sequential(*blocks)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(
            z.view(len(z), self.latent_dim, 1, 1)
        )  # z as a 1x1 map with latent_dim channels

    def sample_noise(self, n: int, device=None, generator: torch.Generator | None = None):
        """z ~ N(0, I), shape (n, latent_dim)."""
        return latent_noise(n, self.latent_dim, device, generator)


class DCGANDiscriminator(nn.Module):
    """Images (N, channels, image_size, image_size) in [-1, 1] -> real/fake logits (N,).

    For image_size 16 and width 32: (N, 1, 16, 16) -> (N, 32, 8, 8) -> (N, 64, 4, 4) -> (N,).
    `features` ends at the 4x4 map and `head` turns it into the logit, so a variant can reuse the
    features (a projection discriminator, a critic without BatchNorm).
    """

    def __init__(
        self,
        channels: int = 1,  # image channels
        image_size: int = 16,  # a power of two >= 8
        width: int = 32,  # channels after the first layer; doubled at every halving
        batchnorm: bool = True,  # False for critics with a gradient penalty (lesson 09)
    ) -> None:
        super().__init__()
        self.image_shape = (channels, image_size, image_size)
        self.hparams = dict(
            channels=channels, image_size=image_size, width=width, batchnorm=batchnorm
        )
        self.features = down_stack(channels, image_size, width, batchnorm)  # (N, C, 4, 4)
        self.head = to_logit(dcgan_widths(image_size, width)[0])  # (N, 1, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).flatten()  # (N,): a logit, not a probability


def dcgan_init(module: nn.Module) -> None:
    """The DCGAN initialisation, for `net.apply(dcgan_init)` (Radford et al. 2015, section 4).

    Conv, transposed-conv and linear weights ~ N(0, 0.02); BatchNorm scales ~ N(1, 0.02);
    every bias 0. As in pytorch/examples' dcgan `weights_init`.
    """
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d | nn.BatchNorm1d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
