"""Checks for exercise 10: conditional GANs.

`from gan_course.checks.conditional_gans import check_conditional_input, check_projection_logit,
check_ask_for, check_per_class_accuracy`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import metrics
from ..models import conditional
from . import questions
from .core import Check, _close

# ------------------------------------------------------------------------------ 1 the input


def check_conditional_input(fn) -> None:
    """`conditional_input(z, labels, n_classes)`: [z, onehot(labels)], shape (N, latent + K)."""
    with Check("conditional_input", reference=conditional.conditional_input) as c:
        # latent_dim = n_classes = 5, and no label 4 in the batch: every mistake gets its own shape
        z, labels, n_classes = torch.randn(6, 5), torch.tensor([0, 3, 1, 2, 3, 0]), 5
        got = c.expect_tensor(c.call(fn, z, labels, n_classes), "conditional_input(z, labels, 5)")
        one_hot = F.one_hot(labels, n_classes).float()
        shape_hints = {
            (6, 5): "the labels are missing: concatenate z and their one-hot, dim=1"
            if _close(got, z, 1e-6, 1e-6)
            else "z is missing: concatenate z and the one-hot, torch.cat([z, one_hot], dim=1)",
            (12, 5): "you stacked along the batch (dim=0): concatenate the features, dim=1",
            (6, 9): "pass num_classes=n_classes: F.one_hot(labels) alone makes vectors of "
            "length max(labels) + 1 for this batch (here 4 instead of 5)",
            (6, 6): "one-hot, not the label as a number: n_classes numbers, a 1 at the label",
            (6, 15): "the one-hot has n_classes numbers (here 5): don't hard-code 10",
        }
        c.expect_shape(
            got,
            (6, 10),
            "the shape for z (6, 5), labels (6,) and 5 classes",
            hint=shape_hints.get(tuple(got.shape), "z (N, latent_dim) next to (N, n_classes)"),
        )
        c.expect_close(
            got,
            torch.cat([z, one_hot], dim=1),
            "the values: z, then the one-hot of each label",
            hint="torch.cat([z, F.one_hot(labels, num_classes=n_classes).float()], dim=1)",
            mistakes=[(torch.cat([one_hot, z], dim=1), "z first, then the one-hot")],
        )
        z, labels = torch.randn(3, 7), torch.tensor([9, 0, 4])
        got = c.expect_tensor(c.call(fn, z, labels, 10), "conditional_input(z, labels, 10)")
        c.expect_close(
            got,
            conditional.conditional_input(z, labels, 10),
            "z (3, 7) with labels [9, 0, 4] of 10 classes",
            hint="use the sizes you are given: z.shape[1] numbers, then n_classes",
        )


# ------------------------------------------------------------------------------ 2 projection


def _projection_setup():
    features = torch.randn(6, 8)  # phi(x) for 6 images, F = 8
    labels = torch.tensor([0, 2, 1, 2, 0, 1])
    psi, embed = nn.Linear(8, 1), nn.Embedding(3, 8)
    return features, labels, psi, embed


def check_projection_logit(fn) -> None:
    """`projection_logit(features, labels, psi, embed)`: psi(phi) + <e_y, phi>, shape (N,)."""
    with Check("projection_logit", reference=conditional.projection_logit) as c:
        features, labels, psi, embed = _projection_setup()
        got = c.expect_tensor(
            c.call(fn, features, labels, psi, embed), "projection_logit(features, labels, ...)"
        )
        shape_hints = {
            (6, 1): "one logit per image, shape (N,): psi(features) is (N, 1), .squeeze(1) it",
            (6, 6): "psi(features) is (N, 1); adding an (N,) tensor to it broadcasts to (N, N): "
            ".squeeze(1) it first",
            (): "sum over the features only (dim=1), so each image keeps its own logit",
        }
        c.expect_shape(
            got,
            (6,),
            "one logit per image",
            hint=shape_hints.get(tuple(got.shape), "return (N,) logits"),
        )
        with torch.no_grad():
            unconditional = psi(features).squeeze(1)  # (N,)
            products = embed(labels) * features  # (N, F)
            mistakes = [
                (unconditional, "the class term is missing: add <e_y, phi(x)>, "
                 "(embed(labels) * features).sum(dim=1)"),
                (products.sum(dim=1), "the unconditional term psi(phi(x)) is missing: "
                 "D must also judge real vs fake whatever the class"),
                (unconditional + products.sum(), "each image needs its own inner product: "
                 "sum over the features (dim=1), not over the whole batch"),
                (unconditional + products.mean(dim=1), "an inner product is a sum of the "
                 "products, not their mean"),
                (unconditional + (features @ embed.weight.T).sum(dim=1),
                 "use the embedding of each image's own label, embed(labels), "
                 "not all classes' embeddings"),
            ]  # fmt: skip
            want = conditional.projection_logit(features, labels, psi, embed)
        c.expect_close(
            got,
            want,
            "the logits of 6 images with labels [0, 2, 1, 2, 0, 1]",
            hint="psi(features).squeeze(1) + (embed(labels) * features).sum(dim=1)",
            mistakes=mistakes,
        )
        for p in (*psi.parameters(), *embed.parameters()):
            p.grad = None
        c.call(fn, features, labels, psi, embed).sum().backward()
        c.expect(
            psi.weight.grad is not None and embed.weight.grad is not None,
            "can D learn psi and the class embeddings from your logit?",
            "gradients in psi and embed",
            "no gradient in " + ("psi" if psi.weight.grad is None else "embed"),
            hint="compute the logit with the modules themselves, psi(...) and embed(...), "
            "and torch operations: no .detach(), .item() or torch.no_grad()",
        )


# ------------------------------------------------------------------------------ 3 ask for a digit


class _Spy(nn.Module):
    """A small conditional generator that records what it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = conditional.ConditionalGenerator(latent_dim=8, image_size=8, width=8)
        self.latent_dim, self.n_classes = 8, 10
        self.calls: list[tuple[Tensor, Tensor, Tensor]] = []
        self.eval()

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        index = labels if not labels.is_floating_point() else labels.round().long()
        out = self.inner(z, index.clamp(0, 9))
        self.calls.append((z.detach(), labels.detach(), out.detach()))
        return out

    def sample_noise(self, n: int, device=None, generator=None) -> Tensor:
        return self.inner.sample_noise(n, device, generator)

    def asked(self) -> tuple[Tensor, Tensor, Tensor]:
        z, labels, out = zip(*self.calls, strict=True)
        return torch.cat(z), torch.cat(labels), torch.cat(out)


def check_ask_for(fn, n: int = 64) -> None:
    """`ask_for(generator, digit, n)`: n images of class `digit`, each from its own noise."""
    with Check("ask_for", reference=conditional.ask_for) as c:
        for digit in (3, 7):
            spy = _Spy()
            got = c.expect_tensor(c.call(fn, spy, digit, n), f"ask_for(generator, {digit}, {n})")
            c.expect(
                bool(spy.calls),
                "was the generator called?",
                "generator(z, labels)",
                "never called",
                hint="return generator(z, labels)",
            )
            c.expect_shape(got, (n, 1, 8, 8), f"{n} images", hint="n noise vectors, n labels")
            z, labels, made = spy.asked()
            c.expect(
                not labels.is_floating_point(),
                "the labels' dtype",
                "integers (torch.long): class indices",
                str(labels.dtype),
                hint="labels pick a one-hot or an embedding row, so they are indices: "
                "torch.full((n,), digit, dtype=torch.long)",
            )
            wrong = sorted(set(labels.tolist()) - {digit})
            c.expect(
                not wrong,
                f"the labels given to the generator when asked for a {digit}",
                f"all {digit}",
                f"also {wrong[:5]}",
                hint="every label is the digit asked for: torch.full((n,), digit), "
                "not random labels and not a fixed digit",
            )
            c.expect_shape(z, (n, spy.latent_dim), "the noise z", hint="z is (n, latent_dim)")
            c.expect(
                len(torch.unique(z, dim=0)) == n,
                "different noise for each image",
                f"{n} different z",
                f"{len(torch.unique(z, dim=0))} different z",
                hint="one z per image: generator.sample_noise(n), not one z expanded n times; "
                "z is what makes two 3s look different",
            )
            c.expect(
                z.std().item() > 0.5 and bool((z < 0).any()),
                "the noise's distribution",
                "z ~ N(0, I), as in training",
                f"mean {z.mean().item():.2f}, std {z.std().item():.2f}, min {z.min().item():.2f}",
                hint="use the noise G was trained on: torch.randn (or generator.sample_noise), "
                "not torch.rand or zeros",
            )
            c.expect(
                _close(got, made, 1e-6, 1e-6),
                "what ask_for returns",
                "the images generator(z, labels) made",
                "something else",
                hint="return the generator's images as they are",
            )
        first, second = _Spy(), _Spy()
        c.call(fn, first, 3, n)
        c.call(fn, second, 3, n)
        c.expect(
            not torch.equal(first.asked()[0], second.asked()[0]),
            "two calls in a row, ask_for(generator, 3, n) twice",
            "new noise, new images",
            "the same noise twice",
            hint="don't seed inside ask_for: draw new noise at every call, so that asking again "
            "gives other 3s",
        )


# ------------------------------------------------------------------------------ 4 label accuracy


def _judge() -> nn.Module:
    """A stand-in classifier for 4 classes that we can read: 2x2 images, pixel k = logit k."""
    judge = nn.Sequential(nn.Flatten(), nn.Linear(4, 4))  # (N, 1, 2, 2) -> (N, 4)
    with torch.no_grad():
        judge[1].weight.copy_(torch.eye(4))
        judge[1].bias.zero_()
    return judge.eval()


def _per_class_mistakes(judge, images, labels, n_classes):
    """The accuracies as plausible mistakes compute them, each with its hint."""
    with torch.no_grad():
        logits = judge(images)
    predicted = logits.argmax(dim=1)
    correct = (predicted == labels).float()
    asked = torch.bincount(labels, minlength=n_classes).float()
    hits = torch.zeros(n_classes).index_add_(0, labels, correct)
    by_prediction = torch.zeros(n_classes).index_add_(0, predicted, correct)
    soft = torch.zeros(n_classes).index_add_(
        0, labels, logits.softmax(dim=1).gather(1, labels[:, None]).squeeze(1)
    )
    return [
        (by_prediction / torch.bincount(predicted, minlength=n_classes).float(),
         "group the images by the label they were asked to be (labels == k), "
         "not by what the classifier predicted"),
        (hits, "divide by how many images were asked to be class k: a fraction, not a count"),
        (correct.mean().expand(n_classes), "that is the overall accuracy in every class: "
         "average over the images asked to be class k only"),
        (soft / asked, "count an image as right when the class with the largest logit "
         "(argmax) is the one asked for, not by its softmax probability"),
    ]  # fmt: skip


def check_per_class_accuracy(fn) -> None:
    """`per_class_accuracy(classifier, images, labels, n_classes)`: for each class k, the fraction
    of the images asked to be k that the classifier calls k (argmax over the logits)."""
    with Check("per_class_accuracy", reference=metrics.per_class_accuracy) as c:
        judge, n_classes = _judge(), 4
        # 1) one image per class: an argmax over the wrong dimension still has the right shape
        labels, seen = torch.tensor([2, 0, 3, 1]), torch.tensor([2, 0, 1, 1])  # the 3 is seen as 1
        images = (3 * F.one_hot(seen, 4) + 0.3 * torch.randn(4, 4)).view(4, 1, 2, 2)
        got = c.expect_tensor(c.call(fn, judge, images, labels, n_classes), "the result")
        with torch.no_grad():  # what argmax(dim=0) gives: for each class, the image it likes most
            by_image = (judge(images).argmax(dim=0) == labels).float()  # (4,)
        swapped = torch.zeros(n_classes).index_add_(0, labels, by_image)  # one image per class
        want = metrics.per_class_accuracy(judge, images, labels, n_classes)
        c.expect(
            _close(got, want, 1e-5, 1e-4) or not _close(got, swapped, 1e-5, 1e-4),
            "4 images, one asked for each class",
            want.tolist(),
            got.tolist() if got.dim() == 1 else tuple(got.shape),
            hint="take the argmax over the classes, dim=1: dim=0 picks an image for each class",
        )
        # 2) 40 images, unequal numbers per class, about a third classified as another class
        labels = torch.tensor([0] * 16 + [1] * 8 + [2] * 10 + [3] * 6)
        seen = torch.where(torch.arange(40) % 3 == 0, (labels + 1) % 4, labels)  # a third wrong
        images = (3 * F.one_hot(seen, 4) + 0.3 * torch.randn(40, 4)).view(40, 1, 2, 2)
        got = c.expect_tensor(c.call(fn, judge, images, labels, n_classes), "the result")
        c.expect_shape(
            got,
            (n_classes,),
            "one accuracy per class",
            hint="return a tensor of n_classes fractions, the k-th for the images asked to be k",
        )
        c.expect_close(
            got,
            metrics.per_class_accuracy(judge, images, labels, n_classes),
            "the per-class accuracy of 40 images (16, 8, 10 and 6 asked per class)",
            hint="for each k: (predicted[labels == k] == k).float().mean()",
            mistakes=_per_class_mistakes(judge, images, labels, n_classes),
        )


__all__ = [
    "check_conditional_input",
    "check_projection_logit",
    "check_ask_for",
    "check_per_class_accuracy",
]


# ------------------------------------------------------------------------------ concept questions

questions.choice(
    "10.label_shift",
    "abcd",
    right="3bccfed7cd384dff",
    meaning="A convolution is linear in its input channels: its output is the image's part plus "
    "the label maps' part, and changing the label changes only the second, by the same map for "
    "every image. The label shifts the first layer's outputs, a learned bias map per class (a map, "
    "not one number: at the borders the kernel overlaps the zero padding). Image and label "
    "interact only through the nonlinearities after the first layer; in a projection D the "
    "label's effect on the logit, <e_7 - e_3, phi(x)>, depends on the image by construction.",
    why={
        "ad8ed93293855873": "a convolution of a constant map is not zero: each output adds up the "
        "kernel's weights over the map, so map y adds the sum of its kernel's weights to every "
        "output (another sum at the borders, where the kernel overlaps the zero padding). "
        "Constant maps carry no pattern, but they do shift the output",
        "46382c5b8c327f7c": "a convolution is linear in its input: it adds up what each input "
        "channel contributes, so the label maps' part is added to the image's part, never "
        "multiplied with it. A label that gates the image's features would need a product, which "
        "the first layer does not have",
        "ccd1e631b7d9628c": "the convolution mixes the channels by adding their contributions: "
        "the image's part is the same under both labels and cancels in the difference, leaving "
        "the label maps' part alone, which no image changes",
    },
)
questions.number(
    "10.onehot_weights",
    10240,
    0.5,
    meaning="Each input channel of ConvTranspose2d(42, 64, 4) has a 64 x 4 x 4 block of weights: "
    "the map it adds to the output, times its value. The one-hot sets one of its 10 channels to 1, "
    "so each class adds its own 1,024 weights, W onehot(y), to the first block's output: "
    "10 x 1,024 = 10,240, an embedding of 1,024 numbers per class. The projection D's class "
    "embeddings, Embedding(10, 1024), hold as many.",
    traps=[
        (
            10,
            0.5,
            "one weight per class would give each class one number; the one-hot's 1 multiplies "
            "a whole block of weights, one for each of the 64 output channels at each of the "
            "4 x 4 positions",
        ),
        (
            640,
            0.5,
            "10 x 64 forgets the kernel: on a 1 x 1 input, each input channel has a 4 x 4 kernel "
            "for each output channel, which is how the layer makes a 4 x 4 map",
        ),
        (
            1024,
            0.5,
            "that is one class's block, 64 x 4 x 4: each of the 10 classes has its own",
        ),
        (
            43008,
            0.5,
            "that is the whole layer, 42 x 64 x 4 x 4; the 32 channels of z account for 32,768 "
            "of those weights, and they are there without a label too",
        ),
    ],
    off="the weight has the shape (in channels, out channels, 4, 4) = (42, 64, 4, 4): count the "
    "weights of the 10 input channels that the one-hot feeds",
)
questions.choice(
    "10.blind_d",
    "abcd",
    right="1dd5567a048a43fd",
    meaning="Without the class term D scores images alone, so both losses are the same whatever "
    "label a fake was asked for: a good 3 asked as a 7 scores as well as a good 7. G still learns "
    "to draw digits, but the one-hot is only ten more noise inputs to it: which digit comes out "
    "has nothing to do with the label, and the judge sees the asked digit about one time in "
    "ten. That is why Mirza & Osindero give y to both players.",
    why={
        "d81882e0da62eb19": "G learns what its loss rewards, and with logit psi(phi(x)) the loss "
        "is the same whatever the label: a good 3 asked as a 7 scores as well as a good 7. Reading "
        "the label is not obeying it; to G the one-hot is just ten more noise inputs",
        "3e1a952096ddad1b": "nothing pushes G away from the asked digit either: D never sees the "
        "label, so no pair of image and label is ever rewarded or punished. Which digit a label "
        "gives is left to chance, and the asked one comes out about one time in ten",
        "3e96e1c2314416fb": "D tells real from fake without labels, as in lessons 05 to 07: the "
        "run trains an unconditional GAN, and after a full run the judge sees all ten digits among "
        "its samples. Only the link between the label and the digit is lost",
    },
)
