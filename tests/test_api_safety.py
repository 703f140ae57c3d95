"""No silent wrong derivatives (issue 8): every API call either gives the right numbers or
raises a located s2sad error.

- stale sources: a file edited after import is refused, never differentiated as it now reads;
- containers, bools, None... given a tangent or named in wrt are refused, never dropped;
- API calls never mutate the caller's arrays, and their results never alias them;
- complex arguments are refused; cotangents and tangents must have the shape of what they seed;
- derivatives of derivatives of lambdas and closures work; integers in wrt used as an index
  or a count are reported with their line.

Numbers are checked against central finite differences (tests/fd.py).
"""

import functools
import importlib.util
import itertools
import linecache
import os
import sys

import numpy as np
import pytest
from fd import numeric_grad

import s2sad

THIS_FILE = os.path.abspath(__file__)
_unique = itertools.count()


def import_file(path):
    """Import `path` as a brand-new module (a unique name, never the module cache)."""
    name = f"_s2sad_test_safety_{os.getpid()}_{next(_unique)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def no_bytecode(monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)


def assert_located(err, filename=THIS_FILE):
    """An s2sad error with file:line:col, the source line with a caret, and a hint."""
    assert isinstance(err, s2sad.S2sadError)
    assert not isinstance(err, s2sad.InternalError), str(err)
    message = str(err)
    assert err.location is not None and err.location.filename == filename, message
    assert f"{filename}:{err.location.line}:{err.location.col}" in message
    assert err.location.source_line.strip() and err.location.source_line.strip() in message
    assert "^" in message and "hint:" in message, message


# ---------------------------------------------------------------- 7. stale source files
# (name of the case, module before, module after the edit, arguments): every edit keeps the
# names and constants, so only an exact comparison of the code can notice it.
EDITS = [
    ("swapped-subtraction", "def f(x, y):\n    return x - y\n",
     "def f(x, y):\n    return y - x\n", (2.0, 3.0)),
    ("swapped-if-else", "def f(x, y):\n    if x > 0:\n        return x * y\n    else:\n"
     "        return x + y\n", "def f(x, y):\n    if x > 0:\n        return x + y\n    else:\n"
     "        return x * y\n", (2.0, 3.0)),
    ("swapped-division", "def f(x, y):\n    return x / y\n", "def f(x, y):\n    return y / x\n",
     (2.0, 3.0)),
    ("swapped-power", "def f(x, y):\n    return x ** y\n", "def f(x, y):\n    return y ** x\n",
     (2.0, 3.0)),
    ("edited-lambda", "f = lambda x, y: x - y\n", "f = lambda x, y: y - x\n", (2.0, 3.0)),
    ("function-inserted-above", "def f(x, y):\n    return x * y\n",
     "def g(x, y):\n    return x + y\n\n\ndef f(x, y):\n    return x * y\n", (2.0, 3.0)),
    ("edited-closure",
     "def make(a):\n    def f(x, y):\n        return a * x - y\n    return f\n\n\nf = make(2.0)\n",
     "def make(a):\n    def f(x, y):\n        return a * y - x\n    return f\n\n\nf = make(2.0)\n",
     (2.0, 3.0)),
    ("edited-method", "class C:\n    @staticmethod\n    def f(x, y):\n        return x / y\n",
     "class C:\n    @staticmethod\n    def f(x, y):\n        return y / x\n", (2.0, 3.0)),
]


def _function(module):
    return module.C.f if hasattr(module, "C") else module.f


@pytest.mark.parametrize("before, after, args", [e[1:] for e in EDITS],
                         ids=[e[0] for e in EDITS])
def test_a_source_edited_after_import_is_refused(before, after, args, tmp_path, no_bytecode):
    path = tmp_path / "edited.py"
    path.write_text(before)
    f = _function(import_file(path))
    truth = numeric_grad(f, args, 0)
    assert s2sad.grad(f)(*args) == pytest.approx(truth, rel=1e-6)
    path.write_text(after)
    linecache.checkcache()
    # A gradient built before the edit is of the code that runs: still right, or refused.
    try:
        assert s2sad.grad(f)(*args) == pytest.approx(truth, rel=1e-6)
    except s2sad.StaleSourceError:
        pass
    s2sad.clear_cache()
    for call in (lambda: s2sad.grad(f)(*args), lambda: s2sad.jvp(f, args, (1.0, 0.0)),
                 lambda: s2sad.vjp(f, *args), lambda: s2sad.source(f)):
        with pytest.raises(s2sad.StaleSourceError) as info:
            call()
        err = info.value
        assert isinstance(err, s2sad.NoSourceError)
        assert "changed after it was imported" in str(err) and "reload" in str(err)
        assert_located(err, str(path))
    # Importing the file again gives the derivative of the new text.
    g = _function(import_file(path))
    assert s2sad.grad(g)(*args) == pytest.approx(numeric_grad(g, args, 0), rel=1e-6)


def test_an_unedited_module_of_every_kind_of_function_is_accepted(tmp_path, no_bytecode):
    path = tmp_path / "kinds.py"
    path.write_text('''\
from __future__ import annotations

import math

import numpy as np
from numpy import sin as npsin

import s2sad

SCALE = 2.0


class C:
    @staticmethod
    def static(x: float) -> float:
        return np.cos(x) * SCALE

    def mangled(x):
        __y = x * 2.0
        return __y * x


def outer(a):
    class Inner:
        @staticmethod
        def h(x):
            return a * x * x

    return Inner


@s2sad.differentiate
def decorated(x, y=2.0):
    return np.sum(x * y) + math.pi


lam = lambda x: np.exp(x) * SCALE
multi = lambda x: (x *
                   x * 5.0)
nested = lambda: (lambda x: x * 4.0)
if True:
    indented = lambda x: x * 7.0

    def in_if(x):
        return npsin(x)


def make(a):
    b = 2.0

    def f(x):
        def g(z):
            return z * a

        return g(x) * b

    return f


def make_lambda(a):
    return lambda x: a * x ** 3
''')
    m = import_file(path)
    cases = [(m.C.static, -np.sin(0.5) * 2.0), (m.C.mangled, 2.0), (m.outer(2.0).h, 2.0),
             (m.lam, np.exp(0.5) * 2.0), (m.multi, 5.0), (m.nested(), 4.0),
             (m.indented, 7.0), (m.in_if, np.cos(0.5)), (m.make(3.0), 6.0),
             (m.make_lambda(3.0), 2.25)]
    for fn, expected in cases:
        assert s2sad.grad(fn)(0.5) == pytest.approx(expected, rel=1e-12), fn
    np.testing.assert_allclose(m.decorated.grad(np.ones(2)), [2.0, 2.0])


def test_functions_defined_in_a_test_are_accepted():
    a = 3.0

    def f(x):
        return a * x * x

    square = lambda x: a * x * x  # noqa: E731

    class Local:
        @staticmethod
        def g(x):
            return np.sin(x) * a

    assert s2sad.grad(f)(2.0) == pytest.approx(12.0)
    assert s2sad.grad(square)(2.0) == pytest.approx(12.0)
    assert s2sad.grad(Local.g)(0.5) == pytest.approx(3.0 * np.cos(0.5))
    assert s2sad.grad(lambda x: x * a)(2.0) == pytest.approx(3.0)


def _logged(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args) * 2.0

    return wrapper


@_logged
def doubled(x):
    return x * x


def test_a_functools_wraps_wrapper_is_refused_not_differentiated_as_the_wrapped_function():
    with pytest.raises(s2sad.NoSourceError, match="wraps another function"):
        s2sad.grad(doubled)
