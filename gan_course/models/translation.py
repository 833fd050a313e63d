r"""Image-to-image translation networks: pix2pix (Isola et al. 2017), CycleGAN (Zhu et al. 2017).

**The U-Net generator** (Ronneberger et al. 2015, as pix2pix uses it). An encoder halves the image
down to 1x1, a decoder doubles it back, and each decoder block also receives the encoder's map of
the same size, concatenated on the channels (a *skip connection*). In translation the input and
the output share their layout (the edges of a masked digit are the edges of the whole one), so
the low-level detail need not squeeze through the bottleneck: it takes the skip. `skips=False`
gives the plain encoder-decoder the paper compares it with (its Figure 4).

**The ResNet generator** (Johnson et al. 2016, as CycleGAN uses it): down twice, residual blocks,
up twice, InstanceNorm. No path around the bottleneck, but each residual block starts from the
identity $x + F(x)$.

**The PatchGAN discriminator.** A stack of strided convolutions whose last layer gives one logit
per location instead of one per image: each logit judges only the patch of input it can see,
its *receptive field*. Along one axis, a chain of convolutions with kernels $k_l$ and strides
$s_l$ sees

$$r = 1 + \sum_l (k_l - 1) \prod_{m < l} s_m$$

pixels (`receptive_field`). The losses average over the logits, so the discriminator asks "is
every patch realistic?": it models the high frequencies, while pix2pix's L1 term takes care of
the low ones. With $n$ strided blocks of $k=4, s=2$ and a 1x1 head here, $r = 3 \cdot 2^n - 2$.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .dcgan import down_block, to_image, up_block

# ---------------------------------------------------------------------------- U-Net


class UNet(nn.Module):
    """Images (N, channels, S, S) in [-1, 1] -> images (N, channels, S, S) in [-1, 1].

    pix2pix's generator at small scale: strided convolutions (k=4, s=2, p=1) down to 1x1, with
    `width` channels after the first and doubled at each block up to 8 * width (the paper's
    C64-C128-C256-C512-...); transposed convolutions back up, each (but the last) taking the
    encoder's map of its size as extra channels when `skips`. For S=16 and width=32:

        (N, 1, 16, 16) -> (N, 32, 8, 8) -> (N, 64, 4, 4) -> (N, 128, 2, 2) -> (N, 256, 1, 1)
        -> (N, 128, 2, 2) + skip -> (N, 64, 4, 4) + skip -> (N, 32, 8, 8) + skip -> (N, 1, 16, 16)

    `dropout` (pix2pix: 0.5) drops features in the decoder blocks that make maps of at most
    S/4, the innermost ones as in the paper; pix2pix keeps it on at test time as its only noise,
    but `gan_course.latent.sample` runs networks in eval mode, where it is off.
    """

    def __init__(
        self,
        channels: int = 1,  # image channels, the same in and out
        image_size: int = 16,  # a power of two >= 8
        width: int = 32,  # channels after the first block; doubled per block, up to 8x
        dropout: float = 0.0,  # pix2pix: 0.5 in the innermost decoder blocks
        skips: bool = True,  # False: a plain encoder-decoder, nothing around the bottleneck
    ) -> None:
        super().__init__()
        self.skips = skips
        self.hparams = dict(
            channels=channels, image_size=image_size, width=width, dropout=dropout, skips=skips
        )
        depth = round(math.log2(image_size)) if image_size > 0 else 0  # halvings S -> 1x1
        if image_size < 8 or 2**depth != image_size:
            raise ValueError(f"image_size must be a power of two >= 8, not {image_size}")
        widths = [width * 2 ** min(i, 3) for i in range(depth)]  # e.g. [32, 64, 128, 256]
        # encoder: no BatchNorm on the input block (as in DCGAN) nor on the 1x1 bottleneck,
        # where pix2pix's batches of one would make BatchNorm zero every feature
        self.encoder = nn.ModuleList(
            down_block(c_in, c_out, batchnorm=0 < i < depth - 1)  # (N, c_out, H/2, W/2)
            for i, (c_in, c_out) in enumerate(zip([channels, *widths[:-1]], widths, strict=True))
        )
        grow = 2 if skips else 1  # a skip doubles a decoder block's input channels
        self.decoder = nn.ModuleList()
        for i in range(depth - 1, 0, -1):  # from the bottleneck out: maps of 2, 4, ... S/2
            c_in = widths[i] if i == depth - 1 else grow * widths[i]  # the bottleneck has no skip
            block = up_block(c_in, widths[i - 1])  # (N, widths[i-1], S / 2^i, S / 2^i)
            if dropout and i >= 2:  # a map of at most S/4: the innermost blocks
                # after ReLU: dropping and ReLU commute, so this is the paper's conv-BN-dropout
                block.append(nn.Dropout(dropout))
            self.decoder.append(block)
        self.to_image = to_image(grow * widths[0], channels)  # (N, channels, S, S), Tanh

    def forward(self, images: Tensor) -> Tensor:
        x, skipped = images, []  # (N, C, S, S)
        for down in self.encoder:
            x = down(x)  # (N, w_i, S / 2^(i+1), ...)
            skipped.append(x)
        skipped.pop()  # the bottleneck (N, w, 1, 1) is x itself
        for up in self.decoder:
            x = up(x)  # (N, w, 2H, 2W)
            if self.skips:
                x = torch.cat([x, skipped.pop()], dim=1)  # (N, 2w, 2H, 2W): the encoder's map
        return self.to_image(x)  # (N, C, S, S) in [-1, 1]


# ---------------------------------------------------------------------------- ResNet generator


class ResidualBlock(nn.Module):
    """(N, c, H, W) -> (N, c, H, W): x + F(x), F two 3x3 convolutions with InstanceNorm."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),  # CycleGAN pads by reflection: no dark border to learn
            nn.Conv2d(c, c, 3, bias=False),  # the norm's own shift replaces the bias
            nn.InstanceNorm2d(c),
            nn.ReLU(),
            nn.ReflectionPad2d(1),
            nn.Conv2d(c, c, 3, bias=False),
            nn.InstanceNorm2d(c),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)  # starts near the identity: F is small at initialisation


class ResnetGenerator(nn.Module):
    """Images (N, channels, S, S) in [-1, 1] -> images (N, channels, S, S) in [-1, 1].

    CycleGAN's generator (Johnson et al. 2016; the paper's c7s1-64, d128, d256, R256 x 9, u128,
    u64, c7s1-3) at small scale. For S=16 and width=16:

        (N, 1, 16, 16) -> (N, 16, 16, 16) -> (N, 32, 8, 8) -> (N, 64, 4, 4) -> `n_blocks`
        residual blocks -> (N, 32, 8, 8) -> (N, 16, 16, 16) -> (N, 1, 16, 16)

    Why this and not the `UNet` for CycleGAN: typed and handwritten digits differ in shape
    (stroke width, proportions, the 8x8 blur of the handwritten ones), not only in texture. A
    U-Net's full-resolution skips make copying the input's pixels the easiest answer, which the
    cycle loss rewards; here everything passes through the 4x4 residual blocks, where a stroke
    can be redrawn. It is also what the paper uses. (A `UNet` trains too, at half the cost, and
    its translations stay nearer the input's pixels.) InstanceNorm (not BatchNorm): each image
    is normalised on its own, as in the paper.
    """

    def __init__(
        self,
        channels: int = 1,  # image channels, the same in and out
        width: int = 16,  # channels at full resolution; 2x at S/2, 4x at S/4
        n_blocks: int = 3,  # residual blocks at S/4 (the paper: 6 at 128x128, 9 at 256x256)
    ) -> None:
        super().__init__()
        self.hparams = dict(channels=channels, width=width, n_blocks=n_blocks)

        def conv_norm_relu(conv: nn.Module, c_out: int) -> list[nn.Module]:
            return [conv, nn.InstanceNorm2d(c_out), nn.ReLU()]

        w = width
        self.net = nn.Sequential(
            nn.ReflectionPad2d(3),
            *conv_norm_relu(nn.Conv2d(channels, w, 7, bias=False), w),  # (N, w, S, S)
            *conv_norm_relu(nn.Conv2d(w, 2 * w, 3, 2, 1, bias=False), 2 * w),  # (N, 2w, S/2, S/2)
            *conv_norm_relu(nn.Conv2d(2 * w, 4 * w, 3, 2, 1, bias=False), 4 * w),  # (N, 4w, S/4)
            *(ResidualBlock(4 * w) for _ in range(n_blocks)),  # (N, 4w, S/4, S/4)
            *conv_norm_relu(nn.ConvTranspose2d(4 * w, 2 * w, 3, 2, 1, 1, bias=False), 2 * w),
            *conv_norm_relu(nn.ConvTranspose2d(2 * w, w, 3, 2, 1, 1, bias=False), w),  # (N, w, S)
            nn.ReflectionPad2d(3),
            nn.Conv2d(w, channels, 7),  # (N, channels, S, S)
            nn.Tanh(),  # the data is scaled to [-1, 1]
        )

    def forward(self, images: Tensor) -> Tensor:
        return self.net(images)


# ---------------------------------------------------------------------------- PatchGAN


def receptive_field(net: nn.Module) -> int:
    r"""How many input pixels (along one axis) one output of `net` sees: $1 + \sum_l (k_l - 1)
    \prod_{m<l} s_m$ over its `nn.Conv2d` layers, taken in the order `net.modules()` lists them.

    Only for a plain chain of convolutions (a `PatchDiscriminator`): branches, pooling and
    transposed convolutions are not counted.
    """
    field, jump = 1, 1  # jump: input pixels between two neighbouring outputs of the layer
    for layer in net.modules():
        if isinstance(layer, nn.Conv2d):
            kernel = layer.dilation[0] * (layer.kernel_size[0] - 1) + 1
            field += (kernel - 1) * jump
            jump *= layer.stride[0]
    return field


class PatchDiscriminator(nn.Module):
    """A PatchGAN: images (N, channels, S, S) -> a map of logits (N, 1, S / 2^n, S / 2^n).

    Each logit judges one patch of `receptive_field(self)` = 3 * 2^n - 2 pixels square, for
    n = `n_layers` strided blocks (k=4, s=2, p=1; lesson 07's `down_block`) and a 1x1 head.
    At 16x16: n=1 judges 4x4 patches on an 8x8 map; n=2 (default) 10x10 patches on a 4x4 map,
    neighbours 4 pixels apart; n=3 22x22, more than the image: an ImageGAN. Patches at the edge
    run into the zero padding. pix2pix's 70x70 PatchGAN is the same idea at 256x256.

    `paired=True` (pix2pix): `D(source, image)`, the two stacked on the channels, so D judges
    whether `image` goes with `source`. `paired=False` (CycleGAN): `D(image)`.

    No BatchNorm by default (`batchnorm=True` puts it after every block but the first). The
    training steps call D on a batch of real images and on a batch of fakes separately, and
    BatchNorm right before the 1x1 head would normalise each batch on its own: the head then
    gives both batches the same mean logit, and D cannot tell an all-real batch from an
    all-fake one (trained alone for 300 steps to tell (noisy, clean) pairs of typed digits from
    (noisy, noisy) ones, it said 0.50 and 0.49; without BatchNorm, 0.87 and 0.17). BatchNorm
    in train mode also makes a logit depend on the rest of the batch, so `receptive_field` is
    exact only without it or in eval mode.
    """

    def __init__(
        self,
        channels: int = 1,  # image channels
        width: int = 32,  # channels after the first block; doubled at every block
        n_layers: int = 2,  # strided blocks: each one halves the map and doubles the patch
        paired: bool = True,  # judge (source, image) pairs, or images alone
        batchnorm: bool = False,  # BatchNorm after every block but the first
    ) -> None:
        super().__init__()
        self.paired = paired
        self.hparams = dict(
            channels=channels, width=width, n_layers=n_layers, paired=paired, batchnorm=batchnorm
        )
        widths = [width * 2**i for i in range(n_layers)]  # e.g. [32, 64]
        c_in = 2 * channels if paired else channels
        self.features = nn.Sequential(
            down_block(c_in, widths[0], batchnorm=False),  # (N, w, S/2, S/2): input unnormalised
            *(down_block(a, b, batchnorm) for a, b in zip(widths[:-1], widths[1:], strict=True)),
        )  # (N, widths[-1], S / 2^n, S / 2^n)
        self.head = nn.Conv2d(widths[-1], 1, 1)  # (N, 1, S / 2^n, S / 2^n): a logit per patch

    def forward(self, *images: Tensor) -> Tensor:
        expected = 2 if self.paired else 1
        if len(images) != expected:
            raise TypeError(
                f"this PatchDiscriminator (paired={self.paired}) takes {expected} image "
                f"tensor(s): {'D(source, image)' if self.paired else 'D(image)'}"
            )
        x = torch.cat(images, dim=1)  # (N, 2C, S, S) for a pair: source and image side by side
        return self.head(self.features(x))  # (N, 1, h, w): logits, not probabilities
