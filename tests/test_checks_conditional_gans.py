"""The checks of exercise 10: each passes the reference, says "not implemented yet" to the stub,
and rejects plausible wrong answers, each with the hint aimed at that mistake."""

from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F

from gan_course import metrics
from gan_course.checks import questions
from gan_course.checks.conditional_gans import (
    check_ask_for,
    check_conditional_input,
    check_per_class_accuracy,
    check_projection_logit,
)
from gan_course.models import conditional

from . import check_helpers
from .check_helpers import expect_not_implemented, expect_pass, learner_copy, stub

# Every wrong answer here runs: the check must catch the mistake in what it returns.
expect_reject = partial(check_helpers.expect_reject, crash_ok=False)


def test_checks_leave_the_learners_rng_alone(capsys):
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    check_ask_for(learner_copy(conditional.ask_for))
    check_per_class_accuracy(learner_copy(metrics.per_class_accuracy))
    assert torch.equal(torch.rand(3), expected)


# ------------------------------------------------------------------------------ 1 the input


def input_without_labels(z, labels, n_classes):
    return z


def input_batch_dim(z, labels, n_classes):
    return torch.cat([z, F.one_hot(labels, n_classes).float()], dim=0)


def input_one_hot_sized_by_batch(z, labels, n_classes):
    return torch.cat([z, F.one_hot(labels).float()], dim=1)


def input_label_as_number(z, labels, n_classes):
    return torch.cat([z, labels.float().unsqueeze(1)], dim=1)


def input_one_hot_first(z, labels, n_classes):
    return torch.cat([F.one_hot(labels, n_classes).float(), z], dim=1)


def input_hard_coded_ten(z, labels, n_classes):
    return torch.cat([z, F.one_hot(labels, 10).float()], dim=1)


def test_check_conditional_input(capsys):
    expect_pass(check_conditional_input, conditional.conditional_input, capsys=capsys)
    expect_not_implemented(check_conditional_input, stub)
    expect_reject(check_conditional_input, input_without_labels, hint="the labels are missing")
    expect_reject(check_conditional_input, input_batch_dim, hint="along the batch (dim=0)")
    expect_reject(
        check_conditional_input, input_one_hot_sized_by_batch, hint="num_classes=n_classes"
    )
    expect_reject(check_conditional_input, input_label_as_number, hint="not the label as a number")
    expect_reject(check_conditional_input, input_one_hot_first, hint="z first")
    expect_reject(check_conditional_input, input_hard_coded_ten, hint="don't hard-code 10")


# ------------------------------------------------------------------------------ 2 projection


def logit_without_psi(features, labels, psi, embed):
    return (embed(labels) * features).sum(dim=1)


def logit_without_class_term(features, labels, psi, embed):
    return psi(features).squeeze(1)


def logit_summed_over_batch(features, labels, psi, embed):
    return psi(features).squeeze(1) + (embed(labels) * features).sum()


def logit_mean_not_sum(features, labels, psi, embed):
    return psi(features).squeeze(1) + (embed(labels) * features).mean(dim=1)


def logit_all_classes(features, labels, psi, embed):
    return psi(features).squeeze(1) + (features @ embed.weight.T).sum(dim=1)


def logit_not_squeezed(features, labels, psi, embed):
    return psi(features) + (embed(labels) * features).sum(dim=1)  # (N, 1) + (N,) -> (N, N)


def logit_detached(features, labels, psi, embed):
    return psi(features).squeeze(1) + (embed(labels).detach() * features).sum(dim=1)


def test_check_projection_logit(capsys):
    expect_pass(check_projection_logit, conditional.projection_logit, capsys=capsys)
    expect_not_implemented(check_projection_logit, stub)
    expect_reject(check_projection_logit, logit_without_psi, hint="psi(phi(x)) is missing")
    expect_reject(check_projection_logit, logit_without_class_term, hint="class term is missing")
    expect_reject(check_projection_logit, logit_summed_over_batch, hint="not over the whole batch")
    expect_reject(check_projection_logit, logit_mean_not_sum, hint="not their mean")
    expect_reject(check_projection_logit, logit_all_classes, hint="own label, embed(labels)")
    expect_reject(check_projection_logit, logit_not_squeezed, hint="broadcasts to (N, N)")
    expect_reject(check_projection_logit, logit_detached, hint="no .detach()")


# ------------------------------------------------------------------------------ 3 ask for a digit


def ask_random_labels(generator, digit, n):
    return generator(generator.sample_noise(n), torch.randint(10, (n,)))


def ask_float_labels(generator, digit, n):
    return generator(generator.sample_noise(n), torch.full((n,), float(digit)))


def ask_one_z(generator, digit, n):
    z = generator.sample_noise(1).expand(n, -1)
    return generator(z, torch.full((n,), digit, dtype=torch.long))


def ask_uniform_noise(generator, digit, n):
    return generator(torch.rand(n, generator.latent_dim), torch.full((n,), digit))


def ask_always_three(generator, digit, n):
    return generator(generator.sample_noise(n), torch.full((n,), 3))


def ask_seeded(generator, digit, n):
    torch.manual_seed(digit)  # the mistake: the same images every time
    return generator(generator.sample_noise(n), torch.full((n,), digit))


def ask_one_at_a_time(generator, digit, n):  # right, just slow
    return torch.cat(
        [generator(generator.sample_noise(1), torch.tensor([digit])) for _ in range(n)]
    )


def test_check_ask_for(capsys):
    expect_pass(check_ask_for, conditional.ask_for, capsys=capsys)
    expect_pass(check_ask_for, ask_one_at_a_time, capsys=capsys)
    expect_not_implemented(check_ask_for, stub)
    expect_reject(check_ask_for, ask_random_labels, hint="not random labels")
    expect_reject(check_ask_for, ask_float_labels, hint="dtype=torch.long")
    expect_reject(check_ask_for, ask_one_z, hint="one z per image")
    expect_reject(check_ask_for, ask_uniform_noise, hint="not torch.rand")
    expect_reject(check_ask_for, ask_seeded, hint="don't seed inside ask_for")
    err = expect_reject(check_ask_for, ask_always_three, hint="not a fixed digit")
    assert "asked for a 7" in err.what


# ------------------------------------------------------------------------------ 4 label accuracy


def accuracy_loop(classifier, images, labels, n_classes=10):  # right, written differently
    predicted = classifier(images).argmax(dim=1)
    return torch.stack([(predicted[labels == k] == k).float().mean() for k in range(n_classes)])


def accuracy_argmax_dim0(classifier, images, labels, n_classes=10):
    predicted = classifier(images).argmax(dim=0)
    return torch.stack([(predicted[labels == k] == k).float().mean() for k in range(n_classes)])


def accuracy_by_prediction(classifier, images, labels, n_classes=10):
    predicted = classifier(images).argmax(dim=1)
    return torch.stack([(labels[predicted == k] == k).float().mean() for k in range(n_classes)])


def accuracy_counts(classifier, images, labels, n_classes=10):
    predicted = classifier(images).argmax(dim=1)
    return torch.stack([(predicted[labels == k] == k).float().sum() for k in range(n_classes)])


def accuracy_overall(classifier, images, labels, n_classes=10):
    overall = (classifier(images).argmax(dim=1) == labels).float().mean()
    return overall.repeat(n_classes)


def accuracy_scalar(classifier, images, labels, n_classes=10):
    return (classifier(images).argmax(dim=1) == labels).float().mean()


def accuracy_soft(classifier, images, labels, n_classes=10):
    p = classifier(images).softmax(dim=1)[torch.arange(len(labels)), labels]
    return torch.stack([p[labels == k].mean() for k in range(n_classes)])


def test_check_per_class_accuracy(capsys):
    expect_pass(check_per_class_accuracy, metrics.per_class_accuracy, capsys=capsys)
    expect_pass(check_per_class_accuracy, accuracy_loop, capsys=capsys)
    expect_not_implemented(check_per_class_accuracy, stub)
    expect_reject(check_per_class_accuracy, accuracy_argmax_dim0, hint="over the classes, dim=1")
    expect_reject(
        check_per_class_accuracy, accuracy_by_prediction, hint="not by what the classifier"
    )
    expect_reject(check_per_class_accuracy, accuracy_counts, hint="not a count")
    expect_reject(
        check_per_class_accuracy, accuracy_overall, hint="overall accuracy in every class"
    )
    expect_reject(check_per_class_accuracy, accuracy_scalar, hint="n_classes fractions")
    expect_reject(check_per_class_accuracy, accuracy_soft, hint="softmax probability")


# ------------------------------------------------------------------------------ concept questions


def test_the_questions_facts_hold_for_the_course_networks():
    """What the concept questions state about the lesson's networks: the label adds 10,240
    weights to G's first layer (as many as the projection D's embeddings), and changes the
    concatenation D's first convolution by a map that does not depend on the image."""
    generator = conditional.ConditionalGenerator(latent_dim=32, n_classes=10, width=32)
    first = generator.net[0][0]  # ConvTranspose2d(42, 64, 4)
    label_weights = first.weight[generator.latent_dim :].numel()  # the one-hot's input channels
    assert label_weights == questions.QUESTIONS["10.onehot_weights"].value
    projection = conditional.ProjectionDiscriminator(n_classes=10, width=32)
    assert projection.embed.weight.numel() == label_weights

    first_conv = conditional.ConcatDiscriminator(n_classes=10, width=32).features[0][0]
    images = torch.randn(2, 1, 16, 16)

    def first_layer(label):
        return first_conv(
            torch.cat([images, conditional.label_maps(torch.full((2,), label), 10, 16)], 1)
        )

    with torch.no_grad():
        shift = first_layer(7) - first_layer(3)  # (2, 32, 8, 8)
    assert torch.allclose(shift[0], shift[1], atol=1e-6)  # the same for both images
    assert shift.abs().max() > 1e-3  # and not zero
    assert not torch.allclose(shift[0, :, 0, 0], shift[0, :, 3, 3])  # a map: padding at the borders
