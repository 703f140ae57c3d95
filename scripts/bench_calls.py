"""Per-call overhead of the API over the generated code it runs (issue 13, "a call costs a
lookup").

For three functions -- f(x) = x*x on a float, the lecture function of two floats, and a small
array function -- prints, in nanoseconds per call, what each way of calling a derivative adds
over calling the generated function directly (the ``Built.function`` that
``s2sad.source`` prints):

- ``g(x)``            ``g = s2sad.grad(f)`` made once, then called;
- ``grad(f)(x)``      the gradient function looked up on every call;
- ``value_and_grad``  ``s2sad.value_and_grad(f)(x)`` on every call (over the VJP program);
- ``f.grad(x)``       ``@s2sad.differentiate`` and its ``.grad`` method;
- ``jvp``             ``s2sad.jvp(f, (x,), (1.0,))`` (over the JVP program);
- ``vjp``             ``s2sad.vjp(f, x)`` and calling its ``vjp_fn(1.0)`` (over the VJP
                      program run once: vjp also runs f itself, for the value).

Timings are interleaved (every variant once per repeat, so machine noise hits them alike)
and the minimum over repeats is reported. Run: ``python scripts/bench_calls.py [--quick]``.
"""

from __future__ import annotations

import sys
import timeit

import numpy as np

import s2sad
from s2sad.api.build import build


def square(x):
    return x * x


def lecture(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def small_array(w):
    return np.sum(np.tanh(w) * w)


WORKLOADS = [
    ("x*x", square, (3.0,)),
    ("lecture", lecture, (2.0, 5.0)),
    ("array(10)", small_array, (np.linspace(-1.0, 1.0, 10),)),
]


def _variants(f, args):
    """{name: (api call, generated-code call it is measured against)}."""
    n = len(args)
    wrt = tuple(range(n)) if n > 1 else 0
    grad_code = build(f, "grad", wrt).function
    vjp_code = build(f, "vjp", tuple(range(n))).function
    jvp_code = build(f, "jvp", tuple(range(n))).function
    ones = tuple(np.ones_like(a) if isinstance(a, np.ndarray) else 1.0 for a in args)
    g = s2sad.grad(f, wrt)
    d = s2sad.differentiate(f)

    def vjp_call():
        return s2sad.vjp(f, *args)[1](1.0)

    def vjp_code_call():
        f(*args)
        return vjp_code(*args, 1.0)

    return {
        "g(x)": (lambda: g(*args), lambda: grad_code(*args)),
        "grad(f)(x)": (lambda: s2sad.grad(f, wrt)(*args), lambda: grad_code(*args)),
        "value_and_grad": (lambda: s2sad.value_and_grad(f, wrt)(*args),
                           lambda: vjp_code(*args, 1.0)),
        "f.grad(x)": (lambda: d.grad(*args, wrt=wrt) if n > 1 else d.grad(*args),
                      lambda: grad_code(*args)),
        "jvp": (lambda: s2sad.jvp(f, args, ones), lambda: jvp_code(*args, *ones)),
        "vjp": (vjp_call, vjp_code_call),
    }


def _overheads(f, args, repeats: int, number: int) -> dict:
    """{variant: (generated ns, api ns)}: minimum per-call times over interleaved repeats."""
    variants = _variants(f, args)
    best = {name: [float("inf"), float("inf")] for name in variants}
    for _ in range(repeats):
        for name, (api, code) in variants.items():
            for slot, call in ((0, code), (1, api)):
                t = timeit.timeit(call, number=number) / number * 1e9
                best[name][slot] = min(best[name][slot], t)
    return best


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    repeats, number = (5, 2000) if quick else (15, 10000)
    print(f"{'function':<11} {'call':<15} {'code ns':>9} {'api ns':>9} {'overhead':>9}")
    for label, f, args in WORKLOADS:
        for name, (code_ns, api_ns) in _overheads(f, args, repeats, number).items():
            print(f"{label:<11} {name:<15} {code_ns:9.0f} {api_ns:9.0f} "
                  f"{api_ns - code_ns:9.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
