def neuron_loss_grad(w, x, b, t):
    # forward sweep
    t1 = w * x
    z = t1 + b
    t2 = -z
    t3 = np.exp(t2)
    t4 = 1 + t3
    y = 1 / t4
    t5 = y - t
    # reverse sweep
    t7_bar = 1.0
    t6_bar = t7_bar / 2
    t9 = t6_bar * 2.0
    y_bar = t9 * t5
    t11 = safe_div(y_bar, t4)
    t12 = safe_mul(t11, y)
    t4_bar = -t12
    t2_bar = t4_bar * t3
    z_bar = -t2_bar
    b_bar = z_bar
    w_bar = z_bar * x
    w_bar = unbroadcast(w_bar, w)
    b_bar = unbroadcast(b_bar, b)
    return (w_bar, b_bar)
