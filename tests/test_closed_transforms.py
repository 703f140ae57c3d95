"""The transformations take their own output (issue 11, item 1).

Reverse and forward mode are functions from IR to IR, and each accepts any program either one
produces: loop stacks are values with derivative rules (push and pop are each other's
adjoint, and push/pop on a tangent stack their tangent), and ``ssa.normalize`` brings a
derivative program back to the form lowering produces. So every chain of modes is a chain of
`transform.derive` calls on the IR, and each is checked here against finite differences.
"""

import itertools

import numpy as np
import pytest
from cf_corpus import (
    branch_in_loop,
    for_else,
    for_else_nested,
    loop_break,
    loop_break_in_nested_if,
    loop_continue,
    loop_nested,
    loop_polynomial,
    loop_while,
    loop_while_with_break,
    while_break_in_branch,
    while_else,
)
from test_third_order import loop_with_branch

import s2sad
from s2sad.backends.emit import to_source
from s2sad.frontend import parse as frontend
from s2sad.loading import loader
from s2sad.transform import derive, lower


def loop_with_calls(x):
    s = x
    for i in range(4):
        s = np.sin(s) * x + np.exp(-s * i * 0.1)
    return s


CASES = [
    (loop_polynomial, 0.7, (5,)),
    (loop_with_branch, 0.9, (6,)),
    (loop_with_calls, 0.4, ()),
    (loop_break, 0.3, ()),
    (loop_break, 0.8, ()),
    (branch_in_loop, 0.8, ()),
    (loop_continue, 0.6, ()),
    (loop_nested, 0.5, (3,)),
    (loop_while, 0.6, ()),
    (loop_while_with_break, 0.7, ()),
    (loop_break_in_nested_if, 0.3, ()),
    (while_break_in_branch, 1.2, ()),
    (for_else, 0.5, (3,)),
    (for_else, 0.9, (5,)),
    (while_else, 0.3, ()),
    (for_else_nested, 0.8, (3,)),
]
IDS = [f"{f.__name__}-{x}" for f, x, _ in CASES]


def nth_derivative(f, modes: str):
    """The derivative of `f` with respect to its first parameter, taken once per letter of
    `modes` ("r": reverse, "f": forward), innermost first, each on the IR the previous step
    produced. Each step differentiates the previous step's last output: forward steps get the
    tangent 1.0, reverse steps the cotangent 1.0 on that output and 0.0 on the others."""
    parsed = frontend.parse_function(f)
    x = parsed.node.args.args[0].id
    program = lower(parsed)
    extra_args = []  # per step: a function of the number of outputs before it
    n_out = 1
    for mode in modes:
        program = derive(program, "jvp" if mode == "f" else "vjp", (x,))
        if mode == "f":
            extra_args.append([1.0])
            n_out *= 2
        else:
            extra_args.append([0.0] * (n_out - 1) + [1.0])
            n_out += 1
    namespace = {**loader.base_namespace(), **parsed.scope}
    exec(compile(to_source(program), "<test>", "exec"), namespace)
    run = namespace[program.name]

    def derivative(value, *rest):
        seeds = [a for step in extra_args for a in step]
        return run(value, *rest, *seeds)[-1]

    return derivative, to_source(program)


def fd(f, x, args, order, h=1e-3):
    if order == 2:
        return (f(x + h, *args) - 2 * f(x, *args) + f(x - h, *args)) / h ** 2
    return (f(x + 2 * h, *args) - 2 * f(x + h, *args) + 2 * f(x - h, *args)
            - f(x - 2 * h, *args)) / (2 * h ** 3)


@pytest.mark.parametrize("f, x, args", CASES, ids=IDS)
@pytest.mark.parametrize("modes", ["".join(m) for m in itertools.product("rf", repeat=2)])
def test_second_order_in_every_mode_combination_matches_fd(f, x, args, modes):
    derivative, _ = nth_derivative(f, modes)
    assert derivative(x, *args) == pytest.approx(fd(f, x, args, 2), rel=1e-4, abs=1e-5)


@pytest.mark.parametrize("f, x, args", CASES, ids=IDS)
@pytest.mark.parametrize("modes", ["".join(m) for m in itertools.product("rf", repeat=3)])
def test_third_order_in_every_mode_combination_matches_fd(f, x, args, modes):
    derivative, _ = nth_derivative(f, modes)
    # Every combination computes the same number: they agree to rounding with reverse^3.
    expected = nth_derivative(f, "rrr")[0](x, *args)
    assert derivative(x, *args) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert derivative(x, *args) == pytest.approx(fd(f, x, args, 3), rel=2e-3, abs=1e-4)


@pytest.mark.parametrize("modes", ["rr", "fr", "rrr", "frr", "rfr"])
def test_derivatives_of_loops_pop_and_push_without_copying_their_stacks(modes):
    # A stack is updated in place at O(1) per iteration: never sliced or rebuilt, so higher
    # order over an N-step loop costs O(N).
    _, text = nth_derivative(loop_with_branch, modes)
    assert ".pop()" in text and (".append(" in text or ".extend(" in text)
    assert "[:-1]" not in text and "list_append" not in text


def test_a_gradient_function_is_a_derivative_of_its_function_not_text():
    g = s2sad.grad(loop_polynomial)
    assert g.__s2sad_derivative__ == (loop_polynomial, (("grad", 0),))
    gg = s2sad.grad(g)
    assert gg.__s2sad_derivative__ == (loop_polynomial, (("grad", 0), ("grad", 0)))
    assert not hasattr(g, "__s2sad_source__")


def test_no_text_is_parsed_but_user_source(monkeypatch):
    parsed = []
    original = frontend.parse_function

    def recording(fn):
        parsed.append(fn)
        return original(fn)

    monkeypatch.setattr(frontend, "parse_function", recording)
    monkeypatch.setattr(s2sad.api.build, "parse_function", recording)
    monkeypatch.setattr(frontend, "parse_source", None)  # generated text is never parsed

    def h(x):
        return loop_with_branch(x, 4) * x

    def uses_a_nested_gradient(x):
        return s2sad.grad(h)(x) * x

    x = 0.8
    expected = (s2sad.grad(h)(x + 1e-6) - s2sad.grad(h)(x - 1e-6)) / 2e-6 * x + s2sad.grad(h)(x)
    assert s2sad.grad(uses_a_nested_gradient)(x) == pytest.approx(expected, rel=1e-6)
    assert s2sad.hessian(h)(x) == pytest.approx(
        s2sad.grad(s2sad.grad(h))(x), rel=1e-12)
    assert all(getattr(fn, "__s2sad_derivative__", None) is None for fn in parsed)


def test_hessian_is_forward_over_the_gradient_program():
    text = s2sad.source(s2sad.grad(loop_with_branch), mode="forward")
    assert text.startswith("def loop_with_branch_grad_jvp(x, n, x_dot):")
    # The tangents of the values the gradient program saves go on a stack of their own.
    assert "_stack_dot.append(" in text and "= _stack_dot.pop()" in text


def test_higher_order_through_a_long_loop_is_linear():
    # N = 20,000: quadratic stacks took seconds here; each derivative agrees with the others.
    n = 20_000
    x = 0.5
    hessian = s2sad.hessian(loop_polynomial)(x, n)
    assert s2sad.grad(s2sad.grad(loop_polynomial))(x, n) == pytest.approx(hessian, rel=1e-12)
    assert s2sad.hvp(loop_polynomial, x, 1.0, n) == pytest.approx(hessian, rel=1e-12)
    # sum x^i for i < n at x = 1/2, differentiated twice: sum i (i - 1) x^(i - 2) = 16.
    assert hessian == pytest.approx(16.0, rel=1e-9)


# ------------------------------------------------------------------ loops with an else block
# `for`/`while ... else` went through the path every construct takes: its IR node (an
# `orelse` block), its lowering, its tangent rule (the generic one: each block's tangent) and
# its adjoint rule (ir.without_loop_else: the block under a flag a `break` clears).


def test_the_tangent_code_keeps_the_loop_else():
    text = s2sad.source(for_else, mode="forward")
    assert "    else:\n" in text and "for i in range(n):" in text


def test_the_adjoint_replays_the_else_block_only_when_it_ran():
    text = s2sad.source(for_else)
    assert "_completed = True" in text and "_completed_2 = False" in text
    assert text.count("if _completed:") == 2  # forward sweep, and its mirror in the reverse


@pytest.mark.parametrize("module, body, what", [
    ("leaves_by_return",
     "    for i in range(3):\n        x = x * 2.0\n    else:\n        return x\n    return x",
     "'return' statements in the 'else' clause of a loop"),
    ("leaves_by_break",
     "    for i in range(3):\n        for j in range(2):\n            x = x * 2.0\n"
     "        else:\n            break\n    return x",
     "'break' statements in the 'else' clause of a loop"),
])
def test_leaving_from_a_loop_else_is_refused_with_its_line(tmp_path, monkeypatch, module, body,
                                                          what):
    (tmp_path / f"{module}.py").write_text("def f(x):\n" + body + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    f = importlib.import_module(module).f
    __import__("sys").modules.pop(module)  # imported for this test only
    with pytest.raises(s2sad.UnsupportedSyntaxError, match=what) as info:
        s2sad.grad(f)(1.0)
    assert info.value.location.line > 1


def test_a_second_derivative_through_recursion_is_refused_at_the_recursive_call():
    from cf_corpus import power_recursive

    assert s2sad.grad(power_recursive)(1.5, 3) == pytest.approx(3 * 1.5 ** 2)
    for second in (lambda: s2sad.hessian(power_recursive)(1.5, 3),
                   lambda: s2sad.grad(s2sad.grad(power_recursive))(1.5, 3)):
        with pytest.raises(s2sad.UnsupportedSyntaxError,
                           match="derivatives of derivatives through a recursive call") as info:
            second()
        assert "power_recursive(" in info.value.location.source_line
        assert "write the recursion as a loop" in str(info.value)


def test_a_hessian_is_two_transformations_of_the_ir(monkeypatch):
    # The gradient program (which grad(f) runs and the forward mode differentiates), then its
    # tangent program; nothing else is derived (no VJP program, no text re-parsed).
    from s2sad import transform

    def cubic_loop(x, n):
        s = x
        for _ in range(n):
            s = s * x + 0.5
        return s

    monkeypatch.setenv("S2SAD_CACHE", "0")
    s2sad.clear_cache()
    modes = []
    real = transform.derive
    monkeypatch.setattr(transform, "derive",
                        lambda ir, mode, wrt, optimize=True, aux=0: modes.append(mode)
                        or real(ir, mode, wrt, optimize, aux))
    assert s2sad.hessian(cubic_loop)(0.7, 3) == pytest.approx(
        nth_derivative(cubic_loop, "fr")[0](0.7, 3), rel=1e-12)
    assert "vjp" not in modes and modes.count("tangent") == 1
    # grad(f); then the tangents of the gradient program (without the gradient itself)
    assert modes == ["grad", "grad", "tangent"]


def test_functions_s2sad_made_that_are_not_gradients_are_refused_clearly():
    # value_and_grad's result looks like f (functools.update_wrapper) and f.grad is a method
    # of s2sad: neither has a program to differentiate, and the error says so.
    for made, what in ((s2sad.value_and_grad(loop_polynomial), "s2sad.value_and_grad made"),
                       (s2sad.differentiate(loop_polynomial).grad, "a method of s2sad")):
        with pytest.raises(s2sad.NoSourceError, match=what) as info:
            s2sad.grad(made)(0.5, 3)
        assert "s2sad.grad(f)" in str(info.value)
    assert s2sad.grad(s2sad.differentiate(loop_polynomial))(0.5, 3) == pytest.approx(
        1.0 + 2 * 0.5)
