"""Lesson 16's pieces for text GANs: the oracle LSTM and its NLL, the token LSTM generator,
the CNN discriminator, SeqGAN's rollout rewards and policy gradient, and the Gumbel-softmax
path that lets D's gradient reach G where sampling does not."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from gan_course import data
from gan_course.callbacks import OracleNLL
from gan_course.families.seqgan import (
    GumbelConfig,
    MLEConfig,
    SeqGANConfig,
    lerp_parameters,
    policy_gradient_loss,
    pretrain_discriminator,
    rollout_rewards,
    train_gumbel,
    train_mle,
    train_seqgan,
)
from gan_course.models.text import Oracle, TextCNN, TokenLSTM, draw

V, L = 40, 8  # tiny vocabulary and length: every test runs in well under a second


def small_cnn(**kw):
    return TextCNN(V, length=L, embedding_dim=8, filter_sizes=(1, 2, 4, 8),
                   num_filters=(4, 4, 4, 4), **kw)  # fmt: skip


# ------------------------------------------------------------------------------ the oracle


def test_oracle_is_the_same_for_the_same_seed_and_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a, b, c = Oracle(V, seed=1, length=L), Oracle(V, seed=1, length=L), Oracle(V, seed=2, length=L)
    assert torch.equal(torch.rand(3), before), "building an oracle must not touch torch's RNG"
    for (name, pa), pb, pc in zip(
        a.named_parameters(), b.parameters(), c.parameters(), strict=True
    ):
        assert torch.equal(pa, pb), name
        assert not torch.equal(pa, pc) or name == "lstm.bias_hh_l0", name
    assert torch.equal(a.sample(50, seed=7), b.sample(50, seed=7))
    assert not torch.equal(a.sample(50, seed=7), a.sample(50, seed=8))
    assert a.sample(50, seed=7).shape == (50, L) and a.sample(5).dtype == torch.long


def test_oracle_weights_are_standard_normal_as_in_seqgan():
    oracle = Oracle(500, seed=0)  # the real sizes: embedding 32, hidden 32, length 20
    assert (oracle.hparams["embedding_dim"], oracle.hparams["hidden_dim"]) == (32, 32)
    assert oracle.length == 20
    weights = oracle.head.weight
    assert abs(weights.mean().item()) < 0.05 and abs(weights.std().item() - 1) < 0.05
    assert not any(p.requires_grad for p in oracle.parameters()), "the oracle is fixed"


def test_oracle_nll_is_the_mean_per_token_negative_log_likelihood():
    oracle = Oracle(V, seed=0, length=L)
    tokens = oracle.sample(30, seed=0)
    logp = F.log_softmax(oracle(tokens), -1)  # (N, L, V), by hand
    by_hand = -sum(logp[n, t, tokens[n, t]] for n in range(30) for t in range(L)) / (30 * L)
    assert oracle.nll(tokens) == pytest.approx(by_hand.item(), rel=1e-5)
    assert oracle.nll(tokens, batch_size=7) == pytest.approx(by_hand.item(), rel=1e-5)


def test_oracle_scores_its_own_samples_far_better_than_a_random_generators():
    oracle = Oracle(200, seed=0, length=L)
    torch.manual_seed(0)
    own, random = (
        oracle.nll(oracle.sample(2000, seed=1)),
        oracle.nll(TokenLSTM(200, length=L).sample(2000)),
    )
    assert own < random - 1.5, f"own samples {own:.2f} vs a random G's {random:.2f}"
    assert own < math.log(200) < random, "N(0, 1) weights make a peaked, low-entropy oracle"


# ------------------------------------------------------------------------------ sampling


def test_draw_follows_the_softmax():
    logits = torch.tensor([[0.0, math.log(3.0), -30.0]]).repeat(20000, 1)
    counts = torch.bincount(draw(logits, torch.Generator().manual_seed(0)), minlength=3)
    assert counts[2] == 0
    assert counts[1] / 20000 == pytest.approx(0.75, abs=0.015)


def test_complete_keeps_the_prefix_and_fills_the_rest():
    torch.manual_seed(0)
    g = TokenLSTM(V, length=L)
    prefix = torch.randint(V, (5, 3))
    finished = g.complete(prefix, n_rollouts=4)
    assert finished.shape == (4, 5, L)
    assert torch.equal(finished[:, :, :3], prefix.expand(4, 5, 3))
    assert not torch.equal(finished[0], finished[1]), "rollouts are independent draws"


# ------------------------------------------------------------------------------ D


def test_cnn_reads_one_hot_rows_as_it_reads_tokens():
    torch.manual_seed(0)
    d = small_cnn().eval()
    tokens = torch.randint(V, (6, L))
    assert d(tokens).shape == (6,)
    assert torch.allclose(d(F.one_hot(tokens, V).float()), d(tokens), atol=1e-5)
    with pytest.raises(ValueError, match="width"):
        TextCNN(V, length=L, filter_sizes=(20,), num_filters=(4,))


# ------------------------------------------------------------------------------ gradients


def test_sampled_tokens_carry_no_gradient_but_gumbel_softmax_does():
    torch.manual_seed(0)
    g, d = TokenLSTM(V, length=L), small_cnn()
    # argmax of the logits, or a draw: integers, cut off from G's parameters
    tokens = g(torch.randint(V, (4, L))).argmax(-1)
    assert not tokens.requires_grad and tokens.grad_fn is None
    assert not g.sample(4).requires_grad
    loss = F.softplus(-d(tokens)).mean()
    loss.backward()
    assert all(p.grad is None for p in g.parameters()), "no gradient reaches G through tokens"
    # Gumbel-softmax (straight-through): real one-hot tokens forward, gradients back into G
    rows = g.gumbel_sample(4, tau=1.0, hard=True)
    assert torch.equal(rows.sum(-1), torch.ones(4, L)) and set(rows.unique().tolist()) == {0, 1}
    F.softplus(-d(rows)).mean().backward()
    grads = [p.grad for p in g.parameters()]
    assert all(gr is not None for gr in grads)
    assert sum(gr.abs().sum() for gr in grads) > 0


# ------------------------------------------------------------------------------ SeqGAN


def test_rollout_rewards_have_one_value_per_token_and_end_with_d_of_the_sequence():
    torch.manual_seed(0)
    g, d = TokenLSTM(V, length=L), small_cnn(dropout=0.5)
    samples = g.sample(6)
    rewards = rollout_rewards(g, d, samples, n_rollouts=3)
    assert rewards.shape == (6, L)
    assert ((rewards > 0) & (rewards < 1)).all(), "probabilities of 'real'"
    assert d.training, "D's mode is given back"
    with torch.no_grad():
        assert torch.allclose(rewards[:, -1], torch.sigmoid(d.eval()(samples)))


def test_rollout_rewards_average_d_over_completions_of_the_prefix():
    """A D that calls a sequence real when it ends in token 0: the reward of a prefix is the
    fraction of its completions that do, which for a G that always draws 0 is 1."""

    class EndsInZero(torch.nn.Module):
        def forward(self, tokens):
            return torch.where(tokens[:, -1] == 0, 20.0, -20.0)

    g = TokenLSTM(V, length=L)
    with torch.no_grad():
        g.head.bias.fill_(-50.0)
        g.head.bias[0] = 50.0  # G always draws token 0
    samples = torch.ones(3, L, dtype=torch.long)  # end in 1: D(x) says fake
    rewards = rollout_rewards(g, EndsInZero(), samples, n_rollouts=2)
    assert torch.allclose(rewards[:, :-1], torch.ones(3, L - 1), atol=1e-6)
    assert torch.allclose(rewards[:, -1], torch.zeros(3), atol=1e-6)


def test_policy_gradient_raises_the_probability_of_rewarded_tokens():
    torch.manual_seed(0)
    g = TokenLSTM(V, length=L)
    optimizer = torch.optim.Adam(g.parameters(), lr=0.01)
    tokens = torch.full((16, L), 3)
    before = g.log_probs(tokens).mean().item()
    for _ in range(20):
        optimizer.zero_grad()
        policy_gradient_loss(g.log_probs(tokens), torch.ones(16, L)).backward()
        optimizer.step()
    assert g.log_probs(tokens).mean().item() > before + 1.0
    assert policy_gradient_loss(g.log_probs(tokens), torch.zeros(16, L)).item() == 0


def test_the_rollout_policy_keeps_most_of_itself():
    a, b = TokenLSTM(V, length=L), TokenLSTM(V, length=L)
    expected = [0.8 * pa + 0.2 * pb for pa, pb in zip(a.parameters(), b.parameters(), strict=True)]
    lerp_parameters(a, b, keep=0.8)
    assert all(torch.allclose(p, e) for p, e in zip(a.parameters(), expected, strict=True))


# ------------------------------------------------------------------------------ training


def test_a_short_mle_run_brings_g_towards_the_oracle():
    oracle = Oracle(V, seed=0, length=L)
    data = oracle.sample(640, seed=1)
    torch.manual_seed(0)
    g = TokenLSTM(V, length=L)
    watch = OracleNLL(oracle, every=60, n=500)
    history = train_mle(g, data, MLEConfig(steps=60, batch_size=32), callbacks=[watch])
    assert history.step == 60 and history["mle_loss"][-10:].mean() < history["mle_loss"][:5].mean()
    (start, random), (end, after) = watch.values[0], watch.values[-1]
    assert (start, end, len(watch.values)) == (0, 60, 2), "measured before and at the end"
    assert after < random - 0.5, f"MLE {after:.2f} vs random {random:.2f}"


def test_seqgan_and_gumbel_runs_go_through_fit_and_log_what_they_did():
    oracle = Oracle(V, seed=0, length=L)
    data = oracle.sample(256, seed=1)
    torch.manual_seed(0)
    g, d = TokenLSTM(V, length=L), small_cnn()
    pre = pretrain_discriminator(g, d, data, steps=5, batch_size=16)
    assert set(pre.logged()) == {"d_loss", "d_real", "d_fake"}
    before = [p.clone() for p in g.parameters()]
    history = train_seqgan(
        g, d, data, SeqGANConfig(steps=3, batch_size=16, n_rollouts=2, d_steps=2)
    )
    assert history.step == 3
    assert {"g_loss", "reward", "d_loss", "d_real", "d_fake"} <= set(history.logged())
    assert ((history["reward"] > 0) & (history["reward"] < 1)).all()
    assert any(not torch.equal(p, q) for p, q in zip(before, g.parameters(), strict=True)), (
        "G has learnt"
    )
    history = train_gumbel(g, d, data, GumbelConfig(steps=3, batch_size=16))
    assert history.step == 3 and "g_loss" in history


# ------------------------------------------------------------------------------ the corpus


def test_the_bundled_text_cuts_into_windows_that_decode_back():
    text = data.text_corpus()
    assert len(text) > 20_000 and "digits" in text, "scikit-learn's dataset descriptions"
    assert data.text_corpus() == text, "the same text every call"
    windows, alphabet = data.char_windows(text, length=40, stride=3)
    assert windows.dtype == torch.long and windows.shape[1] == 40
    assert len(windows) == len(range(0, len(text) - 40, 3))
    assert alphabet[0] == "\n" and len(set(alphabet)) == len(alphabet)
    assert int(windows.max()) < len(alphabet)
    first, fourth = data.decode_chars(windows[[0, 1]], alphabet)
    assert first == text[:40] and fourth == text[3:43]


def test_a_baseline_leaves_no_gradient_when_every_sentence_scores_alike():
    # with the batch's mean reward taken off, equal rewards carry no signal: G must not move
    oracle = Oracle(V, seed=0, length=L)
    data = oracle.sample(64, seed=1)
    torch.manual_seed(0)
    g, d = TokenLSTM(V, length=L), small_cnn()
    before = [p.clone() for p in g.parameters()]
    config = SeqGANConfig(steps=2, batch_size=16, const_reward=0.7, baseline=True)
    history = train_seqgan(g, d, data, config)
    assert history["reward"].tolist() == pytest.approx([0.7, 0.7]), "logged before the baseline"
    assert all(torch.equal(p, q) for p, q in zip(before, g.parameters(), strict=True))


def test_the_constant_reward_control_trains_g_alone():
    oracle = Oracle(V, seed=0, length=L)
    data = oracle.sample(64, seed=1)
    torch.manual_seed(0)
    g, d = TokenLSTM(V, length=L), small_cnn()
    g_before = [p.clone() for p in g.parameters()]
    d_before = [p.clone() for p in d.parameters()]
    history = train_seqgan(g, d, data, SeqGANConfig(steps=2, batch_size=16, const_reward=0.5))
    assert set(history.logged()) == {"g_loss", "reward"}, "no D step in the control"
    assert all(torch.equal(p, q) for p, q in zip(d_before, d.parameters(), strict=True))
    assert any(not torch.equal(p, q) for p, q in zip(g_before, g.parameters(), strict=True))
