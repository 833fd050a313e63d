"""Interactive widgets (ipywidgets) for exploring a trained generator.

`latent_explorer(generator)` shows one generated image with a slider for each main latent
direction (`gan_course.latent.latent_directions`) and a "new sample" button: move a slider and the
image follows. It works for any generator with a `.latent_dim` that maps (N, latent_dim) to
images (N, C, H, W) in [-1, 1]. Outside a notebook front end it still builds and renders, so
tests and nbval can run it.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure  # not pyplot: nothing to close, nothing shown
from PIL import Image
from torch import Tensor, nn

from .latent import latent_directions, sample, slerp
from .viz import figure_png, gan_lab_view


def image_png(image: Tensor, size: int = 192) -> bytes:
    """One image (C, H, W) in [-1, 1] as PNG bytes, enlarged to `size` pixels with sharp pixels."""
    array = ((image.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().byte()
    array = array.permute(1, 2, 0).numpy()  # (H, W, C)
    picture = Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)
    scale = max(1, size // max(picture.size))
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


class LatentExplorer(widgets.HBox):
    """The widget `latent_explorer` returns: sliders and buttons on the left, the image right.

    `z` is the current latent point: the sample `base` plus `sum_i slider_i * directions[i]`.
    """

    def __init__(
        self,
        generator: nn.Module,
        directions: Tensor,  # (k, latent_dim), one slider per row
        labels: list[str] | None = None,
        span: float = 3.0,  # sliders run from -span to +span (z's entries have std 1)
        seed: int = 0,
        size: int = 192,
    ) -> None:
        self.generator, self.size = generator, size
        self.directions = directions.detach().float().cpu()  # (k, d)
        self.rng = torch.Generator().manual_seed(seed)  # its own RNG: the notebook's is untouched
        labels = labels or [f"direction {i + 1}" for i in range(len(self.directions))]
        style, layout = {"description_width": "initial"}, widgets.Layout(width="320px")
        self.sliders = [
            widgets.FloatSlider(0.0, min=-span, max=span, step=0.1, description=label,
                                continuous_update=True, style=style, layout=layout)
            for label in labels
        ]  # fmt: skip
        self.new_button = widgets.Button(description="new sample", icon="refresh")
        self.reset_button = widgets.Button(description="reset sliders")
        self.image = widgets.Image(format="png", width=size, height=size)
        self.new_button.on_click(lambda _: self.new_sample())
        self.reset_button.on_click(lambda _: self.reset())
        self._muted = False  # True while reset() moves every slider: one render, not k
        for slider in self.sliders:
            slider.observe(self._on_slider, names="value")
        controls = widgets.VBox([*self.sliders, widgets.HBox([self.new_button, self.reset_button])])
        super().__init__([controls, self.image])
        self.new_sample()

    @property
    def z(self) -> Tensor:
        """The latent point shown now, (latent_dim,)."""
        weights = torch.tensor([s.value for s in self.sliders])  # (k,)
        return self.base + weights @ self.directions

    def render(self) -> None:
        """Generate the image for the current `z` and show it."""
        image = sample(self.generator, z=self.z.unsqueeze(0))[0]  # (C, H, W)
        self.image.value = image_png(image, self.size)

    def reset(self) -> None:
        """All sliders back to 0, then one render."""
        self._muted = True
        try:
            for slider in self.sliders:
                slider.value = 0.0
        finally:
            self._muted = False
        self.render()

    def _on_slider(self, change) -> None:
        if not self._muted:
            self.render()

    def new_sample(self) -> None:
        """A fresh base sample z ~ N(0, I), sliders at 0."""
        self.base = torch.randn(self.generator.latent_dim, generator=self.rng)
        self.reset()


def latent_explorer(
    generator: nn.Module,
    directions: Tensor | None = None,
    n_directions: int = 6,
    labels: list[str] | None = None,
    span: float = 3.0,
    seed: int = 0,
    size: int = 192,
) -> LatentExplorer:
    """Sliders over a generator's main latent directions, the image updating live.

    `directions` (k, latent_dim) defaults to the `n_directions` from `latent_directions`. Display
    the result as the last expression of a cell (or with `display(...)`).
    """
    if directions is None:
        directions = latent_directions(generator, k=n_directions)
    if directions.dim() != 2 or directions.shape[1] != generator.latent_dim:
        raise ValueError(
            f"directions must have shape (k, {generator.latent_dim}), not {tuple(directions.shape)}"
        )
    return LatentExplorer(generator, directions, labels, span, seed, size)


__all__ = ["LatentExplorer", "image_png", "latent_explorer"]


# ---------------------------------------------------------------------------- lesson 10


class ClassExplorer(widgets.VBox):
    """The widget `class_explorer` returns: a class picker, a noise slider and a "new noise"
    button above a row of images of the picked class.

    The slider walks every image's noise along the great circle (`gan_course.latent.slerp`) from
    one random z to another, so the class stays fixed while the style changes.
    """

    def __init__(self, generator: nn.Module, n: int = 8, seed: int = 0, size: int = 640) -> None:
        self.generator, self.n, self.size = generator, n, size
        self.rng = torch.Generator().manual_seed(seed)  # its own RNG: the notebook's is untouched
        self.picker = widgets.ToggleButtons(
            options=list(range(generator.n_classes)),
            description="class",
            style={"button_width": "32px"},
        )
        self.slider = widgets.FloatSlider(
            0.0, min=0.0, max=1.0, step=0.05, description="noise", continuous_update=True
        )
        self.new_button = widgets.Button(description="new noise", icon="refresh")
        self.image = widgets.Image(format="png")
        self.picker.observe(lambda _: self.render(), names="value")
        self.slider.observe(lambda _: self.render(), names="value")
        self.new_button.on_click(lambda _: self.new_noise())
        super().__init__([self.picker, widgets.HBox([self.slider, self.new_button]), self.image])
        self.new_noise()

    @property
    def z(self) -> Tensor:
        """The noise shown now, (n, latent_dim): from `start` (slider at 0) to `end` (at 1)."""
        return slerp(self.start, self.end, self.slider.value)

    def render(self) -> None:
        """Generate `n` images of the picked class from the current noise, and show them."""
        from torchvision.utils import make_grid

        labels = torch.full((self.n,), self.picker.value, dtype=torch.long)
        images = sample(self.generator, z=self.z, labels=labels)  # (n, C, H, W), eval mode
        grid = make_grid(images.cpu(), nrow=self.n, padding=1, pad_value=1.0)  # in [-1, 1]
        self.image.value = image_png(grid, self.size)

    def new_noise(self) -> None:
        """Two fresh batches of noise, z ~ N(0, I), for the two ends of the slider."""
        self.start, self.end = torch.randn(2, self.n, self.generator.latent_dim, generator=self.rng)
        self.render()


def class_explorer(generator: nn.Module, n: int = 8, seed: int = 0, size: int = 640):
    """A digit picker and a noise slider over `n` images from a conditional generator.

    `generator` has `.n_classes`, `.latent_dim` and `forward(z, labels)` (lesson 10). Display the
    result as the last expression of a cell.
    """
    return ClassExplorer(generator, n, seed, size)


__all__ += ["ClassExplorer", "class_explorer"]


# ---------------------------------------------------------------------------- lesson 05


class SnapshotPlayer(widgets.VBox):
    """The widget `snapshot_player` returns: a step slider with a play button, above the GAN Lab
    view (`gan_course.viz.gan_lab_view`) of the (G, D) pair saved at that step.

    Every frame is drawn once, when the widget is made, so moving the slider costs nothing.
    """

    def __init__(self, snapshots: dict, real: Tensor, noise: Tensor, size: float = 5.5) -> None:
        self.steps = sorted(snapshots)
        self.frames = {}  # step -> PNG bytes
        for step in self.steps:
            generator, discriminator = snapshots[step]
            fig = Figure(figsize=(size, size))
            ax = fig.subplots()
            gan_lab_view(generator, discriminator, real, noise, ax=ax, title=f"step {step:,}")
            self.frames[step] = figure_png(fig, dpi=80, bbox_inches="tight")
        self.slider = widgets.SelectionSlider(
            options=self.steps, description="step", continuous_update=True
        )
        self.play = widgets.Play(min=0, max=len(self.steps) - 1, interval=1500, description="play")
        widgets.jslink((self.play, "value"), (self.slider, "index"))  # play moves the slider
        width = widgets.Layout(width=f"{round(size * 80)}px")  # 80 dpi: the picture's own size
        self.image = widgets.Image(format="png", value=self.frames[self.steps[0]], layout=width)
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        super().__init__([widgets.HBox([self.play, self.slider]), self.image])

    def show(self, step: int) -> None:
        self.image.value = self.frames[step]


def snapshot_player(snapshots: dict, real: Tensor, noise: Tensor, size: float = 5.5):
    """Step through a run's snapshots {step: (generator, discriminator)} one picture at a time.

    `real` and `noise` are the fixed real points and noise every frame is drawn with (lesson 05's
    `view_real`, `view_noise`). Display the result as the last expression of a cell.
    """
    if not snapshots:
        raise ValueError("no snapshots to show: pass {step: (generator, discriminator)}")
    return SnapshotPlayer(snapshots, real, noise, size)


__all__ += ["SnapshotPlayer", "snapshot_player"]
