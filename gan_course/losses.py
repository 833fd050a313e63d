r"""GAN losses as pure functions: logits in, scalar out (Goodfellow et al. 2014).

The game: D maximises and G minimises the value

$$V(D, G) = \mathbb{E}_{x \sim p_{data}}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))]$$

with $D(x) = \sigma(\text{logit})$. Every function here takes *logits*, never probabilities:
$\log \sigma(l) = -\text{softplus}(-l)$ and $\log(1 - \sigma(l)) = -\text{softplus}(l)$ are exact
and stable, whereas `log(sigmoid(l))` underflows to `-inf` once `sigmoid(l)` rounds to 0.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .runtime import device_of


def minimax_value(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""$V = \mathbb{E}[\log D(x)] + \mathbb{E}[\log(1 - D(G(z)))]$; D ascends it, G descends it.

    Its maximum over D is $-\log 4 \approx -1.386$ when G matches the data exactly.
    """
    log_d_real = -F.softplus(-real_logits)  # log sigmoid(l)
    log_one_minus_d_fake = -F.softplus(fake_logits)  # log(1 - sigmoid(l))
    return log_d_real.mean() + log_one_minus_d_fake.mean()


def d_loss_bce(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""$-\mathbb{E}[\log D(x)] - \mathbb{E}[\log(1 - D(G(z)))] = -V$.

    Binary cross-entropy with label 1 for real and 0 for fake, from logits with softplus.
    """
    real_term = F.softplus(-real_logits).mean()  # -log sigmoid(l): BCE with label 1
    fake_term = F.softplus(fake_logits).mean()  # -log(1 - sigmoid(l)): BCE with label 0
    return real_term + fake_term


def g_loss_saturating(fake_logits: Tensor) -> Tensor:
    r"""$\mathbb{E}[\log(1 - D(G(z)))]$: the minimax loss as written in the game.

    It *saturates*: when D confidently rejects the fakes (D(G(z)) near 0, as when D gets far
    ahead of G) its gradient vanishes, so G learns least when it is worst.
    """
    return -F.softplus(fake_logits).mean()  # log(1 - sigmoid(l))


def g_loss_nonsaturating(fake_logits: Tensor) -> Tensor:
    r"""$-\mathbb{E}[\log D(G(z))]$: the "non-saturating" loss everyone uses instead.

    Same fixed point as the saturating loss, but a strong gradient exactly when D rejects
    the fakes. It is BCE of the fakes against the *real* label.
    """
    return F.softplus(-fake_logits).mean()  # -log sigmoid(l)


def d_accuracy(real_logits: Tensor, fake_logits: Tensor) -> float:
    """Fraction of samples D classifies right: real when logit > 0, fake when logit < 0.

    Pooled over both batches, so unequal batch sizes weigh each sample equally. (Not a loss,
    but read off the same logits, after every D step.)
    """
    correct = torch.cat([real_logits > 0, fake_logits < 0]).float()
    return correct.mean().item()


def optimal_discriminator(p_data: Tensor, p_model: Tensor) -> Tensor:
    r"""$D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))$, the best D for a fixed G.

    Where neither density has mass (0 / 0) the answer is 1/2: D cannot tell.
    """
    total = p_data + p_model
    return torch.where(total > 0, p_data / total.clamp_min(1e-30), torch.full_like(total, 0.5))


def d_loss_bce_targets(real_logits: Tensor, fake_logits: Tensor, real_targets: Tensor) -> Tensor:
    r"""BCE with *soft or flipped* labels for the real batch: $-\mathbb{E}[t \log D(x) +
    (1 - t)\log(1 - D(x))] - \mathbb{E}[\log(1 - D(G(z)))]$.

    `real_targets` (N,) is 1 for a plain real label, 0.9 for one-sided label smoothing
    (Salimans et al. 2016), 0 where a label was flipped. Fakes keep label 0: smoothing them too
    would reward G for samples D already rejects.
    """
    real_term = F.binary_cross_entropy_with_logits(real_logits, real_targets)
    fake_term = F.softplus(fake_logits).mean()  # -log(1 - sigmoid(l)): BCE with label 0
    return real_term + fake_term


# ------------------------------------------------------------------ the Wasserstein family (09)
# These losses take *scores*: unbounded outputs of a critic, with no sigmoid behind them.


def d_loss_wasserstein(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""$\mathbb{E}[f(G(z))] - \mathbb{E}[f(x)]$ (Arjovsky et al. 2017).

    Minimising it maximises $\mathbb{E}[f(x)] - \mathbb{E}[f(G(z))]$, which estimates the
    Wasserstein-1 distance only while the critic $f$ is 1-Lipschitz: clip its weights, add a
    gradient penalty, or use spectral normalisation.
    """
    return fake_scores.mean() - real_scores.mean()


def g_loss_wasserstein(fake_scores: Tensor) -> Tensor:
    r"""$-\mathbb{E}[f(G(z))]$: raise the critic's score of the fakes (WGAN, and hinge GANs)."""
    return -fake_scores.mean()


def d_loss_least_squares(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""$\tfrac12\mathbb{E}[(D(x) - 1)^2] + \tfrac12\mathbb{E}[D(G(z))^2]$ (LSGAN, Mao et al. 2017).

    A squared error pulls the scores to targets 1 and 0; fakes far on the "real" side of the
    boundary are still penalised, so G keeps a gradient where the sigmoid would saturate.
    """
    return 0.5 * ((real_scores - 1) ** 2).mean() + 0.5 * (fake_scores**2).mean()


def g_loss_least_squares(fake_scores: Tensor) -> Tensor:
    r"""$\tfrac12\mathbb{E}[(D(G(z)) - 1)^2]$: G wants its fakes scored as real (1)."""
    return 0.5 * ((fake_scores - 1) ** 2).mean()


def d_loss_hinge(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""$\mathbb{E}[\max(0, 1 - D(x))] + \mathbb{E}[\max(0, 1 + D(G(z)))]$ (Lim & Ye 2017;
    used by SNGAN and BigGAN). Scores beyond the margin cost nothing, so D stops pushing."""
    return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()


# ------------------------------------------------------------------ regularisers (06, 09)


def gradient_penalty(critic, real: Tensor, fake: Tensor) -> Tensor:
    r"""$\mathbb{E}_{\hat x}[(\lVert\nabla_{\hat x} f(\hat x)\rVert_2 - 1)^2]$ (WGAN-GP,
    Gulrajani et al. 2017), with $\hat x$ uniform on lines between real and fake samples.

    `critic` is a callable from samples to scores (N,). `create_graph=True` lets the penalty
    itself be differentiated when D's loss is backpropagated.
    """
    alpha = torch.rand(len(real), *([1] * (real.dim() - 1)), device=real.device)  # (N, 1, ...)
    mixed = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def r1_penalty(real_scores: Tensor, real: Tensor) -> Tensor:
    r"""$\mathbb{E}_x[\lVert\nabla_x D(x)\rVert^2]$ on real data (R1, Mescheder et al. 2018).

    `real` must have `requires_grad=True` before D saw it. Weighted by $\gamma/2$ in D's loss;
    it keeps D flat on the data, which damps the oscillation around the equilibrium.
    """
    (grad,) = torch.autograd.grad(real_scores.sum(), real, create_graph=True)
    return grad.flatten(1).pow(2).sum(dim=1).mean()


def weight_penalty(module: torch.nn.Module, l1: float = 0.0, l2: float = 0.0) -> Tensor:
    r"""$\lambda_1 \sum |w| + \lambda_2 \sum w^2$ over the weights (not biases) of `module`.

    A smaller, smoother D: one of the old remedies for a discriminator that wins too easily.
    """
    weights = [p for p in module.parameters() if p.dim() > 1]  # matrices and kernels, not biases
    total = torch.zeros((), device=device_of(module))
    for w in weights:
        total = total + l1 * w.abs().sum() + l2 * w.pow(2).sum()
    return total


G_LOSSES = {
    "non-saturating": g_loss_nonsaturating,
    "saturating": g_loss_saturating,
    "wasserstein": g_loss_wasserstein,
    "least-squares": g_loss_least_squares,
    "hinge": g_loss_wasserstein,  # the hinge GAN's G loss is the Wasserstein one
}
D_LOSSES = {
    "bce": d_loss_bce,
    "wasserstein": d_loss_wasserstein,
    "least-squares": d_loss_least_squares,
    "hinge": d_loss_hinge,
}
