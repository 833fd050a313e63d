r"""Text GANs: SeqGAN (Yu et al. 2017), and the Gumbel-softmax generator beside it.

**Why the classic GAN stops at text.** A generator of text ends in a draw: logits -> softmax
-> *pick a token*. The picked token is an integer; `argmax` and `multinomial` have no
gradient, so $\partial D(x) / \partial \theta_G$ does not exist and `g_loss.backward()` never
reaches G. Two ways around it:

* **SeqGAN** treats G as a policy and D's verdict as a reward: the REINFORCE gradient
  $$\nabla_\theta J = \mathbb{E}_{x \sim G}\Big[\sum_t Q(x_{<t}, x_t)\,
    \nabla_\theta \log G_\theta(x_t \mid x_{<t})\Big]$$
  needs only $\log G$ of the drawn tokens, not a gradient through the draw. D judges whole
  sequences, so the reward of a prefix $Q(x_{<t}, x_t)$ is estimated by finishing it
  `n_rollouts` times with a *rollout policy* (Monte-Carlo search) and averaging D's
  probability of "real"; the last token gets $D(x)$ itself. G is first trained by maximum
  likelihood (MLE) on the data; the GAN phase refines it.
* **Gumbel-softmax** makes the draw differentiable: $\mathrm{softmax}((\text{logits} +
  g)/\tau)$ with Gumbel noise $g$ is a relaxed one-hot, and D reads one-hot rows through its
  embedding matrix, so $-\log D(G(z))$ back-propagates into G as in lesson 05.

The protocol is SeqGAN's synthetic one: an `Oracle` LSTM makes the data, and NLL-oracle (the
oracle's mean per-token negative log-likelihood of G's samples) says how close G is to it.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .. import losses
from ..data import real_batches
from ..loop import History, TrainState, fit, stop_if_diverged
from ..runtime import device_of

# ------------------------------------------------------------------------------ MLE


@dataclass
class MLEConfig:
    """Maximum-likelihood (teacher-forced) training: SeqGAN's pretraining settings."""

    steps: int = 2000
    batch_size: int = 64
    lr: float = 0.01  # Adam, as in the SeqGAN code
    grad_clip: float = 5.0  # global gradient norm, as in the SeqGAN code


def mle_loss(generator: nn.Module, tokens: Tensor) -> Tensor:
    r"""$-\frac{1}{NL}\sum \log G(x_t \mid x_{<t})$ on real sequences (N, L): cross-entropy."""
    return -generator.log_probs(tokens).mean()


def clipped_step(net: nn.Module, optimizer: torch.optim.Optimizer, loss: Tensor, clip: float):
    optimizer.zero_grad()
    loss.backward()
    norm = nn.utils.clip_grad_norm_(net.parameters(), clip)
    optimizer.step()
    return float(norm)


def mle_step(state: TrainState) -> dict:
    """One MLE step on a batch of real sequences."""
    loss = mle_loss(state.generator, next(state.batches))
    norm = clipped_step(state.generator, state.g_optimizer, loss, state.config.grad_clip)
    return {"mle_loss": loss.item(), "grad_norm": norm}


def train_mle(
    generator: nn.Module,
    sequences: Tensor,
    config: MLEConfig | None = None,
    *,
    callbacks: Sequence = (),
    resume_from: str | os.PathLike | None = None,
) -> History:
    """Train `generator` by maximum likelihood on `sequences` (N, L) through `loop.fit`."""
    config = config or MLEConfig()
    device = device_of(generator)
    state = TrainState(
        nets={"generator": generator},
        optimizers={"g_optimizer": torch.optim.Adam(generator.parameters(), lr=config.lr)},
        config=config,
        data=sequences,
        batches=real_batches(sequences, config.batch_size, device),
        device=device,
    )
    return fit(mle_step, state, config.steps, callbacks, resume_from=resume_from)


# ------------------------------------------------------------------------------ D


def text_d_step(state: TrainState) -> dict:
    r"""(1) Update D: maximise $\log D(x) + \log(1 - D(G(z)))$ on real sequences against
    G's samples (integers: nothing flows back into G, no detach needed)."""
    G, D = state.generator, state.discriminator
    real = next(state.batches)  # (N, L)
    fake = G.sample(len(real))  # (N, L)
    state.d_optimizer.zero_grad()
    real_logits, fake_logits = D(real), D(fake)
    d_loss = losses.d_loss_bce(real_logits, fake_logits)
    d_loss.backward()
    state.d_optimizer.step()
    return {
        "d_loss": d_loss.item(),
        "d_real": torch.sigmoid(real_logits).mean().item(),
        "d_fake": torch.sigmoid(fake_logits).mean().item(),
    }


# ------------------------------------------------------------------------------ rewards


@torch.no_grad()
def rollout_rewards(
    rollout: nn.Module, discriminator: nn.Module, samples: Tensor, n_rollouts: int = 16,
    generator: torch.Generator | None = None,
) -> Tensor:  # fmt: skip
    r"""SeqGAN's rewards (N, L) for sampled sequences (N, L), in [0, 1]:

    $Q_t = \frac{1}{R}\sum_{r=1}^{R} D(\text{rollout}_r(x_{1:t}))$ for t < L, each
    $\text{rollout}_r$ a completion of the prefix by the rollout policy, and $Q_L = D(x)$.
    D is put in eval mode (no dropout) while it judges, as in the SeqGAN code.
    """
    n, length = samples.shape
    was_training = discriminator.training
    discriminator.eval()
    rewards = torch.empty(n, length, device=samples.device)
    for t in range(1, length):
        finished = rollout.complete(samples[:, :t], n_rollouts, generator)  # (R, N, L)
        real_prob = torch.sigmoid(discriminator(finished.reshape(-1, length)))  # (R*N,)
        rewards[:, t - 1] = real_prob.view(n_rollouts, n).mean(0)
    rewards[:, -1] = torch.sigmoid(discriminator(samples))
    discriminator.train(was_training)
    return rewards


def policy_gradient_loss(log_probs: Tensor, rewards: Tensor) -> Tensor:
    r"""REINFORCE: $-\frac{1}{NL}\sum_{n,t} Q_{n,t} \log G(x_{n,t} \mid x_{n,<t})$.

    `log_probs` (N, L) carry the gradient; `rewards` (N, L) are constants (D's verdicts).
    (The SeqGAN code sums instead of averaging; with Adam and a clipped norm, only the scale
    of a step's gradient changes.)"""
    return -(log_probs * rewards.detach()).mean()


@torch.no_grad()
def lerp_parameters(rollout: nn.Module, generator: nn.Module, keep: float) -> None:
    r"""$\theta_{\text{rollout}} \leftarrow \text{keep}\,\theta_{\text{rollout}} +
    (1 - \text{keep})\,\theta_G$: SeqGAN's delayed rollout policy (keep = 0.8)."""
    for mine, live in zip(rollout.parameters(), generator.parameters(), strict=True):
        mine.lerp_(live, 1 - keep)


# ------------------------------------------------------------------------------ SeqGAN


@dataclass
class SeqGANConfig:
    """SeqGAN's adversarial phase; the SeqGAN code's settings where the comment says so."""

    steps: int = 200  # adversarial rounds (the code's TOTAL_BATCH = 200)
    batch_size: int = 64
    g_lr: float = 0.01  # Adam, a fresh one for this phase (the code)
    d_lr: float = 1e-4  # Adam (the code)
    grad_clip: float = 5.0
    n_rollouts: int = 16  # Monte-Carlo completions of each prefix (the code)
    rollout_keep: float = 0.8  # delayed rollout policy: keep 0.8 of it each round (the code)
    g_steps: int = 1  # policy-gradient updates a round (the code: 1)
    d_steps: int = 15  # D batches a round (the code: 5 x 3 epochs over 20k, ~4,700)
    baseline: bool = False  # subtract the batch's mean reward at each position (not the code)
    const_reward: float | None = None  # a control: this reward everywhere, no rollouts, no D


def seqgan_step(state: TrainState) -> dict:
    """One SeqGAN round: policy-gradient step(s) for G, the rollout policy follows G a
    little, then `d_steps` D updates against G's new samples.

    `config.baseline` subtracts, at each position, the batch's mean reward, so that only the
    tokens D liked better than G's usual ones are pushed up. `config.const_reward` is a
    control, not SeqGAN: the same reward for every token (no rollouts, D left alone), so the
    step is maximum likelihood on G's own samples. It sharpens G, which NLL-oracle rewards
    and held-out likelihood does not (lesson 16).
    """
    config, G, D = state.config, state.generator, state.discriminator
    rollout = state.extra["rollout"]
    # (1) Update G: sample, score every prefix by rollouts, push up log G of well-scored tokens
    for _ in range(config.g_steps):
        samples = G.sample(config.batch_size)  # (N, L): integers, no gradient
        if config.const_reward is None:
            rewards = rollout_rewards(rollout, D, samples, config.n_rollouts)  # (N, L)
        else:
            rewards = torch.full(samples.shape, config.const_reward, device=samples.device)
        reward = rewards.mean().item()  # logged before the baseline is taken off
        if config.baseline:
            rewards = rewards - rewards.mean(dim=0, keepdim=True)  # (N, L) - (1, L)
        g_loss = policy_gradient_loss(G.log_probs(samples), rewards)  # gradient via log G only
        clipped_step(G, state.g_optimizer, g_loss, config.grad_clip)
    metrics = {"g_loss": g_loss.item(), "reward": reward}
    stop_if_diverged(metrics, state.history, "G")
    if config.const_reward is not None:
        return metrics  # the control: no rollout policy to move, no D to train
    # (2) The rollout policy moves towards G
    lerp_parameters(rollout, G, config.rollout_keep)
    # (3) Update D against the new G
    for _ in range(config.d_steps):
        d_metrics = text_d_step(state)
    return {**metrics, **d_metrics}


def text_optimizers(generator, discriminator, g_lr, d_lr) -> dict:
    return {
        "g_optimizer": torch.optim.Adam(generator.parameters(), lr=g_lr),
        "d_optimizer": torch.optim.Adam(discriminator.parameters(), lr=d_lr),
    }


def text_state(generator, discriminator, sequences, config, g_lr, d_lr) -> TrainState:
    device = device_of(generator)
    return TrainState(
        nets={"generator": generator, "discriminator": discriminator},
        optimizers=text_optimizers(generator, discriminator, g_lr, d_lr),
        config=config,
        data=sequences,
        batches=real_batches(sequences, config.batch_size, device),
        device=device,
    )


def pretrain_discriminator(
    generator: nn.Module, discriminator: nn.Module, sequences: Tensor, steps: int = 500,
    batch_size: int = 64, lr: float = 1e-4, *, callbacks: Sequence = (),
) -> History:  # fmt: skip
    """Train D alone against the (MLE-trained, fixed) generator, as SeqGAN does before its
    adversarial phase. G is not updated."""
    config = SeqGANConfig(steps=steps, batch_size=batch_size, d_lr=lr)
    state = text_state(generator, discriminator, sequences, config, 0.0, lr)
    return fit(text_d_step, state, steps, callbacks)


def train_seqgan(
    generator: nn.Module,
    discriminator: nn.Module,
    sequences: Tensor,
    config: SeqGANConfig | None = None,
    *,
    callbacks: Sequence = (),
    resume_from: str | os.PathLike | None = None,
) -> History:
    """SeqGAN's adversarial phase on real `sequences` (N, L) through `loop.fit`; start from an
    MLE-trained `generator` and a pretrained `discriminator`."""
    config = config or SeqGANConfig()
    state = text_state(generator, discriminator, sequences, config, config.g_lr, config.d_lr)
    state.extra["rollout"] = copy.deepcopy(generator).requires_grad_(False)
    return fit(seqgan_step, state, config.steps, callbacks, resume_from=resume_from)


# ------------------------------------------------------------------------------ Gumbel


@dataclass
class GumbelConfig:
    """The Gumbel-softmax alternative: G trained through D like an image GAN."""

    steps: int = 200
    batch_size: int = 64
    g_lr: float = 1e-3
    d_lr: float = 1e-4
    grad_clip: float = 5.0
    tau: float = 1.0  # temperature: lower is closer to one-hot, with noisier gradients
    hard: bool = True  # straight-through: real one-hot tokens forward, soft gradients back
    d_steps: int = 1


def gumbel_step(state: TrainState) -> dict:
    """One round: D on real sequences against G's (hard) samples, then G through D."""
    config, G, D = state.config, state.generator, state.discriminator
    for _ in range(config.d_steps):
        metrics = text_d_step(state)
    stop_if_diverged(metrics, state.history, "D")
    # Update G: -log D(G(z)), the gradient passing through the relaxed one-hot rows
    rows = G.gumbel_sample(config.batch_size, config.tau, config.hard)  # (N, L, V)
    g_loss = losses.g_loss_nonsaturating(D(rows))
    clipped_step(G, state.g_optimizer, g_loss, config.grad_clip)  # also fills D's .grad
    return {**metrics, "g_loss": g_loss.item()}


def train_gumbel(
    generator: nn.Module,
    discriminator: nn.Module,
    sequences: Tensor,
    config: GumbelConfig | None = None,
    *,
    callbacks: Sequence = (),
    resume_from: str | os.PathLike | None = None,
) -> History:
    """The Gumbel-softmax GAN on real `sequences` (N, L) through `loop.fit`."""
    config = config or GumbelConfig()
    state = text_state(generator, discriminator, sequences, config, config.g_lr, config.d_lr)
    return fit(gumbel_step, state, config.steps, callbacks, resume_from=resume_from)
