def lecture_f(x1, x2):
    t1 = np.log(x1)
    t2 = x1 * x2
    t3 = t1 + t2
    t4 = np.sin(x2)
    t5 = t3 - t4
    return t5
