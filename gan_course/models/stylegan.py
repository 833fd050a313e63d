r"""StyleGAN (Karras, Laine & Aila 2019), small, and what StyleGAN2 (Karras et al. 2020) changed.

The generator no longer reads the noise at its input. A **mapping network** turns $z$ into an
intermediate latent $w$ (8 dense layers in the paper, fewer here); the **synthesis network**
starts from a learned **constant** $4 \times 4$ block and is *steered* by $w$ at every layer:

* **AdaIN** (StyleGAN): after each convolution, every feature map is normalised on its own
  (instance norm), then scaled and shifted by a **style**, two numbers per map computed from $w$
  by a learned affine layer $A$:
  $\mathrm{AdaIN}(x_i, y) = y_{s,i}\,\frac{x_i - \mu(x_i)}{\sigma(x_i)} + y_{b,i}$ (Eq. 1);
* **weight demodulation** (StyleGAN2): the style scales the convolution's *weights* instead,
  $w'_{ijk} = s_i\, w_{ijk}$ (input map $i$, output map $j$), and each output map's weights are
  divided by their norm, $w''_{ijk} = w'_{ijk} / \sqrt{\sum_{i,k} {w'_{ijk}}^2 + \epsilon}$: the
  statistics AdaIN's normalisation forced on the data are now assumed of the weights, which
  removes the "droplet" artefacts that AdaIN caused;
* **noise inputs**: one plane of fresh $\mathcal{N}(0, 1)$ noise a layer, added to every feature
  map with a learned per-map strength (zero at the start): the random details (where a hair goes)
  come from here, leaving $w$ the overall look;
* **style mixing**: every layer can get its own $w$. While training, part of each batch uses two
  (the coarse layers one latent's, the fine layers another's), so that neighbouring layers cannot
  rely on sharing a style;
* **truncation**: sampling from $w' = \bar w + \psi\,(w - \bar w)$, with $\bar w$ the average $w$
  seen in training, trades variety ($\psi = 1$) for typical, cleaner images ($\psi < 1$).

The layers here build on lesson 12's: equalised learning rate everywhere (the mapping network's
slowed down a hundredfold, as in the paper), pixel norm on $z$, lesson 12's discriminator with
its minibatch standard deviation.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data import latent_noise
from .progan import EqualizedConv2d, EqualizedLinear, PixelNorm, double

MODULATIONS = ("adain", "demod")

# ---------------------------------------------------------------------------- the pieces


def instance_norm(x: Tensor, eps: float = 1e-8) -> Tensor:
    """(N, C, H, W) -> the same, every feature map of every sample to mean 0 and variance 1."""
    centred = x - x.mean(dim=(2, 3), keepdim=True)
    return centred / torch.sqrt(centred.pow(2).mean(dim=(2, 3), keepdim=True) + eps)


def adain(x: Tensor, scale: Tensor, bias: Tensor) -> Tensor:
    """Adaptive instance norm: x (N, C, H, W) normalised map by map, then each map scaled and
    shifted by its sample's style, scale and bias (N, C)."""
    return scale[:, :, None, None] * instance_norm(x) + bias[:, :, None, None]


def modulate(weight: Tensor, styles: Tensor, demodulate: bool = True, eps: float = 1e-8) -> Tensor:
    """A convolution's weight (C_out, C_in, k, k) made per sample by styles (N, C_in): every
    input map's weights times its style, then (StyleGAN2) each output map's weights divided by
    their norm. Returns (N, C_out, C_in, k, k)."""
    modulated = weight[None] * styles[:, None, :, None, None]  # (N, C_out, C_in, k, k)
    if not demodulate:
        return modulated
    norm = torch.sqrt(modulated.pow(2).sum(dim=(2, 3, 4), keepdim=True) + eps)  # (N, C_out, 1,1,1)
    return modulated / norm


def truncate(w: Tensor, w_avg: Tensor, psi: float) -> Tensor:
    """The truncation trick in w: w' = w_avg + psi (w - w_avg). psi = 1 leaves w as it is,
    psi = 0 gives every sample the average w."""
    return w_avg + psi * (w - w_avg)


def mix_styles(w1: Tensor, w2: Tensor, crossover: int, n_layers: int) -> Tensor:
    """Per-layer styles (N, n_layers, w_dim) from two latents (N, w_dim): layers before
    `crossover` (the coarse ones) take w1, the rest (the fine ones) w2. `crossover` may also be
    a tensor (N, 1, 1), one crossover per sample (training's style mixing)."""
    layer = torch.arange(n_layers, device=w1.device)[None, :, None]  # (1, L, 1)
    return torch.where(layer < crossover, w1[:, None], w2[:, None])


class MappingNetwork(nn.Module):
    """z (N, latent_dim) -> w (N, w_dim): pixel norm, then `layers` dense layers with
    LeakyReLU, each learning 100 times slower (lr_mul 0.01) as in the paper. With 0 layers,
    w is the normalised z (the ablation without a mapping network)."""

    def __init__(self, latent_dim: int = 32, w_dim: int = 32, layers: int = 4) -> None:
        super().__init__()
        if layers == 0 and w_dim != latent_dim:
            raise ValueError("without mapping layers, w is z: w_dim must equal latent_dim")
        blocks: list[nn.Module] = [PixelNorm()]
        for i in range(layers):
            blocks += [EqualizedLinear(latent_dim if i == 0 else w_dim, w_dim, lr_mul=0.01)]
            blocks += [nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*blocks)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class NoiseInput(nn.Module):
    """x (N, C, H, W) + strength_c * noise, with noise one plane (N, 1, H, W) of N(0, 1) a
    sample, shared by the C maps, and strength learned per map (0 at the start)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.strength = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor, noise: Tensor | None = None) -> Tensor:
        if noise is None:
            noise = torch.randn(len(x), 1, *x.shape[2:], device=x.device)
        return x + self.strength[None, :, None, None] * noise


class StyleLayer(nn.Module):
    """One layer of the synthesis network: a 3x3 convolution steered by w, per-pixel noise,
    LeakyReLU. "adain": conv, noise, bias, LeakyReLU, then AdaIN with the style from w;
    "demod": the convolution's weights modulated by the style and demodulated, then noise,
    bias, LeakyReLU. `noise=False` leaves the noise out (the ablation without noise)."""

    def __init__(self, c_in: int, c_out: int, w_dim: int, modulation: str, noise: bool) -> None:
        super().__init__()
        if modulation not in MODULATIONS:
            raise ValueError(f"modulation must be one of {MODULATIONS}, not {modulation!r}")
        self.modulation = modulation
        self.weight = nn.Parameter(torch.randn(c_out, c_in, 3, 3))  # N(0, 1), equalised
        self.scale = 1 / math.sqrt(c_in * 9) * math.sqrt(2)
        self.bias = nn.Parameter(torch.zeros(c_out))
        style_maps = c_out if modulation == "adain" else c_in  # AdaIN styles the output maps
        self.style_scale = EqualizedLinear(w_dim, style_maps, gain=1, bias_init=1.0)  # A, y_s
        self.style_bias = EqualizedLinear(w_dim, c_out, gain=1) if modulation == "adain" else None
        self.noise = NoiseInput(c_out) if noise else None

    def forward(self, x: Tensor, w: Tensor, noise: Tensor | None = None) -> Tensor:
        weight = self.weight * self.scale
        if self.modulation == "adain":
            x = F.conv2d(x, weight, padding=1)
        else:  # one convolution per sample: its own weights, as grouped convolution
            n, c_in, height, width = x.shape
            per_sample = modulate(weight, self.style_scale(w))  # (N, C_out, C_in, 3, 3)
            x = F.conv2d(x.reshape(1, n * c_in, height, width), per_sample.flatten(0, 1),
                         padding=1, groups=n).view(n, -1, height, width)  # fmt: skip
        if self.noise is not None:
            x = self.noise(x, noise)
        x = F.leaky_relu(x + self.bias[None, :, None, None], 0.2)
        if self.modulation == "adain":
            x = adain(x, self.style_scale(w), self.style_bias(w))
        return x


# ---------------------------------------------------------------------------- the generator


class StyleGenerator(nn.Module):
    """z (N, latent_dim) -> images (N, channels, image_size, image_size) in [-1, 1].

    mapping: z -> w. synthesis: a learned constant (widths[0], 4, 4), then two `StyleLayer`s
    per resolution (4, 8, ..., image_size), doubling between them, each with its own style
    input: `n_styles` = 2 per resolution, coarse first. to_rgb: a 1x1 conv and a Tanh, as in
    lesson 12. `w_avg`, the running average of w in training, is the centre of truncation.
    """

    def __init__(
        self,
        latent_dim: int = 32,
        w_dim: int = 32,
        mapping_layers: int = 4,
        image_size: int = 16,
        widths: tuple[int, ...] = (32, 32, 16),  # feature maps at 4x4, 8x8, 16x16
        channels: int = 1,
        modulation: str = "adain",  # or "demod" (StyleGAN2)
        noise: bool = True,
    ) -> None:
        super().__init__()
        sizes = [4 * 2**k for k in range(len(widths))]
        if sizes[-1] != image_size:
            raise ValueError(f"widths {tuple(widths)} reach {sizes[-1]} pixels, not {image_size}")
        self.hparams = dict(
            latent_dim=latent_dim,
            w_dim=w_dim,
            mapping_layers=mapping_layers,
            image_size=image_size,
            widths=list(widths),
            channels=channels,
            modulation=modulation,
            noise=noise,
        )
        self.latent_dim, self.w_dim, self.sizes = latent_dim, w_dim, sizes
        self.image_shape = (channels, image_size, image_size)
        self.mapping = MappingNetwork(latent_dim, w_dim, mapping_layers)
        self.const = nn.Parameter(torch.ones(1, widths[0], 4, 4))  # the paper's: ones
        layers, c_in = [], widths[0]
        for width in widths:
            layers += [StyleLayer(c_in, width, w_dim, modulation, noise)]
            layers += [StyleLayer(width, width, w_dim, modulation, noise)]
            c_in = width
        self.layers = nn.ModuleList(layers)
        self.n_styles = len(layers)
        self.to_rgb = nn.Sequential(EqualizedConv2d(widths[-1], channels, 1, gain=1), nn.Tanh())
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def styles(self, z: Tensor, truncation: float | None = None) -> Tensor:
        """Per-layer styles (N, n_styles, w_dim): w = mapping(z), truncated towards `w_avg`
        if `truncation` (psi) is given, the same w for every layer."""
        w = self.mapping(z)
        if truncation is not None:
            w = truncate(w, self.w_avg, truncation)
        return w[:, None].expand(-1, self.n_styles, -1)

    def synthesis(self, ws: Tensor, noise: list[Tensor] | None = None) -> Tensor:
        """Images from per-layer styles ws (N, n_styles, w_dim); `noise`, one plane a layer
        (`make_noise`), or None: fresh noise while training, and in eval mode the same planes
        every time (`make_noise` from seed 0), so that sampling is repeatable and leaves the
        global random state alone, as `gan_course.latent.sample` promises."""
        if noise is None and not self.training:
            noise = self.make_noise(len(ws), torch.Generator().manual_seed(0))
        x = self.const.expand(len(ws), -1, -1, -1)  # (N, widths[0], 4, 4)
        for i, layer in enumerate(self.layers):
            if i > 0 and i % 2 == 0:
                x = double(x)  # lesson 12's nearest-neighbour doubling (StyleGAN's is bilinear)
            x = layer(x, ws[:, i], None if noise is None else noise[i])
        return self.to_rgb(x)

    def forward(self, z: Tensor, truncation: float | None = None) -> Tensor:
        return self.synthesis(self.styles(z, truncation))

    def make_noise(self, n: int, generator: torch.Generator | None = None) -> list[Tensor]:
        """One noise plane (n, 1, S, S) per layer, from `generator` (to redraw the same ones)."""
        device = self.const.device
        sizes = [self.sizes[i // 2] for i in range(self.n_styles)]
        return [torch.randn(n, 1, s, s, generator=generator).to(device) for s in sizes]

    def sample_noise(self, n: int, device=None, generator=None) -> Tensor:
        return latent_noise(n, self.latent_dim, device, generator)
