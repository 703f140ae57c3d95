def lecture_f_vjp(x1, x2, t5_bar):
    # forward sweep
    t1 = np.log(x1)
    t2 = x1 * x2
    t3 = t1 + t2
    t4 = np.sin(x2)
    t5 = t3 - t4
    # reverse sweep
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
    return (t5, x1_bar, x2_bar)
