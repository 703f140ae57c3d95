"""Random programs: s2sad's derivatives of generated Python/NumPy code against finite differences.

tests/progen.py generates the programs and judges each derivative; this file runs a short,
deterministic sample of each check (scripts/fuzz.py runs the long form). A failure is shrunk by
Hypothesis and reported with the whole program, its arguments and both numbers.
"""

from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from progen import (
    LIBRARY,
    LIBRARY_CALLS,
    MODES,
    OUTPUTS,
    Program,
    Refused,
    Unusable,
    arguments,
    check,
    programs,
)

# Examples per check: when nothing fails the whole file runs in about 15 s on two cores (a
# failure adds the time Hypothesis takes to shrink it, which can be minutes).
EXAMPLES = {"grad": 150, "jvp": 150, "vjp": 100, "hessian": 80, "jacobian": 100}

outcomes: Counter = Counter()


@pytest.fixture(autouse=True)
def _no_disk_cache(monkeypatch):
    # Thousands of one-off programs: keep them out of the disk cache.
    monkeypatch.setenv("S2SAD_CACHE", "0")


def _run(mode: str, examples: int, backend: str = "numpy") -> None:
    """Check `examples` random programs of `mode` on `backend`, counting the outcomes."""
    outcomes.clear()

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                     HealthCheck.data_too_large])
    @given(st.data())
    def run(data):
        program = data.draw(programs(OUTPUTS[mode]), label="program")
        args = data.draw(arguments(program), label="arguments")
        seed = data.draw(st.integers(0, 2**16), label="seed of the random directions")
        try:
            check(mode, program, args, seed, backend=backend)
        except Refused as refusal:
            # Refusing a program is not a wrong answer; counted so a generator that only
            # produces refused programs does not pass unnoticed.
            outcomes["refused " + refusal.error_type] += 1
            return
        except Unusable:
            reject()
        outcomes["checked"] += 1

    run()
    print(f"{mode} ({backend}): {dict(outcomes)}")


@pytest.mark.parametrize("mode", MODES)
def test_random_programs(mode):
    _run(mode, EXAMPLES[mode])
    assert outcomes["checked"] >= EXAMPLES[mode] // 2, dict(outcomes)


# The array_api backend refuses most of the library calls the programs make (it spells a
# subset of NumPy): about half the programs are checked, the rest refused when the derivative
# is built (docs/random-testing.md). Its tests on array_api_strict and JAX arrays are
# scripts/fuzz.py's (--arrays strict|jax).
ARRAY_API_EXAMPLES = {"grad": 60, "jvp": 60}


@pytest.mark.parametrize("mode", ARRAY_API_EXAMPLES)
def test_random_programs_on_the_array_api_backend(mode):
    pytest.importorskip("array_api_compat")
    _run(mode, ARRAY_API_EXAMPLES[mode], backend="array_api")
    assert outcomes["checked"] >= ARRAY_API_EXAMPLES[mode] // 3, dict(outcomes)


def test_every_library_form_is_drawn():
    # A form that accepts no combination of shapes (a typo, a shape it never returns) would
    # silently never be drawn.
    drawn = {call.template for families in LIBRARY_CALLS.values()
             for calls in families.values() for forms in calls.values() for call in forms}
    written = {template for _, templates in LIBRARY.values() for template, _ in templates}
    assert written - drawn == set()


def _encloses(text: str) -> bool:
    """Whether `text` is one call, subscript or parenthesized expression (no operator at the
    top level), so that it can stand as an operand anywhere."""
    depth = 0
    for char in text:
        depth += (char in "([") - (char in ")]")
        if depth == 0 and char == " ":
            return False
    return True


def test_library_forms_bind_as_operands():
    # `v * np.linalg.inv(M) @ w` would read as `(v * inv(M)) @ w`
    loose = [template for _, templates in LIBRARY.values() for template, _ in templates
             if not _encloses(template)]
    assert loose == []


def _program(body: str, shapes: list) -> Program:
    params = [f"p{i}" for i in range(len(shapes))]
    source = (f"import numpy as np\n\n\ndef f({', '.join(params)}):\n"
              f"    return {body}\n")
    return Program(source, params, shapes, "scalar")


@pytest.mark.parametrize(("body", "args"), [
    ("np.max(p0)", (np.array([1.0, 1.0, 0.0]),)),  # tied maximum: one-sided derivatives differ
    ("np.sum(np.sort(p0, axis=0))", (np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 4.0]]),)),
    ("np.std(p0)", (np.array([0.5, 0.5, 0.5]),)),  # std at zero variance
    ("np.sum(np.clip(p0, -0.5, 1.0))", (np.array([1.0, 0.0, 0.0]),)),  # on a bound
    ("np.linalg.norm(p0)", (np.zeros(3),)),
    # Next to the zero vector, not on it: the stencil crosses the kink of |p0| * sqrt(6).
    ("np.linalg.norm(p0 + np.zeros((2, 3)), \"fro\")", (5.486628422186597e-126,)),
    ("np.std(p0 * np.array([1.0, 2.0]))", (1e-9,)),
    ("np.hypot(p0, 2.0 * p0)", (-1e-7,)),
    ("np.linalg.norm(p0, ord=np.inf)", (np.array([1.0, -1.0, 0.5]),)),  # |x| tied
    ("np.sum(np.linalg.eigvalsh(np.diag(p0)))", (np.array([1.0, 1.0, 2.0]),)),
])
def test_kinks_of_library_calls_are_not_judged(body, args):
    with pytest.raises(Unusable):
        check("hessian", _program(body, [np.shape(a) for a in args]), args)


@pytest.mark.parametrize("body", [
    "np.sum(np.maximum(p0, p0))", "np.sum(np.clip(p0, p0, None))",
    "np.sum(np.max(np.stack([p0, p0]), axis=0))", "np.sum(np.sort(np.concatenate([p0, p0])))",
])
def test_ties_that_hold_along_the_stencil_are_judged(body):
    # Tied everywhere: the shares s2sad gives the tied entries must add up to the derivative.
    args = (np.array([0.5, -1.0, 2.0]),)
    for mode in ("grad", "hessian"):
        check(mode, _program(body, [(3,)]), args)  # raises if wrong or unusable
