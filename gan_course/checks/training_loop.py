"""Checks for exercise 05: a D step in pieces, a G step through a frozen D, a training loop with k
D steps and a trained generator on the ring, three bugs, and the concept questions."""

from __future__ import annotations

import copy
import inspect

import torch
from torch import Tensor

from .. import losses, train
from ..data import ring_of_8
from ..loop import fit
from ..metrics import generator_mode_stats
from ..models import MLPDiscriminator, MLPGenerator
from . import questions
from .core import (
    STEP_LR,
    Check,
    CheckFailed,
    CourseAnswer,
    LearnerError,
    WatchedSGD,
    _learner_line,
    course_s_own,
    fill_stale_grads,
    same,
    snapshot,
)
from .losses import d_loss_mistakes


def _setup(rows: int = 48):
    """Small fixed networks, `rows` points of the ring and as many noise vectors."""
    generator, discriminator = MLPGenerator(2, 2, (16, 16)), MLPDiscriminator(2, (16, 16))
    return generator, discriminator, ring_of_8().sample(rows), torch.randn(rows, 2)


def _loss_of(result, key: str) -> float:
    return float(result[key]) if isinstance(result, dict) else float(result)


def _call(c: Check, fn, *args, known=(), **kwargs):
    """`c.call`, with the crashes this task knows (`known`: pieces of an error's message, and
    what they mean here) told with a hint of their own."""
    try:
        return c.call(fn, *args, **kwargs)
    except LearnerError as err:
        hint = next((h for key, h in known if key in err.what), None)
        if hint is None:
            raise
        where = _learner_line(err.__cause__) if err.__cause__ is not None else ""
        raise CheckFailed(c.task, err.what, hint=f"{hint} ({where})" if where else hint) from None


def _expect_left_as_given(
    c: Check, who: str, net, name: str, step: str, instead: str | None = None
) -> None:
    """After the `step` step, `net` (`who`, called `name` in the learner's code) can still learn
    (no parameter left frozen) and is still in training mode. `instead`: what to do rather than
    freeze or switch it, when the task does not ask for either."""
    frozen = [n for n, p in net.named_parameters() if not p.requires_grad]
    otherwise = f", or don't freeze it ({instead})" if instead else ": freeze it for the step only"
    c.expect(
        not frozen,
        f"can {who} still learn after the {step} step?",
        "every parameter with requires_grad=True",
        f"frozen: {frozen[:3]}",
        hint=f"{who} is still frozen after the {step} step: you set requires_grad_(False) and "
        f"never set it back, so {who} can't learn any more; call {name}.requires_grad_(True) "
        f"before returning{otherwise}",
    )
    otherwise = (
        f", or don't switch it ({instead})"
        if instead
        else f"; eval() freezes nothing anyway (backward() still fills {who}'s .grad): "
        "requires_grad_(False) does"
    )
    c.expect(
        net.training,
        f"{who}'s mode after the {step} step",
        "training mode, as it was given",
        "eval mode",
        hint=f"{who} was left in eval mode ({name}.eval()), which changes BatchNorm and Dropout "
        f"for the rest of training: call {name}.train() before returning{otherwise}",
    )


def _expect_uses_loss_fn(c: Check, call, wants: tuple, what: str) -> None:
    """`call(loss_fn)` runs the learner's step with a loss_fn of ours: it must be the loss used,
    on the logits in the order the task gives (`wants`: their shapes, at the first call)."""
    seen = []

    def loss_fn(*logits, **named):  # not the default loss: a step that ignores loss_fn shows
        logits = (*logits, *named.values())
        seen.append(tuple(tuple(x.shape) for x in logits))
        return sum(((x - 1) ** 2).mean() for x in logits)

    call(loss_fn)
    c.expect(
        bool(seen),
        "does the step use the loss_fn it is given?",
        "loss_fn(...) called",
        "never called",
        hint="use the loss_fn argument, not a loss of your own: train_gan passes other losses "
        "(lesson 09's) through it",
    )
    c.expect(
        seen[0] == wants,
        "the logits handed to loss_fn",
        what,
        f"shapes {seen[0]}",
        hint=f"call it as {what}",
    )


def _expect_takes(c: Check, fn, name: str, arguments: str, hint: str) -> None:
    """`fn` is not the course's, and takes the argument `name` (`arguments`: the whole list)."""
    own = course_s_own(fn, c.references)
    if own is not None:
        raise CourseAnswer(c.task, own)
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # not a Python function: let the call say what it is
        return
    takes = name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
    what = f"{c.task}'s arguments"
    c.expect(takes, what, arguments, f"({', '.join(params)})", hint=hint)


# ------------------------------------------------------------------------------ the D step

D_CASES = ((50, 3), (31, None), (40, 1))  # (rows, chunks; None: the default, 2): the pieces
# 17, 17, 16 and 16, 15 are unequal, and torch.chunk and torch.tensor_split cut them alike

WHOLE_BATCH = (
    "push one piece at a time through G and D: cut real and noise into `chunks` pieces "
    "(torch.chunk(real, chunks), or torch.tensor_split) and use the chunks argument; a forward "
    "pass over the whole batch (the diagnostics' too: torch.cat the pieces' logits) is what the "
    "pieces are there to avoid"
)
SPLIT_SIZE = (
    "torch.split(real, n) cuts pieces of n rows each, not n pieces: torch.chunk(real, chunks) "
    "or torch.tensor_split(real, chunks) cuts `chunks` pieces"
)
DROPPED = (
    "every row must go into a piece: pieces of len(real) // chunks rows leave the remainder "
    "out; torch.chunk and torch.tensor_split keep every row (the last piece may be smaller)"
)
ONE_BACKWARD = (
    "one backward() per piece, right after its forward pass: .grad adds the pieces up for you. "
    "Adding up the pieces' losses and calling backward() once keeps every piece's graph in "
    "memory until the end, the whole batch's again"
)
STEP_PER_PIECE = (
    "one d_optimizer.step() for the whole batch, after the last piece's backward(): a step per "
    "piece takes several small steps, each on part of the batch, and later pieces meet a D that "
    "has already moved"
)
UNWEIGHTED = (
    "the pieces' losses were added up without weights, so the gradient is about `chunks` times "
    "the batch's: each piece's loss is a mean over its own rows; multiply it by the piece's "
    "share of the batch, len(piece) / len(real), before backward()"
)
SIZES = (
    "each piece's loss was multiplied by len(piece): that adds up sums, not a mean, and the "
    "step grows with the batch; weight it by the piece's share, len(piece) / len(real)"
)
ONE_OVER_CHUNKS = (
    "weighting each piece by 1 / chunks is right only when the pieces are equal, and the last "
    "one may be smaller (50 rows in 3 pieces: 17, 17, 16): weight by len(piece) / len(real)"
)
ZERO_GRAD_INSIDE = (
    "only the last piece's gradient reached the step: a zero_grad() inside the loop clears "
    "what the earlier pieces added to .grad. Call d_optimizer.zero_grad() once, before the "
    "first piece"
)
LOSS_LAST = (
    "the loss d_step returns is the whole batch's: add up the pieces' weighted losses "
    "(loss = loss + piece_loss.detach()), not only the last piece's"
)
DIAGNOSTICS = (
    "real_logits and fake_logits must cover the whole batch, for the diagnostics: collect each "
    "piece's logits (detached) and torch.cat them after the loop"
)
FLOAT_TOTAL = (
    "loss is a Python number (.item() or float() made it one), and d_diagnostics calls "
    "loss.item(): keep the total a tensor, adding up the pieces' weighted losses with .detach()"
)


def _rows_in(x, batch: Tensor) -> list[int]:
    """The indices in `batch` of the rows of `x` that are rows of `batch`."""
    if not isinstance(x, Tensor) or x.dim() != 2 or x.shape[1] != batch.shape[1]:
        return []
    same_row = (x.detach().cpu()[:, None, :] == batch[None]).all(-1)  # (len(x), len(batch))
    return same_row.float().argmax(1)[same_row.any(1)].tolist()


class _Pieces:
    """Watches a D step from the inside: how many rows of `real` and of `noise` (and others)
    G and D take in each forward pass, and how many backward passes reach D."""

    def __init__(self, generator, discriminator, real: Tensor, noise: Tensor) -> None:
        self.real, self.noise = real, noise
        self.g_rows, self.d_real, self.d_other = [], [], []  # one entry per forward pass
        self.seen_real, self.seen_noise, self.backwards = set(), set(), 0
        first = next(discriminator.parameters())
        self.handles = [
            generator.register_forward_pre_hook(self._generator),
            discriminator.register_forward_pre_hook(self._discriminator),
            first.register_hook(self._backward),
        ]

    def _generator(self, module, args) -> None:
        rows = _rows_in(args[0] if args else None, self.noise)
        self.g_rows.append(len(args[0]) if args and isinstance(args[0], Tensor) else 0)
        self.seen_noise.update(rows)

    def _discriminator(self, module, args) -> None:
        x = args[0] if args else None
        rows = _rows_in(x, self.real)
        self.d_real.append(len(rows))
        self.d_other.append((len(x) if isinstance(x, Tensor) else 0) - len(rows))
        self.seen_real.update(rows)

    def _backward(self, grad) -> None:
        self.backwards += 1

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


class _CountingSGD(WatchedSGD):
    """`WatchedSGD` that counts its steps."""

    def __init__(self, params) -> None:
        super().__init__(params)
        self.steps = 0

    def step(self, closure=None):
        self.steps += 1
        return super().step(closure)


def _piece_grads(generator, discriminator, real: Tensor, noise: Tensor, chunks: int):
    """For each piece torch.chunk cuts: D's gradient of the D loss on it, its size and the loss."""
    params, grads, sizes, piece_losses = list(discriminator.parameters()), [], [], []
    for real_piece, noise_piece in zip(real.chunk(chunks), noise.chunk(chunks), strict=True):
        with torch.no_grad():
            fake = generator(noise_piece)
        loss = losses.d_loss_bce(discriminator(real_piece), discriminator(fake))
        grads.append(torch.autograd.grad(loss, params))
        sizes.append(len(real_piece))
        piece_losses.append(loss.item())
    return params, grads, sizes, piece_losses


def _weightings(sizes: list[int]) -> list[tuple[list[float], str]]:
    """The weights the usual slips give the pieces' losses, each with its hint."""
    n, k = sum(sizes), len(sizes)
    last = [0.0] * (k - 1)
    return [
        ([1.0] * k, UNWEIGHTED),
        ([float(s) for s in sizes], SIZES),
        ([1 / k] * k, ONE_OVER_CHUNKS),
        ([*last, sizes[-1] / n], ZERO_GRAD_INSIDE),
        ([*last, 1.0], ZERO_GRAD_INSIDE),
        ([*last, 1 / k], ZERO_GRAD_INSIDE),
    ]


def _chunk_mistakes(generator, discriminator, real, noise, chunks):
    """What D's parameters and the loss become with each slip of `_weightings`: two lists of
    (wrong value, hint): the parameters' to pick the hint of `expect_one_sgd_step`, the losses'
    for `expect_close`."""
    params, grads, sizes, piece_losses = _piece_grads(generator, discriminator, real, noise, chunks)
    after, loss = [], []
    for weights, hint in _weightings(sizes):
        step = [
            sum(w * g[i] for w, g in zip(weights, grads, strict=True)) for i in range(len(params))
        ]
        after.append(
            ([(p - STEP_LR * s).detach() for p, s in zip(params, step, strict=True)], hint)
        )
        loss.append((sum(w * x for w, x in zip(weights, piece_losses, strict=True)), hint))
    loss = [(value, LOSS_LAST if hint == ZERO_GRAD_INSIDE else hint) for value, hint in loss]
    return after, loss


def _d_step_case(c: Check, fn, rows: int, chunks: int | None) -> None:
    """The learner's D step on `rows` real points and as many noise vectors, in `chunks` pieces
    (None: called without it, for the default of 2), against one full-batch SGD step."""
    k = 2 if chunks is None else chunks
    piece = -(-rows // k)  # the largest piece torch.chunk or torch.tensor_split cuts
    given = f"{rows} rows, " + ("chunks left at its default" if chunks is None else f"chunks={k}")
    gen, disc, real, noise = _setup(rows)
    ref_gen, ref_disc, was = copy.deepcopy(gen), copy.deepcopy(disc), copy.deepcopy(disc)
    ref_opt = torch.optim.SGD(ref_disc.parameters(), lr=STEP_LR)
    want = train.d_step(ref_gen, ref_disc, ref_opt, real, noise)  # one step on the whole batch
    with torch.no_grad():
        ref_logits = disc(real), disc(gen(noise))  # D as given, for the mistakes' losses
    wrong_params, wrong_losses = _chunk_mistakes(gen, was, real, noise, k)
    opt = _CountingSGD(disc.parameters())
    fill_stale_grads(disc)  # stale gradients from "an earlier step"
    g_before, d_before = snapshot(gen), snapshot(disc)
    watch = _Pieces(gen, disc, real, noise)
    more = {} if chunks is None else {"chunks": chunks}
    try:
        got = _call(
            c,
            fn,
            gen,
            disc,
            opt,
            real,
            noise,
            known=(("no attribute 'item'", FLOAT_TOTAL),),
            **more,
        )
    finally:
        watch.remove()
    c.expect(
        isinstance(got, dict) and "d_loss" in got or isinstance(got, float | torch.Tensor),
        "what d_step returns",
        "a dict with 'd_loss' (or the loss)",
        type(got).__name__,
        hint="return d_diagnostics(loss, real_logits, fake_logits)",
    )
    silent = all(p.grad is None or not p.grad.any() for p in gen.parameters())
    c.expect(
        silent,
        "G's gradients after the D step",
        "none",
        "G received gradients",
        hint="detach the fakes: generator(noise_piece).detach(), so no gradient flows into G",
    )
    c.expect_untouched("G", g_before, gen, "D", "the D step must update D only")
    _expect_left_as_given(c, "G", gen, "generator", "D", "detach the fakes instead")
    _expect_left_as_given(c, "D", disc, "discriminator", "D", "D learns in this step")
    most = max([*watch.g_rows, *watch.d_real, *watch.d_other], default=0)
    c.expect(
        most <= piece,
        f"the most rows G or D took in one forward pass ({given})",
        f"at most {piece}: one piece",
        f"{most}",
        hint=WHOLE_BATCH,
    )
    pieces = max(len(watch.g_rows), sum(1 for n in watch.d_real if n))
    c.expect(pieces <= k, f"the pieces ({given})", f"at most {k}", f"{pieces}", hint=SPLIT_SIZE)
    c.expect(
        len(watch.seen_real) == len(watch.seen_noise) == rows,
        f"the rows of real and of noise that went through D and G ({given})",
        f"all {rows} of each",
        f"{len(watch.seen_real)} of real, {len(watch.seen_noise)} of noise",
        hint=DROPPED,
    )
    real_pieces = sum(1 for n in watch.d_real if n)
    c.expect(
        watch.backwards == real_pieces,
        f"backward passes into D ({given})",
        f"{real_pieces}: one per piece",
        f"{watch.backwards}",
        hint=ONE_BACKWARD,
    )
    c.expect(
        opt.steps <= 1,
        f"d_optimizer.step() calls ({given})",
        "one, after the last piece",
        f"{opt.steps}",
        hint=STEP_PER_PIECE,
    )
    c.expect_close(
        _loss_of(got, "d_loss"),
        want["d_loss"],
        f"the D loss of the whole batch ({given})",
        hint="the loss is the whole batch's: loss_fn(real_logits, fake_logits) of each piece, "
        "real first, weighted by len(piece) / len(real) and added up",
        mistakes=[*wrong_losses, *d_loss_mistakes(*ref_logits)],
        rtol=1e-4,
    )
    after = snapshot(disc)
    c.expect_one_sgd_step(
        "D",
        d_before,
        after,
        snapshot(ref_disc),
        move_hint="call d_optimizer.step() once, after the last piece's backward()",
        step_hint=next(
            (hint for wrong, hint in wrong_params if same(wrong, after)),
            "one step down the whole batch's gradient: zero_grad() once, then for each piece "
            "backward() on its loss times len(piece) / len(real), then one step",
        ),
        optimizer=opt,
    )
    for key in ("d_real", "d_fake") if isinstance(got, dict) else ():
        if key in got:
            c.expect_close(got[key], want[key], f"{key} ({given})", hint=DIAGNOSTICS, rtol=1e-4)


def check_d_step(fn) -> None:
    """`d_step(generator, discriminator, d_optimizer, real, noise, loss_fn=d_loss_bce, chunks=2)`:
    one update of D only, on a batch pushed through in `chunks` pieces (one forward and backward
    pass each, one optimizer step), equal to one step on the whole batch.

    Run on small fixed networks with plain SGD, after planting stale numbers in D's .grad, with
    50 rows in 3 pieces, 31 in the default 2 and 40 in 1; watched from the inside (the rows G and
    D take in each forward pass, the backward passes into D, the optimizer's steps) and compared
    with one SGD step on the whole batch. Then once with a loss_fn of its own."""
    with Check("d_step", reference=(train.d_step, train.d_step_switched)) as c:
        _expect_takes(
            c,
            fn,
            "chunks",
            "(generator, discriminator, d_optimizer, real, noise, loss_fn=d_loss_bce, chunks=2)",
            hint="add the argument chunks=2: the number of pieces the batch is cut into",
        )
        for rows, chunks in D_CASES:
            _d_step_case(c, fn, rows, chunks)
        gen, disc, real, noise = _setup(50)
        optimizer = torch.optim.SGD(disc.parameters(), lr=STEP_LR)
        _expect_uses_loss_fn(
            c,
            lambda loss_fn: c.call(fn, gen, disc, optimizer, real, noise, loss_fn, chunks=3),
            ((17,), (17,)),
            "loss_fn(real_logits, fake_logits) on each piece, real first",
        )


# ------------------------------------------------------------------------------ the G step

NOTHING_TO_LEARN = (
    "the G loss has nothing to backpropagate: with D frozen, the only gradient left is G's, and "
    "it reaches G through D's computation, so the fakes must stay connected to G: no .detach() "
    "or .data on them and no torch.no_grad() around the forward pass (freezing D's parameters "
    "is what keeps D out)"
)
D_NOT_FROZEN = (
    "backward() filled D's .grad on its way through D: freeze D for the step, "
    "discriminator.requires_grad_(False) before it scores the fakes and requires_grad_(True) "
    "after backward(), so that backward() computes no gradient for D and leaves its .grad alone"
)
D_GRAD_CLEARED = (
    "D's .grad was cleared (discriminator.zero_grad(), or an optimizer over D's parameters): the "
    "G step leaves D's gradients as it found them; freeze D instead, so backward() never "
    "touches them"
)


def check_g_step(fn) -> None:
    """`g_step(generator, discriminator, g_optimizer, noise, loss_fn=g_loss_nonsaturating)`: one
    update of G through a frozen D, which it leaves as it found it, .grad included.

    Run on small fixed networks with plain SGD, after planting stale numbers in both networks'
    .grad: G must move by exactly one SGD step on this call's loss, D must not move, D's .grad
    must hold exactly the numbers planted (freezing D with requires_grad_(False) for the step
    does it; so does saving and restoring D's .grad), and both networks must be trainable and
    in training mode afterwards. Then once with a loss_fn of its own."""
    with Check("g_step", reference=(train.g_step, train.g_step_switched)) as c:
        gen, disc, _, noise = _setup(48)
        ref_gen, ref_disc = copy.deepcopy(gen), copy.deepcopy(disc)
        ref_opt = torch.optim.SGD(ref_gen.parameters(), lr=STEP_LR)
        want = train.g_step(ref_gen, ref_disc, ref_opt, noise)
        with torch.no_grad():
            fake_logits = disc(gen(noise))
        opt = WatchedSGD(gen.parameters())
        fill_stale_grads(gen)
        fill_stale_grads(disc)  # what the last D step left in D's .grad
        planted = [p.grad.clone() for p in disc.parameters()]
        g_before, d_before = snapshot(gen), snapshot(disc)
        fresh = copy.deepcopy(gen), copy.deepcopy(disc)  # for a run with a loss_fn of ours
        got = _call(
            c, fn, gen, disc, opt, noise, known=(("does not require grad", NOTHING_TO_LEARN),)
        )
        saturating = losses.g_loss_saturating(fake_logits)
        mistakes = [
            (saturating, "that's the saturating loss; use loss_fn (-log D(G(z)))"),
            (-want["g_loss"], "wrong sign: G minimises -log D(G(z))"),
            (len(noise) * want["g_loss"], "sum instead of mean: average over the batch"),
        ]
        c.expect_close(
            _loss_of(got, "g_loss"),
            want["g_loss"],
            "the G loss on fixed networks",
            hint="loss_fn(discriminator(generator(noise)))",
            mistakes=mistakes,
        )
        c.expect_untouched(
            "D", d_before, disc, "G", "the G step updates G only: step g_optimizer, nothing else"
        )
        _expect_left_as_given(c, "D", disc, "discriminator", "G")
        _expect_left_as_given(c, "G", gen, "generator", "G", "G learns in this step")
        c.expect_one_sgd_step(
            "G",
            g_before,
            snapshot(gen),
            snapshot(ref_gen),
            move_hint="G learns through D: make the fakes with G's graph (no .detach() or .data, "
            "no torch.no_grad()) and call g_optimizer.step()",
            step_hint="minimise loss_fn: backward() on it, then step",
            optimizer=opt,
        )
        cleared = [name for name, p in disc.named_parameters() if p.grad is None]
        c.expect(
            not cleared,
            "D's .grad after the G step",
            "as it was before the step",
            f"cleared: {cleared[:3]}",
            hint=D_GRAD_CLEARED,
        )
        changed = [
            name
            for (name, p), was in zip(disc.named_parameters(), planted, strict=True)
            if not torch.equal(p.grad, was)
        ]
        c.expect(
            not changed,
            "D's .grad after the G step",
            "exactly as it was before the step",
            f"changed: {changed[:3]}",
            hint=D_NOT_FROZEN,
        )
        gen, disc = fresh
        optimizer = torch.optim.SGD(gen.parameters(), lr=STEP_LR)
        _expect_uses_loss_fn(
            c,
            lambda loss_fn: c.call(fn, gen, disc, optimizer, noise, loss_fn),
            ((48,),),
            "loss_fn(fake_logits)",
        )


ADAM = "torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999))"


class _Recorded:
    """A d_step or g_step that notes what the loop hands it, then runs the course's."""

    def __init__(self, name: str, step, calls: list, guard=None) -> None:
        self.name, self.step, self.calls, self.guard = name, step, calls, guard
        self.signature = inspect.signature(step)

    def __call__(self, *args, **kwargs):
        arguments = self.signature.bind(*args, **kwargs).arguments
        self.calls.append((self.name, arguments))
        if self.guard is not None:
            self.guard(self.name, arguments)  # may raise CheckFailed before the step crashes
        return self.step(*args, **kwargs)


def _order_hint(order: str, steps: int, k: int, default: bool) -> str:
    """What the order of the step calls says about the loop."""
    if default and order.count("g") == steps and order.count("d") > steps:
        return "k=1 by default: one D step per G step unless k says otherwise"
    if order == "dg" * steps and k > 1:
        return (
            f"k={k} asks for {k} D steps before each G step: repeat d_step k times in every "
            "iteration, each time on a fresh real batch and fresh noise"
        )
    if order == ("d" + "g" * k) * steps:
        return "k counts D steps per G step, not G steps: k d_steps, then one g_step"
    if order.count("g") != steps:
        return (
            "`steps` counts iterations, one G step each: in each of the `steps` iterations, "
            "k d_steps and then one g_step"
        )
    if order.startswith("g"):
        return "D goes first in each iteration: k d_steps, then one g_step"
    return "in each of the `steps` iterations: k d_steps, then one g_step"


def _expect_loop_structure(
    c: Check, fn, steps: int, k: int | None = None, batch_size: int = 96, latent_dim: int = 3
) -> None:
    """A few steps of the learner's loop with steps that record what they are given: k D steps
    (`k=None`: the loop's default, which must be 1) then one G step per iteration, each
    network's own Adam (created once), a fresh real batch and fresh noise for each step, of the
    sizes asked for. Quick, and says what is wrong before a long run would. Sizes other than the
    defaults (a batch of 96, a latent space of 3) show a size written in by hand."""
    generator = MLPGenerator(latent_dim, 2, (16, 16))
    discriminator = MLPDiscriminator(2, (16, 16))
    calls: list = []

    def guard(name: str, arguments) -> None:  # noise G can't take would crash inside the step
        noise = arguments.get("noise")
        if isinstance(noise, Tensor) and noise.dim() == 2 and noise.shape[1] != latent_dim:
            c.expect_shape(
                noise,
                (noise.shape[0], latent_dim),
                f"the noise {name}_step gets, for a generator with latent_dim={latent_dim}",
                hint="torch.randn(batch_size, generator.latent_dim): the generator's own "
                "latent_dim, not a number of your own",
            )

    d_step = _Recorded("d", train.d_step, calls, guard)
    g_step = _Recorded("g", train.g_step, calls, guard)
    more = {"batch_size": batch_size} if k is None else {"batch_size": batch_size, "k": k}
    c.call(fn, generator, discriminator, ring_of_8(), steps, d_step, g_step, **more)
    per_g = 1 if k is None else k
    called = f"train_loop(..., steps={steps}" + ("" if k is None else f", k={k}") + ")"
    order = "".join(name for name, _ in calls)
    for who in ("d", "g"):
        c.expect(
            who in order,
            f"{who}_step calls in {called}",
            "some",
            "none",
            hint=f"call {who}_step, the one train_loop is given as an argument, with "
            f"{who.upper()}'s optimizer in every iteration",
        )
    c.expect(
        order == ("d" * per_g + "g") * steps,
        f"the steps {called} calls, in order",
        " ".join(["d_step"] * per_g + ["g_step"]) + f" ... ({steps} times)",
        " ".join(f"{name}_step" for name in order),
        hint=_order_hint(order, steps, per_g, k is None),
    )
    d_calls = [arguments for name, arguments in calls if name == "d"]
    g_calls = [arguments for name, arguments in calls if name == "g"]
    for who, net, given, key in (
        ("D", discriminator, d_calls, "d_optimizer"),
        ("G", generator, g_calls, "g_optimizer"),
    ):
        optimizers = [arguments[key] for arguments in given]
        c.expect(
            all(o is optimizers[0] for o in optimizers),
            f"the optimizer {who.lower()}_step gets, over {len(given)} steps",
            "the same one every step",
            f"{len({id(o) for o in optimizers})} different ones",
            hint="create each optimizer once, before the loop: a new Adam at every step "
            "starts from scratch (its running averages are lost)",
        )
        optimizer = optimizers[0]
        params = {id(p) for group in optimizer.param_groups for p in group["params"]}
        c.expect(
            params == {id(p) for p in net.parameters()},
            f"the parameters of the optimizer {who.lower()}_step gets",
            f"{who}'s, and only {who}'s",
            "others",
            hint="each network needs its own optimizer: Adam(discriminator.parameters(), ...) "
            "for d_step and Adam(generator.parameters(), ...) for g_step",
        )
        group = optimizer.param_groups[0]
        settings = f"{type(optimizer).__name__}(lr={group['lr']:g}, betas={group.get('betas')})"
        c.expect(
            isinstance(optimizer, torch.optim.Adam)
            and abs(group["lr"] - 2e-4) < 1e-12
            and tuple(group["betas"]) == (0.5, 0.999),
            f"{who}'s optimizer",
            "Adam(lr=0.0002, betas=(0.5, 0.999))",
            settings,
            hint=f"the optimizer settings: {ADAM} for each network (Radford et al.); "
            "Adam's defaults, lr=1e-3 and betas=(0.9, 0.999), are too hasty for this game",
        )
    reals = [arguments["real"] for arguments in d_calls]
    noises = {"d_step": [a["noise"] for a in d_calls], "g_step": [a["noise"] for a in g_calls]}
    c.expect_shape(
        reals[0],
        (batch_size, 2),
        f"the real batch d_step gets, with batch_size={batch_size}",
        hint="distribution.sample(batch_size): use the argument, not a number of your own",
    )
    for name, noise in noises.items():
        c.expect_shape(
            noise[0],
            (batch_size, latent_dim),
            f"the noise {name} gets, with batch_size={batch_size} and a latent_dim of {latent_dim}",
            hint="torch.randn(batch_size, generator.latent_dim): the arguments and the "
            "generator's own latent_dim, not numbers of your own",
        )
    for what, step, batches, how in (
        ("real batch", "d_step", reals, "distribution.sample(batch_size)"),
        *[("noise", step, noise, "torch.randn(...)") for step, noise in noises.items()],
    ):
        repeats = _repeats(batches)
        hint = (
            f"draw the {what} inside the loop, fresh for every step ({how}); and don't seed "
            "inside the loop"
        )
        if step == "d_step" and per_g > 1 and repeats and repeats < len(batches) - 1:
            hint = (
                f"each of the k D steps needs its own {what}: draw it inside the inner loop, "
                "before every d_step, not once per iteration"
            )
        c.expect(
            not repeats,
            f"the {what} {step} gets, over {len(batches)} steps",
            "a fresh one every step",
            f"the same one {repeats + 1} times" if repeats else "",
            hint=hint,
        )
    last_d_noise = [noises["d_step"][per_g * (i + 1) - 1] for i in range(steps)]
    c.expect(
        all(not torch.equal(d, g) for d, g in zip(last_d_noise, noises["g_step"], strict=True)),
        "the noise g_step gets",
        "fresh noise, drawn after the D steps",
        "the last D step's noise again",
        hint="draw fresh noise for the G step: torch.randn(batch_size, generator.latent_dim) "
        "again after the D steps",
    )
    z = torch.cat(noises["d_step"])
    c.expect(
        abs(z.mean().item()) < 0.1 and abs(z.std().item() - 1) < 0.1,
        "the noise's mean and std",
        "0 and 1: z ~ N(0, I)",
        f"{z.mean().item():.2f} and {z.std().item():.2f}",
        hint="draw the noise from the standard normal, torch.randn, as in exercise 02",
    )


def _repeats(batches: list[Tensor]) -> int:
    """How many of `batches` equal one that came before them."""
    return sum(any(torch.equal(b, a) for a in batches[:i]) for i, b in enumerate(batches))


def _expect_takes_k(c: Check, fn) -> None:
    """`fn` is not the course's, and takes `k` (the number of D steps per G step)."""
    _expect_takes(
        c,
        fn,
        "k",
        "(generator, discriminator, distribution, steps, d_step, g_step, batch_size=256, k=1)",
        hint="add the argument k=1: the number of D steps in each iteration, before its G step",
    )


TRAIN_SEEDS = (0, 1, 2)  # a correct loop misses 7 modes in 1,500 steps about one run in four


def check_train_loop(fn, steps: int = 1500, min_modes: int = 7) -> None:
    """`train_loop(generator, discriminator, distribution, steps, d_step, g_step,
    batch_size=256, k=1)`: `steps` iterations of k D steps then one G step, with the steps it is
    given and Adam(2e-4, (0.5, 0.999)); after 1,500 steps (k=1) on fresh networks the generator
    should put high-quality samples on at least 7 of the ring's 8 modes, in one of up to three
    runs (GAN training is a gamble: a correct loop misses about one run in four). The loop gets the
    course's `d_step` and `g_step` (which have checks of their own), so it is judged on its
    own."""
    with Check("train_loop", reference=(train.train_gan, train.gan_step, fit)) as c:
        _expect_takes_k(c, fn)
        _expect_loop_structure(c, fn, steps=3)  # the default k: 1
        _expect_loop_structure(c, fn, steps=3, k=2)
        ring = ring_of_8()
        for seed in TRAIN_SEEDS:
            torch.manual_seed(seed)  # a new draw of the networks and the batches
            generator = MLPGenerator(2, 2, (128, 128))
            discriminator = MLPDiscriminator(2, (128, 128))
            players = (
                ("D", discriminator, snapshot(discriminator)),
                ("G", generator, snapshot(generator)),
            )
            c.call(fn, generator, discriminator, ring, steps, train.d_step, train.g_step)
            for who, net, before in players:
                c.expect(
                    not same(before, snapshot(net)),
                    f"did {who} learn?",
                    f"{who}'s weights moved",
                    f"{who} is unchanged",
                    hint=f"call {who.lower()}_step(...) with {who}'s optimizer in every iteration",
                )
            stats = generator_mode_stats(generator, ring, n=2500)
            if stats.modes_covered >= min_modes:
                break
        if stats.high_quality < 0.01:
            hint = (
                "almost no samples land on a mode: is each step using its own optimizer, "
                "Adam(lr=2e-4, betas=(0.5, 0.999)), and fresh noise and real data every step?"
            )
        else:
            hint = (
                f"only {stats.modes_covered} modes: that's mode collapse. Alternate k D steps "
                "and one G step, with fresh noise and real data each time"
            )
        c.expect(
            stats.modes_covered >= min_modes,
            f"modes covered after {steps} steps, in up to {len(TRAIN_SEEDS)} fresh runs",
            f">= {min_modes} of 8 in at least one",
            f"the last: {stats}",
            hint=hint,
        )


# ------------------------------------------------------------------------------ three bugs

THREE_BUGS = {  # a bug still in the loop -> what it does, then what to look for
    "same noise": (
        "the D step's fakes come from the same noise in every iteration",
        "D only ever sees the fakes of one fixed batch of z, so it learns to reject those few "
        "points, not what G makes of fresh noise: draw the D step's noise inside the loop, "
        "fresh in every iteration, as the real batch is",
    ),
    "leak": (
        "the D step's backward() reaches G",
        "G's .grad changed during the D step: D's loss must not flow into G (lesson 05, why "
        "detach in the D step?); cut the fakes off from G before D scores them",
    ),
    "stale": (
        "G's step uses gradients left over from before",
        "when G's optimizer stepped, G's .grad still held what earlier backward() calls had put "
        "there (the D step's too, when it reaches G): .grad adds up until cleared, so clear G's "
        "gradients at the start of every G step",
    ),
}
BUG_STALE = 100.0  # planted in every .grad before the loop: far above any gradient it computes


class _Referee:
    """Watches a training loop from the inside: the optimizers it is given, G's forward calls.

    Events in order: G's inputs, and the D and G optimizers' steps. At each D step it notes
    whether G's gradients changed since the last G optimizer event (the D loss reached G); at
    each G step, whether G's gradients still hold the stale value planted before the loop."""

    def __init__(self, generator, discriminator) -> None:
        self.generator, self.discriminator = generator, discriminator
        self.order, self.pending, self.inputs = "", [], {"d": [], "g": []}
        self.leaks, self.stale = 0, {"d": 0, "g": 0}
        self.empty = {"d": 0, "g": 0}  # steps taken with no gradient at all (nothing to step on)
        fill_stale_grads(generator, BUG_STALE)
        fill_stale_grads(discriminator, BUG_STALE)
        self.known = self._grads(generator)
        generator.register_forward_hook(self._forward)

    @staticmethod
    def _grads(net) -> list:
        return [None if p.grad is None else p.grad.detach().clone() for p in net.parameters()]

    def _forward(self, module, args, out) -> None:
        self.pending.append(args[0].detach().clone())

    def _changed(self, now) -> bool:
        """G's gradients differ from the last ones seen at a G optimizer event, and are there
        (a cleared .grad, by generator.zero_grad() say, is no leak)."""
        for then, grad in zip(self.known, now, strict=True):
            if grad is None or not grad.any():
                continue
            if then is None or not torch.equal(then, grad):
                return True
        return False

    def before_step(self, who: str) -> None:
        self.order += who
        self.inputs[who].append(self.pending)
        self.pending = []
        net = self.discriminator if who == "d" else self.generator
        grads = self._grads(net)
        if who == "d" and self._changed(self._grads(self.generator)):
            self.leaks += 1
        present = [g for g in grads if g is not None]
        self.empty[who] += not present or not any(g.any() for g in present)
        self.stale[who] += any(bool((g.abs() > BUG_STALE / 2).any()) for g in present)

    def after(self, who: str) -> None:
        if who == "g":
            self.known = self._grads(self.generator)


class _RefereedSGD(torch.optim.SGD):
    """Plain SGD that tells the referee when it steps and when it clears gradients."""

    def __init__(self, params, referee: _Referee, who: str) -> None:
        super().__init__(params, lr=STEP_LR)
        self.referee, self.who = referee, who

    def zero_grad(self, set_to_none: bool = True) -> None:
        super().zero_grad(set_to_none)
        self.referee.after(self.who)

    def step(self, closure=None):
        self.referee.before_step(self.who)
        out = super().step(closure)
        self.referee.after(self.who)
        return out


class _CountedRing:
    """The ring of 8, counting how often the loop samples it."""

    def __init__(self) -> None:
        self.ring, self.draws = ring_of_8(), 0

    def sample(self, n: int) -> Tensor:
        self.draws += 1
        return self.ring.sample(n)


def _bugs_left(referee: _Referee, steps: int) -> list[str]:
    """Which of the three bugs the loop's behaviour shows."""
    d_noise = [batch[-1] for batch in referee.inputs["d"] if batch]  # the D step's fakes' z
    left = []
    if len(d_noise) == steps and _repeats(d_noise):
        left.append("same noise")
    if referee.leaks:
        left.append("leak")
    if referee.stale["g"]:
        left.append("stale")
    return left


def check_three_bugs(fn, steps: int = 4, batch_size: int = 40) -> None:
    """`gan_loop(generator, discriminator, g_optimizer, d_optimizer, distribution, steps,
    batch_size=256)`: exercise 05's loop with three bugs, fixed. Graded by what the loop does,
    watched from inside its optimizers and G: fresh noise for every D step, no gradient from
    the D step into G, G's gradients cleared before each G step; and one D step then one G
    step per iteration, each moving its own network."""
    steps_of_the_course = (train.d_step, train.g_step, train.gan_step, train.train_gan)
    with Check("three_bugs", reference=steps_of_the_course) as c:
        generator, discriminator = MLPGenerator(3, 2, (16,)), MLPDiscriminator(2, (16,))
        referee = _Referee(generator, discriminator)
        g_opt = _RefereedSGD(generator.parameters(), referee, "g")
        d_opt = _RefereedSGD(discriminator.parameters(), referee, "d")
        ring, before = _CountedRing(), (snapshot(generator), snapshot(discriminator))
        c.call(fn, generator, discriminator, g_opt, d_opt, ring, steps, batch_size=batch_size)
        c.expect(
            referee.order == "dg" * steps,
            f"the optimizers' steps over {steps} iterations, in order",
            " ".join(["d_optimizer g_optimizer"] * steps),
            " ".join(f"{who}_optimizer" for who in referee.order) or "none",
            hint="keep the loop's shape: in each iteration one D step, then one G step, each "
            "with the optimizer the loop is given (d_optimizer, g_optimizer)",
        )
        left = _bugs_left(referee, steps)
        c.expect(
            not left,
            f"bugs still in the loop: {len(left)} of 3",
            "none",
            "; ".join(THREE_BUGS[bug][0] for bug in left),
            hint="\n          ".join(f"({i}) {THREE_BUGS[bug][1]}" for i, bug in enumerate(left, 1))
            if len(left) > 1
            else THREE_BUGS[left[0]][1]
            if left
            else None,
        )
        c.expect(
            referee.stale["d"] == 0,
            "D's gradients when its optimizer steps",
            "this step's only",
            "gradients left over from before",
            hint="keep d_optimizer.zero_grad() at the start of the D step: .grad adds up until "
            "cleared",
        )
        for who, net, was in (("D", discriminator, before[1]), ("G", generator, before[0])):
            c.expect(
                referee.empty[who.lower()] == 0 and not same(was, snapshot(net)),
                f"did {who} learn in every step?",
                f"a gradient for {who} at each of its optimizer's steps",
                "steps with no gradient to take",
                hint=f"{who}'s optimizer stepped with empty gradients: zero_grad() belongs "
                "before backward(), not between backward() and step()"
                if who == "D"
                else "G's optimizer stepped with no gradient: the G step's fakes must be made "
                "with G's graph (no .detach(), no torch.no_grad(), no frozen G left frozen), "
                "and zero_grad() belongs before backward(), not between backward() and step()",
            )
        c.expect(
            ring.draws >= steps,
            f"real batches drawn over {steps} iterations",
            f"{steps}, a fresh one each",
            f"{ring.draws}",
            hint="draw the real batch inside the loop, as the loop you were given does",
        )


# -- concept questions (ids "05.name": checked by `check_question`) ----------------------------

questions.choice(
    "05.curves",
    "abcd",
    right="a3ac04516bb718c2",
    meaning="G answers every D step, so neither player pulls ahead for long: D(x) and D(G(z)) "
    "close in on ½, D(x) a little above, D(G(z)) a little below while G still scatters "
    "samples D can reject. A D that kept winning would mean G had failed.",
    why={
        "e6ef34cf24b36d9f": "that is D against a generator that stands still (exercise 03). "
        "Here G takes a step after every D step, towards whatever D calls real: if D(G(z)) "
        "went to 0 and stayed there, G would have failed (lesson 06: D too strong)",
        "3d0a0750954eeec5": "D(G(z)) near 1 means D calls the fakes real with confidence: the "
        "very next D step is trained to push them down, and it does. Both near 1 can't last",
        "bf5dacbfd490351b": "the best G can do is match the data, and then D can't tell, "
        "D = ½ for both: there is no 'more real than real' for D(G(z)) to stay above D(x)",
    },
)
questions.choice(
    "05.without_detach",
    "abcd",
    right="376cafb256053ca5",
    meaning="Without detach the D step fills G's .grad, but the G step's zero_grad() clears it "
    "before G's optimizer uses it: nothing changes but the cost of a backward pass through G. "
    "It turns into a real bug only with a G step that forgets zero_grad() (task 4).",
    why={
        "386172f29716a622": "the leaked gradient does sit in G's .grad, but g_step starts with "
        "zero_grad(), which clears it before G's optimizer steps: nothing ever uses it (it "
        "would hurt with a G step that forgets zero_grad(), as in task 4)",
        "34320d704d787d7b": "a backward pass doesn't use anything up: the G step runs G again "
        "and computes G's own gradient afresh, whatever the D step did to G's .grad",
        "2cf6e3c4dab70c16": "each step makes its own fakes, with a graph of its own, and "
        "backpropagates through it once: nothing goes backward twice. That error comes from "
        "reusing fakes (or logits) from an earlier step's graph",
    },
)
questions.number(
    "05.momentum",
    2.0,
    0.3,
    meaning="1 / (1 - 0.5) = 2: with β₁ = 0.5 each player's momentum reacts to about the last "
    "two gradients, so neither keeps pushing in a direction that suited an opponent who has "
    "already moved.",
    traps=[
        (
            10.0,
            0.5,
            "10 is 1 / (1 - 0.9), the memory of PyTorch's default β₁ = 0.9: the course's "
            "optimizers use betas=(0.5, 0.999)",
        ),
        (
            0.5,
            0.05,
            "0.5 is β₁ itself, the weight kept from the old average at each step, not a number "
            "of steps: put it into 1 / (1 - β₁)",
        ),
        (
            1000.0,
            5.0,
            "1000 is 1 / (1 - 0.999): that is β₂, the memory of the squared gradients that "
            "scale the step; the momentum is β₁'s",
        ),
    ],
    off="put the course's β₁ into 1 / (1 - β₁): betas=(0.5, 0.999), β₁ is the first",
)


__all__ = ["check_d_step", "check_g_step", "check_train_loop", "check_three_bugs"]
