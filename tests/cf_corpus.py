"""The control-flow corpus: small programs covering branches, loops, indexing, calls, closures.

Each entry of CORPUS is (function, points, wrt): `points` are argument tuples at which both modes
are checked against central finite differences (chosen on both sides of every branch, and for
loops of 0, 1 and many trips); `wrt` are the positions of the differentiable arguments.
"""

import math

import numpy as np
from cf_helpers import affine, scaled_norm, shift

A = np.array([[1.0, -0.5, 0.3], [0.2, 0.8, -1.1]])
V3 = np.array([0.5, -1.2, 2.0])
M23 = np.array([[0.3, -0.7, 1.1], [0.9, 0.4, -0.6]])


# ---- branches ------------------------------------------------------------------------------
def branch_if_else(x):
    if x > 0:
        y = x * x
    else:
        y = -3.0 * x
    return y


def branch_elif(x):
    if x < -1.0:
        y = np.sin(x)
    elif x < 1.0:
        y = x**3
    else:
        y = np.exp(-x)
    return y * 2.0


def branch_ifexp(x, y):
    return (x * y if x > y else x + y) * x


def branch_and_or_not(x, y):
    z = x * y
    if x > 0 and y > 0:
        z = z + x
    if not (x > 0) or y < -1:
        z = z * y
    return z


def branch_chained_comparison(x):
    if -1.0 < x < 1.0:
        return x * x * x
    return 2.0 * x


def branch_nested(x, y):
    if x > 0:
        if y > 0:
            r = x * y
        else:
            r = x - y
    else:
        r = np.cos(x) * y
    return r


def branch_no_else(x):
    y = x * 2.0
    if x > 0.5:
        y = y * y
    return y + x


def branch_on_array_reduction(x):
    if np.sum(x) > 0:
        return np.sum(x * x)
    return np.sum(np.sin(x))


def branch_early_return(x, y):
    if x > y:
        return x * np.exp(y)
    z = x * y
    if z > 1.0:
        return z * z
    return z - x


def branch_string_flag(x, mode="square"):
    if mode == "square":
        return np.sum(x * x)
    return np.sum(np.abs(x))


def branch_bool_arg(x, flag):
    y = x * 3.0
    if flag:
        y = y * x
    return y


def branch_is_none(x, w=None):
    if w is None:
        return x * x
    return x * w


def branch_defines_in_both(x):
    if x > 0:
        a = x
        b = 2.0
    else:
        a = x * x
        b = x
    return a * b


def branch_math_on_floats(x):
    if x > 0:
        return math.log(x) * math.sqrt(x)
    return math.exp(x) + math.sin(x)


def branch_where_elementwise(x):
    return np.sum(np.where(x > 0, x * x, -x))


# ---- loops ---------------------------------------------------------------------------------
def loop_polynomial(x, n):
    s = 0.0
    for i in range(n):
        s = s * x + 1.0
    return s


def loop_start_stop_step(x):
    s = x
    for k in range(1, 9, 3):
        s = s * x + k
    return s


def loop_range_from_shape(x):
    total = 0.0
    for i in range(x.shape[0]):
        total = total + x[i] * (i + 1)
    return total


def loop_range_from_len(x):
    total = 1.0
    for i in range(len(x)):
        total = total * (1.0 + x[i] * x[i])
    return total


def loop_range_from_value(x, n):
    y = x
    for i in range(2 * n - 1):
        y = np.sin(y) + x
    return y


def loop_over_rows(X, w):
    total = 0.0
    for row in X:
        total = total + np.tanh(np.dot(row, w))
    return total


def loop_enumerate(x):
    s = 0.0
    for i, v in enumerate(x):
        s = s + v * v * i
    return s


def loop_zip(x, y):
    s = 0.0
    for a, b in zip(x, y):
        s = s + a * b
    return s


def loop_while(x):
    while x < 10.0:
        x = x * 1.7 + 0.1
    return x


def loop_while_counter(x, n):
    i = 0
    y = x
    while i < n:
        y = y * np.cos(y)
        i = i + 1
    return y


def loop_break(x):
    s = 0.0
    for i in range(10):
        s = s + x * i
        if s > 5.0:
            break
    return s * x


def loop_continue(x):
    s = 0.0
    for i in range(6):
        if i % 2 == 0:
            continue
        s = s + x**i
    return s


def loop_early_return(x):
    y = x
    for i in range(8):
        y = y * 1.5
        if y > 4.0:
            return y * x
    return y - x


def loop_nested(x, n):
    s = 0.0
    for i in range(n):
        for j in range(i + 1):
            s = s + x * (i - j) + s * 0.1
    return s


def loop_carries_array(x, W):
    h = x
    for i in range(3):
        h = np.tanh(W @ h)
    return np.sum(h)


def loop_fills_array(x):
    y = np.zeros(4)
    for i in range(4):
        y[i] = x**i
    return np.sum(y * y)


def loop_increments_array(x):
    y = np.zeros(3)
    for i in range(5):
        y[i % 3] += x * i
    return np.sum(np.sin(y))


def loop_in_branch(x, n):
    if x > 0:
        for i in range(n):
            x = x * 0.9 + 0.1
    else:
        x = -x
    return x


def branch_in_loop(x):
    s = 0.0
    for i in range(6):
        if s < 1.0:
            s = s + x * x
        else:
            s = s * x
    return s


def loop_while_with_break(x):
    y = x
    while True:
        y = y * 1.3
        if y > 3.0:
            break
    return y


def loop_list_append(x):
    ys = []
    for i in range(4):
        ys.append(x * i + np.sin(x))
    return np.sum(np.array(ys) ** 2)


def loop_list_stack(x):
    rows = []
    for i in range(2):
        rows.append(x * (i + 1))
    return np.sum(np.stack(rows) * M23)


def loop_running_max(x):
    best = x[0]
    for i in range(1, len(x)):
        if x[i] > best:
            best = x[i]
    return best * best


# ---- indexing ------------------------------------------------------------------------------
def index_scalar_and_pairs(x):
    return x[0, 1] * x[1, 2] + x[-1, -1]


def index_slices(x):
    return np.sum(x[1:3] * x[0:2]) + np.sum(x[:, 0])


def index_with_integer_array(x):
    idx = np.array([0, 2, 2])
    return np.sum(x[idx] * x[idx])


def index_negative(x):
    return x[-1] * x[-2] + x[-3:].sum()


def index_with_argmax(x):
    k = np.argmax(x)
    return x[k] * np.sum(x)


def index_variable(x, i):
    return x[i] * x[i + 1]


def tuple_unpack(x, y):
    a, b = x * y, x + y
    b, a = a, b
    return a * b


def multiple_returns(x, y):
    return x * y, np.sin(x) + y


def shapes_are_ints(x):
    n, m = x.shape
    return np.sum(x) * n + m * np.sum(x * x)


def integer_arithmetic_passes_through(x, k):
    j = k * 2 + 1
    return x * j + len(x.shape)


# ---- calls ---------------------------------------------------------------------------------
def square(v):
    return v * v


def weighted(v, w=2.0, shift_by=0.0):
    return w * v + shift_by


def call_user_function(x):
    return square(x) + square(np.sin(x))


def call_with_defaults_and_keywords(x):
    return weighted(x) + weighted(x, shift_by=1.0, w=x)


def call_other_module(x, W):
    return scaled_norm(affine(W, x, 0.5)) + shift(x)


def call_returns_tuple(x):
    def pair(v):
        return v * 2.0, v * v

    a, b = pair(x)
    return a * b


def call_lambda_assigned(x):
    f = lambda v: v * np.exp(v)  # noqa: E731
    return f(x) + f(2.0 * x)


def apply_twice(fn, v):
    return fn(fn(v))


def call_lambda_passed(x):
    return apply_twice(lambda v: v * v + x, x)


def call_closure(x, y):
    def inner(v):
        return v * y + x

    return inner(x) * inner(y)


def call_nested_function_with_branch(x):
    def clip(v):
        if v > 1.0:
            return 1.0 + 0.1 * v
        return v

    return clip(x * 3.0) * x


def forwarding(*args):
    return args[0] * args[1]


def call_star_args(x, y):
    return forwarding(x, y) + forwarding(*(y, y))


def call_methods(x, y):
    return x.sum() + x.T.dot(y).sum() + x.reshape(-1).mean()


def power_recursive(x, n):
    if n == 0:
        return 1.0
    return x * power_recursive(x, n - 1)


def halve_recursive(x):
    if x < 1.0:
        return x * x
    return halve_recursive(x / 2.0) + np.sin(x)


def call_recursive(x):
    return power_recursive(x, 3) * 2.0 + halve_recursive(x * 4.0)


def loop_defines_a_name_used_after(x, n):
    for i in range(n):
        last = x * (i + 1)
    if x > 0:
        unused_on_the_other_path = x * 2.0
    return last * x if n > 0 else x * unused_on_the_other_path if x > 0 else -x


def loop_branch_without_else(x):
    s = 0.0
    for i in range(3):
        if i > 0:
            s = s + np.sin(x * i)
    return s


def index_with_list_literal(x):
    return np.sum(x[[0, 1]] * 2.0) + np.sum(x[[1, 1]])


def loop_break_after_update(x):
    s = 1.0
    for i in range(10):
        s = s * x + 0.1
        if s > 5.0:
            break
    return s


def loop_break_in_nested_if(x):
    s = 0.0
    for i in range(10):
        if i > 0:
            s = s + x
            if s > 1.0:
                break
    return s


def while_break_in_branch(x):
    y = x
    k = 0
    while k < 20:
        k = k + 1
        if y > 2.0:
            y = y * 0.5 + x
            if y > 2.5:
                break
        else:
            y = y * 1.5
    return y * x


def for_else(x, n):
    s = x
    for i in range(n):
        s = s * x + 0.5
        if s > 4.0:
            break
    else:
        s = np.sin(s) * x
    return s * x


def while_else(x):
    s = x
    k = 0
    while k < 6:
        s = s * 1.3 + x * 0.1
        k = k + 1
        if s > 3.0:
            break
    else:
        s = s + x * x
    return s


def for_else_defines_a_name(x):
    t = x
    for i in range(3):
        t = t * x
    else:
        found = t * 2.0
    return found + t


def for_else_nested(x, n):
    total = 0.0
    for i in range(n):
        s = x * i
        for j in range(4):
            s = s * x
            if s > 2.0:
                break
        else:
            s = -s
        total = total + s
    else:
        total = total * x
    return total


def while_else_with_test_statements(x):
    y = x
    while np.sin(y) < 0.9:
        y = y + 0.3 * x
    else:
        y = y * y
    return y


CORPUS = [
    (branch_if_else, [(1.3,), (-0.7,)], (0,)),
    (branch_elif, [(-1.5,), (0.3,), (2.0,)], (0,)),
    (branch_ifexp, [(1.5, 0.5), (0.5, 1.5)], (0, 1)),
    (branch_and_or_not, [(1.0, 2.0), (-1.0, 2.0), (1.0, -2.0), (-1.0, -2.0)], (0, 1)),
    (branch_chained_comparison, [(0.5,), (1.5,), (-2.0,)], (0,)),
    (branch_nested, [(1.0, 2.0), (1.0, -2.0), (-1.0, 0.5)], (0, 1)),
    (branch_no_else, [(0.2,), (0.9,)], (0,)),
    (branch_on_array_reduction, [(V3,), (-V3,)], (0,)),
    (branch_early_return, [(2.0, 1.0), (0.5, 3.0), (0.2, 0.5)], (0, 1)),
    (branch_string_flag, [(V3, "square"), (V3, "abs")], (0,)),
    (branch_bool_arg, [(1.2, True), (1.2, False)], (0,)),
    (branch_is_none, [(1.5,), (1.5, 2.0)], (0,)),
    (branch_defines_in_both, [(0.7,), (-0.7,)], (0,)),
    (branch_math_on_floats, [(0.7,), (-0.7,)], (0,)),
    (branch_where_elementwise, [(V3,)], (0,)),
    (loop_polynomial, [(0.7, 0), (0.7, 1), (0.7, 6)], (0,)),
    (loop_start_stop_step, [(0.9,)], (0,)),
    (loop_range_from_shape, [(V3,)], (0,)),
    (loop_range_from_len, [(V3,)], (0,)),
    (loop_range_from_value, [(0.4, 1), (0.4, 3)], (0,)),
    (loop_over_rows, [(M23, V3)], (0, 1)),
    (loop_enumerate, [(V3,)], (0,)),
    (loop_zip, [(V3, V3[::-1].copy())], (0, 1)),
    (loop_while, [(12.0,), (9.0,), (0.5,)], (0,)),
    (loop_while_counter, [(0.5, 0), (0.5, 1), (0.5, 4)], (0,)),
    (loop_break, [(0.05,), (0.3,), (2.0,)], (0,)),
    (loop_continue, [(0.8,)], (0,)),
    (loop_early_return, [(0.3,), (3.0,)], (0,)),
    (loop_nested, [(0.5, 0), (0.5, 1), (0.5, 4)], (0,)),
    (loop_carries_array, [(V3, A.T @ A)], (0, 1)),
    (loop_fills_array, [(0.7,)], (0,)),
    (loop_increments_array, [(0.3,)], (0,)),
    (loop_in_branch, [(0.5, 3), (0.5, 0), (-0.5, 3)], (0,)),
    (branch_in_loop, [(0.3,), (0.8,)], (0,)),
    (loop_while_with_break, [(0.5,), (5.0,)], (0,)),
    (loop_list_append, [(0.6,)], (0,)),
    (loop_list_stack, [(V3,)], (0,)),
    (loop_running_max, [(np.array([0.3, 1.2, -0.4, 0.9]),)], (0,)),
    (index_scalar_and_pairs, [(M23,)], (0,)),
    (index_slices, [(np.arange(12.0).reshape(4, 3) / 7.0,)], (0,)),
    (index_with_integer_array, [(V3,)], (0,)),
    (index_negative, [(np.array([0.3, 1.2, -0.4, 0.9]),)], (0,)),
    (index_with_argmax, [(V3,)], (0,)),
    (index_variable, [(V3, 1), (V3, 0)], (0,)),
    (tuple_unpack, [(0.7, 1.3)], (0, 1)),
    (multiple_returns, [(0.7, 1.3)], (0, 1)),
    (shapes_are_ints, [(M23,)], (0,)),
    (integer_arithmetic_passes_through, [(V3, 2)], (0,)),
    (call_user_function, [(0.8,)], (0,)),
    (call_with_defaults_and_keywords, [(0.8,)], (0,)),
    (call_other_module, [(V3, A)], (0, 1)),
    (call_returns_tuple, [(0.8,)], (0,)),
    (call_lambda_assigned, [(0.4,)], (0,)),
    (call_lambda_passed, [(0.4,)], (0,)),
    (call_closure, [(0.4, 1.5)], (0, 1)),
    (call_nested_function_with_branch, [(0.1,), (0.9,)], (0,)),
    (call_star_args, [(0.4, 1.5)], (0, 1)),
    (call_methods, [(M23, np.array([0.2, -0.3]))], (0, 1)),
    (power_recursive, [(1.5, 0), (1.5, 1), (1.5, 4)], (0,)),
    (halve_recursive, [(0.5,), (3.0,)], (0,)),
    (call_recursive, [(0.9,), (0.1,)], (0,)),
    (loop_defines_a_name_used_after, [(2.0, 3), (2.0, 0), (-1.0, 0)], (0,)),
    (loop_branch_without_else, [(0.5,)], (0,)),
    (index_with_list_literal, [(M23,), (V3,)], (0,)),
    (loop_break_after_update, [(1.5,), (0.5,)], (0,)),
    (loop_break_in_nested_if, [(0.3,), (0.05,)], (0,)),
    (while_break_in_branch, [(0.7,), (1.3,)], (0,)),
    (for_else, [(0.5, 3), (1.5, 3), (0.9, 5), (0.5, 0)], (0,)),
    (while_else, [(0.3,), (1.2,)], (0,)),
    (for_else_defines_a_name, [(0.7,)], (0,)),
    (for_else_nested, [(0.8, 3), (1.9, 3)], (0,)),
    (while_else_with_test_statements, [(0.4,)], (0,)),
]
