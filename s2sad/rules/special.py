"""``scipy.special``: registered only when SciPy imports (SciPy is an optional extra).

Most functions here are elementwise, and their derivatives are again special functions, so the
rules read as a table of derivatives (``gammaln: digamma(x)``) and the rule set stays closed:
gammaln -> digamma -> polygamma(1, .) -> polygamma(2, .) ...; the Bessel functions differentiate
into their neighbours of order v - 1 and v + 1 (``jv' = (jv(v-1) - jv(v+1)) / 2``), which has no
``/ x`` and so no 0/0 at x = 0.
"""

from ..runtime import special as rt
from .registry import TEMPLATE_MODULES, defprim, nondiff

try:
    import scipy.special
    import scipy.stats  # noqa: F401  (rules/stats.py; imported here so both see one 'scipy')
except ImportError:  # pragma: no cover - SciPy is optional
    scipy = None
else:
    TEMPLATE_MODULES["scipy"] = scipy

SP = "scipy.special."
TWO_OVER_SQRT_PI = "1.1283791670955126"
SQRT_PI_OVER_TWO = "0.886226925452758"
INV_SQRT_2PI = "0.3989422804014327"
SQRT_2PI = "2.5066282746310002"

# name -> (derivative in x and ans, note). Calls are spelled in full: templates are Python.
UNARY = {
    "expit": ("ans * (1.0 - ans)", ""),
    "logit": ("reciprocal(x * (1.0 - x))", ""),
    "log_expit": (f"{SP}expit(-x)", ""),
    "softplus": (f"{SP}expit(x)", ""),  # SciPy >= 1.15
    "gammaln": (f"{SP}digamma(x)", "log|Γ(x)|; its derivative is digamma(x) for every x"),
    "digamma": (f"{SP}polygamma(1, x)", ""),
    "gamma": (f"ans * {SP}digamma(x)", ""),
    "erf": (f"{TWO_OVER_SQRT_PI} * np.exp(-x * x)", ""),
    "erfc": (f"-{TWO_OVER_SQRT_PI} * np.exp(-x * x)", ""),
    "erfinv": (f"{SQRT_PI_OVER_TWO} * np.exp(ans * ans)", ""),
    "erfcinv": (f"-{SQRT_PI_OVER_TWO} * np.exp(ans * ans)", ""),
    "erfcx": (f"2.0 * x * ans - {TWO_OVER_SQRT_PI}", ""),
    "ndtr": (f"{INV_SQRT_2PI} * np.exp(-0.5 * x * x)", ""),
    # pdf / cdf as exp(log pdf - log cdf): no 0 / 0 far in the lower tail.
    "log_ndtr": (f"{INV_SQRT_2PI} * np.exp(-0.5 * x * x - ans)", "stable in the lower tail"),
    "ndtri": (f"{SQRT_2PI} * np.exp(0.5 * ans * ans)", ""),
    "i0": (f"{SP}i1(x)", ""),
    "i1": (f"0.5 * ({SP}i0(x) + {SP}iv(2, x))", ""),
    "i0e": (f"{SP}i1e(x) - np.sign(x) * ans", ""),
    "i1e": (f"0.5 * ({SP}i0e(x) + {SP}ive(2, x)) - np.sign(x) * ans", ""),
    "j0": (f"-{SP}j1(x)", ""),
    "j1": (f"0.5 * ({SP}j0(x) - {SP}jv(2, x))", ""),
    "y0": (f"-{SP}y1(x)", ""),
    "y1": (f"0.5 * ({SP}y0(x) - {SP}yv(2, x))", ""),
    "rgamma": (f"-ans * {SP}digamma(x)", "1 / Γ(x)"),
}

# Functions of an order and x: name -> (order, derivative in x). polygamma's order n is an
# integer (a parameter); the Bessel order v is a real argument whose derivative has no closed
# form: where v depends on the differentiated inputs, the generated code refuses at run time.
ORDERED = {
    "polygamma": ("n", f"{SP}polygamma(n + 1, x)"),
    "iv": ("v", f"0.5 * ({SP}iv(v - 1.0, x) + {SP}iv(v + 1.0, x))"),
    "ive": ("v", f"0.5 * ({SP}ive(v - 1.0, x) + {SP}ive(v + 1.0, x)) - np.sign(x) * ans"),
    "jv": ("v", f"0.5 * ({SP}jv(v - 1.0, x) - {SP}jv(v + 1.0, x))"),
    "yv": ("v", f"0.5 * ({SP}yv(v - 1.0, x) - {SP}yv(v + 1.0, x))"),
    "kv": ("v", f"-0.5 * ({SP}kv(v - 1.0, x) + {SP}kv(v + 1.0, x))"),
    "yn": ("n", f"0.5 * ({SP}yn(n - 1, x) - {SP}yn(n + 1, x))"),
}

# Regularized incomplete gamma and beta functions: differentiable in x (the integrand over
# the normalizer, written in logs with xlogy so that x = 0 is exact); their derivatives in the
# shape parameters have no closed form and are refused. name -> (shapes, d/dx).
INCOMPLETE = {
    "gammainc": (("a",), f"np.exp({SP}xlogy(a - 1.0, x) - x - {SP}gammaln(a))"),
    "gammaincc": (("a",), f"-np.exp({SP}xlogy(a - 1.0, x) - x - {SP}gammaln(a))"),
    "betainc": (("a", "b"), f"np.exp({SP}xlogy(a - 1.0, x) + {SP}xlog1py(b - 1.0, -x) - "
                            f"{SP}betaln(a, b))"),
}
ORDER_NOTE = "differentiable in x only: a derivative through the order {v} is refused"

# Functions of two arguments: name -> (d/dx, d/dy, note). x = 0 is exactly 0 in xlogy and
# xlog1py, whatever y is, so d/dy is 0 there. Only the 0 / 0 at x = 0 and y = 0 (1 + y = 0) is
# masked: masking every x = 0 would also hide y from the derivative of d/dy with respect to
# x, and a Hessian at x = 0 would get 1 where d2/dxdy = 1/y (found by the random programs).
BINARY = {
    "xlogy": ("np.log(y)", "x / np.where(np.logical_and(x == 0.0, y == 0.0), 1.0, y)",
              "d/dy is 0 where x = 0 (also at y = 0)"),
    "xlog1py": ("np.log1p(y)", "x / np.where(np.logical_and(x == 0.0, y == -1.0), 1.0, 1.0 + y)",
                "d/dy is 0 where x = 0 (also at y = -1)"),
    "beta": (f"ans * ({SP}digamma(x) - {SP}digamma(x + y))",
             f"ans * ({SP}digamma(y) - {SP}digamma(x + y))", ""),
    "betaln": (f"{SP}digamma(x) - {SP}digamma(x + y)", f"{SP}digamma(y) - {SP}digamma(x + y)",
               ""),
}

# Along an axis. logsumexp's gradient is the softmax exp(a - ans): a - ans <= 0, so it never
# overflows, however large the inputs. The weights b= and return_sign= are not supported: b
# would be differentiable, and the registry has no optional differentiable arguments yet.
AXIS = (("axis", None),)
REDUCE = (("axis", None), ("keepdims", False))
SPREAD = "broadcast_reduced({}, a, axis, keepdims)"


def _tables():
    """The functions of the tables above: one, two or an order and one argument."""
    for name, (derivative, note) in UNARY.items():
        if not hasattr(scipy.special, name):
            continue  # newer than the installed SciPy
        d = f"({derivative})"
        defprim(SP + name, SP + name, objects=(getattr(scipy.special, name),), elementwise=True,
                vjp={"x": f"g * {d}"}, jvp={"x": f"x_dot * {d}"}, note=note)
    for name, (order, derivative) in ORDERED.items():
        d = f"({derivative})"
        if order == "n":  # an integer: a parameter (an array of orders broadcasts x)
            defprim(SP + name, SP + name, objects=(getattr(scipy.special, name),),
                    broadcasts=True, params=((order, None),), required_params=1,
                    order=(order, "x"), vjp={"x": f"unbroadcast(g * {d}, x)"},
                    jvp={"x": f"x_dot * {d}"}, note="n is a non-negative integer")
            continue
        refused = f"'the order {order} of {SP}{name}'"
        defprim(SP + name, SP + name, objects=(getattr(scipy.special, name),),
                argnames=(order, "x"), broadcasts=True,
                vjp={order: f"no_derivative(g, {refused})", "x": f"g * {d}"},
                jvp={order: f"no_derivative({order}_dot, {refused})", "x": f"x_dot * {d}"},
                note=ORDER_NOTE.format(v=order))
    for name, (dx, dy, note) in BINARY.items():
        defprim(SP + name, SP + name, objects=(getattr(scipy.special, name),),
                argnames=("x", "y"), broadcasts=True,
                vjp={"x": f"g * ({dx})", "y": f"g * ({dy})"},
                jvp={"x": f"x_dot * ({dx})", "y": f"y_dot * ({dy})"}, note=note)



def _others():
    """Incomplete functions (differentiable in x only), multivariate log-gamma, and the
    reductions logsumexp, softmax and log_softmax."""
    for name, (shapes, dx) in INCOMPLETE.items():
        vjp, jvp = {"x": f"g * ({dx})"}, {"x": f"x_dot * ({dx})"}
        for p in shapes:
            refused = f"'the {p} of {SP}{name}'"
            vjp[p] = f"no_derivative(g, {refused})"
            jvp[p] = f"no_derivative({p}_dot, {refused})"
        defprim(SP + name, SP + name, objects=(getattr(scipy.special, name),),
                argnames=(*shapes, "x"), broadcasts=True, vjp=vjp, jvp=jvp,
                note=f"differentiable in x only: a derivative through {', '.join(shapes)} is "
                     "refused")
    # The multivariate log-gamma: sum over j < d of gammaln(a - j / 2); d is an integer.
    defprim(SP + "multigammaln", SP + "multigammaln", objects=(scipy.special.multigammaln,),
            argnames=("a",), params=(("d", None),), required_params=1, order=("a", "d"),
            elementwise=True, vjp={"a": "g * multipolygamma(0, a, d)"},
            jvp={"a": "a_dot * multipolygamma(0, a, d)"})
    defprim("multipolygamma", "multipolygamma", objects=(rt.multipolygamma,), argnames=("a",),
            params=(("n", None), ("d", None)), required_params=2, order=("n", "a", "d"),
            elementwise=True, vjp={"a": "g * multipolygamma(n + 1, a, d)"},
            jvp={"a": "a_dot * multipolygamma(n + 1, a, d)"})
    nondiff(SP + "gammasgn", SP + "gammasgn", scipy.special.gammasgn)

    defprim(SP + "logsumexp", SP + "logsumexp", objects=(scipy.special.logsumexp,),
            argnames=("a",), params=REDUCE,
            vjp={"a": f"{SPREAD.format('g')} * np.exp(a - {SPREAD.format('ans')})"},
            jvp={"a": f"np.sum(a_dot * np.exp(a - {SPREAD.format('ans')}), axis=axis, "
                      "keepdims=keepdims)"},
            note="stable for large inputs (the gradient is the softmax); b= and return_sign= "
                 "are not supported")
    # softmax s: ds = s * (dx - sum(s * dx)); log_softmax l: dl = dx - sum(exp(l) * dx).
    defprim(SP + "softmax", SP + "softmax", objects=(scipy.special.softmax,), params=AXIS,
            vjp={"x": "ans * (g - np.sum(g * ans, axis=axis, keepdims=True))"},
            jvp={"x": "ans * (x_dot - np.sum(x_dot * ans, axis=axis, keepdims=True))"})
    defprim(SP + "log_softmax", SP + "log_softmax", objects=(scipy.special.log_softmax,),
            params=AXIS,
            vjp={"x": "g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)"},
            jvp={"x": "x_dot - np.sum(np.exp(ans) * x_dot, axis=axis, keepdims=True)"})


# Called in place of a derivative that has no closed form: it raises when the code runs.
nondiff("no_derivative", "no_derivative", rt.no_derivative, params=(("what", ""),))

if scipy is not None:
    _tables()
    _others()
