def comprehension_loss(w, xs, ys):
    preds = []
    t1 = len(xs)
    preds_1 = preds
    for i in range(t1):
        x = xs[i]
        t2 = w * x
        t3 = np.tanh(t2)
        preds_2 = list_append(preds_1, t3)
        preds_1 = preds_2
    total = 0
    t4 = len(preds_1)
    t5 = len(ys)
    t6 = min(t4, t5)
    total_1 = total
    for i_1 in range(t6):
        p = preds_1[i_1]
        y = ys[i_1]
        t7 = p - y
        t8 = t7 ** 2
        total_2 = total_1 + t8
        total_1 = total_2
    return total_1
