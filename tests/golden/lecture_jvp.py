def lecture_f_jvp(x1, x2, x1_dot, x2_dot):
    t1 = np.log(x1)
    t1_dot = safe_div(x1_dot, x1)
    t2 = x1 * x2
    t7 = x1_dot * x2
    t8 = x1 * x2_dot
    t2_dot = t7 + t8
    t3 = t1 + t2
    t3_dot = t1_dot + t2_dot
    t4 = np.sin(x2)
    t11 = np.cos(x2)
    t4_dot = x2_dot * t11
    t5 = t3 - t4
    t13 = -t4_dot
    t5_dot = t3_dot + t13
    return (t5, t5_dot)
