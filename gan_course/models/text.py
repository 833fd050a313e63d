r"""The networks of text GANs (lesson 16): a token LSTM (the generator, and the oracle that
plays "real language"), and a CNN discriminator over token sequences.

A sequence is `tokens`, an int64 tensor (N, L) of ids in 0..V-1. The LSTM reads a *start
token* first (token 0, as in the SeqGAN code: an ordinary id of the vocabulary, not a special
one) and then its own previous token, so

$$\log p_\theta(x_{1:L}) = \sum_{t=1}^{L} \log p_\theta(x_t \mid x_{<t}).$$

`Oracle` is the synthetic-data protocol of SeqGAN (Yu et al. 2017, section "Synthetic Data
Experiments"): an LSTM with every weight and bias drawn from N(0, 1), whose samples are the
training data and whose log-likelihood scores a generator's samples (NLL-oracle).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def draw(logits: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """One token per row of `logits` (N, V), drawn from their softmax: (N,) int64.

    By the inverse CDF (one uniform number a row, found in the cumulative sum), which is
    what `torch.multinomial` computes but about 15x faster on a CPU for V = 5,000: the
    multinomial spends its time making random numbers.
    """
    cdf = F.softmax(logits, dim=-1).cumsum(dim=-1)  # (N, V), ends near 1
    u = torch.rand(len(cdf), 1, generator=generator, device=cdf.device) * cdf[:, -1:]
    return torch.searchsorted(cdf, u)[:, 0].clamp_(max=cdf.shape[1] - 1)


class TokenLSTM(nn.Module):
    """Tokens (N, L) -> next-token logits (N, L, V): an embedding, one LSTM layer, a linear head.

    SeqGAN's generator (and oracle): embedding 32, hidden 32, length 20.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int = 32,
        hidden_dim: int = 32,
        length: int = 20,
        start_token: int = 0,  # the first input; an ordinary id, as in the SeqGAN code
    ) -> None:
        super().__init__()
        self.hparams = dict(
            vocab_size=vocab_size,
            embedding_dim=embedding_dim,
            hidden_dim=hidden_dim,
            length=length,
            start_token=start_token,
        )
        self.vocab_size, self.length, self.start_token = vocab_size, length, start_token
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, batch_first=True)
        self.head = nn.Linear(hidden_dim, vocab_size)

    def shifted(self, tokens: Tensor) -> Tensor:
        """The inputs that predict `tokens` (N, L): the start token, then tokens[:, :-1]."""
        start = torch.full_like(tokens[:, :1], self.start_token)
        return torch.cat([start, tokens[:, :-1]], dim=1)  # (N, L)

    def forward(self, tokens: Tensor) -> Tensor:
        """Teacher forcing: logits (N, L, V) of every x_t given the true x_<t."""
        out, _ = self.lstm(self.embedding(self.shifted(tokens)))  # (N, L, H)
        return self.head(out)  # (N, L, V)

    def log_probs(self, tokens: Tensor) -> Tensor:
        r"""$\log p(x_t \mid x_{<t})$ for every position: (N, L)."""
        logp = F.log_softmax(self(tokens), dim=-1)  # (N, L, V)
        return logp.gather(-1, tokens.unsqueeze(-1)).squeeze(-1)

    def step(self, inputs: Tensor, state=None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """One time step: input vectors (N, E) -> logits (N, V) and the new (h, c)."""
        out, state = self.lstm(inputs.unsqueeze(1), state)  # (N, 1, H)
        return self.head(out[:, 0]), state

    def start(self, n: int) -> Tensor:
        """The start token's embedding for `n` sequences: (n, E)."""
        ids = torch.full((n,), self.start_token, dtype=torch.long, device=self.head.weight.device)
        return self.embedding(ids)

    @torch.no_grad()
    def sample(
        self, n: int, generator: torch.Generator | None = None, temperature: float = 1.0
    ) -> Tensor:
        """`n` sequences (n, L) drawn token by token from p(x_t | x_<t) (no gradients: a
        drawn token is an integer, there is nothing to differentiate)."""
        inputs, state, tokens = self.start(n), None, []
        for _ in range(self.length):
            logits, state = self.step(inputs, state)
            token = draw(logits / temperature, generator)  # (n,)
            tokens.append(token)
            inputs = self.embedding(token)
        return torch.stack(tokens, dim=1)  # (n, L)

    @torch.no_grad()
    def complete(
        self, prefix: Tensor, n_rollouts: int, generator: torch.Generator | None = None
    ) -> Tensor:
        """Monte-Carlo completions of each prefix (N, t), 1 <= t < L: (n_rollouts, N, L), the
        prefix kept and the remaining L - t tokens drawn from the network."""
        n, t = prefix.shape
        _, state = self.lstm(self.embedding(self.shifted(prefix)))  # after reading x_<t
        state = tuple(s.repeat(1, n_rollouts, 1) for s in state)  # (1, R*N, H)
        last = prefix[:, -1].repeat(n_rollouts)  # (R*N,): x_t, the next input
        drawn = []
        for _ in range(self.length - t):
            logits, state = self.step(self.embedding(last), state)
            last = draw(logits, generator)  # (R*N,)
            drawn.append(last)
        rest = torch.stack(drawn, dim=1).view(n_rollouts, n, -1)  # (R, N, L - t)
        return torch.cat([prefix.expand(n_rollouts, n, t), rest], dim=2)

    def gumbel_sample(self, n: int, tau: float = 1.0, hard: bool = True) -> Tensor:
        r"""`n` sequences as one-hot rows (n, L, V) *with* a gradient path into the network.

        Each token is $\mathrm{softmax}((\text{logits} + g)/\tau)$, $g$ Gumbel noise (Jang et
        al. 2017; Maddison et al. 2017). `hard=True` is the straight-through version: the
        forward pass is the exact one-hot of the argmax (a real token), the backward pass the
        soft one's gradient. The next input is `one_hot @ embedding`, which equals the
        embedding lookup of the token but stays differentiable.
        """
        inputs, state, rows = self.start(n), None, []
        for _ in range(self.length):
            logits, state = self.step(inputs, state)
            one_hot = F.gumbel_softmax(logits, tau=tau, hard=hard)  # (n, V)
            rows.append(one_hot)
            inputs = one_hot @ self.embedding.weight  # (n, E)
        return torch.stack(rows, dim=1)  # (n, L, V)


class Oracle(TokenLSTM):
    """A fixed random LSTM that stands in for real language: N(0, 1) weights, drawn from
    `seed` (the SeqGAN code loads such weights from a file; the course draws its own).

    `oracle.sample(n, seed)` makes the data; `oracle.nll(tokens)` is the paper's NLL-oracle.
    """

    def __init__(self, vocab_size: int = 5000, seed: int = 0, **sizes) -> None:
        with torch.random.fork_rng(devices=[]):  # the layers' default init draws from it
            super().__init__(vocab_size, **sizes)
        draw = torch.Generator().manual_seed(seed)  # local: the global RNG is untouched
        with torch.no_grad():
            for _name, param in self.named_parameters():
                param.copy_(torch.randn(param.shape, generator=draw))
            self.lstm.bias_hh_l0.zero_()  # TensorFlow's LSTM has one bias a gate, not two
        self.requires_grad_(False)
        self.eval()

    def sample(self, n: int, seed: int = 0, batch_size: int = 1000) -> Tensor:  # type: ignore[override]
        """`n` sequences (n, L), the same for the same seed (drawn on the CPU)."""
        draw = torch.Generator(device=self.head.weight.device).manual_seed(seed)
        parts = [super(Oracle, self).sample(min(batch_size, n - i), draw)
                 for i in range(0, n, batch_size)]  # fmt: skip
        return torch.cat(parts)

    @torch.no_grad()
    def nll(self, tokens: Tensor, batch_size: int = 1000) -> float:
        r"""NLL-oracle: $-\frac{1}{NL}\sum_{n,t} \log p_{\text{oracle}}(x^n_t \mid x^n_{<t})$,
        the mean over tokens, in nats, as the SeqGAN code computes it (its `target_loss`:
        cross-entropy summed and divided by length x batch). Per sequence it is L times this.
        """
        device = self.head.weight.device
        total = sum(
            -self.log_probs(tokens[i : i + batch_size].to(device)).sum().item()
            for i in range(0, len(tokens), batch_size)
        )
        return total / tokens.numel()


class Highway(nn.Module):
    r"""$t \odot \mathrm{relu}(W_h x) + (1 - t) \odot x$, $t = \sigma(W_t x)$ (Srivastava et
    al. 2015): SeqGAN's discriminator has one such layer after pooling."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.transform, self.gate = nn.Linear(size, size), nn.Linear(size, size)

    def forward(self, x: Tensor) -> Tensor:
        gate = torch.sigmoid(self.gate(x))
        return gate * F.relu(self.transform(x)) + (1 - gate) * x


# SeqGAN's discriminator: these filter widths with (100, 200, 200, 200, 200, 100, 100, 100,
# 100, 100, 160, 160) filters; the course keeps the widths and a quarter of the filters.
PAPER_FILTER_SIZES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20)
COURSE_NUM_FILTERS = (25, 50, 50, 50, 50, 25, 25, 25, 25, 25, 40, 40)


class TextCNN(nn.Module):
    """Tokens (N, L) int64, or one-hot rows (N, L, V) float -> real/fake logits (N,).

    Kim's (2014) sentence CNN as SeqGAN uses it: embed, convolve with filters of many widths
    (a width-k filter looks at k consecutive tokens), max over positions, a highway layer,
    dropout, one logit. One-hot rows are embedded by `rows @ embedding`, so that a
    Gumbel-softmax generator gets gradients through D.
    """

    def __init__(
        self,
        vocab_size: int,
        length: int = 20,
        embedding_dim: int = 64,  # SeqGAN's 64
        filter_sizes: tuple[int, ...] = PAPER_FILTER_SIZES,
        num_filters: tuple[int, ...] = COURSE_NUM_FILTERS,
        highway: bool = True,
        dropout: float = 0.25,  # SeqGAN's keep probability 0.75
    ) -> None:
        super().__init__()
        if len(filter_sizes) != len(num_filters) or max(filter_sizes) > length:
            raise ValueError("one number of filters per width, and no width over the length")
        self.hparams = dict(vocab_size=vocab_size, length=length, embedding_dim=embedding_dim,
                            filter_sizes=list(filter_sizes), num_filters=list(num_filters),
                            highway=highway, dropout=dropout)  # fmt: skip
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.convs = nn.ModuleList(
            nn.Conv1d(embedding_dim, n, k) for k, n in zip(filter_sizes, num_filters, strict=True)
        )
        features = sum(num_filters)
        self.highway = Highway(features) if highway else nn.Identity()
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(features, 1)

    def forward(self, tokens: Tensor) -> Tensor:
        if tokens.is_floating_point():  # one-hot (or soft) rows (N, L, V)
            x = tokens @ self.embedding.weight  # (N, L, E)
        else:
            x = self.embedding(tokens)  # (N, L, E)
        x = x.transpose(1, 2)  # (N, E, L): channels first for Conv1d
        pooled = [F.relu(conv(x)).amax(dim=2) for conv in self.convs]  # each (N, n_k)
        h = self.highway(torch.cat(pooled, dim=1))  # (N, sum n_k)
        return self.out(self.dropout(h)).squeeze(1)  # (N,)
