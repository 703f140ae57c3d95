"""Classes whose methods call other methods on self, for test_methods_self.py and the golden
file of a method (module level: s2sad reads their source)."""

import dataclasses

import numpy as np


class Layer:
    scale = 2.0

    def __init__(self, W, b):
        self.W = W
        self.b = b

    def helper(self, x):
        return np.tanh(self.W @ x) + self.b

    def bias_norm(self):
        return np.sum(self.b * self.b)

    @staticmethod
    def square(t):
        return t * t

    @classmethod
    def scaled(cls, x):
        return cls.scale * cls.square(x)

    def loss(self, x):
        h = self.helper(x)
        return np.sum(self.square(h)) + self.bias_norm() * np.sum(x)

    def loss_with_class_calls(self, x):
        return np.sum(self.scaled(x)) + np.sum(Layer.scaled(x)) + np.sum(Layer.square(x))

    @classmethod
    def energy(cls, x):
        return np.sum(cls.scaled(np.sin(x)))

    def __call__(self, x, y):
        return np.sum(self.helper(x) * y)


class SteeperLayer(Layer):
    """Overrides helper: a derivative built for Layer must never be served to it."""

    scale = 5.0

    def helper(self, x):
        return np.sin(self.W @ x) * 3.0


@dataclasses.dataclass
class Quadratic:
    A: np.ndarray
    c: float = 0.5

    def energy(self, x):
        return 0.5 * x @ self.apply(x) + self.c * np.sum(x)

    def apply(self, x):
        return self.A @ x


def layer_loss(layer, x, weight):
    return weight * layer.loss(x)


class Looping:
    def __init__(self, rate):
        self.rate = rate

    def step(self, s, x):
        return s * self.rate + np.sin(x * s)

    def run(self, x, n):
        s = x
        for _ in range(n):
            s = self.step(s, x)
        return s


class Base:
    def energy(self, x):
        return np.sum(np.sin(x) * x)

    @classmethod
    def weight(cls, x):
        return 2.0 * x


class Derived(Base):
    def __init__(self, k):
        self.k = k

    def energy(self, x):
        return self.k * super().energy(x) + np.sum(super().weight(x) ** 2)


class MoreDerived(Derived):
    def energy(self, x):
        return super().energy(x * 2.0) - np.sum(x)


class WithRule:
    """A method with a user rule: called through self, the rule is used, not the code."""

    def __init__(self, a):
        self.a = a

    def cube(self, x):
        return x ** 3

    def loss(self, x):
        return np.sum(self.cube(x)) * self.a
