"""The activations against their published definitions, computed independently here with the
standard library (math.erf, math.exp, math.tanh) one number at a time; their derivatives are
checked by finite differences in tests/test_gradients.py."""

import math

import numpy as np
import pytest

from engine.nn.activations import erf, make_activation

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

REFERENCE = {
    "elu": lambda z: z if z > 0 else math.exp(z) - 1,                                 # Clevert et al., alpha 1
    "selu": lambda z: SELU_SCALE * (z if z > 0 else SELU_ALPHA * (math.exp(z) - 1)),  # Klambauer et al.
    "gelu": lambda z: 0.5 * z * (1 + math.erf(z / math.sqrt(2))),                     # Hendrycks and Gimpel
    "gelu_tanh": lambda z: 0.5 * z * (1 + math.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z ** 3))),
    "swish": lambda z: z / (1 + math.exp(-z)),                                        # Ramachandran et al.
}
Z = np.concatenate([np.linspace(-12, 12, 481), [-1e-8, 0.0, 1e-8]])


@pytest.mark.parametrize("name", list(REFERENCE))
@pytest.mark.parametrize("dtype, tol", [(np.float64, 5e-7), (np.float32, 2e-6)])
def test_each_new_activation_is_its_definition(name, dtype, tol):
    z = Z.astype(dtype)
    got = make_activation(name).forward(z.copy())
    want = np.array([REFERENCE[name](float(v)) for v in z])
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_erf_is_within_float32_resolution_of_the_standard_library():
    x = np.linspace(-6, 6, 2401)
    err = np.abs(erf(x) - np.array([math.erf(v) for v in x]))
    assert err.max() < 1.5e-7
    assert abs(erf(np.array([0.0]))[0]) < 2e-9 and np.all(erf(-x[x != 0]) == -erf(x[x != 0]))


@pytest.mark.parametrize("name", list(REFERENCE))
def test_the_derivative_at_a_few_points_by_hand(name):
    """Against the closed forms: elu' = e^z below 0, selu' = scale alpha e^z, gelu' = Phi + z phi,
    swish' = s (1 + z (1 - s))."""
    act = make_activation(name)
    z = np.array([-2.0, -0.5, 0.7, 3.0])
    a = act.forward(z.copy())
    d = act.backward(a, np.ones_like(z), z)
    s = 1 / (1 + np.exp(-z))
    phi, cdf = np.exp(-z * z / 2) / math.sqrt(2 * math.pi), 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in z]))
    u = math.sqrt(2 / math.pi) * (z + 0.044715 * z ** 3)
    closed = {
        "elu": np.where(z > 0, 1.0, np.exp(z)),
        "selu": SELU_SCALE * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(z)),
        "gelu": cdf + z * phi,
        "gelu_tanh": 0.5 * (1 + np.tanh(u)) + 0.5 * z * (1 - np.tanh(u) ** 2) * math.sqrt(2 / math.pi)
        * (1 + 3 * 0.044715 * z * z),
        "swish": s * (1 + z * (1 - s)),
    }[name]
    np.testing.assert_allclose(d, closed, rtol=1e-6)


def test_relu_models_keep_no_second_array():
    """z is kept only where the derivative needs it: a ReLU layer still activates in place."""
    assert not make_activation("relu").needs_z and not make_activation("elu").needs_z
    assert make_activation("gelu").needs_z and make_activation("swish").needs_z
