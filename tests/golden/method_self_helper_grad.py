def loss_grad(self, x):
    # forward sweep
    t1 = self.W
    t2 = t1 @ x
    t3 = np.tanh(t2)
    t4 = self.b
    h = t3 + t4
    t6 = h * h
    t10 = t4 * t4
    t11 = np.sum(t10)
    # reverse sweep
    t14_bar = 1.0
    t12_bar = t14_bar * t11
    x_bar = broadcast_reduced(t12_bar, x)
    t6_bar = broadcast_reduced(t14_bar, t6)
    t18 = t6_bar * h
    h_bar = t18
    h_bar = h_bar + t18
    t5_bar = h_bar
    t20 = t3 * t3
    t21 = 1.0 - t20
    t2_bar = t5_bar * t21
    t2_bar = unbroadcast(t2_bar, t2)
    t23 = matmul_adjoint_y(t2_bar, t1, x)
    x_bar = x_bar + t23
    return x_bar
