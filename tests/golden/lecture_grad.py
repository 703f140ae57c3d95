def lecture_f_grad(x1, x2):
    # reverse sweep
    t5_bar = 1.0
    t4_bar = -t5_bar
    t7 = np.cos(x2)
    x2_bar = t4_bar * t7
    x1_bar = t5_bar * x2
    t10 = t5_bar * x1
    x2_bar = x2_bar + t10
    t11 = safe_div(t5_bar, x1)
    x1_bar = x1_bar + t11
    x1_bar = unbroadcast(x1_bar, x1)
    x2_bar = unbroadcast(x2_bar, x2)
    return (x1_bar, x2_bar)
