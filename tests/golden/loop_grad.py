def loop_polynomial_grad(x, n):
    # forward sweep
    _stack = []
    s_1 = 0.0
    for i in range(n):
        t1 = s_1 * x
        s_2 = t1 + 1.0
        _stack.append(s_1)
        s_1 = s_2
    # reverse sweep
    s_1_bar = 1.0
    x_bar = zeros_like(x)
    for i in reversed(range(n)):
        s_1 = _stack.pop()
        t1_bar = s_1_bar
        s_1_bar = t1_bar * x
        t3 = t1_bar * s_1
        x_bar = x_bar + t3
    x_bar = unbroadcast(x_bar, x)
    return x_bar
