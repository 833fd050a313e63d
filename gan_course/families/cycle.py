r"""Unpaired image-to-image translation: CycleGAN (Zhu et al. 2017).

Two domains, A and B (typed digits and handwritten ones, say), with no pairs between them. Two
generators translate, $G_{AB}: A \to B$ and $G_{BA}: B \to A$; two discriminators judge,
$D_A$ on domain A and $D_B$ on domain B. Nothing in the adversarial losses ties a translation to
its input, so CycleGAN adds a **cycle** loss: translating there and back should return the
input, $G_{BA}(G_{AB}(a)) \approx a$ and $G_{AB}(G_{BA}(b)) \approx b$; and an **identity** loss,
$G_{AB}(b) \approx b$, which keeps colours and strokes that need no change:

$$\mathcal{L}_G = \mathcal{L}_{adv}(G_{AB}, D_B) + \mathcal{L}_{adv}(G_{BA}, D_A)
+ \lambda\,\mathcal{L}_{cyc} + \lambda_{id}\,\mathcal{L}_{id},$$

with the least-squares adversarial losses of LSGAN, $\lambda = 10$ and $\lambda_{id} = 0.5\lambda$
(the paper's settings; the identity loss comes from its photo-painting experiments). Each step
updates both generators first, then both discriminators, which judge real images against fakes
drawn from a **replay buffer** of the last 50 fakes (Shrivastava et al. 2017), so that D does
not forget what G used to make. D's losses are halved, as in the paper.
"""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import losses
from ..data import real_batches
from ..loop import History, TrainState, fit, stop_if_diverged
from ..runtime import device_of


@dataclass
class CycleConfig:
    """A CycleGAN run: the paper's settings by default (its batch is 1; small images allow more)."""

    steps: int = 2000
    batch_size: int = 16
    lr: float = 2e-4  # Adam, all four networks
    betas: tuple[float, float] = (0.5, 0.999)
    cycle_weight: float = 10.0  # lambda
    identity_weight: float = 5.0  # lambda_id = 0.5 * lambda; 0 turns the identity loss off
    buffer_size: int = 50  # fakes kept for the discriminators; 0 turns the buffer off

    def __post_init__(self) -> None:
        self.betas = tuple(self.betas)


class ReplayBuffer:
    """The last `size` fakes a generator made. Each fake pushed comes back as it is, or, half
    of the time once the buffer is full, swapped for an older fake (Shrivastava et al. 2017).

    Its random choices come from a generator of its own, seeded: the learner's RNG is untouched.
    """

    def __init__(self, size: int = 50, seed: int = 0) -> None:
        self.size, self.images, self.rng = size, [], random.Random(seed)

    def __call__(self, fakes: Tensor) -> Tensor:
        if self.size == 0:
            return fakes
        out = []
        for fake in fakes.detach():
            if len(self.images) < self.size:
                self.images.append(fake)
                out.append(fake)
            elif self.rng.random() < 0.5:
                i = self.rng.randrange(self.size)
                out.append(self.images[i])  # an older fake goes to D, this one takes its place
                self.images[i] = fake
            else:
                out.append(fake)
        return torch.stack(out)


def cycle_loss(
    g_ab: nn.Module,
    g_ba: nn.Module,
    real_a: Tensor,
    real_b: Tensor,
    *,
    fake_b: Tensor | None = None,
    fake_a: Tensor | None = None,
) -> Tensor:
    r"""The cycle loss, 0-d: $\lVert G_{BA}(G_{AB}(a)) - a\rVert_1 + \lVert G_{AB}(G_{BA}(b)) -
    b\rVert_1$, each a mean over its own batch and pixels (the two batches may differ in size).

    `fake_b` = $G_{AB}(a)$ and `fake_a` = $G_{BA}(b)$, when the caller has them already (the
    adversarial terms need them too), save computing them again. Not weighted: `cycle_step`
    multiplies it by `cycle_weight`.
    """
    fake_b = g_ab(real_a) if fake_b is None else fake_b  # (N, C, H, W): a translated to B
    fake_a = g_ba(real_b) if fake_a is None else fake_a  # (M, C, H, W): b translated to A
    return F.l1_loss(g_ba(fake_b), real_a) + F.l1_loss(g_ab(fake_a), real_b)  # back again


def identity_loss(g_ab: nn.Module, g_ba: nn.Module, real_a: Tensor, real_b: Tensor) -> Tensor:
    r"""The identity loss, 0-d: $\lVert G_{AB}(b) - b\rVert_1 + \lVert G_{BA}(a) - a\rVert_1$,
    means as in `cycle_loss`: an image already in a generator's target domain should pass
    through it unchanged. Not weighted: `cycle_step` multiplies it by `identity_weight`."""
    return F.l1_loss(g_ab(real_b), real_b) + F.l1_loss(g_ba(real_a), real_a)


def cycle_step(state: TrainState) -> dict:
    """One CycleGAN iteration on a batch (a, b) of the two domains from `state.batches`."""
    config = state.config
    g_ab, g_ba, d_a, d_b = state.g_ab, state.g_ba, state.d_a, state.d_b
    real_a, real_b = next(state.batches)
    # (1) Update both generators: fool the discriminators, and come back round the cycle
    state.g_optimizer.zero_grad()
    fake_b, fake_a = g_ab(real_a), g_ba(real_b)
    adversarial = losses.g_loss_least_squares(d_b(fake_b))
    adversarial = adversarial + losses.g_loss_least_squares(d_a(fake_a))
    cycle = cycle_loss(g_ab, g_ba, real_a, real_b, fake_b=fake_b, fake_a=fake_a)
    g_loss = adversarial + config.cycle_weight * cycle
    identity = torch.zeros(())
    if config.identity_weight:
        identity = identity_loss(g_ab, g_ba, real_a, real_b)
        g_loss = g_loss + config.identity_weight * identity
    g_loss.backward()  # also fills the discriminators' .grad; their step clears it first
    state.g_optimizer.step()
    metrics = {"g_loss": g_loss.item(), "cycle": cycle.item(), "identity": identity.item()}
    stop_if_diverged(metrics, state.history, "G")
    # (2) Update both discriminators: real images against fakes from the replay buffers
    state.d_optimizer.zero_grad()
    old_b, old_a = state.extra["buffer_b"](fake_b), state.extra["buffer_a"](fake_a)  # detached
    d_loss_b = losses.d_loss_least_squares(d_b(real_b), d_b(old_b)) / 2
    d_loss_a = losses.d_loss_least_squares(d_a(real_a), d_a(old_a)) / 2
    (d_loss_a + d_loss_b).backward()
    state.d_optimizer.step()
    return {**metrics, "d_loss": (d_loss_a + d_loss_b).item()}


def unpaired_batches(domain_a: Tensor, domain_b: Tensor, batch_size: int, device):
    """Endless pairs (a, b) of batches, each domain shuffled on its own: nothing pairs them."""
    batches_a = real_batches(domain_a, batch_size, device)
    batches_b = real_batches(domain_b, batch_size, device)
    while True:
        yield next(batches_a), next(batches_b)


def train_cycle(
    g_ab: nn.Module,
    g_ba: nn.Module,
    d_a: nn.Module,
    d_b: nn.Module,
    domain_a: Tensor,
    domain_b: Tensor,
    config: CycleConfig | None = None,
    *,
    callbacks: Sequence = (),
    resume_from: str | os.PathLike | None = None,
) -> History:
    """Train the two generators and two discriminators on unpaired images of the two domains
    (each (N, C, H, W)) through `loop.fit`; return the history. One Adam holds both
    generators, one both discriminators, as in the paper's code."""
    config = config or CycleConfig()
    device = device_of(g_ab)

    def adam(*nets: nn.Module) -> torch.optim.Optimizer:
        params = itertools.chain(*(net.parameters() for net in nets))
        return torch.optim.Adam(params, lr=config.lr, betas=config.betas)

    state = TrainState(
        nets={"g_ab": g_ab, "g_ba": g_ba, "d_a": d_a, "d_b": d_b},
        optimizers={"g_optimizer": adam(g_ab, g_ba), "d_optimizer": adam(d_a, d_b)},
        config=config,
        data=(domain_a, domain_b),
        batches=unpaired_batches(domain_a, domain_b, config.batch_size, device),
        device=device,
        extra={
            "buffer_a": ReplayBuffer(config.buffer_size),
            "buffer_b": ReplayBuffer(config.buffer_size, 1),
        },
    )
    return fit(cycle_step, state, config.steps, callbacks, resume_from=resume_from)
