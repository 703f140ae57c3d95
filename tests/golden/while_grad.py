def loop_while_grad(x):
    # forward sweep
    _trips = 0
    while x < 10.0:
        _trips = _trips + 1
        t2 = x * 1.7
        x_2 = t2 + 0.1
        x = x_2
    # reverse sweep
    x_1_bar = 1.0
    for _ in range(_trips):
        x_2_bar = x_1_bar
        x_1_bar = x_2_bar * 1.7
    x_bar = x_1_bar
    return x_bar
