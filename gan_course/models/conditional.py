r"""Conditional GANs: ask the generator for a class (Mirza & Osindero 2014).

A plain GAN learns $p(x)$; a *conditional* GAN learns $p(x \mid y)$ for a label $y$. Both players
get the label, and the game becomes

$$\min_G \max_D \; \mathbb{E}_{(x, y) \sim p_{data}}\big[\log D(x, y)\big]
+ \mathbb{E}_{z \sim p_z,\, y \sim p(y)}\big[\log\big(1 - D(G(z, y), y)\big)\big].$$

$D$ must now reject a good "3" that was asked to be a "7", so $G$ has to obey the label.

Two ways to give the label to the networks, both here:

* **concatenation** (Mirza & Osindero 2014): the generator reads $[z, \text{onehot}(y)]$
  (`conditional_input`, or a learned embedding instead of the one-hot), and the discriminator
  reads the image with one constant map per class stacked on its channels (`ConcatDiscriminator`);
* **projection** (Miyato & Koyama 2018): the discriminator computes features $\phi(x)$ of the
  image alone and adds the inner product of a class embedding with them,
  $\ell(x, y) = \psi(\phi(x)) + \langle e_y, \phi(x) \rangle$ (`ProjectionDiscriminator`).

The networks are lesson 07's DCGAN blocks with the label added. `ask_for` makes digits of one
class; `class_interpolation` walks from one class to another at fixed noise. Whether the digits
are the ones asked for is measured in `gan_course.metrics` (`label_accuracy`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data import latent_noise
from ..runtime import device_of
from .dcgan import dcgan_widths, down_stack, project_block, to_image, to_logit, up_block

# ---------------------------------------------------------------------------- the generator


def conditional_input(z: Tensor, labels: Tensor, n_classes: int) -> Tensor:
    """z (N, latent_dim) and labels (N,) -> [z, onehot(y)], shape (N, latent_dim + n_classes)."""
    one_hot = F.one_hot(labels, num_classes=n_classes).float()  # (N, n_classes): 1 at the label
    return torch.cat([z, one_hot], dim=1)  # along the features, not the batch


class ConditionalGenerator(nn.Module):
    """Noise z (N, latent_dim) and labels (N,) -> images (N, channels, image_size, image_size).

    The DCGAN generator of lesson 07 whose first block reads $[z, v_y]$, where $v_y$ is the
    one-hot of the label (`embed_dim=None`, as in Mirza & Osindero 2014) or a learned embedding
    of `embed_dim` numbers. A one-hot times the first layer's weights picks one column of them,
    exactly what an embedding lookup does; a separate embedding only factorises that column.
    For image_size 16, width 32: [z, v_y] -> (N, 64, 4, 4) -> (N, 32, 8, 8) -> (N, 1, 16, 16).
    """

    def __init__(
        self,
        latent_dim: int = 32,  # size of the noise vector z
        n_classes: int = 10,  # labels are 0 .. n_classes - 1
        channels: int = 1,  # image channels
        image_size: int = 16,  # a power of two >= 8
        width: int = 32,  # channels of the last hidden map; doubled per step inwards
        embed_dim: int | None = None,  # None: one-hot labels; else a learned embedding
    ) -> None:
        super().__init__()
        self.latent_dim, self.n_classes = latent_dim, n_classes
        self.image_shape = (channels, image_size, image_size)
        self.hparams = dict(
            latent_dim=latent_dim,
            n_classes=n_classes,
            channels=channels,
            image_size=image_size,
            width=width,
            embed_dim=embed_dim,
        )
        self.embed = nn.Embedding(n_classes, embed_dim) if embed_dim else None
        label_dim = embed_dim or n_classes
        widths = dcgan_widths(image_size, width)  # e.g. [64, 32] for 16x16
        blocks = [project_block(latent_dim + label_dim, widths[0])]  # (N, widths[0], 4, 4)
        blocks += [up_block(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True)]
        blocks.append(to_image(widths[-1], channels))  # (N, channels, image_size, image_size)
        self.net = nn.Sequential(*blocks)

    def label_vectors(self, labels: Tensor) -> Tensor:
        """Labels (N,) -> the vectors G reads, v_y (N, label_dim): one-hots or embeddings."""
        if self.embed is None:
            return F.one_hot(labels, num_classes=self.n_classes).float()
        return self.embed(labels)

    def generate(self, z: Tensor, label_vectors: Tensor) -> Tensor:
        """Images from z (N, latent_dim) and label vectors (N, label_dim), which may be mixed."""
        x = torch.cat([z, label_vectors], dim=1)  # (N, latent_dim + label_dim)
        return self.net(x.view(len(x), -1, 1, 1))  # a 1x1 map with that many channels

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        return self.generate(z, self.label_vectors(labels))

    def sample_noise(self, n: int, device=None, generator: torch.Generator | None = None):
        """z ~ N(0, I), shape (n, latent_dim)."""
        return latent_noise(n, self.latent_dim, device, generator)


# ---------------------------------------------------------------------------- discriminators


def label_maps(labels: Tensor, n_classes: int, size: int) -> Tensor:
    """Labels (N,) -> (N, n_classes, size, size): map y all ones, the others all zeros."""
    one_hot = F.one_hot(labels, num_classes=n_classes).float()  # (N, n_classes)
    return one_hot[:, :, None, None].expand(-1, -1, size, size)


class ConcatDiscriminator(nn.Module):
    """Images (N, channels, S, S) and labels (N,) -> logits (N,), the label stacked on the image.

    The first convolution sees `channels + n_classes` input maps: the image, and one constant
    map per class that is 1 for the asked class: Mirza & Osindero's concatenation, done the
    convolutional way.
    For S=16, width 32: (N, 1+10, 16, 16) -> (N, 32, 8, 8) -> (N, 64, 4, 4) -> (N,).
    """

    def __init__(
        self,
        n_classes: int = 10,
        channels: int = 1,
        image_size: int = 16,
        width: int = 32,  # channels after the first layer; doubled at every halving
        batchnorm: bool = True,  # as lesson 07's DCGAN discriminator
    ) -> None:
        super().__init__()
        self.n_classes = n_classes
        self.hparams = dict(
            n_classes=n_classes,
            channels=channels,
            image_size=image_size,
            width=width,
            batchnorm=batchnorm,
        )
        # lesson 07's feature stack, with n_classes more input maps: (N, C, 4, 4)
        self.features = down_stack(channels + n_classes, image_size, width, batchnorm)
        self.head = to_logit(dcgan_widths(image_size, width)[0])  # (N, 1, 1, 1): one logit

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        maps = label_maps(labels, self.n_classes, x.shape[-1])  # (N, n_classes, S, S)
        h = self.features(torch.cat([x, maps], dim=1))  # (N, C, 4, 4)
        return self.head(h).flatten()  # (N,)


def projection_logit(features: Tensor, labels: Tensor, psi: nn.Linear, embed: nn.Embedding):
    r"""$\ell(x, y) = \psi(\phi(x)) + \langle e_y, \phi(x) \rangle$ (Miyato & Koyama 2018).

    features (N, F) = $\phi(x)$; psi: Linear(F, 1), the unconditional "is it real?" term;
    embed: Embedding(n_classes, F), one vector $e_y$ per class. Returns logits (N,).
    """
    unconditional = psi(features).squeeze(1)  # (N,)
    class_term = (embed(labels) * features).sum(dim=1)  # (N,): <e_y, phi(x)>, one per sample
    return unconditional + class_term


class ProjectionDiscriminator(nn.Module):
    r"""Images (N, channels, S, S) and labels (N,) -> logits (N,), by projection.

    $\phi$ is lesson 07's DCGAN feature stack on the image alone, flattened to F numbers; the
    label enters only at the end, through $\langle e_y, \phi(x) \rangle$ (`projection_logit`).
    Miyato & Koyama (2018) derive this form from the log-likelihood ratio of a softmax model of
    $p(y \mid x)$: D asks "is it real?" ($\psi$) and "does it look like class y?" ($e_y$).
    For S=16, width 32: (N, 1, 16, 16) -> (N, 32, 8, 8) -> (N, 64, 4, 4) -> F = 1024 -> (N,).
    """

    def __init__(
        self,
        n_classes: int = 10,
        channels: int = 1,
        image_size: int = 16,
        width: int = 32,
        batchnorm: bool = True,
    ) -> None:
        super().__init__()
        self.n_classes = n_classes
        self.hparams = dict(
            n_classes=n_classes,
            channels=channels,
            image_size=image_size,
            width=width,
            batchnorm=batchnorm,
        )
        stack = down_stack(channels, image_size, width, batchnorm)  # (N, C, 4, 4)
        self.features = nn.Sequential(*stack, nn.Flatten())  # (N, F), F = C * 16
        n_features = dcgan_widths(image_size, width)[0] * 4 * 4
        self.psi = nn.Linear(n_features, 1)  # psi: the unconditional term
        self.embed = nn.Embedding(n_classes, n_features)  # e_y: one vector per class
        nn.init.normal_(self.embed.weight, 0.0, 0.02)  # as DCGAN's weights: N(0, 1) is far too big

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        return projection_logit(self.features(x), labels, self.psi, self.embed)  # (N,)


# ---------------------------------------------------------------------------- the lesson's tools


@torch.no_grad()
def ask_for(generator: ConditionalGenerator, digit: int, n: int) -> Tensor:
    """n images of class `digit`: fresh z for each, the same label for all. (n, C, H, W)."""
    device = device_of(generator)  # where its weights are: the noise goes there too
    z = generator.sample_noise(n, device)  # (n, latent_dim): a new z per image
    labels = torch.full((n,), digit, dtype=torch.long, device=device)  # class indices
    return generator(z, labels)


@torch.no_grad()
def class_interpolation(
    generator: ConditionalGenerator, z: Tensor, label_a: int, label_b: int, steps: int = 8
) -> Tensor:
    """Images (steps, C, H, W) at fixed noise `z` (latent_dim,) or (1, latent_dim), the label
    vector moving in a straight line from class `label_a` to class `label_b`."""
    device = device_of(generator)
    labels = torch.tensor([label_a, label_b], device=device)
    v_a, v_b = generator.label_vectors(labels)  # (label_dim,) each
    t = torch.linspace(0, 1, steps, device=device).unsqueeze(1)  # (steps, 1)
    vectors = (1 - t) * v_a + t * v_b  # (steps, label_dim)
    zs = z.to(device).view(1, -1).expand(steps, -1)  # the same noise in every image
    return generator.generate(zs, vectors)
