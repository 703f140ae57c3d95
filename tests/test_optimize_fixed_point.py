"""The optimizer runs its passes until nothing changes, and each pass does all its rewrites in
one sweep: optimizing optimized code changes nothing, long straight-line code keeps no copy that
coalescing could remove, the number of rounds does not grow with the code, and the derivatives
stay right."""

import importlib.util
import re
import sys

import numpy as np
import pytest
from cf_corpus import branch_elif, loop_polynomial, loop_while
from seed_functions import lecture_f, neuron_loss

import s2sad
from s2sad.backends.emit import to_source
from s2sad.frontend.parse import parse_function
from s2sad.ir import Copy, Var, walk
from s2sad.transform import derive, lower, resolve_wrt
from s2sad.transforms import optimize as opt

PLAIN_COPY = re.compile(r"\s*\w+ = [A-Za-z_]\w*$")


def chain_source(steps: int) -> str:
    body = "".join("    t = t * x + 1.0\n" for _ in range(steps))
    return f"def chain(x):\n    t = x\n{body}    return t\n"


def load(tmp_path, name: str, text: str):
    """`name` from a module file holding `text` (s2sad reads functions from their source)."""
    path = tmp_path / f"{name}_module.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(f"{name}_module_{id(tmp_path)}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return getattr(module, name)


def unoptimized(f, mode: str, wrt=0):
    """The derivative IR of `f` as the pipeline hands it to the optimizer (``"hessian"``: the
    tangent program of the optimized gradient)."""
    parsed = parse_function(f)
    names = resolve_wrt(parsed, wrt)
    ir = lower(parsed)
    if mode == "hessian":
        return derive(derive(ir, "grad", names), "jvp", names, optimize=False)
    return derive(ir, mode, names, optimize=False)


def loop_and_branch(x, n):
    s = 0.0
    p = x * 2.0
    q = np.sin(x)
    for _ in range(n):
        u = s * x + 1.0
        if u > 3.0:
            s = u * 0.5 - q
        else:
            s = u + p * q
        r = np.exp(-s * s)
        s = s + r
    k = 0
    w = s
    while k < 3:
        w = w * x + np.cos(w)
        k = k + 1
    v = w * w
    return np.tanh(v + s) * p


def noisy(x):
    _ = np.random.normal()  # unused, still drawn
    a = np.random.normal(size=3)
    b = np.random.normal(size=3)  # the same call: a new draw, never merged with `a`
    return np.sum(x * a) + np.sum(x * x * b)


FUNCTIONS = {
    "lecture": (lecture_f, (0, 1)),
    "neuron": (neuron_loss, ("w", "b")),
    "branch_elif": (branch_elif, 0),
    "loop_polynomial": (loop_polynomial, 0),
    "loop_while": (loop_while, 0),
    "loop_and_branch": (loop_and_branch, 0),
    "noisy": (noisy, 0),
}


@pytest.mark.parametrize("mode", ["grad", "vjp", "jvp", "hessian"])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_optimizing_optimized_code_changes_nothing(name, mode):
    f, wrt = FUNCTIONS[name]
    once = opt.optimize(unoptimized(f, mode, wrt))
    assert opt.optimize(once) is once
    for run in opt.PASSES:
        assert run(once) is once, run.__name__


@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_the_optimizer_leaves_the_code_it_is_given_as_it_was(mode):
    fn = unoptimized(loop_and_branch, mode)
    before = to_source(fn)
    statements = list(walk(fn.body))
    result = opt.optimize(fn)
    assert result is not fn and to_source(result) != before
    assert to_source(fn) == before
    assert all(a is b for a, b in zip(list(walk(fn.body)), statements, strict=True))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_40_step_chain_keeps_no_copy_that_coalescing_could_remove(tmp_path, mode):
    chain = load(tmp_path, "chain", chain_source(40))
    text = s2sad.source(chain, mode=mode)
    assert [line for line in text.splitlines() if PLAIN_COPY.match(line)] == []
    fn = opt.optimize(unoptimized(chain, "jvp" if mode == "forward" else "grad"))
    assert opt.coalesce_copies(fn) is fn
    assert not any(isinstance(s, Copy) and isinstance(s.value, Var) for s in walk(fn.body))


def test_the_number_of_rounds_does_not_grow_with_the_code(tmp_path, monkeypatch):
    runs = []

    def counted(run):
        def wrapper(fn, counts=None):
            runs.append(run.__name__)
            return run(fn, counts)
        return wrapper

    monkeypatch.setattr(opt, "PASSES", tuple(counted(run) for run in opt.PASSES))
    rounds = {}
    for steps in (5, 40, 400):
        chain = load(tmp_path, "chain", chain_source(steps))
        for mode in ("grad", "jvp"):
            fn = unoptimized(chain, mode)
            runs.clear()
            opt.optimize(fn)
            rounds[steps, mode] = len(runs) // len(opt.PASSES)
    assert rounds[5, "grad"] == rounds[40, "grad"] == rounds[400, "grad"] <= 3
    assert rounds[5, "jvp"] == rounds[40, "jvp"] == rounds[400, "jvp"] <= 3


def chain_value_and_derivative(x: float, steps: int):
    t, t_dot = x, 1.0
    for _ in range(steps):
        t, t_dot = t * x + 1.0, t_dot * x + t
    return t, t_dot


@pytest.mark.parametrize("steps", [1, 40, 400])
def test_long_chains_have_the_derivative_the_recurrence_gives(tmp_path, steps):
    chain = load(tmp_path, "chain", chain_source(steps))
    value, derivative = chain_value_and_derivative(0.93, steps)
    assert s2sad.grad(chain)(0.93) == pytest.approx(derivative, rel=1e-12)
    assert s2sad.jvp(chain, (0.93,), (1.0,)) == pytest.approx((value, derivative), rel=1e-12)


def test_a_long_sum_of_repeated_terms_has_the_right_derivative(tmp_path):
    text = "def total(x):\n    return " + " + ".join(["x * x"] * 300) + "\n"
    total = load(tmp_path, "total", text)
    assert s2sad.jvp(total, (1.5,), (1.0,)) == pytest.approx((675.0, 900.0))
    assert s2sad.grad(total)(1.5) == pytest.approx(900.0)
    # Every repeat of x * x is one operation, and so is its tangent.
    forward_text = s2sad.source(total, mode="forward")
    assert len(re.findall(r"\bx \* x\b", forward_text)) == 1


@pytest.mark.parametrize("x", [-0.7, 0.4, 1.3])
@pytest.mark.parametrize("n", [0, 1, 4])
def test_loop_and_branch_matches_finite_differences(x, n):
    s2sad.check_grad(loop_and_branch, x, n, wrt=(0,))


def test_random_draws_are_neither_dropped_nor_merged():
    for mode in ("reverse", "forward"):
        assert s2sad.source(noisy, mode=mode).count("np.random.normal(") == 3
    x = np.array([0.5, -1.0, 2.0])
    np.random.seed(3)
    gradient = s2sad.grad(noisy)(x)
    np.random.seed(3)
    np.random.normal()
    a, b = np.random.normal(size=3), np.random.normal(size=3)
    np.testing.assert_allclose(gradient, a + 2 * x * b)


def test_each_stack_stays_a_list_of_its_own():
    text = s2sad.source(loop_and_branch)
    stacks = re.findall(r"^\s*(\w+) = \[\]$", text, re.MULTILINE)
    assert len(stacks) == 2 and len(set(stacks)) == 2


RATIO = """import numpy as np


def ratio(e):
    t = np.sum(e)
    q = e / t
    return np.sum(q * q)
"""


def test_a_value_the_gradient_needs_twice_is_computed_once(tmp_path):
    # Both rules of q = e / t read safe_div(q_bar, t), and q * q's two rules read t1_bar * q;
    # the first of each is an adjoint accumulated in place later (q_bar, e_bar), which holds
    # the value until it is reassigned: the repeat becomes a copy of it.
    ratio = load(tmp_path, "ratio", RATIO)
    text = s2sad.source(ratio)
    assert text.count("safe_div(") == 1 and text.count("t1_bar * q") == 1
    e = np.array([0.5, 1.5, 2.0])
    t = e.sum()
    expected = 2 * e / t ** 2 - 2 * np.sum(e * e) / t ** 3
    np.testing.assert_allclose(s2sad.grad(ratio)(e), expected, rtol=1e-13)
    sys.modules.pop(ratio.__module__, None)


def test_a_repeat_after_its_first_is_reassigned_is_not_merged():
    # x_bar = g * y; x_bar = x_bar + t; u = g * y reads the same g and y, but x_bar no longer
    # holds g * y: the repeat stays an operation (merging it would read the sum).
    from s2sad.ir import Function, Op, Return
    from s2sad.rules import REGISTRY

    mul, add = REGISTRY.by_name["mul"], REGISTRY.by_name["add"]
    body = [Op("x_bar", mul, (Var("g"), Var("y"))),
            Op("x_bar", add, (Var("x_bar"), Var("t"))),
            Op("u", mul, (Var("g"), Var("y"))),
            Return((Var("x_bar"), Var("u")), True)]
    fn = Function("f", ["g", "y", "t"], body)
    out = opt.eliminate_common_subexpressions(fn)
    assert [type(s).__name__ for s in out.body] == ["Op", "Op", "Op", "Return"]


def rosenbrock_slices(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def neighbours(x):
    return np.sum(x[1:, None] * x[None, 1:]) + np.sum(x[1:] * x[:-1])


def test_a_slice_read_twice_is_read_once():
    # Slices are unhashable before Python 3.12, and CSE once skipped every operation with a
    # slice constant: Rosenbrock's x[:-1] (and its tangent x_dot[:-1]) was taken twice.
    assert s2sad.source(rosenbrock_slices).count("x[:-1]") == 1
    hvp_code = s2sad.source(s2sad.grad(rosenbrock_slices), mode="forward")
    assert hvp_code.count("x[:-1]") == 1 and hvp_code.count("x_dot[:-1]") == 1
    x = np.linspace(-1.0, 1.5, 6)
    assert s2sad.check_grad(rosenbrock_slices, x) < 1e-6


def test_slices_that_differ_are_not_merged():
    # x[1:, None] and x[None, 1:] hold the same slice in other places; 1: and :-1 differ.
    code = s2sad.source(neighbours)
    for read in ("x[1:, None]", "x[None, 1:]", "x[1:]", "x[:-1]"):
        assert code.count(read) == 1, read
    x = np.linspace(0.1, 1.0, 5)
    grad = s2sad.grad(neighbours)(x)
    expected = np.zeros_like(x)
    expected[1:] += 2.0 * np.sum(x[1:])  # d/dx of (sum x[1:])^2
    expected[1:] += x[:-1]
    expected[:-1] += x[1:]
    np.testing.assert_allclose(grad, expected, rtol=1e-12)
