"""Lesson 15's pieces for image-to-image translation: the U-Net and ResNet generators, the
PatchGAN and its receptive field, the inpainting and denoising pairs, the unpaired digit
domains, the translation metrics, and short runs of pix2pix and CycleGAN with them."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_course import data, loop, losses, metrics
from gan_course.families.cycle import CycleConfig, train_cycle
from gan_course.families.paired import PairedConfig, paired_step, train_paired
from gan_course.models.translation import (
    PatchDiscriminator,
    ResnetGenerator,
    UNet,
    receptive_field,
)


def images_like(n=8, size=16, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, size, size, generator=generator) * 2 - 1


# ------------------------------------------------------------------------------ generators


@pytest.mark.parametrize("skips", [True, False])
def test_unet_keeps_the_shape_and_the_range(skips):
    torch.manual_seed(0)
    net = UNet(width=8, dropout=0.5, skips=skips)
    out = net(images_like() * 50)  # large inputs: the Tanh still keeps the output in range
    assert out.shape == (8, 1, 16, 16)
    assert out.abs().max() <= 1
    assert UNet(channels=3, image_size=32, width=4)(torch.zeros(2, 3, 32, 32)).shape == (
        2, 3, 32, 32,
    )  # fmt: skip
    assert len(UNet(width=4).encoder) == 4, "16 -> 8 -> 4 -> 2 -> 1"
    with pytest.raises(ValueError, match="power of two"):
        UNet(image_size=12)


def test_unet_dropout_sits_in_the_innermost_decoder_blocks_only():
    net = UNet(width=4, dropout=0.5)
    dropping = [any(isinstance(m, nn.Dropout) for m in block) for block in net.decoder]
    assert dropping == [True, True, False], "maps of 2x2 and 4x4: yes; 8x8: no"
    assert not any(isinstance(m, nn.Dropout) for m in UNet(width=4).modules())


def test_unet_skips_carry_the_input_around_a_dead_bottleneck():
    x, other = images_like(4, seed=1), images_like(4, seed=2)
    for skips in (True, False):
        torch.manual_seed(0)
        net = UNet(width=8, skips=skips).eval()
        with torch.no_grad():
            net.encoder[-1][0].weight.zero_()  # the bottleneck sees nothing of its input
            net.encoder[-1][0].bias.zero_()
            changed = (net(x) - net(other)).abs().max().item()
        if skips:
            assert changed > 1e-3, "with skips the output still depends on the input"
        else:
            assert changed < 1e-6, "without skips everything passes the bottleneck"


def test_unet_with_skips_learns_the_identity_much_faster():
    images = data.typed_digits(16, "test", n=64)
    errors = {}
    for skips in (True, False):
        torch.manual_seed(0)
        net = UNet(width=8, skips=skips)
        optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
        for _ in range(40):
            optimizer.zero_grad()
            loss = F.l1_loss(net(images), images)
            loss.backward()
            optimizer.step()
        errors[skips] = F.l1_loss(net.eval()(images), images).item()
    assert errors[True] < 0.6 * errors[False], errors


def test_resnet_generator_keeps_the_shape_and_starts_near_a_smooth_map():
    torch.manual_seed(0)
    net = ResnetGenerator(width=4, n_blocks=2)
    out = net(images_like())
    assert out.shape == (8, 1, 16, 16) and out.abs().max() <= 1
    assert ResnetGenerator(channels=3, width=4)(torch.zeros(2, 3, 32, 32)).shape == (2, 3, 32, 32)
    assert net.hparams == {"channels": 1, "width": 4, "n_blocks": 2}


# ------------------------------------------------------------------------------ PatchGAN


@pytest.mark.parametrize("n_layers, side", [(1, 8), (2, 4), (3, 2)])
def test_patch_discriminator_gives_a_map_of_logits(n_layers, side):
    torch.manual_seed(0)
    paired = PatchDiscriminator(width=4, n_layers=n_layers)
    x = images_like(3)
    assert paired(x, x).shape == (3, 1, side, side)
    alone = PatchDiscriminator(width=4, n_layers=n_layers, paired=False)
    assert alone(x).shape == (3, 1, side, side)
    assert receptive_field(paired) == 3 * 2**n_layers - 2  # 4, 10, 22
    with pytest.raises(TypeError, match="D\\(source, image\\)"):
        paired(x)
    with pytest.raises(TypeError, match="D\\(image\\)"):
        alone(x, x)


@pytest.mark.parametrize("n_layers, row", [(1, 2), (2, 1)])
def test_one_logit_sees_exactly_a_patch_of_the_receptive_field(n_layers, row):
    """The gradient of one logit (whose patch lies inside the image) is non-zero on a square
    of `receptive_field` pixels, and zero everywhere else, in both images of the pair."""
    torch.manual_seed(0)
    net = PatchDiscriminator(width=4, n_layers=n_layers).eval()  # eval: no batch statistics
    size = receptive_field(net)
    source, image = images_like(1, seed=1), images_like(1, seed=2)
    source.requires_grad_(True)
    image.requires_grad_(True)
    net(source, image)[0, 0, row, row].backward()
    for grad in (source.grad, image.grad):
        seen = grad[0, 0] != 0  # (16, 16)
        rows = seen.any(dim=1).nonzero().flatten().tolist()
        cols = seen.any(dim=0).nonzero().flatten().tolist()
        first = 2**n_layers * row - (2**n_layers - 1)  # where the patch starts
        assert rows == cols == list(range(first, first + size))
        assert seen.sum() == size * size, "every pixel of the patch counts"


def test_receptive_field_counts_kernels_strides_and_dilations():
    net = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 4, 2), nn.Conv2d(1, 1, 3))
    assert receptive_field(net) == 1 + 2 + 3 + 2 * 2
    assert receptive_field(nn.Conv2d(1, 1, 3, dilation=2)) == 5
    assert receptive_field(nn.Identity()) == 1


# ------------------------------------------------------------------------------ data


def test_inpainting_pairs_blank_one_square_per_image_and_touch_nothing_else():
    images = data.typed_digits(16, "test", n=50)
    before, rng_before = images.clone(), torch.get_rng_state()
    sources, targets, masks = data.inpainting_pairs(images, mask_size=5, seed=3)
    assert torch.equal(torch.get_rng_state(), rng_before), "the global RNG is untouched"
    assert torch.equal(images, before), "the input is not modified"
    assert sources.shape == targets.shape == images.shape and masks.shape == (50, 1, 16, 16)
    assert masks.dtype == torch.bool and (masks.flatten(1).sum(1) == 25).all()
    rows, cols = masks.any(dim=3), masks.any(dim=2)  # (N, 1, 16): a 5x5 square in each
    assert (rows.sum(-1) == 5).all() and (cols.sum(-1) == 5).all()
    assert (sources[masks] == 0).all(), "painted mid-grey: the hole shows"
    paper = data.inpainting_pairs(images, mask_size=5, seed=3, fill=-1.0)[0]
    assert (paper[masks] == -1).all() and torch.equal(paper[~masks], images[~masks])
    assert torch.equal(sources[~masks], images[~masks]) and torch.equal(targets, images)
    assert targets.data_ptr() != images.data_ptr(), "targets are a copy"
    assert len({tuple(m.nonzero()[0].tolist()) for m in masks}) > 10, "places vary"
    again = data.inpainting_pairs(images, mask_size=5, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(again, (sources, targets, masks), strict=True))
    assert not torch.equal(data.inpainting_pairs(images, 5, seed=4)[2], masks)
    with pytest.raises(ValueError, match="does not fit"):
        data.inpainting_pairs(images, mask_size=17)


def test_denoising_pairs_add_clamped_seeded_noise():
    images = torch.zeros(20, 1, 16, 16)
    rng_before = torch.get_rng_state()
    sources, targets = data.denoising_pairs(images, std=0.1, seed=0)
    assert torch.equal(torch.get_rng_state(), rng_before)
    assert torch.equal(images, torch.zeros(20, 1, 16, 16)) and torch.equal(targets, images)
    assert sources.std().item() == pytest.approx(0.1, rel=0.05)
    assert torch.equal(data.denoising_pairs(images, 0.1, seed=0)[0], sources)
    assert not torch.equal(data.denoising_pairs(images, 0.1, seed=1)[0], sources)
    noisy, _ = data.denoising_pairs(torch.full((4, 1, 8, 8), 0.9), std=1.0)
    assert noisy.max() == 1 and noisy.min() >= -1, "clamped to [-1, 1]"


def test_unpaired_digits_are_typed_and_handwritten_with_their_labels():
    (typed, typed_labels), (hand, hand_labels) = data.unpaired_digits("train", n_typed=100)
    assert typed.shape == (100, 1, 16, 16) and torch.equal(typed_labels, torch.arange(100) % 10)
    assert hand.shape == (1438, 1, 16, 16) and hand_labels.shape == (1438,)
    (test_typed, _), (test_hand, _) = data.unpaired_digits("test")
    assert len(test_typed) == 1000 and len(test_hand) == 359
    assert torch.equal(test_hand, data.digits(16, "test"))
    shipped, labels = data.typed_digits_with_labels(16, "test")
    assert torch.equal(data.unpaired_digits("test", fill_frame=False)[0][0], shipped)


def test_fill_frame_enlarges_the_typed_digits_to_the_height_of_the_handwritten_ones():
    def inked_rows(images):  # rows holding ink, of 16, on average
        return (images > 0).any(dim=3).float().sum(dim=(1, 2)).mean().item()

    shipped, labels = data.typed_digits_with_labels(16, "test")
    enlarged, same_labels = data.typed_digits_with_labels(16, "test", fill_frame=True)
    assert enlarged.shape == shipped.shape and torch.equal(labels, same_labels)
    assert enlarged.min() >= -1 and enlarged.max() <= 1
    hand = inked_rows(data.digits(16, "test"))
    assert inked_rows(shipped) < 12.5 < 13.5 < inked_rows(enlarged) <= hand
    assert torch.equal(data.unpaired_digits("test")[0][0], enlarged), "domain A, by default"
    big = data.typed_digits_with_labels(16, "test")[0]
    assert torch.equal(big, shipped), "the cached digits are untouched"


# ------------------------------------------------------------------------------ metrics


def test_masked_psnr_matches_a_hand_computation_on_the_masked_pixels_only():
    target = torch.zeros(2, 1, 4, 4)
    mask = torch.zeros(2, 1, 4, 4, dtype=torch.bool)
    mask[:, :, 1:3, 1:3] = True  # 4 pixels an image
    output = target.clone()
    output[0][mask[0]] = 0.2  # MSE 0.04 -> 10 log10(4 / 0.04) = 20 dB
    output[1][mask[1]] = torch.tensor([0.1, -0.1, 0.1, -0.1])  # MSE 0.01 -> 26.02 dB
    psnr = metrics.masked_psnr(output, target, mask)
    assert psnr.shape == (2,)
    assert psnr.tolist() == pytest.approx([20.0, 10 * math.log10(400)], abs=1e-4)
    output[~mask.expand_as(output)] = 0.9  # outside the mask: does not count
    assert metrics.masked_psnr(output, target, mask).tolist() == pytest.approx(psnr.tolist())
    assert metrics.masked_psnr(output, target, mask.float()).tolist() == pytest.approx(
        psnr.tolist()
    )
    assert metrics.masked_psnr(target, target, mask)[0] == math.inf


def test_label_kept_is_high_on_real_digits_and_chance_on_shuffled_labels():
    images, labels = data.digits_with_labels(16, "test")
    assert metrics.label_kept(images, labels) > 0.95
    shuffled = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))]
    assert 0.03 < metrics.label_kept(images, shuffled) < 0.2


def test_cycle_error_is_the_mean_round_trip_distance():
    images = images_like(6)
    assert metrics.cycle_error(nn.Identity(), nn.Identity(), images) == 0

    class Negate(nn.Module):
        def forward(self, x):
            return -x

    error = metrics.cycle_error(Negate(), nn.Identity(), images)  # round trip: -a
    assert error == pytest.approx(2 * images.abs().mean().item(), rel=1e-6)
    assert metrics.cycle_error(Negate(), Negate(), images) == 0


# ------------------------------------------------------------------------------ training


def test_paired_step_with_no_adversarial_weight_is_l1_only():
    torch.manual_seed(0)
    G, D = UNet(width=4), PatchDiscriminator(width=4)
    sources, targets, _ = data.inpainting_pairs(images_like(8), mask_size=6)
    losses_by_weight = {}
    for weight in (0.0, 1.0):
        state = loop.TrainState(
            nets={"generator": G, "discriminator": D},
            optimizers={"g_optimizer": torch.optim.SGD(G.parameters(), lr=0.0),
                        "d_optimizer": torch.optim.SGD(D.parameters(), lr=0.0)},
            config=PairedConfig(l1_weight=100.0, adversarial_weight=weight),
            batches=iter([(sources, targets)]),
        )  # fmt: skip
        losses_by_weight[weight] = paired_step(state)
    l1_only, both = losses_by_weight[0.0], losses_by_weight[1.0]
    assert l1_only["g_loss"] == pytest.approx(100 * l1_only["l1"], rel=1e-6)
    assert both["g_loss"] == pytest.approx(both["g_adv"] + 100 * both["l1"], rel=1e-6)
    assert both["g_adv"] > 0.1, "so the two losses do differ"


def test_pix2pix_with_a_unet_and_a_patchgan_runs_and_learns():
    images = data.typed_digits(16, "test", n=64)
    sources, targets, _ = data.inpainting_pairs(images, mask_size=6)
    torch.manual_seed(0)
    G, D = UNet(width=8), PatchDiscriminator(width=8, paired=True)
    config = PairedConfig(steps=30, batch_size=16, lr=1e-3)
    history = train_paired(G, D, (sources, targets), config)
    assert history.step == 30 and all(math.isfinite(v) for v in history.records["g_loss"])
    assert history.last("l1", 5) < history.records["l1"][0]


def test_cyclegan_with_resnet_generators_and_patchgans_runs_and_learns():
    (typed, _), (hand, _) = data.unpaired_digits("test", n_typed=64)
    torch.manual_seed(0)
    g_ab, g_ba = ResnetGenerator(width=4, n_blocks=1), ResnetGenerator(width=4, n_blocks=1)
    d_a, d_b = (PatchDiscriminator(width=8, paired=False) for _ in range(2))
    config = CycleConfig(steps=30, batch_size=16, lr=1e-3)
    history = train_cycle(g_ab, g_ba, d_a, d_b, typed, hand[:64], config)
    assert history.step == 30 and all(math.isfinite(v) for v in history.records["g_loss"])
    assert history.last("cycle", 5) < history.records["cycle"][0]
    assert metrics.cycle_error(g_ab, g_ba, typed) < 1.0


def test_batchnorm_would_blind_the_patch_discriminator_to_whole_batches():
    # The steps call D on an all-real batch and an all-fake batch apart. BatchNorm before the
    # 1x1 head normalises each batch on its own, so D cannot tell them apart: hence no
    # BatchNorm by default. D alone learns to tell (noisy, clean) from (noisy, noisy) pairs.
    clean = data.typed_digits(16, "train", n=500)
    noisy, _ = data.denoising_pairs(clean, 0.5, seed=0)
    verdicts = {}
    for batchnorm in (True, False):
        torch.manual_seed(0)
        D = PatchDiscriminator(width=16, batchnorm=batchnorm)
        optimizer = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
        for _ in range(150):
            i = torch.randint(500, (16,))
            d_loss = losses.d_loss_bce(D(noisy[i], clean[i]), D(noisy[i], noisy[i]))
            optimizer.zero_grad()
            d_loss.backward()
            optimizer.step()
        with torch.no_grad():  # train mode, as in training: real and fake batches apart
            real, fake = D(noisy[:64], clean[:64]), D(noisy[:64], noisy[:64])
        verdicts[batchnorm] = torch.sigmoid(real).mean() - torch.sigmoid(fake).mean()
    assert PatchDiscriminator().hparams["batchnorm"] is False
    assert abs(verdicts[True]) < 0.05 < 0.3 < verdicts[False], verdicts
