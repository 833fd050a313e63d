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

    It *saturates*: when D confidently rejects the fakes (D(G(z)) near 0, early in training)
    its gradient vanishes, so G learns least when it is worst.
    """
    return -F.softplus(fake_logits).mean()  # log(1 - sigmoid(l))


def g_loss_nonsaturating(fake_logits: Tensor) -> Tensor:
    r"""$-\mathbb{E}[\log D(G(z))]$: the "non-saturating" loss everyone uses instead.

    Same fixed point as the saturating loss, but a strong gradient exactly when D rejects
    the fakes. It is BCE of the fakes against the *real* label.
    """
    return F.softplus(-fake_logits).mean()  # -log sigmoid(l)


def optimal_discriminator(p_data: Tensor, p_model: Tensor) -> Tensor:
    r"""$D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))$, the best D for a fixed G.

    Where neither density has mass (0 / 0) the answer is 1/2: D cannot tell.
    """
    total = p_data + p_model
    return torch.where(total > 0, p_data / total.clamp_min(1e-30), torch.full_like(total, 0.5))


G_LOSSES = {"non-saturating": g_loss_nonsaturating, "saturating": g_loss_saturating}
D_LOSSES = {"bce": d_loss_bce}
