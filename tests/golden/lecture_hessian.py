def lecture_f_grad_jvp(x1, x2, x1_dot, x2_dot):
    # reverse sweep
    t5_bar = 1.0
    t4_bar = -t5_bar
    t7 = np.cos(x2)
    t12 = np.sin(x2)
    t13 = -t12
    t7_dot = x2_dot * t13
    x2_bar = t4_bar * t7
    x2_bar_dot = t4_bar * t7_dot
    x1_bar = t5_bar * x2
    x1_bar_dot = t5_bar * x2_dot
    t10 = t5_bar * x1
    t10_dot = t5_bar * x1_dot
    x2_bar = x2_bar + t10
    x2_bar_dot = x2_bar_dot + t10_dot
    t11 = safe_div(t5_bar, x1)
    t19 = safe_div(x1_dot, x1)
    t20 = safe_mul(t19, t11)
    t11_dot = -t20
    x1_bar = x1_bar + t11
    x1_bar_dot = x1_bar_dot + t11_dot
    x1_bar = unbroadcast(x1_bar, x1)
    x1_bar_dot = unbroadcast(x1_bar_dot, x1)
    x2_bar = unbroadcast(x2_bar, x2)
    x2_bar_dot = unbroadcast(x2_bar_dot, x2)
    return (x1_bar, x2_bar, x1_bar_dot, x2_bar_dot)
