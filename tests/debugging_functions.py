"""Functions whose derivatives fail or loop, for test_debugging.py (a module of their own:
pytest rewrites the asserts of test modules, and s2sad reads the source as written)."""

import numpy as np


def inverts_in_a_loop(a, n):
    s = 0.0
    for i in range(n):
        b = np.linalg.inv(a + i)
        s = s + np.sum(b)
    return s


def asserts_in_a_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * i
        assert s < 10.0, "s grew past 10"
    return s * x


def branches_and_loops(x, n):
    y = x
    if n > 3:
        y = y * 2.0
    elif n > 1:
        y = np.sin(y)
    else:
        y = y + 1.0
    k = 0
    while k < n:
        y = y * x
        if k > 5:
            break
        k = k + 1
    for _ in range(n):
        y = np.tanh(y)
    else:
        y = y + x
    return np.sum(y)


def inverts_from_a_dict(p, n):
    return inverts_in_a_loop(p["a"], n)
