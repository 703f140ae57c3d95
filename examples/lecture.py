"""The lecture's running example (CSE599G1, seed 000): f(x1, x2) = ln(x1) + x1*x2 - sin(x2).

Run it: ``python examples/lecture.py``. It walks through the lecture end to end at (2, 5):

1. the forward evaluation trace, the forward tangent trace and the reverse adjoint trace, with
   every intermediate's value (``s2sad.trace``): y = 11.652, x1_bar = 5.5, x2_bar = 1.716;
2. the forward tangent code and its number (dy/dx1 = 5.5 from one JVP pass);
3. the adjoint code s2sad generates, first with the full forward and reverse sweeps as the
   lecture writes them (``optimize=False``), then the optimised code ``grad`` runs;
4. the gradient of the gradient (reverse over reverse), the lecture's "derivative of
   derivative nodes": d2f/dx1^2 = -1/x1^2 = -0.25, d2f/dx1dx2 = 1, d2f/dx2^2 = sin(x2);
5. the computational graph the lecture draws, with each node's value and adjoint, as Graphviz
   DOT (``s2sad.graph``; ``dot -Tpng`` draws it, or ``s2sad graph ... --png f.png``).

Every number the lecture prints is asserted, so running the file checks them.
``s2sad show examples/lecture.py:f`` prints the optimised code alone.
"""

import math

import numpy as np

import s2sad


def f(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def main():
    print("1. The evaluation trace and the adjoint trace at (x1, x2) = (2, 5)\n")
    trace = s2sad.trace(f, 2.0, 5.0)
    print(trace)
    y, x1_bar, x2_bar = trace.value("t5"), trace.adjoint("x1"), trace.adjoint("x2")
    y, x1_bar, x2_bar = round(y, 3), round(x1_bar, 3), round(x2_bar, 3)  # the lecture's digits
    print(f"\ny = {y}   x1_bar = {x1_bar}   x2_bar = {x2_bar}")
    assert (y, x1_bar, x2_bar) == (11.652, 5.5, 1.716)
    # x2 feeds two operations, so its adjoint is the sum of two contributions (the lecture's
    # v1_bar' = v4_bar cos(v1) = -0.284 from the sine and v3_bar * v0 = 2 from the product).
    from_sin = trace.adjoint("t4") * math.cos(5.0)
    from_product = trace.adjoint("t2") * 2.0
    print(f"x2_bar = {round(from_sin, 3)} (through sin) + {from_product} (through x1 * x2)")
    assert round(from_sin, 3) == -0.284 and from_product == 2.0
    assert math.isclose(from_sin + from_product, trace.adjoint("x2"), rel_tol=1e-15)

    print("\n2. Forward mode: one tangent pass with (x1_dot, x2_dot) = (1, 0)\n")
    print(s2sad.source(f, mode="forward", wrt=0))
    value, y_dot = s2sad.jvp(f, (2.0, 5.0), (1.0, 0.0))
    print(f"y = {round(value, 3)}   y_dot = dy/dx1 = {round(y_dot, 3)}")
    assert (round(value, 3), round(y_dot, 3)) == (11.652, 5.5)

    print("\n3. The adjoint code, as the lecture writes it (forward sweep, reverse sweep)\n")
    print(s2sad.source(f, wrt=(0, 1), optimize=False))
    print("and optimised (what s2sad.grad runs: the reverse sweep needs no forward value)\n")
    print(s2sad.source(f, wrt=(0, 1)))
    value, (dx1, dx2) = s2sad.value_and_grad(f, wrt=(0, 1))(2.0, 5.0)
    print(f"f(2, 5) = {round(value, 3)}; df/dx1 = {round(dx1, 3)}; df/dx2 = {round(dx2, 3)}")
    assert (round(value, 3), round(dx1, 3), round(dx2, 3)) == (11.652, 5.5, 1.716)

    print("\n4. Gradient of the gradient: the derivative code differentiated again\n")
    df_dx1 = s2sad.grad(f, wrt=0)
    print(s2sad.source(df_dx1, wrt=(0, 1)))
    d11, d12 = s2sad.grad(df_dx1, wrt=(0, 1))(2.0, 5.0)
    d22 = s2sad.grad(s2sad.grad(f, wrt=1), wrt=1)(2.0, 5.0)
    print(f"d2f/dx1^2 = {d11}   d2f/dx1dx2 = {d12}   d2f/dx2^2 = {round(d22, 3)}")
    assert (d11, d12) == (-0.25, 1.0) and math.isclose(d22, math.sin(5.0), rel_tol=1e-15)
    hessian = s2sad.hessian(f, wrt=(0, 1))(2.0, 5.0)
    assert np.allclose(hessian, [[d11, d12], [d12, d22]], rtol=1e-15, atol=0)
    print(f"hessian (forward over reverse) = {np.round(hessian, 3).tolist()}")

    print("\n5. The computational graph, with values and adjoints on its nodes\n")
    graph = s2sad.graph(f, 2.0, 5.0)
    print(graph.dot())
    for label in ("t3 = t1 + t2", "= 11.652", "x1_bar = 5.5", "x2_bar = 1.7163"):
        assert label in graph.dot(), label


if __name__ == "__main__":
    main()
