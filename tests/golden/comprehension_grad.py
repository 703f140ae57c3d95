def comprehension_loss_grad(w, xs, ys):
    # forward sweep
    _stack = []
    _stack_1 = []
    preds = []
    t1 = len(xs)
    for i in range(t1):
        x = xs[i]
        t2 = w * x
        t3 = np.tanh(t2)
        preds_2 = list_append(preds, t3)
        _stack_1.extend((preds_2, t3, x))
        preds = preds_2
    total = 0
    t4 = len(preds)
    t5 = len(ys)
    t6 = min(t4, t5)
    for i_1 in range(t6):
        p = preds[i_1]
        y = ys[i_1]
        t7 = p - y
        t8 = t7 ** 2
        total_2 = total + t8
        _stack.extend((p, t7))
        total = total_2
    # reverse sweep
    total_1_bar = scalar_seed(total)
    preds_1_bar = zeros_like(preds)
    for i_1 in reversed(range(t6)):
        t7 = _stack.pop()
        p = _stack.pop()
        total_2_bar = total_1_bar
        total_1_bar = total_2_bar
        t9 = total_2_bar * 2.0
        p_bar = t9 * t7
        p_bar = unbroadcast(p_bar, p)
        preds_1_bar = scatter_add(preds_1_bar, p_bar, i_1, preds)
    w_bar = zeros_like(w)
    for i in reversed(range(t1)):
        x = _stack_1.pop()
        t3 = _stack_1.pop()
        preds_2 = _stack_1.pop()
        preds_2_bar = preds_1_bar
        preds_2_bar = unbroadcast(preds_2_bar, preds_2)
        preds_1_bar = preds_2_bar[:-1]
        t3_bar = preds_2_bar[-1]
        t14 = t3 * t3
        t15 = 1.0 - t14
        t2_bar = t3_bar * t15
        t17 = t2_bar * x
        t18 = unbroadcast(t17, w)
        w_bar = w_bar + t18
    return w_bar
