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


def plot_smoothed_optimal_d(alpha: float = 0.1, beta: float = 0.1, axes=None):
    r"""The optimal D on a 1-D example, for real targets $1 - \alpha$ and fake targets $\beta$.

    For BCE with those targets $D^*(x) = ((1 - \alpha)\,p + \beta\,q) / (p + q)$: one-sided
    smoothing ($\beta = 0$) only scales $p / (p + q)$, two-sided smoothing ($\beta > 0$) leaves
    $D^* = \beta$, not 0, where the fakes lie and the data does not. Top: the data's density $p$
    and the generator's $q$; bottom: $D^*$ without smoothing, one-sided and two-sided.
    """
    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(8, 5), sharex=True, height_ratios=(1, 1.4))
    ax_density, ax_d = axes
    x = np.linspace(-4, 6, 801)
    p = _normal_pdf(x, -1.0, 0.8)  # the data
    q = 0.6 * _normal_pdf(x, 0.0, 0.8) + 0.4 * _normal_pdf(x, 3.5, 0.6)  # half right, half off
    ax_density.fill_between(x, p, color=REAL_COLOR, alpha=0.3, label="data $p$")
    ax_density.fill_between(x, q, color=FAKE_COLOR, alpha=0.3, label="generator $q$")
    ax_density.set(ylabel="density", title="a 1-D example: part of $q$ lies where $p = 0$")
    curves = (
        ("no smoothing: $p/(p+q)$", p / (p + q), "gray", ":"),
        (
            f"one-sided: $(1-\\alpha)p/(p+q)$, $\\alpha={alpha}$",
            (1 - alpha) * p / (p + q),
            "C2",
            "-",
        ),
        (
            f"two-sided: $((1-\\alpha)p+\\beta q)/(p+q)$, $\\beta={beta}$",
            ((1 - alpha) * p + beta * q) / (p + q),
            "C4",
            "--",
        ),
    )
    for label, d_star, color, style in curves:
        ax_d.plot(x, d_star, color=color, ls=style, lw=2, label=label)
    empty = (q > 20 * p) & (x > 1.5)  # fakes in a region the data does not reach
    ax_d.fill_between(x, 0, 1, where=empty, color=FAKE_COLOR, alpha=0.08, lw=0)
    ax_d.annotate(
        f"only fakes here: two-sided $D^* = \\beta$ = {beta}, not 0",
        xy=(3.5, beta),
        xytext=(1.2, 0.45),
        fontsize=8,
        arrowprops=dict(arrowstyle="->", color="0.3"),
    )
    ax_d.set(xlabel="x", ylabel="$D^*(x)$", ylim=(-0.03, 1.03), title="the optimal discriminator")
    for ax in axes:
        ax.legend(fontsize=8, loc="upper right")
    return axes


def _normal_pdf(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


# ------------------------------------------------------------------------------ lesson 08


def plot_frechet_gaussians(mu1, sigma1, mu2, sigma2, ax=None, labels=("real", "generated")):
    r"""Two 2-D Gaussians, N(mu1, sigma1) and N(mu2, sigma2), and the two terms of their
    Fréchet distance: the means' term $\lVert\mu_1 - \mu_2\rVert^2$ (the arrow) and the
    covariances' term $\mathrm{Tr}(\Sigma_1 + \Sigma_2 - 2(\Sigma_1\Sigma_2)^{1/2})$ (the ellipses:
    1 and 2 standard deviations)."""
    from matplotlib.patches import Ellipse

    from .metrics import gaussian_frechet_distance

    ax = _new_ax(ax, (6, 5))
    mu1, sigma1, mu2, sigma2 = (
        torch.as_tensor(t, dtype=torch.float64) for t in (mu1, sigma1, mu2, sigma2)
    )
    for mu, sigma, color, label in (
        (mu1, sigma1, REAL_COLOR, labels[0]),
        (mu2, sigma2, FAKE_COLOR, labels[1]),
    ):
        variances, axes_ = torch.linalg.eigh(sigma)  # principal variances and directions
        angle = np.degrees(np.arctan2(axes_[1, -1].item(), axes_[0, -1].item()))  # the longest
        for k in (1, 2):  # ellipses at 1 and 2 standard deviations
            width, height = (2 * k * variances.flip(0).sqrt()).tolist()
            ax.add_patch(
                Ellipse(mu.tolist(), width, height, angle=angle, fc="none", ec=color, lw=2 / k)
            )
        ax.plot(*mu.tolist(), "o", color=color, label=f"{label}: mean and 1, 2 std")
    mean_term = (mu1 - mu2).pow(2).sum().item()
    total = gaussian_frechet_distance(mu1, sigma1, mu2, sigma2).item()
    ax.annotate("", xy=mu2.tolist(), xytext=mu1.tolist(), arrowprops=dict(arrowstyle="->", lw=1.5))
    middle = ((mu1 + mu2) / 2).tolist()
    label = f"$\\|\\mu_1-\\mu_2\\|^2$ = {mean_term:.2f}"
    ax.text(*middle, label, fontsize=9, va="bottom", bbox=dict(fc="white", ec="none", alpha=0.8))
    ax.set_title(
        r"$d^2 = \|\mu_1-\mu_2\|^2 + \mathrm{Tr}(\Sigma_1+\Sigma_2-2(\Sigma_1\Sigma_2)^{1/2})$"
        f"\n= {mean_term:.2f} (means) + {total - mean_term:.2f} (covariances) = {total:.2f}",
        fontsize=10,
    )
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    ax.legend(fontsize=8, loc="lower right")
    return ax


# ------------------------------------------------------------------------------ diagrams


def _node(ax, xy, text: str, color: str = "white"):
    """A labelled box of a diagram, centred on `xy` (data coordinates)."""
    box = dict(boxstyle="round,pad=0.4", fc=color, ec="0.3")
    return ax.text(*xy, text, ha="center", va="center", fontsize=9, bbox=box, zorder=3)


def _edge(ax, start, end, color="0.2", ls="-", rad=0.0, backward=False):
    """An arrow between two boxes: from `start`'s right edge to `end`'s left edge, or, with
    `backward`, from `start`'s left edge to `end`'s right edge (a gradient flowing back)."""
    tail, head = ((0.0, 0.5), (1.0, 0.5)) if backward else ((1.0, 0.5), (0.0, 0.5))
    style = dict(arrowstyle="-|>", color=color, ls=ls, lw=1.4, shrinkA=7, shrinkB=7)
    ax.annotate(
        "",
        xy=head,
        xycoords=end,
        xytext=tail,
        textcoords=start,
        arrowprops=dict(style, connectionstyle=f"arc3,rad={rad}"),
    )


def _diagram_ax(ax, xlim, ylim, figsize):
    ax = _new_ax(ax, figsize)
    ax.set(xlim=xlim, ylim=ylim)
    ax.set_axis_off()
    return ax


def plot_d_step_graph(ax=None):
    """Lesson 05's D step as a computation graph: the forward pass (black) and the gradient of
    the D loss flowing back (red, dashed), which `detach()` stops before it reaches G."""
    from matplotlib.lines import Line2D

    ax = _diagram_ax(ax, (0, 12), (0, 4.2), (11, 4))
    blue, grey = "#dbe8f5", "#e8e8e8"
    z = _node(ax, (0.6, 3), "noise z")
    g = _node(ax, (2.2, 3), "G\n(not updated here)", grey)
    fake = _node(ax, (4.0, 3), "fake = G(z)")
    d_fake = _node(ax, (6.6, 3), "D", blue)
    fake_logits = _node(ax, (8.5, 3), "fake logits")
    real = _node(ax, (4.0, 1), "real x")
    d_real = _node(ax, (6.6, 1), "D", blue)
    real_logits = _node(ax, (8.5, 1), "real logits")
    loss = _node(ax, (10.9, 2), "D loss\n$\\mathcal{L}_D$", "#f5dada")
    for a, b in (
        (z, g),
        (g, fake),
        (fake, d_fake),
        (d_fake, fake_logits),
        (fake_logits, loss),
        (real, d_real),
        (d_real, real_logits),
        (real_logits, loss),
    ):
        _edge(ax, a, b)
    red = dict(color=FAKE_COLOR, ls="--", rad=0.35, backward=True)
    for a, b in (
        (loss, fake_logits),
        (fake_logits, d_fake),
        (loss, real_logits),
        (real_logits, d_real),
    ):
        _edge(ax, a, b, **red)
    ax.annotate(  # the gradient that reaches D's input on the fake path ... stops at the cut
        "",
        xy=(5.05, 3.35),
        xytext=(6.25, 3.35),
        arrowprops=dict(arrowstyle="-|>", color=FAKE_COLOR, ls="--", lw=1.4),
    )
    ax.plot([5.0, 5.0], [2.45, 3.75], color="black", lw=3)
    ax.text(5.0, 3.95, ".detach()", ha="center", fontsize=10, family="monospace")
    ax.text(5.0, 2.2, "no gradient\nreaches G", ha="center", va="top", fontsize=8)
    ax.text(6.6, 0.25, "only D's weights get .grad and move", ha="center", fontsize=8)
    backward = r"backward: gradient of $\mathcal{L}_D$"
    handles = [
        Line2D([], [], color="0.2", label="forward"),
        Line2D([], [], color=FAKE_COLOR, ls="--", label=backward),
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False)
    ax.set_title("the D step: detach cuts the graph between G and D")
    return ax


def _block_text(block) -> str:
    """'convT 4/2/1, BN, ReLU' for a block of layers (a Sequential, or one layer)."""
    names = []
    for layer in block.children() if len(list(block.children())) else [block]:
        kind = type(layer).__name__
        if kind in ("Conv2d", "ConvTranspose2d"):
            k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
            names.append(f"{'convT' if kind == 'ConvTranspose2d' else 'conv'} {k}/{s}/{p}")
        else:
            names.append(
                {"BatchNorm2d": "BN", "LeakyReLU": "LReLU", "Flatten": "flatten"}.get(kind, kind)
            )
    return ",\n".join(names)


@torch.no_grad()
def _shapes(blocks, x: Tensor) -> list[tuple[int, ...]]:
    """The shape of one sample (C, H, W) before the blocks and after each of them."""
    shapes = [tuple(x.shape[1:])]
    for block in blocks:
        x = block(x)
        shapes.append(tuple(x.shape[1:]))
    return shapes


def plot_dcgan_architecture(generator, discriminator, ax=None):
    """A DCGAN's generator (top) and discriminator (bottom), one box a tensor: its height grows
    with the image size, its width with the channels, labelled channels x height x width; the
    layers of each block (kernel/stride/padding) on the arrows. Shapes come from a real forward
    pass in eval mode (the networks' modes and BatchNorm statistics are left as they were)."""
    from matplotlib.patches import Rectangle

    nets = (generator, discriminator)
    modes = [net.training for net in nets]
    for net in nets:
        net.eval()  # BatchNorm: use, don't update, its running statistics
    try:
        device = device_of(generator)
        z = torch.zeros(1, generator.latent_dim, 1, 1, device=device)  # z as a 1x1 map
        g_shapes = _shapes(generator.net, z)
        d_blocks = [*discriminator.features, discriminator.head]
        image = torch.zeros(1, *g_shapes[-1], device=device_of(discriminator))
        d_shapes = _shapes(d_blocks, image)
    finally:
        for net, mode in zip(nets, modes, strict=True):
            net.train(mode)
    ax = _new_ax(ax, (12, 6))
    rows = (("G", 5.2, list(generator.net), g_shapes), ("D", 1.6, d_blocks, d_shapes))
    for name, y, blocks, shapes in rows:
        ax.text(-0.6, y, name, fontsize=16, weight="bold", ha="center", va="center")
        x = 0.0
        for i, (c, h, w) in enumerate(shapes):
            width, height = 0.25 + 0.15 * np.log2(c), 0.5 + 0.45 * np.log2(h)  # c, h >= 1
            ends = i == 0 if name == "G" else i == len(shapes) - 1  # z, or the logit
            color = "#f0d9b5" if ends else "#dbe8f5"
            ax.add_patch(Rectangle((x, y - height / 2), width, height, fc=color, ec="0.3"))
            ax.text(
                x + width / 2,
                y - height / 2 - 0.15,
                f"{c}×{h}×{w}",
                ha="center",
                va="top",
                fontsize=8,
            )
            if i < len(blocks):
                ax.annotate(
                    "",
                    xy=(x + width + 1.3, y),
                    xytext=(x + width + 0.1, y),
                    arrowprops=dict(arrowstyle="-|>", color="0.3"),
                )
                ax.text(
                    x + width + 0.7,
                    y + 0.2,
                    _block_text(blocks[i]),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
            x += width + 1.4
    ax.set(xlim=(-1.1, x), ylim=(-0.6, 7.4))
    ax.set_axis_off()
    ax.set_title("DCGAN, one sample's shape after each block (channels × height × width)")
    return ax


def plot_conditional_discriminators(axes=None):
    r"""Where a conditional D reads the label: stacked on the image as label maps before the
    first layer (concatenation), or at the very end, as $\langle e_y, \phi(x)\rangle$ added
    to an unconditional logit $\psi(\phi(x))$ (projection, Miyato & Koyama 2018)."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(13, 3.4))
    ax_cat, ax_proj = (_diagram_ax(ax, (0, 10), (0, 4), None) for ax in axes)
    blue, gold = "#dbe8f5", "#f0d9b5"
    x = _node(ax_cat, (0.9, 3), "image x")
    y = _node(ax_cat, (0.9, 1), "label y\n(10 maps: 1 at y)", gold)
    stack = _node(ax_cat, (3.3, 2), "stack\n1 + 10 channels")
    layers = _node(ax_cat, (5.9, 2), "conv layers", blue)
    logit = _node(ax_cat, (8.6, 2), "logit $\\ell(x, y)$")
    for a, b in ((x, stack), (y, stack), (stack, layers), (layers, logit)):
        _edge(ax_cat, a, b)
    ax_cat.set_title("concatenation: the label enters at the first layer")
    x = _node(ax_proj, (0.8, 3), "image x")
    phi = _node(ax_proj, (2.8, 3), "conv layers\n$\\phi(x)$", blue)
    psi = _node(ax_proj, (5.0, 3.4), "$\\psi(\\phi(x))$\nreal or fake?")
    y = _node(ax_proj, (0.8, 1), "label y", gold)
    e_y = _node(ax_proj, (2.8, 1), "embedding $e_y$", gold)
    inner = _node(ax_proj, (5.0, 1.6), "$\\langle e_y, \\phi(x)\\rangle$\nlooks like y?")
    plus = _node(ax_proj, (7.1, 2.5), "+")
    logit = _node(ax_proj, (8.9, 2.5), "logit $\\ell(x, y)$")
    for a, b in (
        (x, phi),
        (phi, psi),
        (phi, inner),
        (y, e_y),
        (e_y, inner),
        (psi, plus),
        (inner, plus),
        (plus, logit),
    ):
        _edge(ax_proj, a, b)
    ax_proj.set_title("projection: the label enters where D decides")
    return axes
