def dense_loss_grad(params_W, params_b, x, y):
    # forward sweep
    t1 = params_W @ x
    t2 = t1 + params_b
    hidden = np.tanh(t2)
    error = hidden - y
    t3 = error * error
    # reverse sweep
    t5_bar = 1.0
    t4_bar = t5_bar * 0.5
    t3_bar = broadcast_reduced(t4_bar, t3)
    t8 = t3_bar * error
    error_bar = t8
    error_bar = error_bar + t8
    hidden_bar = error_bar
    t10 = hidden * hidden
    t11 = 1.0 - t10
    t2_bar = hidden_bar * t11
    t1_bar = t2_bar
    params_b_bar = t2_bar
    t1_bar = unbroadcast(t1_bar, t1)
    params_W_bar = matmul_adjoint_x(t1_bar, params_W, x)
    params_b_bar = unbroadcast(params_b_bar, params_b)
    return (params_W_bar, params_b_bar)
