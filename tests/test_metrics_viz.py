"""gan_course.metrics and gan_course.viz."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from gan_course import data, losses, metrics, train, viz  # noqa: E402
from gan_course.models import MLPDiscriminator, MLPGenerator  # noqa: E402


def test_mode_stats_on_the_true_distribution_is_perfect():
    ring = data.ring_of_8()
    stats = metrics.mode_stats(ring.sample(2500, torch.Generator().manual_seed(0)), ring)
    # in 2-D, P(|noise| <= 3 std) = 1 - exp(-9/2) = 0.989
    assert stats.modes_covered == 8 and abs(stats.high_quality - 0.989) < 0.01
    assert stats.reverse_kl < 0.01
    assert "8/8 modes" in str(stats)


def test_mode_stats_sees_collapse_and_blur():
    ring = data.ring_of_8()
    collapsed = ring.means[0] + 0.01 * torch.randn(2500, 2)
    stats = metrics.mode_stats(collapsed, ring)
    assert stats.modes_covered == 1 and np.isclose(stats.reverse_kl, np.log(8))
    blurred = metrics.mode_stats(torch.randn(2500, 2) * 3, ring)
    assert blurred.high_quality < 0.05
    assert metrics.mode_stats(torch.full((10, 2), 100.0), ring).reverse_kl == float("inf")


def test_d_accuracy_pools_both_batches():
    assert losses.d_accuracy(torch.tensor([1.0, -1.0, 2.0]), torch.tensor([-1.0])) == 0.75


def test_generator_mode_stats_leaves_the_rng_and_mode_alone():
    gen = MLPGenerator(2, 2, (8,))
    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    first = metrics.generator_mode_stats(gen, data.ring_of_8())
    assert torch.equal(torch.rand(2), expected) and gen.training
    assert first == metrics.generator_mode_stats(gen, data.ring_of_8())


def test_plots_draw_on_given_axes():
    gen, disc = MLPGenerator(2, 2, (8,)), MLPDiscriminator(2, (8,))
    ring = data.ring_of_8()
    fig, axes = plt.subplots(1, 4)
    assert viz.gan_lab_view(gen, disc, ring.sample(50), torch.randn(50, 2), ax=axes[0]) is axes[0]
    assert len(axes[0].images) == 1 and axes[0].collections  # heatmap, dots and arrows
    fixed_fakes = ring.sample(30) @ torch.tensor([[0.0, -1.0], [1.0, 0.0]])  # the ring, turned
    viz.decision_view(disc, ring.sample(30), fixed_fakes, ax=axes[1], title="fixed fakes")
    assert axes[1].get_title() == "fixed fakes" and len(axes[1].images) == 1
    viz.scatter_real_fake(ring.sample(20), None, ax=axes[1], lim=3)
    viz.show_images(data.digits(8)[:16], nrow=4, ax=axes[2], title="digits")
    history = train.History()
    for step in range(1, 30):
        history.log(step=step, d_loss=1.0, g_loss=0.7, d_real=0.6, d_fake=0.4)
    viz.plot_losses(history, axes[3])
    assert len(axes[3].lines) == 2
    assert len(viz.plot_history(history).axes) == 2
    plt.close("all")


def test_image_grid_maps_minus_one_one_to_zero_one():
    grid = viz.image_grid(torch.cat([-torch.ones(1, 1, 4, 4), torch.ones(1, 1, 4, 4)]), nrow=2)
    assert grid.shape[2] == 3 and grid.min() == 0.0 and grid.max() == 1.0


def test_snapshot_player_shows_the_frame_of_the_step_on_the_slider():
    import pytest

    from gan_course.widgets import snapshot_player

    torch.manual_seed(0)
    pairs = {step: (MLPGenerator(2, 2, (8,)), MLPDiscriminator(2, (8,))) for step in (0, 50, 9)}
    real, noise = data.ring_of_8().sample(64), torch.randn(64, 2)
    player = snapshot_player(pairs, real, noise, size=2)
    assert player.steps == [0, 9, 50] and list(player.slider.options) == [0, 9, 50]
    assert player.play.max == 2  # the play button walks the three positions
    assert player.image.value == player.frames[0]
    assert len(set(player.frames.values())) == 3, "each step has a picture of its own"
    player.slider.value = 50
    assert player.image.value == player.frames[50]
    with pytest.raises(ValueError, match="no snapshots"):
        snapshot_player({}, real, noise)


# ------------------------------------------------------------------------------ lesson figures


def _texts(ax) -> str:
    return "\n".join(t.get_text() for t in ax.texts)


def test_d_step_graph_shows_the_cut_and_both_directions():
    ax = viz.plot_d_step_graph()
    assert ".detach()" in _texts(ax) and "no gradient" in _texts(ax)
    boxes = [t for t in ax.texts if t.get_bbox_patch() is not None]
    assert len(boxes) == 9  # z, G, fake, D twice, two logits, x, the loss
    arrows = [t for t in ax.texts if type(t).__name__ == "Annotation"]
    assert len(arrows) == 8 + 4 + 1  # forward, backward, and the gradient stopped at the cut
    assert [h.get_label() for h in ax.get_legend().legend_handles][0] == "forward"
    ax.figure.canvas.draw()  # arrows between boxes resolve their ends only when drawn
    plt.close("all")


def test_dcgan_architecture_draws_one_box_a_tensor_and_leaves_the_networks_alone():
    from gan_course.models import dcgan

    G = dcgan.DCGANGenerator(latent_dim=8, image_size=16, width=8)
    D = dcgan.DCGANDiscriminator(image_size=16, width=8)
    G.train(), D.eval()
    before = [b.clone() for b in (*G.buffers(), *D.buffers())]
    ax = viz.plot_dcgan_architecture(G, D)
    assert len(ax.patches) == (1 + len(G.net)) + (1 + len(D.features) + 1)
    shapes = _texts(ax)
    for label in ("8×1×1", "16×4×4", "1×16×16", "8×8×8", "1×1×1", "convT 4/1/0", "conv 4/2/1"):
        assert label in shapes, label
    assert G.training and not D.training, "modes restored"
    after = [*G.buffers(), *D.buffers()]
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True)), "BN untouched"
    plt.close("all")


def test_conditional_discriminators_show_both_ways_in():
    cat, proj = viz.plot_conditional_discriminators()
    assert "concatenation" in cat.get_title() and "projection" in proj.get_title()
    assert "1 + 10 channels" in _texts(cat) and r"\langle e_y, \phi(x)\rangle" in _texts(proj)
    assert "embedding" in _texts(proj) and "embedding" not in _texts(cat)
    plt.close("all")


def test_smoothed_optimal_d_is_beta_where_only_fakes_are():
    ax_density, ax_d = viz.plot_smoothed_optimal_d(alpha=0.2, beta=0.1)
    assert len(ax_density.collections) == 2 and len(ax_d.lines) == 3
    plain, one_sided, two_sided = (line.get_ydata() for line in ax_d.lines)
    assert plain[0] > 0.99 and np.isclose(two_sided[0], 0.8 * plain[0] + 0.1 * (1 - plain[0]))
    assert np.allclose(one_sided, 0.8 * plain)  # one-sided only scales p / (p + q)
    assert np.isclose(one_sided[-1], 0.0, atol=1e-6) and np.isclose(two_sided[-1], 0.1)
    plt.close("all")


def test_frechet_figure_draws_both_gaussians_and_adds_up_the_two_terms():
    mu1, mu2 = torch.tensor([0.0, 0.0]), torch.tensor([2.0, 1.0])
    sigma1, sigma2 = torch.tensor([[1.0, 0.3], [0.3, 0.5]]), torch.eye(2) * 0.4
    ax = viz.plot_frechet_gaussians(mu1, sigma1, mu2, sigma2)
    assert len(ax.patches) == 4 and len(ax.lines) == 2  # 1 and 2 std each; the two means
    total = metrics.gaussian_frechet_distance(mu1, sigma1, mu2, sigma2).item()
    assert "5.00 (means)" in ax.get_title() and f"= {total:.2f}" in ax.get_title()
    widths = sorted(p.width for p in ax.patches)
    assert np.isclose(widths[-1], 4 * torch.linalg.eigvalsh(sigma1)[-1].sqrt().item())
    plt.close("all")
