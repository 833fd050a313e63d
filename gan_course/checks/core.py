"""The machinery every auto-check uses.

A check is a function that takes the learner's function or class and runs it inside a `Check`::

    def check_d_loss(fn) -> None:
        with Check("d_loss", reference=losses.d_loss_bce) as c:
            real, fake = fixed_logits()
            got = c.call(fn, real, fake)            # stub -> "not implemented yet"
            c.expect_scalar(got, hint="did you forget .mean()?")
            c.expect_close(got, losses.d_loss_bce(real, fake), "the loss on fixed logits",
                           hint="pass logits, not probabilities")

Inside `Check` the RNGs are forked and seeded, so checks are deterministic and the learner's
random state is left exactly as it was. On success one line is printed. On failure `CheckFailed`
says what was checked, what was expected, what came back, and a hint; in Jupyter it shows as that
message alone, without a traceback through the course's code.
"""

from __future__ import annotations

import functools
import html
import inspect
import math
import random
import re
import sys
import traceback
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)
PASS_MARK, FAIL_MARK = "✔", "✘"
AUTOGRAD_HINT = "use torch operations only (no .item(), float() or NumPy) so autograd can follow"
FLOAT_LOSS_HINT = (
    "the loss is a Python number (.item() or float() made it one), and autograd can't "
    "differentiate a number: keep the tensor, and call .item() only for logging"
)
DETACHED_LOSS_HINT = (
    "the loss is cut off from the network: .detach(), .data, torch.tensor(x.item()), NumPy or "
    "torch.no_grad() on the way leave autograd nothing to follow; compute it with torch "
    "operations on the logits themselves"
)
# Errors a learner's code raises, by a piece of their message, and what they usually mean
ERROR_HINTS = (
    (("'float' object has no attribute 'backward'",), FLOAT_LOSS_HINT),
    (("'int' object has no attribute 'backward'",), FLOAT_LOSS_HINT),
    (("does not require grad and does not have a grad_fn",), DETACHED_LOSS_HINT),
    (
        ("backward through the graph a second time",),
        "each backward() frees the graph it went through: compute the outputs again (a fresh "
        "forward pass) at every step instead of reusing logits or fakes from an earlier one",
    ),
    (
        ("Target size", "must be the same as input size"),
        "the labels must have the logits' shape, (N,): torch.ones_like(logits) and "
        "torch.zeros_like(logits)",
    ),
    (
        ("grad can be implicitly created only for scalar outputs",),
        "backward() needs one number: average the loss over the batch with .mean() first",
    ),
    (("numpy", "requires grad"), AUTOGRAD_HINT),  # PyTorch suggests .detach(): not for a loss
)


KEPT_HINT = "don't modify the input (no -=, /=, .sub_() or .unsqueeze_()): build new tensors"


class CheckFailed(AssertionError):
    """A check found a mistake. The message teaches: what, expected, got, hint."""

    def __init__(self, task: str, what: str, expected=None, got=None, hint: str | None = None):
        self.task, self.what, self.expected, self.got, self.hint = task, what, expected, got, hint
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"{FAIL_MARK} {self.task}: {self.what}"]
        if self.expected is not None:
            lines.append(f"    expected: {self.expected}")
        if self.got is not None:
            lines.append(f"    got:      {self.got}")
        if self.hint:
            lines.append(f"    hint: {self.hint}")
        return "\n".join(lines)

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback
        return [self.render()]


class NotImplementedYet(CheckFailed):
    """The learner's function still raises NotImplementedError."""

    def __init__(self, task: str, what: str = "not implemented yet", hint: str | None = None):
        super().__init__(
            task,
            what,
            hint=hint
            or "replace `raise NotImplementedError` in the cell above with your code, "
            "run that cell, then run this check again.",
        )


class LearnerError(CheckFailed):
    """The learner's code raised an exception while being checked."""


class CourseAnswer(CheckFailed):
    """The answer is the course's own code (or only calls the task's reference): not the
    learner's. The grader gives it a status of its own, never "passed"."""

    def __init__(self, task: str, name: str):
        super().__init__(
            task,
            f"that is the course's own `{name}`: write yours",
            hint="the exercise asks you to write this yourself; the course's helpers that the "
            "task's text names (its data, the models of earlier lessons) stay allowed",
        )


class Check:
    """One check of one task: a context that seeds, counts expectations, and prints the verdict."""

    def __init__(self, task: str, seed: int = 0, reference=()) -> None:
        """`reference`: the course's function(s) or class(es) this task asks the learner to
        write; an answer that is one of them, or only calls one, is refused (`CourseAnswer`)."""
        self.task, self.seed, self.count = task, seed, 0
        self.references = tuple(reference) if isinstance(reference, tuple | list) else (reference,)
        self.references = tuple(r for r in self.references if r is not None and r != ())

    def __enter__(self) -> Check:
        self._fork = torch.random.fork_rng(devices=[])
        self._fork.__enter__()
        self._np_state, self._py_state = np.random.get_state(), random.getstate()
        torch.manual_seed(self.seed)
        np.random.seed(self.seed)
        random.seed(self.seed)
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._fork.__exit__(None, None, None)
        np.random.set_state(self._np_state)
        random.setstate(self._py_state)
        if exc_type is None:
            show_pass(f"{PASS_MARK} {self.task}: all {self.count} checks passed")
        return False

    # -- calling the learner's code ----------------------------------------------------------

    def call(self, fn, *args, **kwargs):
        """Call the learner's `fn`; turn NotImplementedError and crashes into teaching errors.

        An `fn` that is the course's own code, or only calls this task's reference, is refused
        (`CourseAnswer`), and so is a network of the course's that it returns."""
        if not callable(fn):
            raise CheckFailed(
                self.task, "expected something callable", got=f"{type(fn).__name__}: {fn!r}"[:200]
            )
        own = course_s_own(fn, self.references)
        if own is not None:
            raise CourseAnswer(self.task, own)
        return self.run(fn, *args, **kwargs)

    def run(self, fn, *args, **kwargs):
        """Call `fn`, the course's code that exercises the learner's (training their network,
        say), reporting the learner's mistakes inside it as `call` does."""
        try:
            result = fn(*args, **kwargs)
            if isinstance(result, torch.nn.Module) and _from_the_course(type(result)):
                raise CourseAnswer(self.task, type(result).__qualname__)  # a course network
            return result
        except NotImplementedError:
            raise NotImplementedYet(self.task) from None
        except CheckFailed:  # a CourseAnswer too
            raise
        except Exception as err:
            hint = _learner_line(err)
            meaning = next((h for keys, h in ERROR_HINTS if all(k in str(err) for k in keys)), None)
            if meaning is not None:
                hint = f"{meaning} ({hint})"
            raise LearnerError(
                self.task, f"your code raised {type(err).__name__}: {err}", hint=hint, got=None
            ) from err

    def trace(self, net: torch.nn.Module, *inputs, kinds: tuple[type, ...]):
        """`net(*inputs)` (through `call`, without autograd), and the layers of `kinds` it ran, in
        the order it ran them: a list of (layer, its input, its output). What happens *between*
        two of them (an activation, written as a module or as a function) is read off with
        `what_maps`."""
        calls: list[tuple[torch.nn.Module, Tensor, Tensor]] = []

        def record(module, args, out):
            if args and isinstance(args[0], Tensor) and isinstance(out, Tensor):
                # copies: an in-place activation (nn.ReLU(inplace=True)) would change them later
                calls.append((module, args[0].detach().clone(), out.detach().clone()))

        hooks = [m.register_forward_hook(record) for m in net.modules() if isinstance(m, kinds)]
        try:
            with torch.no_grad():
                out = self.call(net, *inputs)
        finally:
            for hook in hooks:
                hook.remove()
        return calls, out

    # -- expectations ------------------------------------------------------------------------

    def expect(self, ok: bool, what: str, expected=None, got=None, hint=None) -> None:
        """The basic step: count it, and fail with a teaching message when `ok` is false."""
        self.count += 1
        if not ok:
            raise CheckFailed(self.task, what, expected, got, hint)

    def expect_tensor(self, got, what: str = "the result", hint=None) -> Tensor:
        self.expect(
            isinstance(got, Tensor),
            f"{what} should be a torch.Tensor",
            "torch.Tensor",
            type(got).__name__,
            hint,
        )
        return got

    def expect_shape(self, got: Tensor, shape, what: str = "the shape", hint=None) -> None:
        self.expect(tuple(got.shape) == tuple(shape), what, tuple(shape), tuple(got.shape), hint)

    def expect_scalar(self, got, what: str = "the result", hint=None) -> float:
        """A Python number, a NumPy number or a 0-d tensor; returns it as a float."""
        if isinstance(got, np.generic | np.ndarray) and np.ndim(got) == 0:
            got = float(got)  # what NumPy and SciPy code returns
        if isinstance(got, Tensor):
            self.expect(
                got.dim() == 0,
                f"{what} should be a single number (a 0-d tensor)",
                "shape ()",
                f"shape {tuple(got.shape)}",
                hint,
            )
            return got.item()
        self.expect(
            isinstance(got, int | float) and not isinstance(got, bool),
            f"{what} should be a number",
            "float or 0-d tensor",
            type(got).__name__,
            hint,
        )
        return float(got)

    def expect_pair(self, got, what: str) -> tuple[float, float]:
        """Two plain numbers, e.g. `return new_x, new_y`; returns them as floats."""
        ok = isinstance(got, tuple | list) and len(got) == 2
        hint = "return new_x, new_y"
        self.expect(ok, what, "a pair (new_x, new_y)", type(got).__name__, hint=hint)
        try:
            return float(got[0]), float(got[1])
        except (TypeError, ValueError, RuntimeError):
            self.expect(False, what, "two numbers", repr(got)[:80], hint="return two plain numbers")

    def expect_finite(self, got: float, what: str, hint: str) -> None:
        self.expect(math.isfinite(got), what, "a finite number", f"{got}", hint)

    def expect_close(
        self, got, want, what: str, hint=None, mistakes=(), atol=1e-5, rtol=1e-4
    ) -> None:
        """`got` should equal `want`. `mistakes` is a list of (wrong value, hint): when `got`
        equals one of those, its hint is the one shown, since we know what went wrong."""
        if not _close(got, want, atol, rtol):
            hint = next((h for wrong, h in mistakes if _close(got, wrong, atol, rtol)), hint)
        self.expect(_close(got, want, atol, rtol), what, _short(want), _short(got), hint)

    def expect_differentiable(self, out, of: str) -> None:
        """`out` is a tensor that autograd can follow back to `of` (e.g. "the logits")."""
        tensor = isinstance(out, Tensor)
        self.expect(
            tensor and out.requires_grad,
            f"can autograd follow the loss back to {of}?",
            "a tensor with a gradient",
            "a tensor without one" if tensor else f"a {type(out).__name__}",
            hint=DETACHED_LOSS_HINT if tensor else FLOAT_LOSS_HINT,
        )

    def expect_all_params_learn(self, net: torch.nn.Module, out: Tensor) -> None:
        """`net` has parameters, and a loss on its output `out` sends a gradient to each."""
        self.expect(
            len(list(net.parameters())) > 0,
            "your network's parameters",
            "some",
            "none",
            hint="create the layers as attributes (self.net = nn.Sequential(...)) "
            "so PyTorch registers them",
        )
        out.float().pow(2).mean().backward()
        silent = [name for name, p in net.named_parameters() if p.grad is None]
        self.expect(
            not silent,
            "every parameter gets a gradient",
            "all of them",
            f"none for {silent}",
            hint="use every layer in forward, and no .detach() or .data inside it",
        )

    def expect_module(self, obj, what: str = "your network") -> None:
        self.expect(
            isinstance(obj, torch.nn.Module),
            f"{what} should be a torch.nn.Module",
            "an nn.Module instance",
            type(obj).__name__,
            hint="subclass nn.Module and call super().__init__() first",
        )

    def expect_one_sgd_step(
        self, who, before, after, reference, move_hint, step_hint, optimizer=None
    ) -> None:
        """`who` ("D", "G") moved, and by exactly `reference`: one SGD step (lr `STEP_LR`) on its
        loss from gradients that `fill_stale_grads` left at `STALE_GRAD`; a missing zero_grad()
        shows as a step of exactly STEP_LR * STALE_GRAD more, and gets its own hint. With the
        learner's `optimizer` (a `WatchedSGD`), an unmoved network whose new gradients were
        cleared before the step gets its own hint too."""
        opt = f"{who.lower()}_optimizer"
        if isinstance(optimizer, WatchedSGD) and optimizer.cleared_new_gradients:
            move_hint = (
                f"{opt}.zero_grad() between backward() and step() throws the new gradients "
                "away before step() can use them: zero_grad() first, then backward(), then step()"
            )
        self.expect(
            not same(before, after),
            f"{who}'s parameters after the {who} step",
            "changed",
            "unchanged",
            hint=move_hint,
        )
        stale = [p - STEP_LR * STALE_GRAD for p in reference]  # what skipping zero_grad gives
        self.expect(
            same(reference, after),
            f"{who}'s parameters after one SGD step",
            f"one step down the gradient of the {who} loss",
            "a different update",
            hint=f"call {who.lower()}_optimizer.zero_grad() first: old gradients add up in .grad"
            if same(stale, after)
            else step_hint,
        )

    def expect_kept(self, given, original, what: str, hint: str = KEPT_HINT) -> None:
        """The tensor the learner's code was given (`given`) still equals the copy kept before
        the call (`original`): nothing was changed in place. `what` names it, e.g. "the images
        you gave laplacian_pyramid(...)"."""
        self.expect(torch.equal(given, original), f"{what}, after the call", "unchanged",
                    "changed in place", hint)  # fmt: skip

    def expect_untouched(self, who: str, before, net, step: str, hint: str) -> None:
        """`net`'s parameters are still `before` after the `step` step."""
        self.expect(
            same(before, snapshot(net)),
            f"{who}'s parameters after the {step} step",
            "unchanged",
            "changed",
            hint=hint,
        )


# ------------------------------------------------------------------------------ in a notebook

PASS_STYLE = (  # a green box, beside JupyterLab's pink one for a failure
    "background: #e6f4ea; color: #1e4620; margin: 0; padding: 2px 6px; white-space: pre-wrap; "
    "font-family: var(--jp-code-font-family, monospace); font-size: var(--jp-code-font-size, 13px)"
)


def _kernel_shell():
    """The IPython shell of a Jupyter kernel we run in, else None (a script, pytest)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def show_pass(line: str) -> None:
    """The one line of a passed check: a green box in Jupyter, printed text elsewhere."""
    if _kernel_shell() is None:
        print(line)
        return
    from IPython.display import display

    box = f'<pre class="gan-course-pass" style="{PASS_STYLE}">{html.escape(line)}</pre>'
    display({"text/plain": line, "text/html": box}, raw=True)


CHECK_CALL = re.compile(r"^\s*check_\w+\(")


def name_error_hint(line: str, missing: str) -> str | None:
    """What to tell a learner whose check cell `line` names `missing`, not defined yet."""
    if not CHECK_CALL.match(line or "") or not re.search(rf"\b{re.escape(missing)}\b", line):
        return None
    return (
        f"{FAIL_MARK} `{missing}` is not defined yet, so there is nothing to check.\n"
        f"    hint: run the cell that defines `{missing}` (your answer, just above) first, "
        "then this check again. After a kernel restart, run the cells from the top."
    )


def _name_error_handler(shell, etype, value, tb, tb_offset=None):
    """IPython's handler for a NameError: a check cell gets a hint, any other cell the usual
    traceback."""
    frames = traceback.extract_tb(tb)
    hint = name_error_hint(frames[-1].line if frames else "", getattr(value, "name", "") or "")
    stb = [hint] if hint else shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset)
    shell._showtraceback(etype, value, stb)
    return stb


def install_notebook_hints() -> None:
    """In a Jupyter kernel: a check run before its answer cell says so instead of a traceback."""
    shell = _kernel_shell()
    if shell is not None and not shell.custom_exceptions:  # leave anyone else's handler alone
        shell.set_custom_exc((NameError,), _name_error_handler)


# ------------------------------------------------------------------------------ whose answer

COURSE = "gan_course"  # code from here is the course's, not the learner's


def _from_the_course(obj) -> bool:
    return (getattr(obj, "__module__", None) or "").split(".")[0] == COURSE


def course_s_own(answer, references=()) -> str | None:
    """The name of the course's code that `answer` is or merely calls, else None.

    * a function, class or method defined in `gan_course` (imported, or a `functools.partial`
      of one): any of the course's code handed in as the answer;
    * a learner's class that inherits from one of the task's `references`;
    * a learner's function (or a method of a learner's class) whose code refers to one of the
      `references`, by name (`from gan_course.losses import d_loss_bce`) or through its module
      (`losses.d_loss_bce(...)`): a thin wrapper. Other course code it uses (the data, earlier
      lessons' models, a loss passed as an argument) is allowed.
    """
    while isinstance(answer, functools.partial):
        answer = answer.func
    answer = getattr(answer, "__func__", answer)  # a bound method: its function
    if _from_the_course(answer):
        return getattr(answer, "__qualname__", type(answer).__name__)
    if isinstance(answer, type):
        for base in answer.__mro__[1:]:
            if any(base is r for r in references):
                return base.__qualname__
        functions = [v for v in vars(answer).values() if inspect.isfunction(v)]
    else:
        functions = [answer] if inspect.isfunction(answer) else []
    return next((found for f in functions if (found := _calls_a_reference(f, references))), None)


def _calls_a_reference(fn, references) -> str | None:
    if not references or not hasattr(fn, "__code__"):
        return None
    referenced = _names_in(fn.__code__)  # globals and attributes the code mentions, at any depth
    values = [fn.__globals__[name] for name in referenced if name in fn.__globals__]
    for cell in fn.__closure__ or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # a closure cell not filled yet
            pass
    for value in values:
        for reference in references:
            if value is reference:
                return reference.__qualname__
            if inspect.ismodule(value) and getattr(value, reference.__name__, None) is reference:
                if reference.__name__ in referenced:  # module.reference(...)
                    return reference.__qualname__
    return None


def _names_in(code) -> set[str]:
    """Every global and attribute name a code object (and the functions inside it) mentions."""
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _names_in(const)
    return names


# ------------------------------------------------------------------------------ what checks share

STEP_LR = 0.1  # checks of a training step use plain SGD: one step's effect is exactly known
STALE_GRAD = 5.0  # the gradient left in .grad "from an earlier step", to catch a missing zero_grad


POOLED = (
    "one mean over both batches together (torch.cat, or a sum divided by n + m) weighs each "
    "batch by its size: take the mean of each term, then combine the two"
)
ONE_BATCH_SIZE = (
    "dividing both sums by one batch's size is right only when the batches are equal: take "
    "the mean of each term over its own batch"
)


def size_mistakes(want, real_terms, fake_terms) -> list[tuple[Tensor, str]]:
    """A loss `want` = mean(real_terms) + mean(fake_terms) as the usual slips with the batch
    sizes compute it (give batches of different sizes, so that each one shows)."""
    total, n, m = real_terms.sum() + fake_terms.sum(), len(real_terms), len(fake_terms)
    return [
        (total, "sum instead of mean: average each term over its batch"),
        (n * want, "sum instead of mean: average each term over its batch"),
        (total / (n + m), POOLED),
        (
            want / 2,
            "averaging the two terms halves the loss: take the mean of each batch, then "
            "combine the two (one mean over both batches together does this too)",
        ),
        (total / n, ONE_BATCH_SIZE),
        (total / m, ONE_BATCH_SIZE),
    ]


def fixed_logits(n: int = 16, m: int | None = None) -> tuple[Tensor, Tensor]:
    """Logits (or critic scores) as a trained D gives them: `n` real, mostly positive, and `m`
    fake (`n` unless given), mostly negative, some of each beyond +-1. Batches of unequal sizes
    catch a loss that is right only when they are equal. Inside a `Check`, the same every time."""
    return torch.randn(n) * 2 + 1, torch.randn(n if m is None else m) * 2 - 1


def what_maps(before: Tensor, after: Tensor):
    """Which elementwise function turns `before` into `after` (one layer's output into the next
    one's input): "none", "relu", "tanh", "sigmoid", a LeakyReLU's negative slope (a float), or
    "other" (a reshape between them is fine)."""
    if before.numel() != after.numel():
        return "other"
    a, b = before.flatten().double(), after.flatten().double()

    def near(x, y) -> bool:
        return bool(torch.allclose(x, y, atol=1e-5, rtol=1e-4))

    if near(b, a):
        return "none"
    if near(b, a.clamp_min(0)):
        return "relu"
    negative, positive = a < -1e-3, a > 1e-3
    if negative.any() and positive.any() and near(b[positive], a[positive]):
        slopes = b[negative] / a[negative]
        if near(slopes, slopes.mean().expand_as(slopes)):
            return round(slopes.mean().item(), 4)
    for name, fn in (("tanh", torch.tanh), ("sigmoid", torch.sigmoid)):
        if near(b, fn(a)):
            return name
    return "other"


def map_name(found) -> str:
    """What `what_maps` found, in words for a message."""
    if isinstance(found, float):
        return f"a LeakyReLU({found:g})"
    return {"none": "nothing", "relu": "a ReLU", "other": "something else"}.get(found, f"a {found}")


def snapshot(net: torch.nn.Module, buffers: bool = False) -> list[Tensor]:
    """Copies of `net`'s parameters (and buffers), to compare after the learner's code ran."""
    tensors = [*net.parameters(), *(net.buffers() if buffers else ())]
    return [t.detach().clone() for t in tensors]


def same(a, b, atol: float = 1e-6) -> bool:
    """Two snapshots hold the same values."""
    return all(torch.allclose(x, y, atol=atol) for x, y in zip(a, b, strict=True))


class WatchedSGD(torch.optim.SGD):
    """Plain SGD (lr `STEP_LR`) that notes whether `zero_grad()` was called on gradients a
    backward() had just filled (not the stale ones `fill_stale_grads` left): a zero_grad()
    between backward() and step(), which leaves the step nothing to do."""

    def __init__(self, params) -> None:
        super().__init__(params, lr=STEP_LR)
        self.cleared_new_gradients = False

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None and p.grad.any() and not bool((p.grad == STALE_GRAD).all()):
                    self.cleared_new_gradients = True
        super().zero_grad(set_to_none)


def fill_stale_grads(net: torch.nn.Module, value: float = STALE_GRAD) -> None:
    """Put a gradient in every `.grad`, as an earlier step would have left it."""
    for p in net.parameters():
        p.grad = torch.full_like(p, value)


def _close(a, b, atol: float, rtol: float) -> bool:
    a = torch.as_tensor(a, dtype=torch.float64).detach().cpu()
    b = torch.as_tensor(b, dtype=torch.float64).detach().cpu()
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=atol, rtol=rtol))


def _short(t) -> str:
    """A tensor as a short, stable string for messages."""
    t = torch.as_tensor(t, dtype=torch.float64).detach().cpu()
    if t.dim() == 0:
        value = t.item()
        return "nan" if math.isnan(value) else f"{value:.5g}"
    flat = ", ".join(f"{v:.4g}" for v in t.flatten()[:6].tolist())
    more = ", ..." if t.numel() > 6 else ""
    return f"shape {tuple(t.shape)}: [{flat}{more}]"


def _learner_line(err: BaseException) -> str:
    """Where in the learner's code `err` was raised: the deepest frame outside torch/gan_course."""
    frames = traceback.extract_tb(err.__traceback__)
    mine = [
        f
        for f in frames
        if not f.filename.startswith(PACKAGE_DIR)
        and "site-packages" not in f.filename
        and not f.filename.startswith(sys.prefix)
    ]
    if not mine:
        return "the error came from a library call your code made; check its arguments"
    f = mine[-1]
    where = "your cell" if "ipykernel" in f.filename or f.filename.startswith("<") else f.filename
    return f"it happened in {where}, line {f.lineno}: {(f.line or '').strip()}"
