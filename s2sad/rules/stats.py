"""``scipy.stats`` distributions: registered only when SciPy imports.

Differentiable in the point and in the distribution's parameters. The continuous ones are
location-scale families: with ``z = (x - loc) / scale`` and ``h(z)`` the derivative of the
standard log density, d/dx = h / scale, d/dloc = -h / scale and d/dscale = -(z h + 1) / scale;
a pdf's derivatives are ``ans`` times its log density's. ``loc`` and ``scale`` are optional,
as in SciPy (0.0 and 1.0).
"""

from ..runtime import special as rt
from . import special  # noqa: F401  (imports SciPy once and adds it to the template names)
from .registry import defprim

try:
    import scipy.stats
except ImportError:  # pragma: no cover - SciPy is optional
    scipy = None

ST, SP = "scipy.stats.", "scipy.special."
Z = "((x - loc) / scale)"
LOC_SCALE = (("loc", 0.0), ("scale", 1.0))


def _loc_scale(h: str) -> dict:
    """Derivatives of a location-scale log density in x, loc and scale, from h(z)."""
    return {"x": f"({h}) / scale", "loc": f"-({h}) / scale",
            "scale": f"-({Z} * ({h}) + 1.0) / scale"}


# distribution -> (shape parameters, derivatives of logpdf: argument -> expression).
CONTINUOUS = {
    "norm": ((), {"x": f"-{Z} / scale", "loc": f"{Z} / scale",
                  "scale": f"({Z} * {Z} - 1.0) / scale"}),
    "t": (("df",), {
        **_loc_scale(f"-(df + 1.0) * {Z} / (df + {Z} * {Z})"),
        "df": f"0.5 * ({SP}digamma(0.5 * df + 0.5) - {SP}digamma(0.5 * df) - 1.0 / df"
              f" - np.log1p({Z} * {Z} / df) + (df + 1.0) * {Z} * {Z} / (df * (df + {Z} * {Z})))",
    }),
    "gamma": (("a",), {
        **_loc_scale(f"(a - 1.0) / {Z} - 1.0"),
        "a": f"np.log({Z}) - {SP}digamma(a)",
    }),
    "beta": (("a", "b"), {
        **_loc_scale(f"(a - 1.0) / {Z} - (b - 1.0) / (1.0 - {Z})"),
        "a": f"np.log({Z}) - {SP}digamma(a) + {SP}digamma(a + b)",
        "b": f"np.log1p(-{Z}) - {SP}digamma(b) + {SP}digamma(a + b)",
    }),
    # chi2 is gamma with shape df / 2 and scale 2: log z ((df/2) - 1) - z / 2 - (df/2) log 2
    # - gammaln(df / 2).
    "chi2": (("df",), {
        **_loc_scale(f"(0.5 * df - 1.0) / {Z} - 0.5"),
        "df": f"0.5 * (np.log({Z}) - 0.6931471805599453 - {SP}digamma(0.5 * df))",
    }),
}


def _rules(argnames, derivative: dict, factor: str = "") -> tuple:
    """VJP and JVP templates from each argument's derivative (times `factor`)."""
    d = {a: f"{factor}({derivative[a]})" for a in argnames}
    return ({a: f"g * {d[a]}" for a in argnames}, {a: f"{a}_dot * {d[a]}" for a in argnames})


def _distribution(dist: str, method: str, argnames, derivative: dict, factor="", note=""):
    name = f"{ST}{dist}.{method}"
    vjp, jvp = _rules(argnames, derivative, factor)
    defprim(name, name, objects=(getattr(getattr(scipy.stats, dist), method),),
            argnames=argnames, broadcasts=True, vjp=vjp, jvp=jvp, note=note,
            arg_defaults=LOC_SCALE)


def _densities():
    for dist, (shapes, derivative) in CONTINUOUS.items():
        argnames = ("x", *shapes, "loc", "scale")
        _distribution(dist, "logpdf", argnames, derivative)
        _distribution(dist, "pdf", argnames, derivative, "ans * ")



# The normal cdf Φ(z): d/dx = pdf, d/dloc = -pdf, d/dscale = -z pdf.
CDF = {"x": "1.0", "loc": "-1.0", "scale": f"-{Z}"}


def _normal_cdfs():
    """Φ, and its log as exp(logpdf - logcdf) times the same (finite far in the lower tail)."""
    args, cdf = "x, loc, scale", CDF
    _distribution("norm", "cdf", ("x", "loc", "scale"), cdf, f"{ST}norm.pdf({args}) * ")
    _distribution("norm", "logcdf", ("x", "loc", "scale"), cdf,
                  f"np.exp({ST}norm.logpdf({args}) - ans) * ")



def _shape_cdfs():
    """The cdfs of t, gamma and beta: the location-scale derivatives of the cdf, times the
    pdf. Their derivatives in the shape parameters (df, a, b) have no closed form: refused."""
    cdf = CDF
    for dist, (shapes, _) in CONTINUOUS.items():
        if dist == "norm":
            continue
        argnames = ("x", *shapes, "loc", "scale")
        args = ", ".join(argnames)
        note = f"not differentiable in {', '.join(shapes)} (refused)"
        methods = {"cdf": f"{ST}{dist}.pdf({args}) * "}
        if dist == "t":
            methods["logcdf"] = f"np.exp({ST}t.logpdf({args}) - ans) * "
        for method, factor in methods.items():
            name = f"{ST}{dist}.{method}"
            vjp, jvp = _rules(("x", "loc", "scale"), cdf, factor)
            for p in shapes:
                refused = f"'the {p} of {name}'"
                vjp[p] = f"no_derivative(g, {refused})"
                jvp[p] = f"no_derivative({p}_dot, {refused})"
            defprim(name, name, objects=(getattr(getattr(scipy.stats, dist), method),),
                    argnames=argnames, broadcasts=True, vjp=vjp, jvp=jvp, note=note,
                    arg_defaults=LOC_SCALE)



def _normal_tails():
    """The normal survival function 1 - Φ(z) and its log (stable in the upper tail, as logcdf
    is in the lower one), and the quantile functions: ppf(q) = loc + scale * Φ^-1(q), whose
    derivative in q is scale / pdf(z) = scale * sqrt(2 pi) exp(z^2 / 2) at z = Φ^-1(q);
    isf(q) = ppf(1 - q)."""
    sf, args = {"x": "-1.0", "loc": "1.0", "scale": Z}, "x, loc, scale"
    _distribution("norm", "sf", ("x", "loc", "scale"), sf, f"{ST}norm.pdf({args}) * ")
    _distribution("norm", "logsf", ("x", "loc", "scale"), sf,
                  f"np.exp({ST}norm.logpdf({args}) - ans) * ")
    quantile_z = "((ans - loc) / scale)"
    for method, sign in (("ppf", ""), ("isf", "-")):
        derivative = {"q": f"{sign}scale * 2.5066282746310002 * np.exp(0.5 * {quantile_z} ** 2)",
                      "loc": "1.0", "scale": quantile_z}
        _distribution("norm", method, ("q", "loc", "scale"), derivative)



def _poisson():
    """The count k is data (a parameter), mu the differentiable rate. d/dmu of k log mu - mu
    is k / mu - 1, with k log mu = 0 where k = 0 (also at mu = 0)."""
    dmu = {"mu": "k / np.where(k == 0, 1.0, mu) - 1.0"}
    for method, factor in (("logpmf", ""), ("pmf", "ans * ")):
        name = f"{ST}poisson.{method}"
        vjp, jvp = _rules(("mu",), dmu, factor)
        vjp = {"mu": f"unbroadcast({vjp['mu']}, mu)"}  # k may be the larger: sum over it
        defprim(name, name, objects=(getattr(scipy.stats.poisson, method),), argnames=("mu",),
                params=(("k", None),), required_params=1, order=("k", "mu"), broadcasts=True,
                vjp=vjp, jvp=jvp, note="differentiable in mu (k is data); loc is not supported")
    # d/dmu of the cdf sum_{j <= k} pmf(j; mu) telescopes to -pmf(floor(k); mu).
    defprim(f"{ST}poisson.cdf", f"{ST}poisson.cdf", objects=(scipy.stats.poisson.cdf,),
            argnames=("mu",), params=(("k", None),), required_params=1, order=("k", "mu"),
            broadcasts=True,
            vjp={"mu": f"unbroadcast(-g * {ST}poisson.pmf(np.floor(k), mu), mu)"},
            jvp={"mu": f"-mu_dot * {ST}poisson.pmf(np.floor(k), mu)"},
            note="differentiable in mu (k is data)")



def _dirichlet():
    """For x of shape (K,) or (K, N) (N points, components along the first axis). x.T puts
    the components last, where alpha broadcasts. The gradient in x is that of the formula
    sum((alpha - 1) log x) - log B(alpha), with the entries of x independent: it is not
    projected onto the simplex."""
    digammas = f"{SP}digamma(np.sum(alpha)) - {SP}digamma(alpha)"
    for method, w in (("logpdf", "g"), ("pdf", "g * ans")):
        name = f"{ST}dirichlet.{method}"
        w_dot = "" if method == "logpdf" else "ans * "
        defprim(name, name, objects=(getattr(scipy.stats.dirichlet, method),),
                argnames=("x", "alpha"),
                vjp={"x": f"{w} * ((alpha - 1.0) / x.T).T",
                     "alpha": f"np.dot(np.log(x), {w}) + np.sum({w}) * ({digammas})"},
                jvp={"x": f"{w_dot}np.sum(x_dot * ((alpha - 1.0) / x.T).T, axis=0)",
                     "alpha": f"{w_dot}(np.dot(alpha_dot, np.log(x)) "
                              f"+ np.sum(alpha_dot * ({digammas})))"},
                note="x of shape (K,) or (K, N); the gradient in x is not projected onto "
                     "the simplex")



def _multivariate_normal():
    """x of shape (d,) or (n, d), cov a (d, d) matrix. With the whitened residuals
    w = P (x - mean), P = cov^-1, one per row: d/dx = -w, d/dmean = w and
    d/dcov = (w w^T - P) / 2. The transposes (.T * g).T scale row i by g[i] for any number of
    rows. The cov adjoint is the symmetric gradient of the formula in cov; scipy reads cov as
    symmetric, so it is exact in symmetric directions (the only ones that stay a covariance)."""
    w = "((x - mean) @ precision(cov))"
    for method, gw in (("logpdf", "g"), ("pdf", "g * ans")):
        name = f"{ST}multivariate_normal.{method}"
        times_ans = "" if method == "logpdf" else "ans * "
        defprim(name, name, objects=(getattr(scipy.stats.multivariate_normal, method),),
                argnames=("x", "mean", "cov"),
                vjp={"x": f"-({w}.T * {gw}).T",
                     "mean": f"unbroadcast(({w}.T * {gw}).T, mean)",
                     "cov": f"0.5 * (unbroadcast((({w}[..., :, None] * {w}[..., None, :]).T "
                            f"* {gw}).T, cov) - np.sum({gw}) * precision(cov))"},
                jvp={"x": f"-{times_ans}np.sum({w} * x_dot, axis=-1)",
                     "mean": f"{times_ans}np.sum({w} * mean_dot, axis=-1)",
                     "cov": f"{times_ans}0.5 * (np.sum(({w} @ cov_dot) * {w}, axis=-1) "
                            "- np.sum(precision(cov) * cov_dot))"},
                note="x of shape (d,) or (n, d) with n > 1, cov a (d, d) matrix; the cov "
                     "adjoint is the symmetric gradient (P w w^T P - P) / 2")

    defprim("precision", "precision", objects=(rt.precision,), argnames=("cov",),
            vjp={"cov": "-(ans.T @ g @ ans.T)"}, jvp={"cov": "-(ans @ cov_dot @ ans)"})




def _register():
    for family in (_densities, _normal_cdfs, _shape_cdfs, _normal_tails, _poisson, _dirichlet,
                   _multivariate_normal):
        family()


if scipy is not None:
    _register()
