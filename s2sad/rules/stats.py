"""``scipy.stats`` distributions: registered only when SciPy imports."""
