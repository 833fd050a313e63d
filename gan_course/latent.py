r"""A generator's latent space: drawing noise, sampling a generator, and walking in the space.

**Noise and samples, in one place.** `noise_batch` draws the training noise (with the labels a
conditional generator is asked for) from the global RNG, so seeded runs repeat. `fixed_noise`
draws the same noise every time from a seed of its own, leaving the learner's RNG alone, and
`sample` runs a generator on it the way a finished generator is used: in eval mode (BatchNorm
uses its running statistics), without gradients, on the generator's device, its mode restored
afterwards; with labels for a conditional generator, a truncation for generators that have one,
and source images for an image-to-image generator. Metrics, monitors and widgets all call it.

A trained generator turns every point $z$ of its latent space into an image, and nearby points into
similar images. Three ways to explore that space:

* **Interpolation** between two latent points. Noise $z \sim \mathcal{N}(0, I_d)$ lives, in high
  dimension, on a thin shell of radius $\approx\sqrt d$; the straight line (`lerp`) between two
  points cuts through the inside of the shell, where the midpoint has norm $\approx\sqrt{d/2}$, a
  place training never visited. `slerp` (White 2016, "Sampling generative networks") follows the
  great circle instead, and stays on the shell.
* **Vector arithmetic** (Radford et al. 2015): average the $z$ of a few samples that share a
  property, subtract the average of samples that lack it, and add the difference to any other $z$.
  `attribute_direction` does this for a property measured on the images (`ink`, `slant`).
* **Main directions** (`latent_directions`, after GANSpace, Härkönen et al. 2020): principal
  components of what the generator makes from many random $z$, each mapped back to the latent
  direction that moves along it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from .runtime import device_of


def lerp(z0: Tensor, z1: Tensor, t) -> Tensor:
    r"""Linear interpolation $(1 - t)\,z_0 + t\,z_1$.

    `z0`, `z1`: (..., d); `t`: a number or a tensor broadcastable to (..., 1), e.g. (T, 1) for a
    path of T points between two vectors (d,).
    """
    t = torch.as_tensor(t, dtype=z0.dtype, device=z0.device)
    return (1 - t) * z0 + t * z1


def slerp(z0: Tensor, z1: Tensor, t) -> Tensor:
    r"""Spherical interpolation along the great circle from `z0` to `z1` (Shoemake 1985):

    $$\operatorname{slerp}(z_0, z_1; t) = \frac{\sin((1 - t)\,\Omega)}{\sin\Omega}\,z_0
    + \frac{\sin(t\,\Omega)}{\sin\Omega}\,z_1, \qquad
    \cos\Omega = \frac{z_0 \cdot z_1}{\lVert z_0\rVert\,\lVert z_1\rVert}.$$

    Shapes as in `lerp`; the angle is taken per vector, over the last dimension. Where $z_0$ and
    $z_1$ point the same way ($\sin\Omega \approx 0$) the formula is 0/0 and we return `lerp`.
    """
    t = torch.as_tensor(t, dtype=z0.dtype, device=z0.device)
    unit0 = z0 / z0.norm(dim=-1, keepdim=True)
    unit1 = z1 / z1.norm(dim=-1, keepdim=True)
    cos = (unit0 * unit1).sum(dim=-1, keepdim=True).clamp(-1, 1)  # (..., 1); clamp: rounding
    omega = torch.acos(cos)  # the angle between z0 and z1
    sin = torch.sin(omega)
    parallel = sin.abs() < 1e-6
    safe_sin = torch.where(parallel, torch.ones_like(sin), sin)  # avoid 0/0 (and NaN gradients)
    spherical = (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / safe_sin
    return torch.where(parallel, lerp(z0, z1, t), spherical)


INTERPOLATIONS = {"lerp": lerp, "slerp": slerp}


# ---------------------------------------------------------------------------- noise and samples


def noise_batch(generator: nn.Module, n: int, device=None):
    """Training noise for `generator` from the global RNG: z (n, latent_dim), and for a
    conditional generator (one with `n_classes`) the pair (z, labels), labels uniform."""
    z = torch.randn(n, generator.latent_dim, device=device)
    n_classes = getattr(generator, "n_classes", None)
    if n_classes is None:
        return z
    return z, torch.randint(n_classes, (n,), device=device)


def fixed_noise(n: int, latent_dim: int, seed: int = 0, device=None) -> Tensor:
    """The same `n` latent vectors (n, latent_dim) for the same seed, drawn from a generator of
    their own: the global RNG is neither used nor changed."""
    rng = torch.Generator().manual_seed(seed)
    return torch.randn(n, latent_dim, generator=rng).to(device)


def class_labels(n: int, n_classes: int, device=None) -> Tensor:
    """Labels 0, 1, ..., n_classes - 1, 0, 1, ... (n,): every class in turn, a column each."""
    return torch.arange(n, device=device) % n_classes


@torch.no_grad()
def sample(
    generator: nn.Module,
    n: int | None = None,
    *,
    z: Tensor | None = None,
    labels: Tensor | None = None,
    inputs: Tensor | None = None,
    truncation: float | None = None,
    seed: int = 0,
) -> Tensor:
    """What `generator` makes, in eval mode and without gradients; its mode restored.

    * `z`, or else `n` vectors of `fixed_noise(seed)`: the learner's RNG is left alone;
    * `labels` for a conditional generator (default: the classes in turn, `class_labels`);
    * `truncation` (psi) for a generator whose forward takes one (StyleGAN);
    * `inputs` for an image-to-image generator: its source images, and no noise.

    Eval mode makes each output depend on its own input only, not on the rest of the batch:
    what exploring one sample at a time, and measuring, need. Inputs go to the generator's
    device; the output stays there.
    """
    device = device_of(generator)
    if inputs is not None:
        args: tuple = (inputs.to(device),)
    else:
        if z is None:
            if n is None:
                raise ValueError("give the noise z, or how many samples n to draw")
            z = fixed_noise(n, generator.latent_dim, seed)
        args = (z.to(device),)
        n_classes = getattr(generator, "n_classes", None)
        if n_classes is not None:
            labels = class_labels(len(z), n_classes) if labels is None else labels
            args += (labels.to(device),)
    kwargs = {} if truncation is None else {"truncation": truncation}
    was_training = generator.training
    generator.eval()
    try:
        return generator(*args, **kwargs)
    finally:
        generator.train(was_training)


def interpolate(
    generator: nn.Module, z0: Tensor, z1: Tensor, steps: int = 8, mode: str = "slerp"
) -> Tensor:
    """Images along the path from `z0` to `z1` (each (d,)): (steps, C, H, W), ends included."""
    if mode not in INTERPOLATIONS:
        raise ValueError(f"mode={mode!r}; choose one of {list(INTERPOLATIONS)}")
    t = torch.linspace(0, 1, steps, device=z0.device).unsqueeze(1)  # (steps, 1)
    path = INTERPOLATIONS[mode](z0, z1, t)  # (steps, d)
    return sample(generator, z=path)


def vector_arithmetic(plus: Tensor, minus: Tensor, base: Tensor) -> Tensor:
    r"""$\bar z_{plus} - \bar z_{minus} + \bar z_{base}$, each a mean over the rows given.

    Radford et al. (2015) averaged three exemplars per concept ("smiling woman" - "neutral woman"
    + "neutral man"): one $z$ alone carries too much of its own sample. Each argument is
    (n_i, d) or (d,); the result is (d,).
    """
    return _mean_z(plus) - _mean_z(minus) + _mean_z(base)


def _mean_z(z: Tensor) -> Tensor:
    return z.mean(dim=0) if z.dim() == 2 else z


# ---------------------------------------------------------------------------- image attributes


def ink(images: Tensor) -> Tensor:
    """How much ink each image carries: mean brightness in [0, 1]. (N, C, H, W) -> (N,)."""
    return ((images + 1) / 2).flatten(1).mean(dim=1)


def slant(images: Tensor) -> Tensor:
    r"""How far each image leans to the right: the shear $\mu_{11} / \mu_{02}$ of its ink.

    The second-order moments of the ink distribution (as in MNIST's deskewing): positive when the
    top of the digit sits to the right of its bottom. (N, C, H, W) -> (N,).
    """
    mass = ((images + 1) / 2).sum(dim=1)  # (N, H, W): ink per pixel, channels pooled
    n, h, w = mass.shape
    rows = torch.arange(h, dtype=mass.dtype, device=mass.device).view(1, h, 1)
    cols = torch.arange(w, dtype=mass.dtype, device=mass.device).view(1, 1, w)
    total = mass.sum(dim=(1, 2)).clamp_min(1e-8)  # (N,)
    row_mean = (mass * rows).sum(dim=(1, 2)) / total  # (N,)
    col_mean = (mass * cols).sum(dim=(1, 2)) / total
    dr, dc = rows - row_mean.view(n, 1, 1), cols - col_mean.view(n, 1, 1)  # (N, H, 1), (N, 1, W)
    mu11 = (mass * dr * dc).sum(dim=(1, 2)) / total
    mu02 = (mass * dr**2).sum(dim=(1, 2)) / total
    return -mu11 / mu02.clamp_min(1e-8)  # minus: row indices grow downwards


def attribute_direction(
    generator: nn.Module,
    attribute: Callable[[Tensor], Tensor],
    n: int = 2000,
    quantile: float = 0.1,
    seed: int = 0,
) -> Tensor:
    r"""Unit latent direction of an image attribute: mean $z$ of the top `quantile` minus the
    mean $z$ of the bottom `quantile`, over `n` random samples (vector arithmetic with many
    exemplars). `attribute` maps images (N, C, H, W) to scores (N,), e.g. `ink` or `slant`.
    """
    z = fixed_noise(n, generator.latent_dim, seed)  # (n, d)
    scores = attribute(sample(generator, z=z)).cpu()  # (n,)
    order = scores.argsort()
    k = max(1, int(quantile * n))
    direction = vector_arithmetic(z[order[-k:]], z[order[:k]], torch.zeros_like(z[0]))
    return direction / direction.norm()


# ---------------------------------------------------------------------------- main directions


@torch.no_grad()
def latent_directions(
    generator: nn.Module,
    n: int = 2000,
    k: int = 6,
    layer: nn.Module | None = None,
    seed: int = 0,
) -> Tensor:
    r"""The `k` main directions of a generator's latent space, as unit rows (k, latent_dim).

    GANSpace (Härkönen et al. 2020), applied here to the generator's output by default:

    1. draw `n` noise vectors $z_j$ and make the images $y_j = G(z_j)$ (or, with `layer`, that
       module's activations, as GANSpace does with an early layer of BigGAN);
    2. PCA of the $y_j$: the principal axes $v_1, v_2, \dots$ along which the images vary most,
       and each sample's coordinates $x_{ij} = v_i \cdot (y_j - \bar y)$;
    3. regress $z$ on those coordinates, $z_j \approx \sum_i x_{ij}\,u_i$: $u_i$ is the latent
       direction that moves the image along $v_i$. Since PCA coordinates are uncorrelated this
       is $u_i \propto \sum_j x_{ij} z_j$, the covariance of $z$ with the $i$-th coordinate.

    Component 1 is the biggest change the generator can make, 2 the next one uncorrelated with it,
    and so on. Signs are fixed so that each direction's largest entry is positive.
    """
    z = fixed_noise(n, generator.latent_dim, seed)  # (n, d)
    features = _features(generator, z, layer).flatten(1).double().cpu()  # (n, F)
    centred = features - features.mean(dim=0)
    _, _, axes = torch.linalg.svd(centred, full_matrices=False)  # rows: principal axes (., F)
    coords = centred @ axes[:k].T  # (n, k): each sample's position along the first k axes
    directions = torch.linalg.lstsq(coords, z.double().cpu()).solution  # (k, d): z ~ coords @ U
    directions = directions / directions.norm(dim=1, keepdim=True)
    biggest = directions.gather(1, directions.abs().argmax(dim=1, keepdim=True))  # (k, 1)
    return (directions * biggest.sign()).float()


def _features(generator: nn.Module, z: Tensor, layer: nn.Module | None) -> Tensor:
    if layer is None:
        return sample(generator, z=z)
    seen: list[Tensor] = []
    handle = layer.register_forward_hook(lambda module, inputs, output: seen.append(output))
    try:
        sample(generator, z=z)
    finally:
        handle.remove()
    return seen[0]
