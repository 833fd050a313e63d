r"""The smallest game that shows why GAN training goes round in circles.

$\min_x \max_y f(x, y) = xy$: its only equilibrium is (0, 0). Played by gradient descent-ascent
(`gda_step`, `bilinear_game`), simultaneous steps spiral away from it and alternating steps orbit
around it (Mescheder et al. 2018; Gidel et al. 2019); `plot_bilinear_game` draws the paths.
Lesson 06 starts here, before it trains a single network.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

# ------------------------------------------------------------------------------ the bilinear game

GDA_MODES = ("simultaneous", "alternating")


def gda_step(x: float, y: float, lr: float, mode: str = "simultaneous") -> tuple[float, float]:
    """One step of gradient descent-ascent on f(x, y) = x y: x descends, y ascends."""
    if mode not in GDA_MODES:
        raise ValueError(f"mode={mode!r}; choose one of {list(GDA_MODES)}")
    new_x = x - lr * y  # df/dx = y; x minimises f
    seen_x = new_x if mode == "alternating" else x  # alternating: y answers the x that moved
    new_y = y + lr * seen_x  # df/dy = x; y maximises f
    return new_x, new_y


def bilinear_game(
    steps: int, lr: float, mode: str = "simultaneous", start=(1.0, 1.0)
) -> np.ndarray:
    r"""Play $\min_x \max_y xy$ for `steps` steps of `gda_step`; the path (steps + 1, 2).

    The only equilibrium is (0, 0), and the players' joint gradient field $(y, -x)$ is a pure
    rotation around it: in continuous time they circle at a fixed distance for ever. Discrete
    steps make it worse or keep it so (Mescheder et al. 2018, "Which training methods for GANs do
    actually converge?", the Dirac-GAN; Gidel et al. 2019, "Negative momentum for improved game
    dynamics"):

    * **simultaneous** updates apply $\begin{pmatrix}1 & -\eta\\ \eta & 1\end{pmatrix}$, whose
      eigenvalues $1 \pm i\eta$ have modulus $\sqrt{1 + \eta^2} > 1$: each step turns the point
      and pushes it out by that factor, so the path **spirals outwards**,
      $r_t = r_0 (1 + \eta^2)^{t/2}$;
    * **alternating** updates ($y$ answers the new $x$) apply
      $\begin{pmatrix}1 & -\eta\\ \eta & 1 - \eta^2\end{pmatrix}$, whose determinant is 1: for
      $\eta < 2$ both eigenvalues lie on the unit circle and the path **orbits** for ever on the
      ellipse $x^2 - \eta x y + y^2 = \text{const}$, bounded but never converging.

    Lesson 05's loop alternates; the swings of D(x) and D(G(z)) in a GAN are orbits of this kind.
    """
    x, y = float(start[0]), float(start[1])
    path = [(x, y)]
    for _ in range(steps):
        x, y = gda_step(x, y, lr, mode)
        path.append((x, y))
    return np.array(path)  # (steps + 1, 2)


def plot_bilinear_game(paths: dict[str, np.ndarray], axes=None):
    """Paths of `bilinear_game` in the (x, y) plane, and their distance to the equilibrium."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 4))
    ax_plane, ax_radius = axes
    for name, path in paths.items():
        (line,) = ax_plane.plot(path[:, 0], path[:, 1], lw=1, marker=".", ms=3, label=name)
        ax_plane.plot(*path[-1], marker="o", color=line.get_color())  # where it ended
        ax_radius.plot(np.linalg.norm(path, axis=1), color=line.get_color(), label=name)
    start = next(iter(paths.values()))[0]
    ax_plane.plot(*start, marker="s", color="black", label="start")
    ax_plane.plot(0, 0, marker="*", ms=14, color="gold", mec="black", label="equilibrium")
    ax_plane.set(xlabel="x (descends f)", ylabel="y (ascends f)", title="min_x max_y  x·y")
    ax_plane.set_aspect("equal", adjustable="datalim")
    ax_plane.legend(fontsize=8)
    ax_radius.set(xlabel="step", ylabel="distance to (0, 0)", title="distance to the equilibrium")
    ax_radius.set_ylim(bottom=0)
    ax_radius.legend(fontsize=8)
    return axes
