"""Programs specialised to the kinds of their arguments: a gradient function called with
Python floats runs a program built for floats (no adjoint summed down to a shape), and gives
the general program's numbers."""

import numpy as np
import pytest
from fd import numeric_grad

import s2sad
from s2sad.api.build import build


def lecture(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def loop(x, n):
    s = 0.0
    for _ in range(n):
        s = s * x + np.sin(x)
    return s


def test_the_program_for_floats_sums_nothing_down():
    general = build(lecture, "grad", (0, 1)).loaded.source
    floats = build(lecture, "grad", (0, 1), scalars=("x1", "x2")).loaded.source
    assert "unbroadcast(" in general and "unbroadcast(" not in floats
    assert "unbroadcast(" not in build(loop, "grad", 0, scalars=("x",)).loaded.source
    assert s2sad.source(lecture, wrt=(0, 1)) == general  # source shows the general program


@pytest.mark.parametrize("args", [(2.0, 5.0), (np.float64(0.7), 3.0)])
def test_floats_give_the_general_programs_numbers(args):
    g = s2sad.grad(lecture, wrt=(0, 1))
    got = g(*args)
    general = build(lecture, "grad", (0, 1)).function(*args)
    assert got == general
    assert got == pytest.approx([numeric_grad(lecture, args, i) for i in (0, 1)], rel=1e-7)
    value, grads = s2sad.value_and_grad(lecture, wrt=(0, 1))(*args)
    assert value == lecture(*args) and grads == general


def test_other_kinds_keep_the_general_program():
    g = s2sad.grad(lecture)
    for x in (np.array(2.0), np.array([2.0, 3.0])[:1].reshape(())):
        assert g(x, 5.0) == pytest.approx(5.5)
    with pytest.raises(s2sad.NonScalarOutputError):
        g(np.array([2.0, 3.0]), 5.0)
    assert s2sad.grad(loop)(0.5, 4) == pytest.approx(numeric_grad(loop, (0.5, 4), 0))
