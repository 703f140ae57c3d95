def loop_polynomial_jvp(x, n, x_dot):
    s = 0.0
    s_1 = s
    s_1_dot = zeros_like(s)
    for i in range(n):
        t1 = s_1 * x
        t3 = s_1_dot * x
        t4 = s_1 * x_dot
        s_1_dot = t3 + t4
        s_1 = t1 + 1.0
    return (s_1, s_1_dot)
