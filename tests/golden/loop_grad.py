def loop_polynomial_grad(x, n):
    # forward sweep
    _stack = []
    s = 0.0
    for i in range(n):
        t1 = s * x
        s_2 = t1 + 1.0
        _stack.append(s)
        s = s_2
    # reverse sweep
    s_1_bar = 1.0
    x_bar = zeros_like(x)
    for i in reversed(range(n)):
        s = _stack.pop()
        s_2_bar = s_1_bar
        s_1_bar = s_2_bar * x
        t3 = s_2_bar * s
        x_bar = x_bar + t3
    return x_bar
