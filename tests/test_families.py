"""gan_course.families: a paired (pix2pix) step and a two-generator cycle (CycleGAN) step,
each a short function trained through `loop.fit` with everything the classic GAN has: a progress
bar, the live monitor, checkpoints and resuming, the NaN stop and Ctrl-C."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_course import callbacks, loop
from gan_course.families.cycle import CycleConfig, ReplayBuffer, cycle_step, train_cycle
from gan_course.families.paired import PairedConfig, paired_step, train_paired
from gan_course.views import TranslationGrid


class TinyTranslator(nn.Module):
    """Images (N, 1, 8, 8) -> images (N, 1, 8, 8) in [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 1, 3, padding=1)
        )
        self.hparams = {"width": 6}

    def forward(self, x):
        return torch.tanh(self.net(x))


class TinyPatchD(nn.Module):
    """One logit per 4x4 patch (a PatchGAN); of a pair (source, image) when `paired`."""

    def __init__(self, paired: bool = False) -> None:
        super().__init__()
        self.paired = paired
        self.net = nn.Sequential(
            nn.Conv2d(2 if paired else 1, 6, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(6, 1, 3, 1, 1)
        )

    def forward(self, *images):
        return self.net(torch.cat(images, dim=1)).squeeze(1)  # (N, 4, 4)


def digits_like(n=64, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 8, 8, generator=generator) * 2 - 1


def paired_data():
    targets = digits_like()
    sources = targets.clone()
    sources[:, :, 2:6, 2:6] = -1.0  # a blank square in the middle: an inpainting task
    return sources, targets


def paired_nets(seed=0):
    torch.manual_seed(seed)
    return TinyTranslator(), TinyPatchD(paired=True)


def cycle_nets(seed=0):
    torch.manual_seed(seed)
    return TinyTranslator(), TinyTranslator(), TinyPatchD(), TinyPatchD()


def params(*nets):
    return [p.detach().clone() for net in nets for p in net.parameters()]


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


# ------------------------------------------------------------------------------ paired


def test_paired_step_updates_d_on_pairs_then_g_with_the_l1_term():
    G, D = paired_nets()
    sources, targets = paired_data()
    config = PairedConfig(batch_size=8, l1_weight=100.0)
    state = loop.TrainState(
        nets={"generator": G, "discriminator": D},
        optimizers={"g_optimizer": torch.optim.SGD(G.parameters(), lr=0.0),
                    "d_optimizer": torch.optim.SGD(D.parameters(), lr=0.0)},
        config=config,
        batches=iter([(sources[:8], targets[:8])]),
    )  # fmt: skip
    metrics = paired_step(state)
    with torch.no_grad():  # the losses by hand, from the same networks (lr 0: nothing moved)
        fake = G(sources[:8])
        l1 = F.l1_loss(fake, targets[:8])
        adversarial = F.softplus(-D(sources[:8], fake)).mean()
        d_loss = (
            F.softplus(-D(sources[:8], targets[:8])).mean()
            + F.softplus(D(sources[:8], fake)).mean()
        ) / 2
    assert metrics["l1"] == pytest.approx(l1.item(), rel=1e-5)
    assert metrics["g_loss"] == pytest.approx(adversarial.item() + 100 * l1.item(), rel=1e-5)
    assert metrics["d_loss"] == pytest.approx(d_loss.item(), rel=1e-5)
    assert set(metrics) == {"d_loss", "d_real", "d_fake", "g_loss", "g_adv", "l1"}


def test_the_l1_weight_pulls_g_towards_the_targets():
    sources, targets = paired_data()
    errors = {}
    for weight in (0.0, 100.0):
        G, D = paired_nets()
        train_paired(
            G, D, (sources, targets), PairedConfig(steps=60, batch_size=16, l1_weight=weight)
        )
        with torch.no_grad():
            errors[weight] = F.l1_loss(G(sources), targets).item()
    assert errors[100.0] < errors[0.0]


def test_paired_training_has_the_whole_loop(tmp_path, capsys):
    sources, targets = paired_data()
    G, D = paired_nets()
    path = tmp_path / "pix2pix.pt"
    shown = []
    slot = type("Slot", (), {"show": lambda self, png: shown.append(png)})()
    monitor = callbacks.LiveMonitor(TranslationGrid(sources[:4], targets[:4]), every=2, slot=slot)
    bar = callbacks.ProgressBar(every=1)
    config = PairedConfig(steps=4, batch_size=8)
    watchers = [bar, monitor, callbacks.Checkpoint(path, every=2)]
    history = train_paired(G, D, (sources, targets), config, callbacks=watchers)
    assert history.step == 4 and "l1" in bar.bar.postfix and monitor.draws >= 2
    assert all(png.startswith(b"\x89PNG") for png in shown)
    assert (
        len(monitor.figure(loop.TrainState({"generator": G, "discriminator": D}, {}, history)).axes)
        == 3
    )
    payload = loop.read_checkpoint(path)
    assert payload["config"]["l1_weight"] == 100.0 and set(payload["nets"]) == {
        "generator",
        "discriminator",
    }
    # resume: a fresh pair continues the run where the checkpoint left it
    G2, D2 = paired_nets(seed=1)
    resumed = train_paired(
        G2, D2, (sources, targets), PairedConfig(steps=6, batch_size=8), resume_from=path
    )
    assert resumed.step == 6 and resumed.records["l1"][:4] == history.records["l1"]


def test_paired_training_stops_on_nan_and_on_ctrl_c(capsys):
    sources, targets = paired_data()
    G, D = paired_nets()

    class Poison(callbacks.Callback):
        def on_step_end(self, state):
            if state.history.step == 2:
                with torch.no_grad():
                    state.discriminator.net[0].weight.fill_(float("nan"))

    with pytest.raises(loop.TrainingDiverged, match="d_loss") as info:
        train_paired(
            G, D, (sources, targets), PairedConfig(steps=10, batch_size=8), callbacks=[Poison()]
        )
    assert info.value.history.step == 2

    class Stop(callbacks.Callback):
        def on_step_end(self, state):
            if state.history.step == 3:
                raise KeyboardInterrupt

    G, D = paired_nets()
    history = train_paired(
        G, D, (sources, targets), PairedConfig(steps=10, batch_size=8), callbacks=[Stop()]
    )
    assert history.step == 3 and "Interrupted at step 3/10" in capsys.readouterr().out


# ------------------------------------------------------------------------------ cycle


def test_replay_buffer_keeps_the_last_fakes_and_mixes_old_ones_in():
    buffer = ReplayBuffer(size=4, seed=0)
    first = torch.arange(4.0).view(4, 1)
    assert torch.equal(buffer(first), first)  # filling up: each fake comes back as it is
    pushed = torch.arange(10.0, 210.0).view(200, 1)
    swapped = (buffer(pushed) != pushed).sum().item()
    assert 70 < swapped < 130, "about half of the fakes swapped for older ones"
    assert len(buffer.images) == 4 and all(image.item() >= 10 for image in buffer.images[-1:])
    assert torch.equal(ReplayBuffer(size=0)(first), first)  # size 0: no buffer


def test_cycle_step_updates_both_generators_then_both_discriminators():
    nets = cycle_nets()
    g_ab, g_ba, d_a, d_b = nets
    a, b = digits_like(8, seed=1), -digits_like(8, seed=2)
    config = CycleConfig(batch_size=8)
    state = loop.TrainState(
        nets=dict(zip(("g_ab", "g_ba", "d_a", "d_b"), nets, strict=True)),
        optimizers={
            "g_optimizer": torch.optim.SGD([*g_ab.parameters(), *g_ba.parameters()], lr=0.0),
            "d_optimizer": torch.optim.SGD([*d_a.parameters(), *d_b.parameters()], lr=0.0),
        },
        config=config,
        batches=iter([(a, b)]),
        extra={"buffer_a": ReplayBuffer(50), "buffer_b": ReplayBuffer(50)},
    )  # fmt: skip
    metrics = cycle_step(state)
    with torch.no_grad():
        cycle = F.l1_loss(g_ba(g_ab(a)), a) + F.l1_loss(g_ab(g_ba(b)), b)
        identity = F.l1_loss(g_ab(b), b) + F.l1_loss(g_ba(a), a)
        adversarial = (
            0.5 * ((d_b(g_ab(a)) - 1) ** 2).mean() + 0.5 * ((d_a(g_ba(b)) - 1) ** 2).mean()
        )
    assert metrics["cycle"] == pytest.approx(cycle.item(), rel=1e-5)
    assert metrics["identity"] == pytest.approx(identity.item(), rel=1e-5)
    assert metrics["g_loss"] == pytest.approx(
        (adversarial + 10 * cycle + 5 * identity).item(), rel=1e-5
    )
    assert len(state.extra["buffer_a"].images) == 8  # D saw these fakes, through the buffer


def test_cycle_training_has_the_whole_loop_and_learns_the_round_trip(tmp_path):
    a, b = digits_like(64, seed=1), -digits_like(64, seed=2)  # domain B: the negatives of A's kind
    nets = cycle_nets()
    path = tmp_path / "cycle.pt"
    monitor = callbacks.LiveMonitor(TranslationGrid(a[:4], net="g_ab"), every=5, max_overhead=1.0)
    config = CycleConfig(steps=40, batch_size=16, lr=1e-3)
    before = params(nets[0], nets[1])
    watchers = [callbacks.ProgressBar(), monitor, callbacks.Checkpoint(path, every=20)]
    history = train_cycle(*nets, a, b, config, callbacks=watchers)
    assert history.step == 40 and not same(before, params(nets[0], nets[1]))
    assert history.last("cycle", 5) < history.records["cycle"][0], "the round trip improves"
    assert monitor.draws >= 2
    payload = loop.read_checkpoint(path)
    assert set(payload["nets"]) == {"g_ab", "g_ba", "d_a", "d_b"}
    assert set(payload["optimizers"]) == {"g_optimizer", "d_optimizer"}
    again = train_cycle(*cycle_nets(seed=3), a, b, CycleConfig(steps=42, batch_size=16, lr=1e-3),
                        resume_from=path)  # fmt: skip
    assert again.step == 42 and again.records["cycle"][:40] == history.records["cycle"]
    with pytest.raises(loop.CheckpointError, match="another kind of training"):
        train_paired(*paired_nets(), paired_data(), PairedConfig(steps=2), resume_from=path)
