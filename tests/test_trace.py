"""Teaching traces: the lecture's forward and reverse tables, with its numbers."""

import subprocess
import sys
from pathlib import Path

import pytest
from seed_functions import lecture_f, neuron_loss

import s2sad

ROOT = Path(__file__).resolve().parents[1]


def test_seed000_trace_reproduces_the_lecture_tables():
    trace = s2sad.trace(lecture_f, 2.0, 5.0)
    assert [round(v, 3) for _, _, v in trace.forward] == [0.693, 10.0, 10.693, -0.959, 11.652]
    assert round(trace.adjoint("x1"), 3) == 5.5
    assert round(trace.adjoint("x2"), 3) == 1.716
    assert trace.adjoint("t4") == -1.0  # the lecture's v4_bar = v6_bar * (-1)
    text = str(trace)
    assert "t1 = np.log(x1)" in text and "Reverse adjoint trace" in text


def test_seed001_neuron_trace_has_one_line_per_primitive_and_matches_grad():
    trace = s2sad.trace(neuron_loss, 0.5, 1.5, -0.3, 1.0)
    assert len(trace.forward) == 9
    grads = s2sad.grad(neuron_loss, wrt=(0, 2))(0.5, 1.5, -0.3, 1.0)
    assert trace.adjoint("w") == pytest.approx(grads[0], rel=1e-15)
    assert trace.adjoint("b") == pytest.approx(grads[1], rel=1e-15)
    assert trace.value("y") == pytest.approx(1 / (1 + 2.718281828459045 ** -0.45), rel=1e-12)


def test_cli_trace_prints_the_tables():
    done = subprocess.run([sys.executable, "-m", "s2sad", "trace", "examples/lecture.py:f",
                           "--at", "2,5"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "x1_bar" in done.stdout and "5.5" in done.stdout
