"""scipy.optimize.minimize with derivatives from s2sad: ``jac=``, ``hess=`` and ``hessp=``.

Run it: ``python examples/scipy_optimize.py`` (needs SciPy: ``pip install ".[scipy]"``; without
it the program says so and stops). The problem is a curve fit: the parameters (a, k, c) of
a exp(-k t) + c, fitted by least squares to 40 points of the curve with (a, k, c) =
(2, 1.3, 0.5), so the minimum is known. ``s2sad.grad(loss)`` is the ``jac=`` of BFGS,
``s2sad.hessian(loss)`` the ``hess=`` of Newton-CG and trust-exact, and
``lambda p, v: s2sad.hvp(loss, p, v)`` the ``hessp=`` of trust-ncg, which never forms the
Hessian. Each method finds the parameters; the derivative methods do it in a few dozen
evaluations where BFGS without ``jac=`` estimates each gradient by finite differences.

Note the two ``check_grad`` functions: ``scipy.optimize.check_grad(f, grad_f, x0)`` returns
the norm of the difference between ``grad_f`` and a one-sided finite difference, and
``s2sad.check_grad(f, *args)`` checks s2sad's own reverse and forward derivatives of ``f``
against central differences.
"""

import importlib.util

import numpy as np

import s2sad

TRUE = np.array([2.0, 1.3, 0.5])
T = np.linspace(0.0, 4.0, 40)


def model(p, t):
    return p[0] * np.exp(-p[1] * t) + p[2]


DATA = model(TRUE, T)


def loss(p):
    """Half the sum of squared residuals of the fit to DATA."""
    residual = model(p, T) - DATA
    return 0.5 * np.sum(residual**2)


def main():
    if importlib.util.find_spec("scipy") is None:
        print("SciPy is not installed: nothing to show (pip install scipy).")
        return
    from scipy.optimize import check_grad, minimize

    jac = s2sad.grad(loss)
    hess = s2sad.hessian(loss)

    def hessp(p, v):
        return s2sad.hvp(loss, p, v)

    start = np.array([1.0, 0.5, 0.0])
    error = check_grad(loss, jac, start)
    print(f"scipy.optimize.check_grad(loss, s2sad.grad(loss), start) = {error:.1e}")
    assert error < 1e-5
    assert s2sad.check_grad(loss, start) < 1e-6
    v = np.array([0.3, -1.0, 2.0])
    assert np.allclose(hessp(start, v), hess(start) @ v, rtol=1e-12, atol=1e-12)

    runs = [("BFGS", "finite differences", {}),
            ("BFGS", "jac", {"jac": jac}),
            ("Newton-CG", "jac, hess", {"jac": jac, "hess": hess}),
            ("trust-exact", "jac, hess", {"jac": jac, "hess": hess}),
            ("trust-ncg", "jac, hessp", {"jac": jac, "hessp": hessp})]
    print(f"\n{'method':12s} {'derivatives':20s} {'(a, k, c)':28s} {'loss':>9s}  f evals")
    for method, given, derivatives in runs:
        options = {"xtol": 1e-12} if method == "Newton-CG" else {"gtol": 1e-10}
        result = minimize(loss, start, method=method, options=options, **derivatives)
        found = np.round(result.x, 6).tolist()
        print(f"{method:12s} {given:20s} {str(found):28s} {result.fun:9.1e}  {result.nfev:4d}")
        assert np.allclose(result.x, TRUE, rtol=0, atol=1e-5), (method, result)


if __name__ == "__main__":
    main()
