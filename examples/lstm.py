"""The ADBench LSTM objective, its gradient from s2sad, and the same gradient written by hand.

Run it: ``python examples/lstm.py``. ADBench (Srajer, Kukelova and Fitzgibbon, 2018) times
this objective as its "LSTM" benchmark: a stack of LSTM layers reads a sequence of b-vectors
one step at a time, predicts the next vector from the top layer's hidden state, and the
objective is the mean log-likelihood of the sequence under those predictions (a softmax-like
normalisation, ``log(sum(exp(y)) + 2)``). The layers are ADBench's simplified LSTM cells:
each gate multiplies its inputs entry by entry with its weights (no matrix product).

Shapes, for l layers and b-vectors: ``main_params`` (2 l, 4 b) holds each layer's weights and
biases (rows 2 i and 2 i + 1), ``extra_params`` (3, b) the input scale, output scale and output
bias, ``state`` (2 l, b) each layer's hidden state and cell (rows 2 i and 2 i + 1), ``sequence``
(c, b) the data. The code is written the way a NumPy user writes it: a Python loop over time,
a loop over the layers that builds the new state as a list.

The program checks s2sad's gradient with respect to the parameters against finite differences
and against the hand-written reverse pass ``lstm_objective_grad`` (which scripts/bench.py
times), and prints the objective.
"""

import numpy as np

import s2sad


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_model(weight, bias, hidden, cell, x):
    """One layer's step: the new hidden state and cell from the layer's input `x`."""
    gates = np.concatenate((x, hidden, x, hidden)) * weight + bias
    b = hidden.shape[0]
    forget = sigmoid(gates[0:b])
    ingate = sigmoid(gates[b:2 * b])
    outgate = sigmoid(gates[2 * b:3 * b])
    change = np.tanh(gates[3 * b:])
    cell = cell * forget + ingate * change
    hidden = outgate * np.tanh(cell)
    return hidden, cell


def lstm_predict(main_params, extra_params, state, x):
    """The prediction of the next vector from `x`, and the new state of every layer."""
    x = x * extra_params[0]
    new_state = []
    for i in range(0, len(state), 2):
        hidden, cell = lstm_model(main_params[i], main_params[i + 1], state[i], state[i + 1], x)
        new_state.append(hidden)
        new_state.append(cell)
        x = hidden
    return x * extra_params[1] + extra_params[2], new_state


def lstm_objective(main_params, extra_params, state, sequence):
    """Minus the mean log-likelihood of `sequence[1:]` predicted step by step from `state`."""
    total = 0.0
    count = 0
    x = sequence[0]
    for t in range(len(sequence) - 1):
        ypred, state = lstm_predict(main_params, extra_params, state, x)
        ynorm = ypred - np.log(np.sum(np.exp(ypred)) + 2.0)
        ygold = sequence[t + 1]
        total += np.sum(ygold * ynorm)
        count += ygold.shape[0]
        x = ygold
    return -total / count


# ------------------------------------------------------------------ the gradient, by hand
def _forward(main_params, extra_params, state, sequence):
    """The forward pass, keeping what the reverse pass reads: per step, the prediction and,
    per layer, (inputs joined, gates, cell before, cell after, tanh of the cell)."""
    b = state.shape[1]
    hidden, cells = list(state[0::2]), list(state[1::2])
    steps = []
    for t in range(len(sequence) - 1):
        x = sequence[t] * extra_params[0]
        layers = []
        for k in range(len(hidden)):
            joined = np.concatenate((x, hidden[k], x, hidden[k]))
            pre = joined * main_params[2 * k] + main_params[2 * k + 1]
            gates = np.concatenate((sigmoid(pre[:3 * b]), np.tanh(pre[3 * b:])))
            cell = cells[k] * gates[:b] + gates[b:2 * b] * gates[3 * b:]
            tanh_cell = np.tanh(cell)
            layers.append((joined, gates, cells[k], tanh_cell, x))
            hidden[k], cells[k] = gates[2 * b:3 * b] * tanh_cell, cell
            x = hidden[k]
        steps.append((x, x * extra_params[1] + extra_params[2], layers))
    return steps


def lstm_objective_grad(main_params, extra_params, state, sequence):
    """The gradient of ``lstm_objective`` with respect to `main_params` and `extra_params`."""
    b, n_layers = state.shape[1], state.shape[0] // 2
    steps = _forward(main_params, extra_params, state, sequence)
    total_bar = -1.0 / ((len(sequence) - 1) * b)
    main_bar, extra_bar = np.zeros_like(main_params), np.zeros_like(extra_params)
    hidden_bar = [np.zeros(b) for _ in range(n_layers)]
    cell_bar = [np.zeros(b) for _ in range(n_layers)]
    for t in reversed(range(len(sequence) - 1)):
        top, ypred, layers = steps[t]
        ynorm_bar = sequence[t + 1] * total_bar
        e = np.exp(ypred)
        ypred_bar = ynorm_bar - np.sum(ynorm_bar) * e / (np.sum(e) + 2.0)
        extra_bar[1] += ypred_bar * top
        extra_bar[2] += ypred_bar
        x_bar = ypred_bar * extra_params[1]
        for k in reversed(range(n_layers)):
            joined, gates, cell_before, tanh_cell, x = layers[k]
            forget, ingate = gates[:b], gates[b:2 * b]
            outgate, change = gates[2 * b:3 * b], gates[3 * b:]
            h_bar = hidden_bar[k] + x_bar
            c_bar = cell_bar[k] + h_bar * outgate * (1.0 - tanh_cell * tanh_cell)
            gates_bar = np.concatenate((c_bar * cell_before, c_bar * change, h_bar * tanh_cell,
                                        c_bar * ingate))
            slopes = np.concatenate((gates[:3 * b] * (1.0 - gates[:3 * b]),
                                     1.0 - change * change))
            pre_bar = gates_bar * slopes
            main_bar[2 * k] += pre_bar * joined
            main_bar[2 * k + 1] += pre_bar
            joined_bar = pre_bar * main_params[2 * k]
            x_bar = joined_bar[:b] + joined_bar[2 * b:3 * b]
            hidden_bar[k] = joined_bar[b:2 * b] + joined_bar[3 * b:]
            cell_bar[k] = c_bar * forget
        extra_bar[0] += x_bar * sequence[t]
    return main_bar, extra_bar


def make_problem(layers=2, length=10, b=14, seed=0):
    """ADBench's shapes (its smallest problem is l=2, c=1024, b=14), with a shorter sequence."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(2 * layers, 4 * b)), rng.normal(size=(3, b)),
            rng.normal(size=(2 * layers, b)), rng.normal(size=(length, b)))


def finite_differences(f, args, index, eps=1e-6):
    x = args[index]
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = list(args), list(args)
        up[index], down[index] = x.copy(), x.copy()
        up[index][i] += eps
        down[index][i] -= eps
        grad[i] = (f(*up) - f(*down)) / (2 * eps)
    return grad


def main():
    args = make_problem(layers=2, length=4, b=3)
    grads = s2sad.grad(lstm_objective, wrt=("main_params", "extra_params"))(*args)
    for index, (name, grad) in enumerate(zip(("main_params", "extra_params"), grads)):
        assert np.allclose(grad, finite_differences(lstm_objective, args, index), atol=1e-6), name
    for got, hand in zip(grads, lstm_objective_grad(*args)):
        assert np.allclose(got, hand, rtol=1e-10, atol=1e-12)
    args = make_problem()
    print(f"objective {lstm_objective(*args):.6f} (2 layers, 10 steps, b=14)")
    grads = s2sad.grad(lstm_objective, wrt=("main_params", "extra_params"))(*args)
    for got, hand in zip(grads, lstm_objective_grad(*args)):
        assert np.allclose(got, hand, rtol=1e-10, atol=1e-12)
    print("gradient wrt main_params and extra_params: matches finite differences and the "
          "hand-written reverse pass")
    print("largest entries:", np.max(np.abs(grads[0])), np.max(np.abs(grads[1])))


if __name__ == "__main__":
    main()
