"""Complex numbers (real, imag, conj, angle) and ``np.fft``."""
