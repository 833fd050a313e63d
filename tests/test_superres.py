"""Lesson 14's super-resolution: the photographs, luma and bicubic (against the published bicubic
numbers), PSNR / SSIM / sharpness, SRResNet, the aligned patches, and SRResNet's and SRGAN's
steps through `loop.fit`."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gan_course import images
from gan_course.data import PHOTOS, photo
from gan_course.families import superres as sr
from gan_course.metrics import psnr_y, sharpness, sr_score, ssim_y
from gan_course.models.srgan import FeatureNet, SRDiscriminator, SRResNet, upsample_bicubic

# ------------------------------------------------------------------------------ photographs


def test_photos_are_uint8_cropped_to_a_multiple_of_4_and_the_cat_is_left_out():
    cat = photo("chelsea")
    assert cat.dtype == torch.uint8 and cat.shape == (3, 300, 448)  # 451 -> 448
    assert photo("camera").shape == (1, 512, 512)
    assert photo("stereo_motorcycle").shape[0] == 3  # the left view, not the tuple
    assert photo("chelsea", multiple=8).shape == (3, 296, 448)
    assert not set(PHOTOS["train"]) & set(PHOTOS["test"])
    with pytest.raises(ValueError, match="valid names are: astronaut.*chelsea"):
        photo("cat")  # the same pixels as chelsea, a test image


def test_luma_and_chroma_go_back_to_the_same_rgb():
    rgb = photo("coffee")[:, :40, :50]
    y, cbcr = images.luma(rgb), images.chroma(rgb)
    assert y.shape == (1, 40, 50) and cbcr.shape == (2, 40, 50)
    assert 16 <= y.min() and y.max() <= 235  # BT.601's studio range
    assert (images.to_rgb(y, cbcr).int() - rgb.int()).abs().max() <= 1
    white = torch.full((3, 2, 2), 255, dtype=torch.uint8)
    assert torch.allclose(images.luma(white), torch.tensor(235.0))
    assert torch.allclose(images.chroma(white), torch.tensor(128.0), atol=1e-4)
    grey = photo("camera")[:, :8, :8]
    assert torch.equal(images.luma(grey), grey.float())  # a grey photo's luma: its value
    assert torch.equal(images.to_rgb(images.luma(grey)), grey)


def test_resize_bicubic_takes_uint8_photos_and_keeps_flat_images_flat():
    flat = torch.full((3, 16, 24), 77, dtype=torch.uint8)
    small = images.resize_bicubic(flat, (4, 6))
    assert small.shape == (3, 4, 6) and small.dtype == torch.uint8 and (small == 77).all()
    assert images.resize_bicubic(photo("camera"), (128, 128)).shape == (1, 128, 128)
    with pytest.raises(ValueError, match="uint8"):
        images.resize_bicubic(flat.float(), (4, 6))
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        images.resize_bicubic(flat[None], (4, 6))


@pytest.mark.parametrize(
    "name, published", [("chelsea", 31.47), ("camera", 26.17), ("coffee", 27.29)]
)
def test_bicubic_reproduces_the_published_baseline(name, published):
    """The course's bicubic x4 (PIL, uint8, luma, 4-pixel border) gives the reference numbers."""
    p = sr.sr_photo(name)
    assert p.small.shape[1:] == (p.truth.shape[1] // 4, p.truth.shape[2] // 4)
    assert psnr_y(p.bicubic, p.truth) == pytest.approx(published, abs=0.005)
    scored = sr_score(p.bicubic, p.truth)  # as the benchmark and the judges read them
    assert scored.psnr == psnr_y(p.bicubic, p.truth)
    assert scored.ssim == ssim_y(p.bicubic, p.truth) < 1
    assert scored.sharpness == sharpness(p.bicubic) / sharpness(p.truth) < 1  # bicubic blurs


# ------------------------------------------------------------------------------ metrics


def test_psnr_is_computed_on_the_cropped_luma_and_clips():
    truth = torch.full((1, 20, 20), 100.0)
    image = truth.clone()
    image[0, 4:16, 4:16] += 10  # an error of 10 everywhere inside the border
    assert psnr_y(image, truth) == pytest.approx(10 * math.log10(255**2 / 100))
    image[0, :2] = 0  # errors in the border do not count
    assert psnr_y(image, truth) == pytest.approx(10 * math.log10(255**2 / 100))
    assert psnr_y(truth + 400, truth, border=0) == pytest.approx(psnr_y(truth + 155, truth, 0))
    assert psnr_y(image[0], truth[0]) == pytest.approx(psnr_y(image, truth))  # (H, W) works
    with pytest.raises(ValueError, match="luma"):
        psnr_y(torch.zeros(3, 20, 20), torch.zeros(3, 20, 20))


def test_ssim_and_sharpness():
    truth = images.luma(photo("brick"))[:, :96, :96]  # texture everywhere
    blurred = F.avg_pool2d(truth[None], 3, 1, 1, count_include_pad=False)[0]
    more = F.avg_pool2d(truth[None], 5, 1, 2, count_include_pad=False)[0]
    assert ssim_y(truth, truth) == pytest.approx(1.0)
    assert ssim_y(more, truth) < ssim_y(blurred, truth) < 0.99
    assert sharpness(more) < sharpness(blurred) < 0.9 * sharpness(truth)  # blur removes detail
    noisy = truth + torch.randn(truth.shape, generator=torch.Generator().manual_seed(0)) * 20
    assert sharpness(noisy) > sharpness(truth)  # noise adds "detail" that is not there
    assert sharpness(torch.full((1, 30, 30), 50.0)) == 0


# ------------------------------------------------------------------------------ the networks


def test_srresnet_starts_as_bicubic_and_enlarges_by_its_scale():
    torch.manual_seed(0)
    x = torch.rand(2, 1, 6, 5) * 2 - 1
    for scale in (2, 4, 8):
        G = SRResNet(width=8, blocks=1, scale=scale)
        out = G(x)
        assert out.shape == (2, 1, 6 * scale, 5 * scale)
        assert torch.equal(out, upsample_bicubic(x, scale))  # zero-initialised last layer
    with pytest.raises(ValueError, match="power of 2"):
        SRResNet(scale=3)
    colour = SRResNet(channels=3, width=8, blocks=1)
    assert colour(torch.rand(1, 3, 4, 4)).shape == (1, 3, 16, 16)


def test_srresnet_computes_at_the_low_resolution_until_the_upsampler():
    G = SRResNet(width=8, blocks=2)
    seen = []
    G.body.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    G.upsampler.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    G(torch.rand(1, 1, 5, 7))
    assert seen == [(1, 8, 5, 7), (1, 8, 20, 28)]


def test_discriminator_and_feature_net_shapes():
    D = SRDiscriminator(width=4)
    assert D(torch.rand(3, 1, 64, 64)).shape == (3,)
    assert D(torch.rand(2, 1, 32, 48)).shape == (2,)  # any size divisible by 8
    phi = FeatureNet(width=4)
    assert phi(torch.rand(2, 1, 64, 64)).shape == (2, 8, 16, 16)
    assert phi.classify(torch.rand(2, 1, 64, 64)).shape == (2, 9)


# ------------------------------------------------------------------------------ data for training


def test_patch_pairs_are_aligned_balanced_seeded_and_leave_the_global_rng_alone():
    names = ("brick", "camera")
    state = torch.random.get_rng_state()
    small, large = sr.patch_pairs(names, 20, patch=8, seed=3)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert small.shape == (20, 1, 8, 8) and large.shape == (20, 1, 32, 32)
    assert -1 <= small.min() and large.max() <= 1
    again = sr.patch_pairs(names, 20, patch=8, seed=3)
    assert torch.equal(again[0], small) and torch.equal(again[1], large)
    assert not torch.equal(sr.patch_pairs(names, 20, patch=8, seed=4)[0], small)
    # aligned: each small patch looks like its large patch shrunk, and not like another's
    shrunk = F.avg_pool2d(large, 4).flatten(1)
    corr = torch.corrcoef(torch.cat([small.flatten(1), shrunk]))[:20, 20:]
    assert corr.diagonal().min() > 0.8
    assert corr.diagonal().mean() > corr.mean() + 0.3
    # balanced: the photographs alternate, so camera (grey levels up to 255) is every second
    brick = images.luma(photo("brick"))
    assert sr.from_unit(large[0::2]).max() <= brick.max() + 1e-3


def test_super_resolve_works_in_eval_mode_and_puts_the_mode_back():
    p = sr.sr_photo("camera")
    G = SRResNet(width=4, blocks=1)
    G.train()
    out = sr.super_resolve(G, p.small)
    assert G.training and out.shape == p.truth.shape
    assert 0 <= out.min() and out.max() <= 255
    assert psnr_y(out, p.truth) == pytest.approx(psnr_y(p.bicubic, p.truth), abs=0.3)
    cat = sr.sr_photo("chelsea")
    picture = sr.colour(cat.bicubic, cat)  # bicubic's luma with bicubic's chroma
    assert picture.dtype == torch.uint8 and picture.shape == (3, 300, 448)
    assert sr.colour(out, p).shape == (1, 512, 512)  # camera is grey


# ------------------------------------------------------------------------------ training


def _pairs(n=32):
    return sr.patch_pairs(("brick", "camera"), n, patch=8, seed=0)


def test_cosine_lr_goes_from_lr_to_final_lr():
    state = sr.TrainState(nets={}, optimizers={}, steps=100)
    assert sr.cosine_lr(state, 1.0, 0.1) == pytest.approx(1.0)
    for step in range(1, 51):
        state.history.log(step=step)
    assert sr.cosine_lr(state, 1.0, 0.1) == pytest.approx(0.55)  # half way: the middle
    for step in range(51, 101):
        state.history.log(step=step)
    assert sr.cosine_lr(state, 1.0, 0.1) == pytest.approx(0.1)


def test_srresnet_training_lowers_the_pixel_loss():
    torch.manual_seed(0)
    G = SRResNet(width=8, blocks=1)
    small, large = _pairs()
    pairs = (small, large - 0.2)  # targets darker than bicubic's: a residual to learn
    before = F.l1_loss(G(pairs[0]), pairs[1]).item()
    history = sr.train_srresnet(G, pairs, sr.SRResNetConfig(steps=40, batch_size=8, lr=3e-3))
    assert history.step == 40 and history["lr"][-1] < history["lr"][0]
    assert F.l1_loss(G(pairs[0]), pairs[1]).item() < 0.5 * before


def test_content_loss_compares_features_not_pixels():
    torch.manual_seed(0)
    phi = FeatureNet(width=4).requires_grad_(False)
    x = torch.rand(2, 1, 16, 16)
    assert sr.content_loss(phi, x, x) == 0
    shifted = x.roll(1, dims=-1)
    expected = F.mse_loss(phi(shifted), phi(x)) / phi(x).pow(2).mean()  # relative to phi(y)
    assert sr.content_loss(phi, shifted, x) == pytest.approx(expected.item())


def test_srgan_trains_g_and_d_and_leaves_the_feature_net_frozen():
    torch.manual_seed(0)
    G, D, phi = SRResNet(width=8, blocks=1), SRDiscriminator(width=4), FeatureNet(width=4)
    g0, d0 = [p.clone() for p in G.parameters()], [p.clone() for p in D.parameters()]
    phi0 = [p.clone() for p in phi.parameters()]
    config = sr.SRGANConfig(steps=3, batch_size=8, pixel_weight=0.5)
    history = sr.train_srgan(G, D, phi, _pairs(), config)
    assert history.step == 3
    assert {"d_loss", "g_loss", "content", "g_adv", "pixel", "d_real", "d_fake"} <= set(
        history.keys()
    )
    assert any(not torch.equal(a, b) for a, b in zip(g0, G.parameters(), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(d0, D.parameters(), strict=True))
    assert all(torch.equal(a, b) for a, b in zip(phi0, phi.parameters(), strict=True))
    assert not phi.training
    last = {k: history[k][-1] for k in ("g_loss", "content", "g_adv", "pixel")}
    total = last["content"] + 1e-3 * last["g_adv"] + 0.5 * last["pixel"]
    assert last["g_loss"] == pytest.approx(total, rel=1e-5)


def test_the_feature_net_learns_which_photo_a_patch_is_from():
    torch.manual_seed(0)
    phi = FeatureNet(width=8, classes=2)
    state = torch.random.get_rng_state()
    phi = sr.train_feature_net(phi, ("brick", "moon"), steps=40)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert not phi.training and not any(p.requires_grad for p in phi.parameters())
    _, large = sr.patch_pairs(("brick", "moon"), 40, seed=99)  # other patches
    accuracy = (phi.classify(large).argmax(1) == torch.arange(40) % 2).float().mean()
    assert accuracy > 0.8
    assert np.isfinite(phi(large).sum().item())


# ------------------------------------------------------------------------------ the magnifier


def test_the_magnifier_shows_the_same_window_of_every_version():
    from gan_course.widgets import Magnifier, magnifier

    truth = torch.arange(3 * 48 * 64).reshape(3, 48, 64).remainder(251).to(torch.uint8)
    small = truth[:, ::4, ::4].contiguous()  # (3, 12, 16)
    grey = truth[:1]
    widget = magnifier({"a": {"small": small, "bicubic": truth.flip(2), "truth": truth},
                        "b": {"truth": grey}}, window=8, zoom=2, width=128)  # fmt: skip
    assert isinstance(widget, Magnifier) and widget.canvas.height == 96  # 48 rows at 2x
    assert (widget.x.value, widget.y.value) == (28, 20)  # the window starts in the middle
    assert (widget.x.max, widget.y.max) == (56, 40)
    widget.move_to(0, 0)  # a click at the corner: the window as far up and left as it goes
    assert (widget.x.value, widget.y.value) == (0, 0)
    widget.move_to(64, 200)  # canvas (64, 200) is photo (32, 100): clamped at the bottom
    assert (widget.x.value, widget.y.value) == (28, 40)
    crops = widget.crops()
    assert torch.equal(crops["truth"], truth[:, 40:48, 28:36])
    assert torch.equal(crops["bicubic"], truth.flip(2)[:, 40:48, 28:36])
    enlarged = small.repeat_interleave(4, 1).repeat_interleave(4, 2)
    assert torch.equal(crops["small"], enlarged[:, 40:48, 28:36])
    assert [tile.children[0].value for tile in widget.views.children] == [
        "small",
        "bicubic",
        "truth",
    ]
    widget._drag(10, 10)  # not pressed: nothing moves
    assert (widget.x.value, widget.y.value) == (28, 40)
    widget._press(10, 10), widget._drag(20, 20), widget._release(20, 20)
    assert (widget.x.value, widget.y.value) == (6, 6)
    widget.photo.value = "b"  # a grey photograph
    assert widget.crops()["truth"].shape == (1, 8, 8) and len(widget.views.children) == 1
