def lecture_f_jvp(x1, x2, x1_dot, x2_dot):
    t1 = np.log(x1)
    t6 = reciprocal(x1)
    t1_dot = x1_dot * t6
    t2 = x1 * x2
    t8 = x1_dot * x2
    t9 = x1 * x2_dot
    t2_dot = t8 + t9
    t3 = t1 + t2
    t3_dot = t1_dot + t2_dot
    t4 = np.sin(x2)
    t12 = np.cos(x2)
    t4_dot = x2_dot * t12
    t5 = t3 - t4
    t14 = -t4_dot
    t5_dot = t3_dot + t14
    return (t5, t5_dot)
