"""The lecture notes' worked numbers, reproduced to the digits they print."""

import math

import numpy as np
import pytest
from fd import numeric_grad
from seed_functions import (
    lecture_f,
    logistic_regression_loss,
    neuron_loss,
    proposal_f,
    tutorial_cubic,
    tutorial_mean,
)

import s2sad


def test_seed000_lecture_value_and_adjoints_match_the_printed_trace():
    value, (x1_bar, x2_bar) = s2sad.value_and_grad(lecture_f, wrt=(0, 1))(2.0, 5.0)
    assert round(value, 3) == 11.652
    assert round(x1_bar, 3) == 5.5
    assert round(x2_bar, 3) == 1.716


def test_seed000_intermediate_adjoint_of_sin_branch_is_minus_0_284():
    # v1_bar' = v4_bar * cos(v1) = -1 * cos(5) = -0.284 in the lecture's reverse trace.
    def sin_branch(x2):
        return -np.sin(x2)

    assert round(s2sad.grad(sin_branch)(5.0), 3) == -0.284


def test_seed002_reverse_accumulation_of_xy_plus_exp_xy():
    dx, dy = s2sad.grad(proposal_f, wrt=("x", "y"))(1.0, 2.0)
    assert dx == pytest.approx(2 + 2 * math.e**2, rel=1e-14)
    assert dy == pytest.approx(1 + math.e**2, rel=1e-14)


def test_seed004_cubic_derivative_at_1_5_is_5_25():
    assert s2sad.grad(tutorial_cubic)(1.5) == pytest.approx(5.25, rel=1e-14)


def test_seed004_mean_of_squares_gradient_is_4_5_each():
    g = s2sad.grad(tutorial_mean)(np.ones(4))
    np.testing.assert_allclose(g, np.full(4, 4.5), rtol=1e-14)


@pytest.mark.parametrize("point", [(0.5, 1.5, -0.3, 1.0), (-1.2, 0.7, 0.1, 0.0)])
def test_seed001_logistic_neuron_gradient_matches_central_differences(point):
    grads = s2sad.grad(neuron_loss, wrt=(0, 1, 2))(*point)
    for index, g in enumerate(grads):
        assert g == pytest.approx(numeric_grad(neuron_loss, list(point), index), rel=1e-6)


def test_seed001_neuron_ssa_trace_is_the_tutorial_sequence_of_primitives():
    source = s2sad.source(neuron_loss, ssa=True)
    body = [line.strip().split(" = ", 1)[1] for line in source.splitlines()[1:-1]]
    assert body == ["w * x", "t1 + b", "-z", "np.exp(t2)", "1 + t3", "1 / t4", "y - t",
                    "t5 ** 2", "t6 / 2"]


def test_seed001_logistic_regression_training_gradient_matches_central_differences(rng):
    inputs = np.array([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30],
                       [0.74, -2.49, 1.39]])
    targets = np.array([1.0, 1.0, 0.0, 1.0])
    weights = rng.standard_normal(3)
    g = s2sad.grad(logistic_regression_loss)(weights, inputs, targets)
    expected = numeric_grad(logistic_regression_loss, [weights, inputs, targets], 0)
    np.testing.assert_allclose(g, expected, rtol=1e-6)
