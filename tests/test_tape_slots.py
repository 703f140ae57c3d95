"""Tape slots nobody reads (transforms/tape_slots.py): a loop nest's outer tape does not save
the inner loop's values, which the inner loop's reverse sweep restores itself."""

import sys
from pathlib import Path

import numpy as np
import pytest

import s2sad
from s2sad.ir import Pop, Push
from s2sad.ir.traverse import walk
from s2sad.transform import derive, lower, parse_function
from s2sad.transforms.tape_slots import drop_dead_slots

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import lstm  # noqa: E402


def nest(x, W):
    h = x
    total = 0.0
    for t in range(3):
        for k in range(2):
            a = np.tanh(W[k] * h)
            h = a * x
        total = total + np.sum(h * a) * t
    return total


def nest_read_after(x, W):
    h = x
    total = 0.0
    for _ in range(3):
        b = h * 2.0
        for k in range(2):
            b = np.sin(b * W[k])
        total = total + np.sum(b * h)
        h = h + b
    return total


def _tapes(fn, wrt):
    program = derive(lower(parse_function(fn)), "grad", wrt)
    pushes = {s.stack: s for s in walk(program.body) if isinstance(s, Push)}
    pops = {s.stack: s for s in walk(program.body) if isinstance(s, Pop)}
    return program, pushes, pops


def test_the_outer_tape_of_the_lstm_keeps_no_value_the_inner_loop_restores():
    program, pushes, pops = _tapes(lstm.lstm_objective, ("main_params", "extra_params"))
    assert len(pushes) == 2
    inner, outer = sorted(pops.values(), key=lambda pop: len(pop.targets), reverse=True)
    assert not set(inner.targets) & set(outer.targets)
    for stack, push in pushes.items():
        assert len(push.values) == len(pops[stack].targets)
    assert drop_dead_slots(program) is program  # nothing left to drop


@pytest.mark.parametrize("fn", [nest, nest_read_after])
def test_gradients_of_loop_nests_match_the_unoptimized_program(fn):
    rng = np.random.default_rng(3)
    x, W = rng.normal(size=4), rng.normal(size=(2, 4))
    got = s2sad.grad(fn, (0, 1))(x, W)
    plain = s2sad.api.build.build(fn, "grad", (0, 1), optimize=False).function(x, W)
    for g, p in zip(got, plain):
        np.testing.assert_allclose(g, p, rtol=1e-13, atol=1e-13)
    eps = 1e-6
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        fd = (fn(x + e, W) - fn(x - e, W)) / (2 * eps)
        assert np.isclose(got[0][i], fd, rtol=1e-6, atol=1e-8)


def test_a_value_read_after_the_inner_loop_stays_on_the_outer_tape():
    text = s2sad.source(nest_read_after, wrt=(0, 1))
    # h and the b the inner loop ends with are read by the outer reverse sweep (b * h) before
    # the inner sweep restores its own b: both stay on the outer tape.
    assert "_stack_1.extend((b, h, t3))" in text
    assert "h = _stack_1.pop()" in text and "b = _stack_1.pop()" in text
