"""lecture-first-network: the nntui experiment preset lecture-first-network as an MLX script.

Run it as it stands: the data come through nntui's engine.load_data, with the same
splits and scaling as nntui (pip install nntui).
"""

import math
from functools import partial

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import numpy as np
from mlx.utils import tree_flatten, tree_unflatten

import engine  # nntui: the same data, splits and scaling as nntui's run

data = engine.load_data(engine.spec.DataSpec.parse({'name': 'fashion-mnist', 'path': '', 'scale': 'minmax', 'validation_split': 0.0, 'test_split': 0.2, 'seed': 0}))
x_train, y_train = data.x_train, data.y_train
x_val, y_val = data.x_val, data.y_val
x_test, y_test = data.x_test, data.y_test

mx.random.seed(0)

layers, penalties = [], []
width = x_train.shape[1]
fan_in, fan_out = width, 512
shape = (fan_out, fan_in)   # MLX keeps (out, in)
linear = nn.Linear(width, 512)
linear.weight = math.sqrt(2 / fan_in) * mx.random.normal(shape)  # he_normal, as nntui draws it
linear.bias = mx.zeros((fan_out,))
layers.append(linear)
layers.append(nn.ReLU())
width = 512
fan_in, fan_out = width, 512
shape = (fan_out, fan_in)   # MLX keeps (out, in)
linear = nn.Linear(width, 512)
linear.weight = math.sqrt(2 / fan_in) * mx.random.normal(shape)  # he_normal, as nntui draws it
linear.bias = mx.zeros((fan_out,))
layers.append(linear)
layers.append(nn.ReLU())
width = 512
fan_in, fan_out = width, 10
shape = (fan_out, fan_in)   # MLX keeps (out, in)
linear = nn.Linear(width, 10)
linear.weight = mx.random.uniform(-1, 1, shape) * math.sqrt(6 / (fan_in + fan_out))  # glorot_uniform, as nntui draws it
linear.bias = mx.zeros((fan_out,))
layers.append(linear)
# the softmax is inside the loss (from logits), as nntui fuses it
width = 10
model = nn.Sequential(*layers)
mx.eval(model.parameters())

optimizer = optim.RMSprop(learning_rate=0.001, alpha=0.9, eps=0.00031622776601683794)  # eps outside the square root in MLX: sqrt of Keras 3's 1e-07

def loss_fn(model, x, y):
    out = model(x)
    loss = (nn.losses.cross_entropy(out, y)).mean()
    for i, l1, l2 in penalties:   # L1 / L2 on the kernels, as Keras's regularizers
        w = model.layers[i].weight
        loss = loss + l1 * mx.abs(w).sum() + l2 * (w * w).sum()
    return loss

loss_and_grad = nn.value_and_grad(model, loss_fn)

@partial(mx.compile, inputs=[model.state, optimizer.state, mx.random.state], outputs=[model.state, optimizer.state, mx.random.state])
def train_step(x, y):
    loss, grads = loss_and_grad(model, x, y)
    optimizer.update(model, grads)
    return loss

def evaluate(x, y):
    model.eval()
    out = model(mx.array(x))
    y = mx.array(y)
    loss = (nn.losses.cross_entropy(out, y)).mean().item()
    return loss, (mx.argmax(out, axis=1) == y).mean().item()

def snapshot():
    return [(k, mx.array(v)) for k, v in tree_flatten(model.parameters())]

def restore(state):
    model.update(tree_unflatten(state))

batch_size, epochs = 32, 3
steps_per_epoch = math.ceil(len(x_train) / batch_size)
rng = np.random.default_rng(0)
history = {'loss': [], 'val_loss': [], 'accuracy': [], 'val_accuracy': []}

step = 0
for epoch in range(epochs):
    model.train()
    order = rng.permutation(len(x_train))
    total = 0.0
    for start in range(0, len(x_train), batch_size):
        idx = order[start:start + batch_size]
        loss = train_step(mx.array(x_train[idx]), mx.array(y_train[idx]))
        mx.eval(model.state, optimizer.state)
        step += 1
        total += loss.item() * len(idx)
    val_loss, val_acc = evaluate(x_val, y_val) if len(x_val) else (math.nan, None)
    _, acc = evaluate(x_train, y_train)
    history['loss'].append(total / len(x_train))
    history['val_loss'].append(val_loss)
    history['accuracy'].append(acc)
    history['val_accuracy'].append(val_acc)
    print(f'epoch {epoch + 1}: loss {total / len(x_train):.4f}  val_loss {val_loss:.4f}')

test_loss, test_accuracy = evaluate(x_test, y_test)
print(f'test_loss {test_loss:.4f}' + ('' if test_accuracy is None else f'  test_accuracy {test_accuracy:.4f}'))
