"""Rule-table rows of the scipy family (aggregated by rule_table.py; see Case there).

SciPy is optional: without it there are no rows. Distribution parameters that must be positive
(or inside an interval) are mapped there inside the row (``np.exp(s)``, ``x - 2.5``), so that
every argument can be drawn from the usual domains.
"""

import numpy as np
from rule_table import BINARY_SHAPES, UNARY_SHAPES, Case, M, S, V

from s2sad.runtime import special as rt_special

try:
    import scipy.special as sp
    import scipy.stats
    from scipy.stats import norm, poisson
except ImportError:  # pragma: no cover - SciPy is optional
    sp = None

T3 = (2, 3, 4)
LOC_SCALE_SHAPES = [(S, S, S), (V, V, V), (M, V, S), (S, M, V), (M, S, (2, 1))]


# ---- elementwise ------------------------------------------------------------------------
def expit(x):
    return sp.expit(x)


def logit(x):
    return sp.logit(0.5 + 0.4 * x)


def log_expit(x):
    return sp.log_expit(3.0 * x)


def softplus(x):
    return sp.softplus(3.0 * x)


def gammaln(x):
    return sp.gammaln(x)


def digamma(x):
    return sp.digamma(x)


def polygamma(x):
    return sp.polygamma(1, x) + sp.polygamma(2, x)


def gamma(x):
    return sp.gamma(x)


def erf(x):
    return sp.erf(x)


def erfc(x):
    return sp.erfc(x)


def erfinv(x):
    return sp.erfinv(x)


def erfcinv(x):
    return sp.erfcinv(1.0 + x)


def erfcx(x):
    return sp.erfcx(x)


def ndtr(x):
    return sp.ndtr(x)


def log_ndtr(x):
    return sp.log_ndtr(3.0 * x)


def ndtri(x):
    return sp.ndtri(0.5 + 0.4 * x)


def bessel_i(x):
    return sp.i0(x) * sp.i1(x)


def bessel_ie(x):
    return sp.i0e(x) + sp.i1e(x)


def bessel_j(x):
    return sp.j0(x) * sp.j1(x)


def bessel_y(x):
    return sp.y0(x) + sp.y1(x)


def i0(x):
    return sp.i0(x)


def i1(x):
    return sp.i1(x)


def i0e(x):
    return sp.i0e(x)


def i1e(x):
    return sp.i1e(x)


def j0(x):
    return sp.j0(x)


def j1(x):
    return sp.j1(x)


def y0(x):
    return sp.y0(x)


def y1(x):
    return sp.y1(x)


def iv(x):
    return sp.iv(1.5, x) + sp.iv(0, x)


def iv_orders(x):
    return sp.iv(np.array([0.0, 1.0, 2.5]), x)  # the order broadcasts against x


def ive(x):
    return sp.ive(0.5, x) + sp.ive(2, x)


def jv(x):
    return sp.jv(2.5, x) + sp.jv(1, x)


def yv(x):
    return sp.yv(1.5, x)


def kv(x):
    return sp.kv(0.5, x) + sp.kv(2, x)


def xlogy(x, y):
    return sp.xlogy(x, y)


def xlog1py(x, y):
    return sp.xlog1py(x, y)


def beta(x, y):
    return sp.beta(x, y)


def betaln(x, y):
    return sp.betaln(x, y)


# ---- along axes -------------------------------------------------------------------------
def logsumexp_all(x):
    return sp.logsumexp(x)


def logsumexp_axis0(x):
    return sp.logsumexp(x, axis=0)


def logsumexp_axis1_keepdims(x):
    return sp.logsumexp(x, axis=1, keepdims=True)


def logsumexp_neg_axis(x):
    return sp.logsumexp(x, -1)


def logsumexp_axes(x):
    return sp.logsumexp(x, axis=(0, 2))


def softmax_all(x):
    return sp.softmax(x)


def softmax_axis1(x):
    return sp.softmax(x, axis=1)


def softmax_neg_axis(x):
    return sp.softmax(x, -1)


def log_softmax_all(x):
    return sp.log_softmax(x)


def log_softmax_axis0(x):
    return sp.log_softmax(x, axis=0)


def log_softmax_neg_axis(x):
    return sp.log_softmax(x, axis=-1)


# ---- distributions ----------------------------------------------------------------------
def norm_logpdf(x, m, s):
    return norm.logpdf(x, m, np.exp(s))


def norm_logpdf_keywords(x, m, s):
    return scipy.stats.norm.logpdf(x, loc=m, scale=np.exp(s))


def norm_defaults(x, m):
    # loc and scale default to 0 and 1, as in SciPy; t's too
    return norm.logpdf(x) * norm.cdf(x, m) + scipy.stats.t.logpdf(x, 3.0, loc=m)


def norm_pdf(x, m, s):
    return norm.pdf(x, m, np.exp(s))


def norm_cdf(x, m, s):
    return norm.cdf(x, loc=m, scale=np.exp(s))


def norm_logcdf(x, m, s):
    return scipy.stats.norm.logcdf(x, m, np.exp(s))


def t_logpdf(x, d, m, s):
    return scipy.stats.t.logpdf(x, 0.5 + np.exp(d), m, np.exp(s))


def t_pdf(x, d, m, s):
    return scipy.stats.t.pdf(x, df=0.5 + np.exp(d), loc=m, scale=np.exp(s))


def gamma_logpdf(x, a, m, s):
    return scipy.stats.gamma.logpdf(x, a, m - 2.5, s)


def gamma_pdf(x, a, m, s):
    return scipy.stats.gamma.pdf(x, a, loc=m - 2.5, scale=s)


def beta_logpdf(x, a, b, m, s):
    return scipy.stats.beta.logpdf(x, a, b, m - 2.1, s + 4.0)


def beta_pdf(x, a, b, m, s):
    return scipy.stats.beta.pdf(x, a, b, loc=m - 2.1, scale=s + 4.0)


def t_cdf(x, m, s):
    return scipy.stats.t.cdf(x, 1.5, m, np.exp(s))


def t_logcdf(x, m, s):
    return scipy.stats.t.logcdf(x, 2.5, loc=m, scale=np.exp(s))


def gamma_cdf(x, m, s):
    return scipy.stats.gamma.cdf(x, 1.7, m - 2.5, s)


def beta_cdf(x, m, s):
    return scipy.stats.beta.cdf(x, 1.5, 2.5, m - 2.1, scale=s + 4.0)


COUNTS = np.array([0, 1, 3])


def poisson_logpmf(mu):
    return poisson.logpmf(COUNTS, mu)


def poisson_pmf(mu):
    return scipy.stats.poisson.pmf(2, mu)


def simplex(u):
    e = np.exp(u)
    return e / np.sum(e, axis=0)  # each column on the simplex, for every u


def dirichlet_logpdf(u, a):
    return scipy.stats.dirichlet.logpdf(simplex(u), np.exp(a))


def dirichlet_pdf(u, a):
    return scipy.stats.dirichlet.pdf(simplex(u), np.exp(a))


EYE3 = 3.0 * np.eye(3)


def mvn_logpdf(x, m, b):
    return scipy.stats.multivariate_normal.logpdf(x, m, b @ b.T + EYE3)


def mvn_pdf(x, m, b):
    return scipy.stats.multivariate_normal.pdf(x, mean=m, cov=b @ b.T + EYE3)


def precision(a):
    return rt_special.precision(a + EYE3)


# ---- added for autograd parity -------------------------------------------------------------
def rgamma(x):
    return sp.rgamma(1.5 + x)


def yn(x):
    return sp.yn(1, x + 2.0) + sp.yn(0, x + 2.0)


def incomplete(x):
    # differentiable in x only (x in (0, 1) for betainc); the shapes are constants
    u = 0.5 + 0.4 * np.tanh(x)
    a = np.array([0.7, 1.0, 2.5])
    return sp.gammainc(1.7, u) + sp.gammaincc(a, 3.0 * u) * sp.betainc(a, 1.5, u)


def multigammaln(a):
    return sp.multigammaln(a + 3.0, 3)


def multipolygamma(a):
    return rt_special.multipolygamma(1, a + 3.0, 2)


def chi2_logpdf(x, d, m, s):
    return scipy.stats.chi2.logpdf(x + 3.0, 1.0 + d, m, s) + scipy.stats.chi2.pdf(x + 2.0, d)


def chi2_cdf(x, m, s):
    return scipy.stats.chi2.cdf(x, 3.0, m - 2.5, s)


def norm_tails(x, m, s):
    return norm.sf(x, m, np.exp(s)) + norm.logsf(x, loc=m) * norm.cdf(x)


def norm_quantiles(q, m, s):
    p = 0.5 + 0.4 * np.tanh(q)
    return norm.ppf(p, m, np.exp(s)) + norm.isf(p, loc=m) ** 2


def poisson_cdf(mu):
    return scipy.stats.poisson.cdf(3, mu) + scipy.stats.poisson.cdf(np.array([0.0, 2.5]), mu)


def _rows():
    if sp is None:
        return []
    unary = [
        ("expit", expit, "any"), ("logit", logit, "unit"), ("log_expit", log_expit, "any"),
        ("gammaln", gammaln, "pos"),
        ("digamma", digamma, "pos"), ("polygamma", polygamma, "pos"), ("gamma", gamma, "pos"),
        ("erf", erf, "any"), ("erfc", erfc, "any"), ("erfinv", erfinv, "unit"),
        ("erfcinv", erfcinv, "unit"), ("erfcx", erfcx, "any"), ("ndtr", ndtr, "any"),
        ("log_ndtr", log_ndtr, "any"), ("ndtri", ndtri, "unit"),
        ("i0", i0, "any"), ("i1", i1, "any"), ("i0e", i0e, "nonzero"),
        ("i1e", i1e, "nonzero"), ("j0", j0, "any"), ("j1", j1, "any"), ("y0", y0, "pos"),
        ("y1", y1, "pos"), ("i1", bessel_i, "any"), ("i1e", bessel_ie, "nonzero"),
        ("j1", bessel_j, "any"), ("y1", bessel_y, "pos"),
        ("iv", iv, "pos"), ("ive", ive, "pos"), ("jv", jv, "pos"), ("yv", yv, "pos"),
        ("kv", kv, "pos"),
    ]
    if hasattr(sp, "softplus"):  # SciPy >= 1.15
        unary.append(("softplus", softplus, "any"))
    rows = [Case(f"scipy.special.{name}", fn, UNARY_SHAPES, domain)
            for name, fn, domain in unary]
    rows += [Case(f"scipy.special.{name}", fn, BINARY_SHAPES, "pos")
             for name, fn in (("xlogy", xlogy), ("xlog1py", xlog1py), ("beta", beta),
                              ("betaln", betaln))]
    rows += [
        Case("scipy.special.iv", iv_orders, [(S,), ((3,),), ((2, 3),)], "pos"),
        Case("scipy.special.logsumexp", logsumexp_all, UNARY_SHAPES),
        Case("scipy.special.logsumexp", logsumexp_axis0, [(V,), (M,), (T3,)]),
        Case("scipy.special.logsumexp", logsumexp_axis1_keepdims, [(M,), (T3,)]),
        Case("scipy.special.logsumexp", logsumexp_neg_axis, [(V,), (M,)]),
        Case("scipy.special.logsumexp", logsumexp_axes, [(T3,)]),
        Case("scipy.special.softmax", softmax_all, UNARY_SHAPES),
        Case("scipy.special.softmax", softmax_axis1, [(M,), (T3,)]),
        Case("scipy.special.softmax", softmax_neg_axis, [(V,), (T3,)]),
        Case("scipy.special.log_softmax", log_softmax_all, UNARY_SHAPES),
        Case("scipy.special.log_softmax", log_softmax_axis0, [(M,), (T3,)]),
        Case("scipy.special.log_softmax", log_softmax_neg_axis, [(V,), (T3,)]),
        Case("scipy.stats.norm.logpdf", norm_logpdf, LOC_SCALE_SHAPES),
        Case("scipy.stats.norm.logpdf", norm_logpdf_keywords, [(V, S, V)]),
        Case("scipy.stats.norm.logpdf", norm_defaults, [(S, S), (V, S), (M, V)]),
        Case("scipy.stats.norm.pdf", norm_pdf, LOC_SCALE_SHAPES),
        Case("scipy.stats.norm.cdf", norm_cdf, LOC_SCALE_SHAPES),
        Case("scipy.stats.norm.logcdf", norm_logcdf, LOC_SCALE_SHAPES),
        Case("scipy.stats.t.logpdf", t_logpdf, [(S, S, S, S), (V, S, V, S), (M, V, S, V)]),
        Case("scipy.stats.t.pdf", t_pdf, [(S, S, S, S), (V, V, S, V)]),
        Case("scipy.stats.gamma.logpdf", gamma_logpdf, [(S, S, S, S), (V, S, V, S),
                                                        (M, V, S, V)], "pos"),
        Case("scipy.stats.gamma.pdf", gamma_pdf, [(S, S, S, S), (V, V, S, V)], "pos"),
        Case("scipy.stats.beta.logpdf", beta_logpdf, [(S, S, S, S, S), (V, S, V, S, V),
                                                      (M, V, S, V, S)], "pos"),
        Case("scipy.stats.beta.pdf", beta_pdf, [(S, S, S, S, S), (V, V, V, S, S)], "pos"),
        Case("scipy.stats.t.cdf", t_cdf, [(S, S, S), (V, S, V), (M, V, S)]),
        Case("scipy.stats.t.logcdf", t_logcdf, [(S, S, S), (V, S, V), (M, V, S)]),
        Case("scipy.stats.gamma.cdf", gamma_cdf, [(S, S, S), (V, S, V), (M, V, S)], "pos"),
        Case("scipy.stats.beta.cdf", beta_cdf, [(S, S, S), (V, S, V), (M, V, S)], "pos"),
        Case("scipy.stats.poisson.logpmf", poisson_logpmf, [(S,), (V,)], "pos"),
        Case("scipy.stats.poisson.pmf", poisson_pmf, [(S,), (M,)], "pos"),
        Case("scipy.stats.dirichlet.logpdf", dirichlet_logpdf, [(V, V), ((3, 2), V), ((3, 3), V)]),
        Case("scipy.stats.multivariate_normal.logpdf", mvn_logpdf,
             [(V, V, (3, 3)), ((4, 3), V, (3, 3)), ((2, 3), V, (3, 3))]),
        Case("scipy.stats.multivariate_normal.pdf", mvn_pdf,
             [(V, V, (3, 3)), ((4, 3), V, (3, 3))]),
        Case("precision", precision, [((3, 3),)]),
        Case("scipy.special.rgamma", rgamma, UNARY_SHAPES, "pos"),
        Case("scipy.special.yn", yn, UNARY_SHAPES, "pos"),
        Case("scipy.special.gammainc", incomplete, [(S,), (V,), (M,)]),
        Case("scipy.special.gammaincc", incomplete, [(S,)]),
        Case("scipy.special.betainc", incomplete, [(V,)]),
        Case("scipy.special.multigammaln", multigammaln, UNARY_SHAPES, "pos"),
        Case("multipolygamma", multipolygamma, UNARY_SHAPES, "pos"),
        Case("scipy.stats.chi2.logpdf", chi2_logpdf, [(S, S, S, S), (V, S, V, S)], "pos"),
        Case("scipy.stats.chi2.pdf", chi2_logpdf, [(M, V, S, S)], "pos"),
        Case("scipy.stats.chi2.cdf", chi2_cdf, [(S, S, S), (V, S, V)], "pos"),
        Case("scipy.stats.norm.sf", norm_tails, LOC_SCALE_SHAPES),
        Case("scipy.stats.norm.logsf", norm_tails, [(V, S, S)]),
        Case("scipy.stats.norm.ppf", norm_quantiles, LOC_SCALE_SHAPES),
        Case("scipy.stats.norm.isf", norm_quantiles, [(V, S, S)]),
        Case("scipy.stats.poisson.cdf", poisson_cdf, [(S,)], "pos"),
        Case("scipy.stats.dirichlet.pdf", dirichlet_pdf, [(V, V), ((3, 4), V)]),
    ]
    return rows


CASES: list = _rows()
