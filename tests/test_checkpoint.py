"""Loop checkpointing: ``for i in s2sad.checkpoint(range(n))`` keeps the loop's state every
√n trips (or every `every`) and recomputes the trips in between in the reverse sweep."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fd import numeric_grad

import s2sad


def two_carries(x, n):
    s = 0.5
    t = 1.0
    for _ in s2sad.checkpoint(range(n)):
        s = np.sin(s) * x + t
        t = t * 0.9 + s * 0.01
    return s + t


def two_carries_taped(x, n):
    s = 0.5
    t = 1.0
    for _ in range(n):
        s = np.sin(s) * x + t
        t = t * 0.9 + s * 0.01
    return s + t


def with_branch_and_inner_loop(x, n):
    s = x * 0.5
    for i in s2sad.checkpoint(range(2, n, 3), every=2):
        if np.sum(s) > 1.0:
            s = s * 0.5 + np.cos(x) * i * 0.01
        else:
            s = s + np.tanh(x)
        for _ in range(2):
            s = np.sin(s) * 0.9 + x * 0.1
    return np.sum(s * s)


def with_branch_and_inner_loop_taped(x, n):
    s = x * 0.5
    for i in range(2, n, 3):
        if np.sum(s) > 1.0:
            s = s * 0.5 + np.cos(x) * i * 0.01
        else:
            s = s + np.tanh(x)
        for _ in range(2):
            s = np.sin(s) * 0.9 + x * 0.1
    return np.sum(s * s)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 16, 50])
def test_a_checkpointed_loop_has_the_gradient_of_the_taped_one(n):
    for x in (0.3, -1.2):
        got = s2sad.grad(two_carries)(x, n)
        assert got == s2sad.grad(two_carries_taped)(x, n)
        assert got == pytest.approx(numeric_grad(two_carries, (x, n), 0), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("n", [0, 3, 5, 12, 30])
def test_strides_stretches_branches_and_inner_loops(n):
    x = np.array([0.4, -0.3, 1.1])
    got = s2sad.grad(with_branch_and_inner_loop)(x, n)
    np.testing.assert_array_equal(got, s2sad.grad(with_branch_and_inner_loop_taped)(x, n))
    np.testing.assert_allclose(got, numeric_grad(with_branch_and_inner_loop, (x, n), 0),
                               rtol=1e-6, atol=1e-9)
    v = np.array([1.0, 0.5, -2.0])
    _, tangent = s2sad.jvp(with_branch_and_inner_loop, (x, n), (v, None))
    assert tangent == pytest.approx(float(got @ v), rel=1e-9, abs=1e-12)


def test_higher_derivatives_of_a_checkpointed_loop():
    assert s2sad.hessian(two_carries)(0.3, 9) == pytest.approx(
        s2sad.hessian(two_carries_taped)(0.3, 9), rel=1e-12)
    gg = s2sad.grad(s2sad.grad(two_carries))
    assert gg(0.3, 9) == pytest.approx(s2sad.grad(s2sad.grad(two_carries_taped))(0.3, 9),
                                       rel=1e-12)


def test_the_source_shows_the_saved_states_and_the_replayed_stretches():
    text = s2sad.source(two_carries)
    assert "_checkpoints.extend((s, t))" in text
    assert "for _segment in reversed(range(" in text
    assert "_stack.extend(" in text  # the tape of one stretch, in the reverse sweep only
    forward, reverse = text.split("# reverse sweep")
    assert "_stack.extend(" not in forward


PEAK_SCRIPT = """
import sys
import s2sad
from test_checkpoint import two_carries


def peak_kib():
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM")).split()[1])


g = s2sad.grad(two_carries)
g(0.3, 1000)
before = peak_kib()
g(0.3, int(sys.argv[1]))
print(peak_kib() - before)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's VmHWM")
def test_a_million_trips_fit_in_square_root_memory(tmp_path):
    # The peak resident memory of a fresh process, before and after: the taped loop would
    # hold about 100 bytes per trip (100 MB); the checkpoints and one stretch's tape, about
    # a thousand trips each, a few hundred kilobytes.
    script = tmp_path / "peak.py"
    script.write_text(PEAK_SCRIPT)
    done = subprocess.run([sys.executable, str(script), "1000000"], capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              [str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])})
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 20_000  # KiB


def while_loop(x):
    s = x
    for _ in s2sad.checkpoint(range(10)):
        if s > 5.0:
            break
        s = s * 2.0
    return s


def not_a_range(x, xs):
    s = x
    for v in s2sad.checkpoint(xs):
        s = s * v
    return s


def bad_interval(x, k):
    s = x
    for _ in s2sad.checkpoint(range(5), every=k):
        s = s * x
    return s


@pytest.mark.parametrize("f, args, message", [
    (while_loop, (1.0,), "runs every trip"),
    (not_a_range, (1.0, [1.0, 2.0]), "takes a range"),
    (bad_interval, (1.0, 2), "positive int written in the code"),
])
def test_what_checkpointing_cannot_do_is_refused(f, args, message):
    with pytest.raises(s2sad.UnsupportedSyntaxError, match=message) as info:
        s2sad.grad(f)(*args)
    assert "test_checkpoint.py" in str(info.value) and "hint:" in str(info.value)


def test_the_marker_runs_the_range_as_it_is():
    assert list(s2sad.checkpoint(range(3))) == [0, 1, 2]
    assert two_carries(0.3, 7) == two_carries_taped(0.3, 7)
    with pytest.raises(ValueError):
        s2sad.checkpoint(range(3), every=0)
