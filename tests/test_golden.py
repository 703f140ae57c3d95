"""Golden files of emitted source and of printed trace tables: a change in the generated code
or in the tables ``s2sad trace`` prints shows up as a diff in review.

Regenerate after an intended change with ``python -m pytest tests/test_golden.py
--update-golden`` (or ``S2SAD_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py``: conftest
keeps that one S2SAD_ variable) and read the diff.
"""

from pathlib import Path

import numpy as np
import pytest
from cf_corpus import branch_if_else, loop_polynomial, loop_while
from method_models import Layer
from seed_functions import lecture_f, neuron_loss

import s2sad

GOLDEN = Path(__file__).parent / "golden"
LAYER = Layer(np.eye(2), np.zeros(2))


def dense_loss(params, x, y):
    """A dict-of-arrays parameter (a pytree): one parameter of the generated code per leaf."""
    hidden = np.tanh(params["W"] @ x + params["b"])
    error = hidden - y
    return 0.5 * np.sum(error * error)


DENSE_ARGS = ({"W": np.ones((2, 3)), "b": np.zeros(2)}, np.ones(3), np.zeros(2))

def comprehension_loss(w, xs, ys):
    """A list comprehension, then a generator expression summed over a zip."""
    preds = [np.tanh(w * x) for x in xs]
    return sum((p - y) ** 2 for p, y in zip(preds, ys))


CASES = {
    "lecture_ssa": lambda: s2sad.source(lecture_f, ssa=True),
    "lecture_grad": lambda: s2sad.source(lecture_f, wrt=(0, 1)),
    "lecture_grad_unoptimized": lambda: s2sad.source(lecture_f, wrt=(0, 1), optimize=False),
    "lecture_vjp": lambda: s2sad.source(lecture_f, mode="vjp", wrt=(0, 1)),
    "neuron_grad": lambda: s2sad.source(neuron_loss, wrt=("w", "b")),
    "lecture_jvp": lambda: s2sad.source(lecture_f, mode="forward", wrt=(0, 1)),
    "lecture_hessian": lambda: s2sad.source(s2sad.grad(lecture_f, wrt=(0, 1)), mode="forward",
                                            wrt=(0, 1)),
    "loop_grad": lambda: s2sad.source(loop_polynomial),
    "while_grad": lambda: s2sad.source(loop_while),
    "branch_grad": lambda: s2sad.source(branch_if_else),
    "loop_jvp": lambda: s2sad.source(loop_polynomial, mode="forward"),
    "dict_params_grad": lambda: s2sad.source(dense_loss, args=DENSE_ARGS),
    "comprehension_ssa": lambda: s2sad.source(comprehension_loss, ssa=True),
    "comprehension_grad": lambda: s2sad.source(comprehension_loss),
    "method_self_helper_grad": lambda: s2sad.source(LAYER.loss),
}


def scaled_branch(x):
    """A branch reading a value computed before it (z): the trace shows z's row."""
    z = x * 2.0
    if x > 0:
        y = z * z
    else:
        y = -3.0 * z
    return y


def divide_by_difference(x, y):
    return x / (y - y)


TRACES = {  # the text of the tables, as s2sad trace prints them
    "trace_lecture": lambda: str(s2sad.trace(lecture_f, 2.0, 5.0)),
    "trace_lecture_seed_x2": lambda: str(s2sad.trace(lecture_f, 2.0, 5.0, seed="x2")),
    "trace_lecture_markdown": lambda: s2sad.trace(lecture_f, 2.0, 5.0).render("markdown"),
    "trace_loop": lambda: str(s2sad.trace(loop_polynomial, 0.7, 3)),
    "trace_loop_collapsed": lambda: str(s2sad.trace(loop_polynomial, 0.5, 6, max_iterations=2)),
    "trace_while": lambda: str(s2sad.trace(loop_while, 2.0)),
    "trace_branch_then": lambda: str(s2sad.trace(scaled_branch, 1.5)),
    "trace_branch_else": lambda: str(s2sad.trace(scaled_branch, -1.5)),
    "trace_error": lambda: str(s2sad.trace(divide_by_difference, 1.5, 2.0)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_emitted_source_matches_golden_file(name, update_golden):
    text = CASES[name]()
    path = GOLDEN / f"{name}.py"
    if update_golden:
        path.write_text(text)
    assert text == path.read_text(), f"generated code changed; see {path}"


@pytest.mark.parametrize("name", sorted(TRACES))
def test_printed_trace_matches_golden_file(name, update_golden):
    text = TRACES[name]() + "\n"
    path = GOLDEN / f"{name}.txt"
    if update_golden:
        path.write_text(text)
    assert text == path.read_text(), f"the printed trace changed; see {path}"


def test_golden_sources_are_valid_python_that_runs():
    namespace = {}
    from s2sad.loading.loader import base_namespace

    namespace.update(base_namespace())
    exec(CASES["lecture_grad"](), namespace)
    x1_bar, x2_bar = namespace["lecture_f_grad"](2.0, 5.0)
    assert (round(x1_bar, 3), round(x2_bar, 3)) == (5.5, 1.716)
