"""scipy.special and scipy.stats beyond the rule table: second order, numerical safety at the
edges (large inputs, tails, zeros), how the user's spelling reaches the generated code, and
what is refused."""

import warnings

import numpy as np
import pytest
from fd import numeric_grad

import s2sad

pytest.importorskip("scipy")
import scipy.special as sp  # noqa: E402
import scipy.stats  # noqa: E402
from scipy.special import logsumexp  # noqa: E402
from scipy.stats import norm  # noqa: E402


def fd_hessian(f, x, eps=1e-5):
    """Central differences of the s2sad gradient: the reference for s2sad.hessian."""
    grad = s2sad.grad(f)
    x = np.asarray(x, dtype=float)
    columns = []
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = eps
        e = e.reshape(x.shape)
        columns.append((np.asarray(grad(x + e)) - np.asarray(grad(x - e))).ravel() / (2 * eps))
    return np.array(columns).T


def logsumexp_rows(x):
    return np.sum(logsumexp(x.reshape((2, 3)), axis=1) ** 2)


def expit_sum(x):
    return np.sum(sp.expit(x) * x)


def gammaln_sum(x):
    return np.sum(sp.gammaln(x) * x)


def norm_logpdf_of_params(p):
    data = np.array([0.3, -1.2, 2.0])
    return np.sum(norm.logpdf(data, p[0], np.exp(p[1]))) * p[2]


def norm_in_x(x):
    return np.sum(norm.logpdf(x, 0.5, 1.3) ** 2 + norm.logcdf(x, -0.2, 0.7))


def t_logpdf_of_params(p):
    data = np.array([0.3, -1.2, 2.0])
    return np.sum(scipy.stats.t.logpdf(data, p[0], p[1], p[2]))


def dirichlet_of_alpha(a):
    return scipy.stats.dirichlet.logpdf(np.array([0.2, 0.3, 0.5]), a)


def mvn_of_params(p):
    data = np.array([[0.3, -1.2], [2.0, 0.5], [-0.7, 0.1]])
    factor = np.reshape(p[2:], (2, 2))
    return np.sum(scipy.stats.multivariate_normal.logpdf(data, p[:2], factor @ factor.T + EYE2))


EYE2 = np.eye(2)


def softmax_entropy(x):
    s = sp.softmax(x)
    return np.sum(s * sp.log_softmax(x))


def bessel_mix(x):
    return np.sum(sp.i1(x) * sp.j1(x) + sp.jv(2.5, x) + sp.kv(1.5, x))


def xlogy_sum(x):
    return np.sum(sp.xlogy(x, x + 1.0) + sp.erf(x) * sp.log_ndtr(x))


@pytest.mark.parametrize("f, x", [
    (logsumexp_rows, np.array([0.3, -1.0, 2.0, 0.5, 0.1, -0.4])),
    (expit_sum, np.array([0.3, -1.0, 2.0])),
    (gammaln_sum, np.array([0.7, 1.5, 3.0])),
    (norm_logpdf_of_params, np.array([0.2, 0.3, 1.5])),
    (norm_in_x, np.array([0.3, -1.0, 2.0])),
    (t_logpdf_of_params, np.array([3.0, 0.1, 1.2])),
    (dirichlet_of_alpha, np.array([1.5, 2.0, 0.7])),
    (mvn_of_params, np.array([0.2, -0.1, 1.0, 0.3, -0.2, 0.8])),
    (softmax_entropy, np.array([0.3, -1.0, 2.0])),
    (bessel_mix, np.array([0.6, 1.1, 1.9])),
    (xlogy_sum, np.array([0.6, 1.1, 1.9])),
], ids=lambda v: getattr(v, "__name__", ""))
def test_hessian_matches_differences_of_the_gradient(f, x):
    np.testing.assert_allclose(s2sad.hessian(f)(x), fd_hessian(f, x), rtol=1e-6, atol=1e-7)


def gammaln_scalar(x):
    return sp.gammaln(x)


def d_gammaln(x):
    return s2sad.grad(gammaln_scalar)(x)


def test_grad_of_grad_of_gammaln_is_the_trigamma_function():
    second = s2sad.grad(d_gammaln)(1.7)
    assert second == pytest.approx(sp.polygamma(1, 1.7), rel=1e-12)


def test_gradient_of_gammaln_at_one_is_minus_euler_gamma():
    assert s2sad.grad(gammaln_scalar)(1.0) == pytest.approx(-0.5772156649015329, rel=1e-14)


def mvn_logpdf(x, mean, cov):
    return np.sum(scipy.stats.multivariate_normal.logpdf(x, mean=mean, cov=cov))


def test_covariance_adjoint_is_symmetric_and_exact_in_symmetric_directions(rng):
    x, mean = rng.standard_normal((4, 3)), rng.standard_normal(3)
    b = rng.standard_normal((3, 3))
    cov = b @ b.T + np.eye(3)
    cov_bar = s2sad.grad(mvn_logpdf, wrt=2)(x, mean, cov)
    np.testing.assert_allclose(cov_bar, cov_bar.T, rtol=1e-13, atol=1e-14)
    d = rng.standard_normal((3, 3))
    d = d + d.T
    eps = 1e-6
    numeric = (mvn_logpdf(x, mean, cov + eps * d) - mvn_logpdf(x, mean, cov - eps * d)) / (2 * eps)
    assert np.sum(cov_bar * d) == pytest.approx(numeric, rel=1e-6)
    _, tangent = s2sad.jvp(mvn_logpdf, (x, mean, cov), (None, None, d))
    assert tangent == pytest.approx(numeric, rel=1e-6)


# ---- numerical safety ----------------------------------------------------------------------
def lse(x):
    return logsumexp(x)


def test_logsumexp_gradient_is_the_softmax_at_huge_inputs():
    x = np.array([1000.0, 1001.0, 999.5, -1e300])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = s2sad.grad(lse)(x)
        _, tangent = s2sad.jvp(lse, (x,), (np.ones(4),))
    np.testing.assert_allclose(g, sp.softmax(x), rtol=1e-12)
    assert tangent == pytest.approx(1.0, rel=1e-14)


def lse_keepdims(x):
    return np.sum(logsumexp(x, axis=-1, keepdims=True) * x)


def test_logsumexp_with_keepdims_at_huge_inputs_matches_differences_of_a_shifted_input():
    x = np.array([[800.0, 801.0, 799.0], [-900.0, -901.0, -899.5]])
    shift = np.array([[800.0], [-900.0]])
    g = s2sad.grad(lse_keepdims)(x)
    # logsumexp(y + c) = logsumexp(y) + c: differences at y = x - c, where they are accurate.
    expected = numeric_grad(_shifted_lse_keepdims, [x - shift, shift], 0)
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-6)


def _shifted_lse_keepdims(y, c):
    return np.sum((logsumexp(y, axis=-1, keepdims=True) + c) * (y + c))


def log_expit_sum(x):
    return np.sum(sp.log_expit(x))


def test_log_expit_derivative_is_exact_at_huge_inputs():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = s2sad.grad(log_expit_sum)(x)
    np.testing.assert_allclose(g, sp.expit(-x), rtol=1e-15)
    assert g[0] == 1.0 and g[-1] == 0.0


def log_ndtr(x):
    return sp.log_ndtr(x)


def norm_logcdf(x):
    return norm.logcdf(x, 0.0, 1.0)


@pytest.mark.parametrize("f", [log_ndtr, norm_logcdf])
def test_log_normal_cdf_gradient_is_finite_far_in_the_lower_tail(f):
    x = np.array([-40.0, -10.0, 0.0, 5.0])
    g = s2sad.grad(_summed(f))(x)
    # d/dx log Phi(x) = phi(x) / Phi(x), about -x - 1/x in the lower tail (Mills ratio).
    assert np.all(np.isfinite(g))
    assert g[0] == pytest.approx(40.0 + 1 / 40.0 - 2 / 40.0**3, rel=1e-6)
    np.testing.assert_allclose(g[2], 2.0 * norm.pdf(0.0), rtol=1e-14)


def _summed(f):
    def summed(x):
        return np.sum(f(x))

    return summed


def xlogy_y(x, y):
    return sp.xlogy(x, y)


def xlog1py_y(x, y):
    return sp.xlog1py(x, y)


@pytest.mark.parametrize("f, y", [(xlogy_y, 0.0), (xlogy_y, 2.0), (xlog1py_y, -1.0),
                                  (xlog1py_y, 0.5)])
def test_xlogy_has_a_zero_y_derivative_where_x_is_zero(f, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert s2sad.grad(f, wrt=1)(0.0, y) == 0.0
        assert s2sad.jvp(f, (0.0, y), (None, 1.0))[1] == 0.0
    assert s2sad.grad(f, wrt=1)(0.5, 2.0) == pytest.approx(0.5 / (2.0 if f is xlogy_y else 3.0))


def i1(x):
    return sp.i1(x)


def i1e(x):
    return sp.i1e(x)


def j1(x):
    return sp.j1(x)


@pytest.mark.parametrize("f", [i1, i1e, j1])
def test_order_one_bessel_derivatives_are_one_half_at_zero(f):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert s2sad.grad(f)(0.0) == pytest.approx(0.5, rel=1e-14)
        assert s2sad.jvp(f, (0.0,), (1.0,))[1] == pytest.approx(0.5, rel=1e-14)


def poisson_at_zero_count(mu):
    return scipy.stats.poisson.logpmf(0, mu)


def test_poisson_rate_derivative_at_a_zero_count_is_minus_one_also_at_zero_rate():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert s2sad.grad(poisson_at_zero_count)(0.0) == -1.0
    assert s2sad.grad(poisson_at_zero_count)(2.5) == -1.0


# ---- spellings and keywords -------------------------------------------------------------
def imported_name(x, m, s):
    return norm.logpdf(x, loc=m, scale=s)


def module_path(x, m, s):
    return scipy.stats.norm.logpdf(x, scale=s, loc=m)


@pytest.mark.parametrize("f", [imported_name, module_path])
def test_both_spellings_of_a_distribution_method_generate_the_full_path(f):
    source = s2sad.source(f, mode="jvp")
    assert "scipy.stats.norm.logpdf(x, m, s)" in source
    args = [np.array([0.3, -1.0]), 0.2, 1.5]
    grads = s2sad.grad(_sum_of(f), wrt=(0, 1, 2))(*args)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, numeric_grad(_sum_of(f), args, i), rtol=1e-6)
    assert "scipy.special.digamma" not in source  # norm's rules are plain arithmetic


def _sum_of(f):
    def summed(x, m, s):
        return np.sum(f(x, m, s))

    return summed


def renamed(x):
    from_alias = lse_alias(x, axis=0)
    return np.sum(from_alias)


lse_alias = logsumexp


def test_a_renamed_import_is_found_by_the_object_it_denotes():
    x = np.array([[0.1, 0.2], [0.3, -0.5]])
    np.testing.assert_allclose(s2sad.grad(renamed)(x), sp.softmax(x, axis=0), rtol=1e-14)
    assert "scipy.special.logsumexp(x, axis=0)" in s2sad.source(renamed)


def polygamma_order(x):
    return sp.polygamma(3, x)


def test_polygamma_order_is_a_parameter_and_the_rule_raises_it():
    source = s2sad.source(polygamma_order)
    assert "scipy.special.polygamma(4, x)" in source
    assert s2sad.grad(polygamma_order)(1.3) == pytest.approx(sp.polygamma(4, 1.3), rel=1e-14)


# ---- what is refused ----------------------------------------------------------------------
def norm_without_loc(x):
    return norm.logpdf(x)


def weighted_logsumexp(x, w):
    return logsumexp(x, b=w)


def test_a_distribution_defaults_its_location_and_scale():
    assert s2sad.grad(norm_without_loc)(0.3) == pytest.approx(-0.3)
    assert s2sad.jvp(norm_without_loc, (0.3,), (1.0,))[1] == pytest.approx(-0.3)


def test_logsumexp_weights_are_refused_not_treated_as_constants():
    with pytest.raises(s2sad.S2sadError, match="unsupported keyword 'b'"):
        s2sad.grad(weighted_logsumexp, wrt=1)(np.ones(2), np.ones(2))


def gamma_cdf_in_a(x, a):
    return scipy.stats.gamma.cdf(x, a, 0.0, 1.0)


def bessel_in_order(x, v):
    return sp.jv(v, x)


def t_cdf_in_df(x, df):
    return scipy.stats.t.cdf(x, df, 0.0, 1.0)


@pytest.mark.parametrize("f, what", [
    (gamma_cdf_in_a, "scipy.stats.gamma.cdf has no derivative with respect to 'a'"),
    (bessel_in_order, "scipy.special.jv has no derivative with respect to 'v'"),
    (t_cdf_in_df, "scipy.stats.t.cdf has no derivative with respect to 'df'")])
def test_a_derivative_without_a_closed_form_is_refused_in_both_modes(f, what):
    args = (1.5, 2.0)
    with pytest.raises(s2sad.MissingRuleError, match=what):
        s2sad.grad(f, wrt=1)  # when it is built, before it runs
    with pytest.raises(s2sad.MissingRuleError, match=what):
        s2sad.jvp(f, args, (0.0, 1.0))
    # The same call differentiates in x, with the refused argument held constant.
    assert s2sad.grad(f, wrt=0)(*args) == pytest.approx(numeric_grad(f, list(args), 0), rel=1e-6)
    assert s2sad.jvp(f, args, (1.0, None))[1] == pytest.approx(s2sad.grad(f, wrt=0)(*args))
