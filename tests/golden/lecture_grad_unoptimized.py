def lecture_f_grad(x1, x2):
    # forward sweep
    t1 = np.log(x1)
    t2 = x1 * x2
    t3 = t1 + t2
    t4 = np.sin(x2)
    t5 = t3 - t4
    # reverse sweep
    t5_bar = 1.0
    t3_bar = t5_bar
    t6 = -t5_bar
    t4_bar = t6
    t7 = np.cos(x2)
    t8 = t4_bar * t7
    x2_bar = t8
    t1_bar = t3_bar
    t2_bar = t3_bar
    t9 = t2_bar * x2
    x1_bar = t9
    t10 = t2_bar * x1
    x2_bar = x2_bar + t10
    t11 = safe_div(t1_bar, x1)
    x1_bar = x1_bar + t11
    x1_bar = unbroadcast(x1_bar, x1)
    x2_bar = unbroadcast(x2_bar, x2)
    return (x1_bar, x2_bar)
