"""Bugs the random-program tester found (scripts/fuzz.py, tests/progen.py), minimised.

Each test states the right answer and is a strict xfail while the bug stands: when a fix
lands, the test passes, pytest reports XPASS as a failure, and the marker is removed.
"""

import numpy as np
import pytest
from fd import numeric_grad

import s2sad
from s2sad.errors import S2sadError


def _cross(x, y):
    return np.cross(x, y)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # NumPy deprecates 2-vector cross
@pytest.mark.xfail(strict=True, raises=ValueError,
                   reason="the reverse rule of np.cross assumes 3-vectors: 2-vectors (a "
                          "scalar result) end in NumPy's ValueError, not an answer or a "
                          "refusal (forward mode is right)")
def test_grad_of_cross_of_two_vectors():
    x, y = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    try:
        got = s2sad.grad(_cross, wrt=(0, 1))(x, y)
    except S2sadError:
        return  # a refusal with s2sad's own error is acceptable
    for index, gradient in enumerate(got):
        np.testing.assert_allclose(gradient, numeric_grad(_cross, [x, y], index), rtol=1e-6)
