"""Rule-table rows of the reductions family (aggregated by rule_table.py; see Case there).

Random normal inputs have no ties, so max, min, sort and median are smooth at them; the
tie conventions are tested in test_rules_reductions.py.
"""

import numpy as np
from rule_table import Case, M, S, V

from s2sad.runtime import reductions as rr

T = (2, 3, 4)
ALL = [(S,), (V,), (M,), (T,)]
ARRAYS = [(V,), (M,), (T,)]
MATRICES = [(M,), (T,)]


# ---- max / min ---------------------------------------------------------------------------
def max_all(x):
    return np.max(x)


def max_axis0(x):
    return np.max(x, axis=0)


def max_axis1_keepdims(x):
    return np.max(x, axis=1, keepdims=True)


def max_neg_axis(x):
    return np.max(x, axis=-1)


def max_axes_tuple(x):
    return np.max(x, axis=(0, 2), keepdims=True)


def max_method(x):
    return x.max(axis=0) + x.max()


def amax_amin(x):
    return np.amax(x, 0) * np.amin(x, axis=-1, keepdims=True)


def min_all(x):
    return np.min(x)


def min_axis1(x):
    return np.min(x, axis=1)


def min_method(x):
    return x.min(-1, keepdims=True) * x


def nanmax_with_nans(x):
    return np.nanmax(np.where(x > 0.8, np.nan, x), axis=-1) + np.nanmax(x, axis=0).sum()


def nanmin_with_nans(x):
    return np.nanmin(np.where(x < -0.8, np.nan, x), axis=-1, keepdims=True) + np.nanmin(x)


def ptp_all(x):
    return np.ptp(x)


def ptp_axis(x):
    return np.ptp(x, axis=1, keepdims=True) + np.ptp(x, axis=0)


def median_all(x):
    return np.median(x)


def median_axis(x):
    return np.median(x, axis=-1) + np.median(x, axis=0).sum()


def median_keepdims(x):
    return np.median(x, axis=(0, 1), keepdims=True) * x


# ---- products and cumulative operations ----------------------------------------------------
def prod_neg_axis_tuple(x):
    return np.prod(x, axis=-1) * np.prod(x, axis=(0, 2), keepdims=True).sum()


def prod_method(x):
    return x.prod() + x.prod(axis=0)


def cumsum_flat(x):
    return np.cumsum(x)


def cumsum_axis(x):
    return np.cumsum(x, axis=0) * np.cumsum(x, -1)


def cumsum_method(x):
    return x.cumsum(axis=1)


def cumprod_flat(x):
    return np.cumprod(x)


def cumprod_axis(x):
    return np.cumprod(x, axis=0) + np.cumprod(x, axis=-1)


def cumprod_method(x):
    return x.cumprod(axis=1)


# ---- statistics ----------------------------------------------------------------------------
def var_all(x):
    return np.var(x)


def var_axis_ddof(x):
    return np.var(x, axis=0, ddof=1) + np.var(x, axis=-1, keepdims=True).sum()


def var_method(x):
    return x.var(axis=(0, 1), keepdims=True) * x


def std_all(x):
    return np.std(x) + np.std(x, ddof=1)


def std_axis(x):
    return np.std(x, axis=1, keepdims=True) * x + np.std(x, axis=0, ddof=1).sum()


def std_method(x):
    return x.std(axis=-1)


def nansum_with_nans(x):
    return np.nansum(np.where(x > 0.8, np.nan, x), axis=0) + np.nansum(x)


def nansum_keepdims(x):
    return np.nansum(np.where(x < -0.8, np.nan, x * x), axis=-1, keepdims=True)


def nanmean_with_nans(x):
    return np.nanmean(np.where(x > 0.8, np.nan, x), axis=-1) + np.nanmean(x)


def nanmean_keepdims(x):
    return np.nanmean(np.where(x < -0.8, np.nan, x), axis=(0, 1), keepdims=True) * x


def average_same_shape(a, w):
    return np.average(a, weights=w * w + 0.5)


def average_axis(a, w):
    return np.average(a, axis=-1, weights=w) + np.average(a, 0, w, keepdims=True).sum()


def average_along_axis(a, w):
    return np.average(a, axis=1, weights=w * w + 0.5, keepdims=True) * a


def average_without_weights(a):
    return np.average(a, axis=0) * np.average(a * a) + np.average(a, -1, keepdims=True).sum()


def average_constant_weights(a):
    return np.average(a, axis=0, weights=np.array([1.0, 3.0]))


def weighted_average(a, w):
    return rr.weighted_average(a, w * w + 0.5, 1, True) * a


def aligned_weights(w, a):
    return rr.aligned_weights(w, a, 1) * a + rr.aligned_weights(w * w, a, None).sum()


# ---- sorting -------------------------------------------------------------------------------
def sort_last(x):
    return np.sort(x) ** 3 + np.sort(x) * x


def sort_axis0(x):
    return np.sort(x, axis=0) * x


def sort_flat(x):
    return np.sort(x, axis=None) ** 2


def partition_last(x):
    return np.partition(x, 1) * np.partition(x, 1)[..., 1:2]


def partition_axis0(x):
    return np.partition(x, 0, axis=0) ** 2


# ---- the helpers ---------------------------------------------------------------------------
def shifted(x):
    return rr.shifted(x, 0, fill=1.0) * rr.shifted(x, -1, -1) + rr.shifted(x, None)


def linear_scan(a, b):
    return rr.linear_scan(a, b, -1) + rr.linear_scan(a, b * a, 0, -1)


def linear_scan_flat(a, b):
    return rr.linear_scan(a, b, None, -1)


def exclusive_cumprod(x):
    return rr.exclusive_cumprod(x, -1) * rr.exclusive_cumprod(x, 0, -1) + (
        rr.exclusive_cumprod(x, None))


def exclusive_cumprod_tuple(x):
    return rr.exclusive_cumprod(x, (0, 2), -1)


def reverse_cumsum(x):
    return rr.reverse_cumsum(x, 0) + rr.reverse_cumsum(x, None) * x


def centered(x):
    return rr.centered(x, 0) * x + rr.centered(x, (0, -1)) + rr.centered(x)


CASES = [
    Case("amax", max_all, ALL),
    Case("amax", max_axis0, ARRAYS),
    Case("amax", max_axis1_keepdims, MATRICES),
    Case("amax", max_neg_axis, ARRAYS),
    Case("amax", max_axes_tuple, [(T,)]),
    Case("amax", max_method, ARRAYS),
    Case("amax", amax_amin, MATRICES),
    Case("amin", amax_amin, [(M,)]),
    Case("amin", min_all, ALL),
    Case("amin", min_axis1, MATRICES),
    Case("amin", min_method, ARRAYS),
    Case("nanmax", nanmax_with_nans, ARRAYS),
    Case("nanmin", nanmin_with_nans, ARRAYS),
    Case("ptp", ptp_all, ARRAYS),
    Case("ptp", ptp_axis, MATRICES),
    Case("median", median_all, ALL + [((4,),)]),
    Case("median", median_axis, [(M,), (T,), ((4, 3),)]),
    Case("median", median_keepdims, [(T,)]),
    Case("prod", prod_neg_axis_tuple, [(T,)]),
    Case("prod", prod_method, ARRAYS),
    Case("cumsum", cumsum_flat, ALL),
    Case("cumsum", cumsum_axis, MATRICES),
    Case("cumsum", cumsum_method, MATRICES),
    Case("cumprod", cumprod_flat, ALL),
    Case("cumprod", cumprod_axis, MATRICES),
    Case("cumprod", cumprod_method, MATRICES),
    Case("var", var_all, ALL),
    Case("var", var_axis_ddof, MATRICES),
    Case("var", var_method, [(T,)]),
    Case("std", std_all, ARRAYS),
    Case("std", std_axis, MATRICES),
    Case("std", std_method, ARRAYS),
    Case("nansum", nansum_with_nans, ARRAYS),
    Case("nansum", nansum_keepdims, MATRICES),
    Case("nanmean", nanmean_with_nans, ARRAYS),
    Case("nanmean", nanmean_keepdims, [(T,)]),
    Case("average", average_same_shape, [(V, V), (M, M), (T, T)]),
    Case("average", average_axis, [(M, M), (T, T)], "pos"),
    Case("average", average_along_axis, [(M, (3,))]),
    Case("average", average_constant_weights, [(M,), (T,)]),
    Case("mean", average_without_weights, [(M,), (T,)]),
    Case("weighted_average", weighted_average, [(M, (3,)), (M, M)]),
    Case("aligned_weights", aligned_weights, [((3,), M), (M, M)]),
    Case("sort", sort_last, ARRAYS),
    Case("sort", sort_axis0, MATRICES),
    Case("sort", sort_flat, [(V,), (M,)]),
    Case("partition", partition_last, [(V,), (M,), ((2, 5),)]),
    Case("partition", partition_axis0, MATRICES),
    Case("shifted", shifted, ARRAYS),
    Case("linear_scan", linear_scan, [(V, V), (M, M), (T, T)]),
    Case("linear_scan", linear_scan_flat, [(M, (6,))]),
    Case("exclusive_cumprod", exclusive_cumprod, [(S,), (V,), (M,), (T,)]),
    Case("exclusive_cumprod", exclusive_cumprod_tuple, [(T,)]),
    Case("reverse_cumsum", reverse_cumsum, ARRAYS),
    Case("centered", centered, [(M,), (T,)]),
]
