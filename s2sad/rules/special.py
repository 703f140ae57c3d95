"""``scipy.special``: registered only when SciPy imports (SciPy is an optional extra)."""
