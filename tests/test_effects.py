"""Debugging statements inside differentiated code: print, assert, breakpoint(), logging and
warnings.warn run in the forward sweep of every generated program, on the primal values, as
often and in the same order as in the original, and leave the derivatives alone."""

import logging
import sys
import warnings

import numpy as np
import pytest
from effect_functions import assert_f_string, assert_in_loop, asserting
from fd import directional_fd, numeric_grad

import s2sad

logger = logging.getLogger("s2sad.tests.effects")


def printing_loop(x, n):
    y = np.sin(x) * x
    print("start", y)
    for i in range(n):
        y = y * x + 0.5
        print("step", i, y)
        if y > 1.0:
            print("big", y)
        else:
            print("small")
    print("end")
    return y


def printing_while(x):
    s = x
    k = 0
    while s < 5.0:
        s = s * 1.5 + x
        k = k + 1
        print("trip", k, s)
        if k >= 3:
            print("stop")
            break
    return s * x


def printing_dead_value(x):
    unused = np.exp(x) * 2.0  # read by the print only: optimizers must keep it
    print("unused =", unused)
    print("unused =", unused)  # the same statement twice runs twice (no CSE)
    return x * x


def helper_that_prints(t):
    print("helper", t)
    return t * t


def printing_callee(x):
    a = helper_that_prints(x)
    b = helper_that_prints(a + 1.0)
    return a * b


def pair(t):
    return t, 2.0 * t


def printing_a_tuple(x):
    print(pair(x))
    print(*pair(x), sep=", ")
    return x ** 3


def printing_to_stderr(x):
    print("to stderr", x, file=sys.stderr)
    return np.tanh(x)


def printing_percent(x):
    print("x = %.3f" % x)  # noqa: UP031 (a % format, as users write it)
    return x * np.cos(x)


def tangents(args):
    """1.0 for the first argument, no tangent for the others."""
    return (1.0,) + (None,) * (len(args) - 1)


def printing_f_strings(x, n):
    s = x
    for i in range(n):
        s = np.sin(s) * x
        print(f"step {i}: s = {s:.4f} ({s!r}) {'const'}", f"{x}", sep=" | ")
    return s * s


def run(capsys, fn):
    """(`fn()`'s result, what it printed)."""
    capsys.readouterr()
    result = fn()
    return result, capsys.readouterr().out


CASES = [
    pytest.param(printing_loop, (0.7, 4), id="loop-branches"),
    pytest.param(printing_loop, (0.2, 3), id="loop-small"),
    pytest.param(printing_loop, (1.3, 0), id="no-trip"),
    pytest.param(printing_while, (0.5,), id="while-no-break"),
    pytest.param(printing_while, (0.1,), id="while-break"),
    pytest.param(printing_dead_value, (0.4,), id="dead-value"),
    pytest.param(printing_callee, (0.6,), id="inlined-callee"),
    pytest.param(printing_a_tuple, (0.9,), id="tuple"),
    pytest.param(printing_percent, (0.9,), id="percent-format"),
    pytest.param(printing_f_strings, (1.2, 3), id="f-strings"),
]


@pytest.mark.parametrize("fn, args", CASES)
def test_grad_prints_what_the_original_prints_and_matches_fd(capsys, fn, args):
    _, expected = run(capsys, lambda: fn(*args))
    assert expected  # the case prints something
    grad, printed = run(capsys, lambda: s2sad.grad(fn)(*args))
    assert printed == expected
    assert grad == pytest.approx(numeric_grad(fn, args, 0), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("fn, args", CASES)
def test_jvp_prints_what_the_original_prints_and_matches_fd(capsys, fn, args):
    _, expected = run(capsys, lambda: fn(*args))
    (value, tangent), printed = run(capsys, lambda: s2sad.jvp(fn, args, tangents(args)))
    assert printed == expected
    assert value == pytest.approx(fn(*args))
    assert tangent == pytest.approx(directional_fd(fn, args, 0, 1.0, 1.0), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("fn, args", CASES)
def test_vjp_and_each_pullback_print_what_the_original_prints(capsys, fn, args):
    _, expected = run(capsys, lambda: fn(*args))
    (value, pullback), printed = run(capsys, lambda: s2sad.vjp(fn, *args))
    assert printed == expected  # vjp calls the function for the value
    (bar, *_), printed = run(capsys, lambda: pullback(2.0))
    # the pullback runs the VJP program once: its forward sweep prints, its reverse does not
    assert printed == expected
    assert bar == pytest.approx(2.0 * numeric_grad(fn, args, 0), rel=1e-6, abs=1e-8)


def test_value_and_grad_prints_once(capsys):
    _, expected = run(capsys, lambda: printing_loop(0.7, 3))
    (value, grad), printed = run(capsys, lambda: s2sad.value_and_grad(printing_loop)(0.7, 3))
    assert printed == expected
    assert value == pytest.approx(printing_loop(0.7, 3))


def test_each_hessian_program_run_prints_the_originals_output(capsys):
    _, expected = run(capsys, lambda: printing_callee(0.6))
    hess, printed = run(capsys, lambda: s2sad.hessian(printing_callee)(0.6))
    # hessian runs the gradient program for the output's shape, then its tangent program
    # (once per input entry): each run prints what the original prints.
    assert printed == expected * 2
    h = 1e-4
    g = s2sad.grad(printing_callee)
    assert hess == pytest.approx((g(0.6 + h) - g(0.6 - h)) / (2 * h), rel=1e-6)


def test_print_to_stderr_goes_to_stderr(capsys):
    printing_to_stderr(0.3)
    expected = capsys.readouterr().err
    grad = s2sad.grad(printing_to_stderr)(0.3)
    assert capsys.readouterr().err == expected
    assert grad == pytest.approx(1.0 - np.tanh(0.3) ** 2)


def test_a_print_stays_in_the_forward_sweep_of_readable_code():
    text = s2sad.source(printing_dead_value)
    forward, reverse = text.split("# reverse sweep")
    assert forward.count("print('unused =', unused)") == 2
    assert "print" not in reverse
    assert "unused = np.exp(x)" not in text or "t" in text  # computed, under some name
    assert s2sad.source(printing_loop, mode="forward").count("print('step', i,") == 1


def test_assert_passes_and_the_derivatives_match_fd():
    args = (0.5, 10.0)
    assert s2sad.grad(asserting)(*args) == pytest.approx(numeric_grad(asserting, args, 0))
    _, tangent = s2sad.jvp(asserting, args, (1.0, None))
    assert tangent == pytest.approx(directional_fd(asserting, args, 0, 1.0, 1.0))


@pytest.mark.parametrize("call", [
    lambda: s2sad.grad(asserting)(3.0, 10.0),
    lambda: s2sad.jvp(asserting, (3.0, 10.0), (1.0, None)),
    lambda: s2sad.vjp(asserting, 3.0, 10.0),
    lambda: s2sad.hessian(asserting)(3.0, 10.0),
], ids=["grad", "jvp", "vjp", "hessian"])
def test_a_failing_assert_raises_the_originals_assertion_error(call):
    with pytest.raises(AssertionError, match="y too large"):
        asserting(3.0, 10.0)
    with pytest.raises(AssertionError, match="y too large"):
        call()


def test_an_assert_in_a_loop_checks_every_iteration_and_formats_its_message_on_failure():
    assert s2sad.grad(assert_in_loop)(1.1, 5) == pytest.approx(
        numeric_grad(assert_in_loop, (1.1, 5), 0))
    with pytest.raises(AssertionError, match="diverged at step 3"):
        s2sad.grad(assert_in_loop)(3.0, 6)
    assert "if " in s2sad.source(assert_in_loop)  # the message is computed when it fails


def test_an_assert_message_may_be_an_f_string():
    assert s2sad.grad(assert_f_string)(0.5) == pytest.approx(1.0)
    with pytest.raises(AssertionError, match="x = 1.50 is too large"):
        s2sad.jvp(assert_f_string, (1.5,), (1.0,))


def breaking(x, n):
    s = x
    for _ in range(n):
        s = np.sin(s) + x
        breakpoint()
    return s


def test_breakpoint_runs_once_per_iteration_in_every_mode(monkeypatch):
    hits = []
    monkeypatch.setattr(sys, "breakpointhook", lambda *a, **k: hits.append(1))
    args = (0.4, 3)
    expected = numeric_grad(breaking, args, 0)
    hits.clear()
    breaking(*args)
    assert len(hits) == 3
    hits.clear()
    assert s2sad.grad(breaking)(*args) == pytest.approx(expected)
    assert len(hits) == 3
    hits.clear()
    _, tangent = s2sad.jvp(breaking, args, (1.0, None))
    assert len(hits) == 3
    assert tangent == pytest.approx(expected)


def logging_fn(x):
    y = x ** 2
    logger.info("y is %s", y)
    logging.warning("module-level call %.2f", y)
    for k in range(2):
        logger.debug("k=%d", k)
    return np.log(y)


def test_logging_calls_log_what_the_original_logs(caplog):
    caplog.set_level(logging.DEBUG)
    logging_fn(1.5)
    expected = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert len(expected) == 4
    for call in (lambda: s2sad.grad(logging_fn)(1.5),
                 lambda: s2sad.jvp(logging_fn, (1.5,), (1.0,))):
        caplog.clear()
        call()
        assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == expected
    assert s2sad.grad(logging_fn)(1.5) == pytest.approx(2.0 / 1.5)


def warning_fn(x):
    if x < 0:
        warnings.warn("negative input", RuntimeWarning, stacklevel=2)
    return x * x


def test_warnings_warn_runs_on_the_branch_taken():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert s2sad.grad(warning_fn)(-2.0) == pytest.approx(-4.0)
        assert s2sad.grad(warning_fn)(2.0) == pytest.approx(4.0)
        _, tangent = s2sad.jvp(warning_fn, (-1.0,), (1.0,))
    assert tangent == pytest.approx(-2.0)
    assert [(w.category, str(w.message)) for w in caught] == [
        (RuntimeWarning, "negative input")] * 2


def unknown_side_effect(x):
    np.sin(x)
    return x


def test_other_expression_statements_are_still_refused_with_the_hint():
    with pytest.raises(s2sad.UnsupportedSyntaxError, match="expression statements") as info:
        s2sad.grad(unknown_side_effect)
    assert "print" in str(info.value)  # the hint names what is allowed


def print_shadowed(x, print):
    print(x)
    return x


def test_a_parameter_named_like_a_debugging_function_is_not_one():
    with pytest.raises(s2sad.UnsupportedSyntaxError, match="expression statements"):
        s2sad.grad(print_shadowed)(1.0, lambda v: None)


def f_string_with_a_nested_field(x, width):
    print(f"{x:{width}}")
    return x


def f_string_as_a_value(x):
    label = f"{x}"
    return x * len(label)


@pytest.mark.parametrize("f, message", [
    (f_string_with_a_nested_field, "inside a format spec"),
    (f_string_as_a_value, "f-strings outside debugging statements"),
])
def test_f_strings_are_allowed_in_debugging_statements_only(f, message):
    with pytest.raises(s2sad.UnsupportedSyntaxError, match=message):
        s2sad.grad(f)
