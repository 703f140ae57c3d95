def branch_if_else_grad(x):
    # forward sweep
    t1 = x > 0
    # reverse sweep
    y_2_bar = 1.0
    x_bar = zeros_like(x)
    if t1:
        t2 = y_2_bar * x
        x_bar = x_bar + t2
        x_bar = x_bar + t2
    else:
        t4 = y_2_bar * -3.0
        x_bar = x_bar + t4
    return x_bar
