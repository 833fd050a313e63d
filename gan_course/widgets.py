"""Interactive widgets (ipywidgets) for exploring a trained generator.

`latent_explorer(generator)` shows one generated image with a slider for each main latent
direction (`gan_course.latent.latent_directions`) and a "new sample" button: move a slider and the
image follows. It works for any generator with a `.latent_dim` that maps (N, latent_dim) to
images (N, C, H, W) in [-1, 1]. Outside a notebook front end it still builds and renders, so
tests and nbval can run it.
"""

from __future__ import annotations

import contextlib
import io

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure  # not pyplot: nothing to close, nothing shown
from PIL import Image
from torch import Tensor, nn

from .latent import latent_directions, sample, slerp
from .models.stylegan import mix_styles
from .viz import figure_png, gan_lab_view


def image_png(image: Tensor, size: int = 192) -> bytes:
    """One image (C, H, W) in [-1, 1] as PNG bytes, enlarged to `size` pixels with sharp pixels."""
    pixels = ((image.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().byte()
    return photo_png(pixels, max(1, size // max(pixels.shape[1:])))


def _picture(image: Tensor) -> Image.Image:
    """A uint8 image (C, H, W), C = 1 or 3, as a PIL image."""
    array = image.permute(1, 2, 0).numpy()  # (H, W, C): PIL's layout
    return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)


def photo_png(image: Tensor, scale: int = 1) -> bytes:
    """A uint8 image (C, H, W), C = 1 or 3, as PNG bytes, enlarged `scale` times with sharp
    pixels (nearest neighbour: what you see is each pixel, not a smoothing of them)."""
    picture = _picture(image)
    if scale != 1:
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


# ---------------------------------------------------------------------------- lesson 13


class StyleExplorer(widgets.VBox):
    """The widget `style_explorer` returns: a style-mixing grid of a `StyleGenerator` with a
    truncation slider, a choice of which layers the top row gives, and buttons for new latents
    and new noise.

    The top row shows `n` sources A, the left column `n` sources B; the image in row i, column j
    takes the first `crossover` layers' styles (the coarse ones) from A_j and the rest from B_i.
    Truncation moves every w towards `w_avg` first (psi from 1 to 0; past 0, to the far side of
    it; past 1, further out than w itself). "new noise" redraws only the noise planes:
    what changes then is what the noise controls.
    """

    CROSSOVERS = {  # the lesson's generator: 2 style layers at each of 4x4, 8x8, 16x16
        "coarse (4x4) from the top row": 2,
        "coarse and middle (4x4, 8x8) from the top row": 4,
        "only the finest layer from the left column": 5,
    }

    def __init__(self, generator: nn.Module, n: int = 4, seed: int = 0, size: int = 480) -> None:
        self.generator, self.n, self.size = generator, n, size
        self.rng = torch.Generator().manual_seed(seed)  # its own RNG: the notebook's is untouched
        style = {"description_width": "initial"}
        self.psi = widgets.FloatSlider(  # below 0: the far side of w_avg (StyleGAN's Figure 8)
            1.0, min=-1.0, max=1.5, step=0.05, description="truncation psi", style=style
        )
        self.crossover = widgets.Dropdown(
            options=list(self.CROSSOVERS.items()), value=2, description="mixing", style=style
        )
        self.new_latents = widgets.Button(description="new latents", icon="refresh")
        self.new_noise = widgets.Button(description="new noise", icon="random")
        self.image = widgets.Image(format="png")
        self.psi.observe(lambda _: self.render(), names="value")
        self.crossover.observe(lambda _: self.render(), names="value")
        self.new_latents.on_click(lambda _: self.draw_latents())
        self.new_noise.on_click(lambda _: self.draw_noise())
        controls = widgets.HBox([self.psi, self.crossover, self.new_latents, self.new_noise])
        super().__init__([controls, self.image])
        self.draw_latents(render=False)
        self.draw_noise()

    def draw_latents(self, render: bool = True) -> None:
        """Fresh sources: n latents for the top row (A), n for the left column (B)."""
        self.z_a, self.z_b = torch.randn(2, self.n, self.generator.latent_dim, generator=self.rng)
        if render:
            self.render()

    def draw_noise(self) -> None:
        """Fresh noise planes, the same for every image of the grid."""
        self.noise = self.generator.make_noise(1, generator=self.rng)
        self.render()

    @torch.no_grad()
    def grid(self) -> Tensor:
        """The (n + 1) x (n + 1) grid of images, a blank corner top left: (n+1)^2 images."""
        G, n, psi = self.generator, self.n, self.psi.value
        device = G.w_avg.device
        was_training = G.training
        G.eval()
        try:
            w_a = G.styles(self.z_a.to(device), truncation=psi)[:, 0]  # (n, w_dim)
            w_b = G.styles(self.z_b.to(device), truncation=psi)[:, 0]
            noise = [plane.expand(n, -1, -1, -1) for plane in self.noise]
            top = G.synthesis(w_a[:, None].expand(-1, G.n_styles, -1), noise)  # (n, C, S, S)
            rows = [torch.cat([-torch.ones_like(top[:1]), top])]  # the blank corner, then A
            for i in range(n):
                w_row = w_b[i : i + 1].expand(n, -1)
                mixed = G.synthesis(mix_styles(w_a, w_row, self.crossover.value, G.n_styles), noise)
                w_left = w_b[i : i + 1, None].expand(-1, G.n_styles, -1)
                left = G.synthesis(w_left, [plane[:1] for plane in noise])  # B_i itself
                rows.append(torch.cat([left, mixed]))
            return torch.cat(rows).cpu()
        finally:
            G.train(was_training)

    def render(self) -> None:
        from torchvision.utils import make_grid

        grid = make_grid(self.grid(), nrow=self.n + 1, padding=1, pad_value=1.0)
        self.image.value = image_png(grid, self.size)


def style_explorer(generator: nn.Module, n: int = 4, seed: int = 0, size: int = 480):
    """A style-mixing grid with a truncation slider and buttons for new latents and new noise,
    for a `gan_course.models.stylegan.StyleGenerator` (lesson 13). Display the result as the
    last expression of a cell."""
    return StyleExplorer(generator, n, seed, size)


__all__ += ["StyleExplorer", "style_explorer"]


class Magnifier(widgets.VBox):
    """The widget `magnifier` returns: a photograph with a square window you drag over it (or
    move with the x and y sliders), and that window in every version of the photograph side by
    side, enlarged with sharp pixels.

    `pictures` maps a photograph's name to its versions, name -> uint8 (C, H, W), all the same
    size except a version called "small", which is `scale` times smaller and shown enlarged by
    repeating each pixel. The first full-size version that is called "truth" (or else the last
    one) is the picture you drag the window over.
    """

    def __init__(self, pictures: dict, window: int = 40, zoom: int = 4, width: int = 448,
                 scale: int = 4) -> None:  # fmt: skip
        from ipycanvas import Canvas  # the picture you drag the window over

        self.pictures, self.window, self.zoom, self.scale = pictures, window, zoom, scale
        self.width, self.dragging = width, False
        style = {"description_width": "initial"}
        self.photo = widgets.Dropdown(options=list(pictures), description="photograph", style=style)
        self.x = widgets.IntSlider(0, min=0, description="x", continuous_update=True)
        self.y = widgets.IntSlider(0, min=0, description="y", continuous_update=True)
        self.canvas = Canvas(width=width, height=width)
        self.canvas.on_mouse_down(self._press)
        self.canvas.on_mouse_move(self._drag)
        self.canvas.on_mouse_up(self._release)
        self.views = widgets.HBox()
        self.photo.observe(lambda _: self.show_photo(), names="value")
        self.x.observe(lambda _: self.render(), names="value")
        self.y.observe(lambda _: self.render(), names="value")
        hint = widgets.HTML("drag the square over the photograph, or move the sliders")
        controls = widgets.HBox([self.photo, self.x, self.y])
        super().__init__([controls, hint, self.canvas, self.views])
        self.show_photo()

    @property
    def versions(self) -> dict:
        return self.pictures[self.photo.value]

    @property
    def base(self) -> Tensor:
        full = {k: v for k, v in self.versions.items() if k != "small"}
        return full.get("truth", list(full.values())[-1])  # uint8 (C, H, W)

    @property
    def ratio(self) -> float:
        return self.width / self.base.shape[2]  # canvas pixels a photograph's pixel

    def show_photo(self) -> None:
        """Put the chosen photograph on the canvas, the window in its middle. What does not
        change while the window moves is made here once: the canvas picture, every version at
        full size, a tile for each."""
        h, w = self.base.shape[1:]
        self.canvas.height = round(h * self.ratio)
        base = _picture(self.base).convert("RGB")
        base = base.resize((self.width, self.canvas.height), Image.BILINEAR)
        self.canvas_pixels = np.asarray(base)  # (height, width, 3), bilinear
        self.full = {  # name -> uint8 (C, H, W): "small" with each pixel repeated scale x scale
            name: picture.repeat_interleave(self.scale, 1).repeat_interleave(self.scale, 2)
            if name == "small" else picture
            for name, picture in self.versions.items()
        }  # fmt: skip
        self.tiles = {name: widgets.Image(format="png") for name in self.full}
        self.views.children = [widgets.VBox([widgets.Label(name), image])
                               for name, image in self.tiles.items()]  # fmt: skip
        with self.hold():
            self.x.max, self.y.max = w - self.window, h - self.window
            self.x.value, self.y.value = (w - self.window) // 2, (h - self.window) // 2
        self.render()

    @contextlib.contextmanager
    def hold(self):
        """Change both sliders without rendering after each."""
        self._held = True
        try:
            yield
        finally:
            self._held = False

    def crops(self) -> dict:
        """Every version's window, uint8 (C, window, window): the "small" one enlarged first."""
        x, y, s = self.x.value, self.y.value, self.window
        return {name: picture[:, y : y + s, x : x + s] for name, picture in self.full.items()}

    def render(self) -> None:
        """Draw the window on the canvas and show it in every version."""
        if getattr(self, "_held", False):
            return
        from ipycanvas import hold_canvas

        r = self.ratio
        with hold_canvas():
            self.canvas.put_image_data(self.canvas_pixels, 0, 0)
            self.canvas.stroke_style, self.canvas.line_width = "#ffcc00", 2
            self.canvas.stroke_rect(self.x.value * r, self.y.value * r, self.window * r,
                                    self.window * r)  # fmt: skip
        for name, crop in self.crops().items():
            self.tiles[name].value = photo_png(crop, self.zoom)

    def move_to(self, cx: float, cy: float) -> None:
        """Centre the window on canvas point (cx, cy)."""
        r, half = self.ratio, self.window // 2
        with self.hold():
            self.x.value = min(max(round(cx / r) - half, 0), self.x.max)
            self.y.value = min(max(round(cy / r) - half, 0), self.y.max)
        self.render()

    def _press(self, cx, cy) -> None:
        self.dragging = True
        self.move_to(cx, cy)

    def _drag(self, cx, cy) -> None:
        if self.dragging:
            self.move_to(cx, cy)

    def _release(self, cx, cy) -> None:
        self.dragging = False


def magnifier(pictures: dict, window: int = 40, zoom: int = 4, width: int = 448) -> Magnifier:
    """A magnifier to drag over photographs and compare versions of them side by side (lesson
    14: the small image, bicubic, SRResNet, SRGAN, the truth). `pictures`: photograph name ->
    {version name -> uint8 (C, H, W)}; see `Magnifier`. Display it as a cell's last expression."""
    return Magnifier(pictures, window, zoom, width)


__all__ += ["Magnifier", "magnifier"]
