r"""Super-resolution: SRResNet on a pixel loss, then SRGAN (Ledig et al. 2017), on photographs.

The task: given a photograph shrunk 4 times (PIL's bicubic, `gan_course.images`), make the
original. Many originals shrink to the same small image, so a network trained on a **pixel
loss** learns their average, a blur, which is what maximises PSNR. SRGAN trades some PSNR for
sharpness with two changes to the generator's loss:

$$\mathcal{L}_G = \underbrace{\tfrac{1}{CHW}\lVert \phi(G(x)) - \phi(y)\rVert^2}_{\text{content}}
+ 10^{-3}\,\underbrace{\big(-\log D(G(x))\big)}_{\text{adversarial}},$$

a **content loss** on a frozen network's feature maps $\phi$ instead of the pixels (two images
can differ pixel by pixel and still have the same features), and an **adversarial** term: a
discriminator, trained at the same time on real high-resolution patches against $G$'s, pushes
$G$ towards images that look like photographs rather than towards their average. The paper
starts SRGAN from the trained SRResNet, so that the GAN refines an image that is already right.

Everything works on the luma Y of BT.601 (`images.luma`), mapped from 0..255 to the course's
[-1, 1] (`to_unit`). The colour channels are enlarged by bicubic alone (the eye sees detail
mostly in the luma; SRCNN does the same), so a colour result is `images.to_rgb` of the network's
luma and bicubic chroma (`colour`).

Training draws aligned patches: a 16x16 crop of a small image and the 64x64 crop of the
original at the same place (`patch_pairs`), flipped and transposed at random.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import losses
from ..data import PHOTOS, photo, real_batches
from ..images import chroma, luma, resize_bicubic, to_rgb
from ..latent import sample
from ..loop import History, TrainState, fit, stop_if_diverged
from ..runtime import device_of
from ..train import d_step, pair_state

SCALE = 4  # the course's (and SRGAN's) enlargement


def to_unit(y: Tensor) -> Tensor:
    """Luma 0..255 -> the networks' [-1, 1]."""
    return y / 127.5 - 1


def from_unit(x: Tensor) -> Tensor:
    """The networks' [-1, 1] -> luma 0..255."""
    return (x + 1) * 127.5


@dataclass
class SRPhoto:
    """One photograph ready for super-resolution: the original, its 4x smaller version, and
    that enlarged again by bicubic, each as luma (1, H, W) in 0..255; the original's chroma."""

    name: str
    truth: Tensor  # (1, H, W): the original's luma
    small: Tensor  # (1, H/4, W/4): the luma of the bicubic-shrunk colour image
    bicubic: Tensor  # (1, H, W): the luma of that small image enlarged by bicubic
    small_rgb: Tensor  # uint8 (C, H/4, W/4): the small photograph itself, in colour
    bicubic_chroma: Tensor | None  # (2, H, W), None for grey photographs


def sr_photo(name: str) -> SRPhoto:
    """`data.photo(name)` shrunk 4 times and enlarged back with PIL's bicubic, as uint8 pixels
    (the convention of the published bicubic rows)."""
    original = photo(name, multiple=SCALE)
    h, w = original.shape[1:]
    small = resize_bicubic(original, (h // SCALE, w // SCALE))
    enlarged = resize_bicubic(small, (h, w))
    colour = chroma(enlarged) if original.shape[0] == 3 else None
    return SRPhoto(name, luma(original), luma(small), luma(enlarged), small, colour)


def patch_pairs(names: Sequence[str], n: int, patch: int = 16, seed: int = 0):
    """`n` aligned training pairs from the photographs `names`, the same number from each:
    small patches (n, 1, p, p) and the original's patches (n, 1, 4p, 4p) at the same place,
    in [-1, 1], each pair flipped and transposed at random. Seeded locally: the global random
    state is untouched."""
    rng = torch.Generator().manual_seed(seed)
    photos = [sr_photo(name) for name in names]
    small, large = [], []
    for i in range(n):
        p = photos[i % len(photos)]  # uniform over photos, not over pixels
        top = int(torch.randint(p.small.shape[1] - patch + 1, (), generator=rng))
        left = int(torch.randint(p.small.shape[2] - patch + 1, (), generator=rng))
        lo = p.small[:, top : top + patch, left : left + patch]  # (1, p, p)
        hi = p.truth[:, SCALE * top : SCALE * (top + patch), SCALE * left : SCALE * (left + patch)]
        flips = torch.rand(3, generator=rng) < 0.5
        for dim, flip in ((1, flips[0]), (2, flips[1])):
            lo, hi = (lo.flip(dim), hi.flip(dim)) if flip else (lo, hi)
        lo, hi = (lo.transpose(1, 2), hi.transpose(1, 2)) if flips[2] else (lo, hi)
        small.append(lo)
        large.append(hi)
    return to_unit(torch.stack(small)), to_unit(torch.stack(large))


def super_resolve(generator: nn.Module, small: Tensor) -> Tensor:
    """The generator's enlargement of a luma image (1, h, w), 0..255: luma (1, 4h, 4w),
    0..255, computed by `latent.sample` (eval mode, no gradients, the generator's device)."""
    out = sample(generator, inputs=to_unit(small)[None])[0].cpu()  # (1, 4h, 4w) in [-1, 1]
    return from_unit(out).clamp(0, 255)


def colour(y: Tensor, p: SRPhoto) -> Tensor:
    """A luma (1, H, W) of photo `p` as a picture: uint8 (3, H, W) with bicubic's chroma, or
    (1, H, W) for a grey photograph."""
    return to_rgb(y, p.bicubic_chroma)


# ------------------------------------------------------------------------------ SRResNet


@dataclass
class SRResNetConfig:
    """SRResNet on a pixel loss: the L1 distance (EDSR found it trains better than SRGAN's
    MSE), Adam with a cosine learning-rate decay, batches of 16 patches as in the paper."""

    steps: int = 1200
    batch_size: int = 16
    lr: float = 2e-3
    final_lr: float = 1e-4  # where the cosine ends


def cosine_lr(state: TrainState, lr: float, final_lr: float) -> float:
    """The learning rate at this step: from `lr` down to `final_lr` along half a cosine."""
    progress = min(state.history.step / max(state.steps, 1), 1.0)
    return final_lr + (lr - final_lr) * (1 + math.cos(math.pi * progress)) / 2


def pixel_step(state: TrainState) -> dict:
    """One SRResNet step: move G(small) towards the original, pixel by pixel (L1)."""
    config, G = state.config, state.generator
    small, large = next(state.batches)  # (N, 1, p, p), (N, 1, 4p, 4p)
    lr = cosine_lr(state, config.lr, config.final_lr)
    for group in state.g_optimizer.param_groups:
        group["lr"] = lr
    state.g_optimizer.zero_grad()
    loss = F.l1_loss(G(small), large)  # mean |G(x) - y|
    loss.backward()
    state.g_optimizer.step()
    return {"loss": loss.item(), "lr": lr}


def train_srresnet(
    generator: nn.Module,
    pairs: tuple[Tensor, Tensor],
    config: SRResNetConfig | None = None,
    *,
    callbacks: Sequence = (),
    resume_from: str | os.PathLike | None = None,
) -> History:
    """Train `generator` on `pairs` (small, large) from `patch_pairs` through `loop.fit`."""
    config = config or SRResNetConfig()
    device = device_of(generator)
    state = TrainState(
        nets={"generator": generator},
        optimizers={"g_optimizer": torch.optim.Adam(generator.parameters(), lr=config.lr)},
        config=config,
        data=pairs,
        batches=real_batches(tuple(pairs), config.batch_size, device),
        device=device,
    )
    return fit(pixel_step, state, config.steps, callbacks, resume_from=resume_from)


# ------------------------------------------------------------------------------ the feature network


def content_loss(features: nn.Module, fake: Tensor, real: Tensor) -> Tensor:
    r"""SRGAN's content loss, $\lVert \phi(G(x)) - \phi(y)\rVert^2 / \lVert \phi(y) \rVert^2$:
    the squared distance between the feature maps of the two images, relative to the size of
    the real ones. (The paper divides VGG's features by a constant, 12.75, to bring the loss
    to the pixel loss's scale; dividing by the real features' size does that for any network,
    so that a trained and a random feature network get the same adversarial weight.)"""
    real_features = features(real).detach()  # the target: no gradient needed
    return F.mse_loss(features(fake), real_features) / real_features.pow(2).mean()


def train_feature_net(
    net: nn.Module, names: Sequence[str] = PHOTOS["train"], steps: int = 300, seed: int = 0
) -> nn.Module:
    """Teach `FeatureNet` to tell which photograph a 64x64 patch comes from (brick, grass,
    a face, a rocket...): a task that needs texture and edge features and no labels beyond
    the file names. Returns it frozen and in eval mode; the global random state is untouched."""
    device = device_of(net)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        _, large = patch_pairs(names, 128 * len(names), seed=seed + 1)
        labels = torch.arange(len(large)) % len(names)  # patch i is from photo i % len(names)
        optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
        net.train()
        for _ in range(steps):
            batch = torch.randint(len(large), (32,))
            logits = net.classify(large[batch].to(device))
            loss = F.cross_entropy(logits, labels[batch].to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net.requires_grad_(False).eval()


# ------------------------------------------------------------------------------ SRGAN


@dataclass
class SRGANConfig:
    """SRGAN's fine-tuning of a trained SRResNet: the paper's Adam (lr 1e-4, beta1 0.9) and
    adversarial weight 1e-3; `pixel_weight` > 0 adds the L1 loss back (0 in the paper)."""

    steps: int = 600
    batch_size: int = 16
    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.999)
    content_weight: float = 1.0
    adversarial_weight: float = 1e-3
    pixel_weight: float = 0.0

    def __post_init__(self) -> None:
        self.betas = tuple(self.betas)


def srgan_step(state: TrainState) -> dict:
    """One SRGAN iteration: D on real patches against G's, then G on content + adversarial."""
    config, G, D = state.config, state.generator, state.discriminator
    phi = state.extra["features"]
    small, large = next(state.batches)  # (N, 1, p, p), (N, 1, 4p, 4p)
    # (1) Update D: maximise log D(y) + log(1 - D(G(x))), lesson 05's step with G(x) as the fakes
    metrics = d_step(G, D, state.d_optimizer, large, small)
    stop_if_diverged(metrics, state.history, "D")
    # (2) Update G: the same features as the original, and fool the updated D
    state.g_optimizer.zero_grad()
    fake = G(small)  # (N, 1, 4p, 4p)
    content = content_loss(phi, fake, large)
    adversarial = losses.g_loss_nonsaturating(D(fake))  # -log D(G(x))
    g_loss = config.content_weight * content + config.adversarial_weight * adversarial
    pixel = F.l1_loss(fake, large)
    if config.pixel_weight:
        g_loss = g_loss + config.pixel_weight * pixel
    g_loss.backward()  # also fills D's .grad; the next D step clears it
    state.g_optimizer.step()
    return {**metrics, "g_loss": g_loss.item(), "content": content.item(),
            "g_adv": adversarial.item(), "pixel": pixel.item()}  # fmt: skip


def train_srgan(
    generator: nn.Module,
    discriminator: nn.Module,
    features: nn.Module,
    pairs: tuple[Tensor, Tensor],
    config: SRGANConfig | None = None,
    *,
    callbacks: Sequence = (),
    resume_from: str | os.PathLike | None = None,
) -> History:
    """Train `generator` (best: a trained SRResNet) against `discriminator` on `pairs`, with the
    content loss on the frozen `features` network's maps, through `loop.fit`."""
    config = config or SRGANConfig()
    state = pair_state(generator, discriminator, tuple(pairs), config)
    state.extra["features"] = features.requires_grad_(False).eval().to(state.device)
    return fit(srgan_step, state, config.steps, callbacks, resume_from=resume_from)
