"""``np.linalg`` (and ``scipy.linalg``): norms, inverses, solves, determinants, factorizations."""
