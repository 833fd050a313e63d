"""Pictures of a GAN: sample grids, 2-D scatter plots, training curves, and the 2-D "GAN Lab" view.

Every function draws on a matplotlib `ax` you pass (or a new one) and returns it, so the same code
serves a notebook cell and the live monitor in `gan_course.callbacks`.
"""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator
from torch import Tensor
from torchvision.utils import make_grid

from . import losses
from .latent import sample
from .runtime import device_of

REAL_COLOR, FAKE_COLOR = "#1f77b4", "#d62728"


def figure_png(fig, dpi: int = 72, **savefig) -> bytes:
    """A matplotlib figure as PNG bytes, for a picture that replaces itself (the live monitor, a
    widget's frames) rather than a plot shown once."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, **savefig)
    return buffer.getvalue()


def _new_ax(ax, figsize=(4, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def image_grid(images: Tensor, nrow: int = 8) -> np.ndarray:
    """Images (N, C, H, W) in [-1, 1] -> one (H', W', C) array in [0, 1], via `make_grid`."""
    grid = make_grid(
        images.detach().float().cpu(),
        nrow=nrow,
        padding=1,
        pad_value=1.0,
        normalize=True,
        value_range=(-1, 1),
    )
    return grid.permute(1, 2, 0).numpy()


def show_images(images: Tensor, nrow: int = 8, title: str | None = None, ax=None):
    """Show a batch of images (N, C, H, W) in [-1, 1] as one grid."""
    ax = _new_ax(ax)
    ax.imshow(image_grid(images, nrow), cmap="gray", interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def scatter_real_fake(
    real: Tensor | None, fake: Tensor | None = None, ax=None, title=None, lim=None
):
    """Real samples in blue and generated ones in red, for 2-D data (N, 2)."""
    ax = _new_ax(ax)
    for points, color, label in ((real, REAL_COLOR, "real"), (fake, FAKE_COLOR, "generated")):
        if points is not None:
            p = points.detach().cpu().numpy()
            ax.scatter(p[:, 0], p[:, 1], s=4, alpha=0.5, color=color, label=label, zorder=2)
    if lim is not None:
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8, markerscale=3)
    if title:
        ax.set_title(title)
    return ax


def plot_points(points: Tensor, ax=None, title: str | None = None, colour="gray"):
    """2-D points (N, 2); `colour` is one colour or one value per point (N,), e.g. a latent z_1."""
    ax = _new_ax(ax)
    points = points.detach().cpu()
    mapped = isinstance(colour, Tensor)  # one value per point, through a colour map
    colours = dict(c=colour.detach().cpu(), cmap="viridis") if mapped else dict(c=colour)
    ax.scatter(points[:, 0], points[:, 1], s=4, alpha=0.6, **colours)
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(title)
    return ax


def plot_density_1d(samples: Tensor, mixture, ax=None, title=None, color=REAL_COLOR, span=(-4, 5)):
    """A histogram of 1-D samples (N, 1) over the true density of `mixture`."""
    ax = _new_ax(ax, (7, 3))
    xs = torch.linspace(*span, 400).unsqueeze(1)  # (400, 1): density takes points (N, D)
    ax.hist(
        samples[:, 0].detach().cpu().numpy(),
        bins=60,
        range=span,
        density=True,
        alpha=0.5,
        color=color,
        label=f"histogram of {len(samples)} samples",
    )
    density = mixture.density(xs)  # (400,)
    ax.plot(xs[:, 0].numpy(), density.numpy(), color="black", label="$p_{data}(x)$")
    ax.set_ylim(0, 1.5 * density.max().item())  # headroom for the legend above the bumps
    ax.legend(fontsize=8, loc="upper center", ncol=2)
    if title:
        ax.set_title(title)
    return ax


def gan_lab_view(
    generator,
    discriminator,
    real: Tensor,
    noise: Tensor,
    ax=None,
    lim: float = 3.0,
    resolution: int = 120,
    n_arrows: int = 80,
    title: str | None = None,
):
    """The 2-D view of GAN Lab (Kahng et al. 2018) for *your* D and G: `decision_view` of the
    samples G makes from `noise`."""
    fake = sample(generator, z=noise)  # eval mode, no gradients, on G's device
    return decision_view(discriminator, real, fake, ax, lim, resolution, n_arrows, title)


def decision_view(
    discriminator,
    real: Tensor,
    fake: Tensor,
    ax=None,
    lim: float = 3.0,
    resolution: int = 120,
    n_arrows: int = 80,
    title: str | None = None,
):
    """D's verdict over the plane, real and fake samples, and where G's loss pushes the fakes.

    Background: D(x) = sigmoid(logit(x)) (blue = "real", red = "fake"). Arrows: -d loss_G / d x
    at each fake x, for the non-saturating loss: the direction training moves G's outputs.
    """
    ax = _new_ax(ax)
    device = device_of(discriminator)
    axis = torch.linspace(-lim, lim, resolution)
    xx, yy = torch.meshgrid(axis, axis, indexing="xy")
    plane = torch.stack([xx.flatten(), yy.flatten()], dim=1).to(device)  # (R*R, 2)
    with torch.no_grad():
        verdict = torch.sigmoid(discriminator(plane)).view(resolution, resolution).cpu()
    ax.imshow(
        verdict.numpy(),
        extent=(-lim, lim, -lim, lim),
        origin="lower",
        cmap="RdBu",
        vmin=0,
        vmax=1,
        alpha=0.45,  # light enough for the blue real points to show on the blue "real" area
    )
    scatter_real_fake(real, fake, ax=ax, lim=lim)
    # the gradient G would follow, measured at the fakes' positions
    shown = fake[:n_arrows].detach().clone().to(device).requires_grad_(True)
    loss = losses.g_loss_nonsaturating(discriminator(shown))
    (grad,) = torch.autograd.grad(loss, shown)
    push = -grad.cpu()
    scale = push.norm(dim=1).max().clamp_min(1e-12) / (0.15 * lim)  # longest arrow: 15% of axis
    p = shown.detach().cpu()
    ax.quiver(
        p[:, 0],
        p[:, 1],
        push[:, 0] / scale,
        push[:, 1] / scale,
        angles="xy",
        scale_units="xy",
        scale=1,
        color="black",
        width=0.003,
        alpha=0.5,
        zorder=1,  # beneath the samples
    )
    ax.set_title(title or "D's verdict, samples, and G's gradient")
    return ax


LOSS_LABELS = {"d_loss": "D loss", "g_loss": "G loss"}


def plot_losses(history, ax=None, smooth: int = 20):
    """Every loss the step logs (a key ending in "loss") against the step, smoothed over
    `smooth` steps: D's and G's for the classic GAN."""
    ax = _new_ax(ax, (5, 3))
    for key in (k for k in history.keys() if k.endswith("loss")):
        label = LOSS_LABELS.get(key, key)
        ax.plot(history["step"], running_mean(history[key], smooth), label=label)
    ax.set_xlabel("step")
    ax.xaxis.set_major_locator(MaxNLocator(4))  # long runs: keep tick labels apart
    ax.set_title("losses")
    ax.legend(fontsize=8)
    return ax


def plot_d_outputs(history, ax=None, smooth: int = 20):
    """D(x) and D(G(z)) against the step: at equilibrium both approach 1/2."""
    ax = _new_ax(ax, (5, 3))
    for key, label, color in (("d_real", "D(x)", REAL_COLOR), ("d_fake", "D(G(z))", FAKE_COLOR)):
        if key in history:
            ax.plot(history["step"], running_mean(history[key], smooth), label=label, color=color)
    ax.axhline(0.5, color="gray", lw=0.8, ls="--")
    ax.set_ylim(0, 1)
    ax.set_xlabel("step")
    ax.xaxis.set_major_locator(MaxNLocator(4))
    ax.set_title("discriminator outputs")
    ax.legend(fontsize=8)
    return ax


def plot_history(history, smooth: int = 20):
    """Losses and D outputs side by side; returns the figure."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3))
    plot_losses(history, ax1, smooth)
    plot_d_outputs(history, ax2, smooth)
    fig.tight_layout()
    return fig


def running_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Running mean over the last `window` values (shorter at the start)."""
    if window <= 1 or len(values) == 0:
        return values
    cumsum = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(idx - window, 0)
    return (cumsum[idx] - cumsum[lo]) / (idx - lo)


# ------------------------------------------------------------------------------ lesson 06


def plot_gradient_norms(runs: dict, smooth: int = 20, axes=None):
    """‖∇G‖ (log scale) and D(G(z)) against the step, one line a run (of `compare_runs`)."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.5))
    ax_grad, ax_fake = axes
    for name, run in runs.items():
        steps = run.history["step"]
        ax_grad.plot(steps, running_mean(run.history["g_grad"], smooth), label=name)
        ax_fake.plot(steps, running_mean(run.history["d_fake"], smooth), label=name)
    ax_grad.set(yscale="log", xlabel="step", title="size of G's gradient, ‖∇G‖")
    ax_fake.set(ylim=(0, 1), xlabel="step", title="D(G(z))")
    for ax in axes:
        ax.legend(fontsize=8)
    return axes


def plot_mode_occupancy(tracker, ax=None, title="where G's samples are, over time"):
    """Mode (rows) against step (columns): the share of the samples nearest each mode, as
    recorded by a `callbacks.ModeTracker`."""
    ax = ax or plt.subplots(figsize=(9, 3.5))[1]
    share = tracker.counts.T / tracker.n  # (K, T)
    half = tracker.every / 2  # each column covers the `every` steps around its step
    span = (tracker.steps[0] - half, tracker.steps[-1] + half, len(share) - 0.5, -0.5)
    image = ax.imshow(
        share, aspect="auto", cmap="magma", interpolation="nearest", extent=span, vmin=0, vmax=1
    )
    ax.figure.colorbar(image, ax=ax, label="share of samples nearest the mode")
    ax.set(xlabel="step", ylabel="mode", title=title)
    return ax
