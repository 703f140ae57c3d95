def loop_while_grad(x):
    # forward sweep
    x_1 = x
    _trips = 0
    while x_1 < 10.0:
        _trips = _trips + 1
        t2 = x_1 * 1.7
        x_1 = t2 + 0.1
    # reverse sweep
    x_1_bar = 1.0
    for _ in range(_trips):
        x_2_bar = x_1_bar
        x_1_bar = x_2_bar * 1.7
    x_bar = x_1_bar
    x_bar = unbroadcast(x_bar, x)
    return x_bar
