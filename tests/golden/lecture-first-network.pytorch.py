"""lecture-first-network: the nntui experiment preset lecture-first-network as a PyTorch script.

Run it as it stands: the data come through nntui's engine.load_data, with the same
splits and scaling as nntui (pip install nntui).
"""

import copy
import math

import torch
from torch import nn

import engine  # nntui: the same data, splits and scaling as nntui's run

data = engine.load_data(engine.spec.DataSpec.parse({'name': 'fashion-mnist', 'path': '', 'scale': 'minmax', 'validation_split': 0.0, 'test_split': 0.2, 'seed': 0}))
x_train, y_train = data.x_train, data.y_train
x_val, y_val = data.x_val, data.y_val
x_test, y_test = data.x_test, data.y_test

torch.manual_seed(0)

model = nn.Sequential(
    nn.Linear(x_train.shape[1], 512),
    nn.ReLU(),
    nn.Linear(512, 512),
    nn.ReLU(),
    nn.Linear(512, 10),
    # the softmax is inside the loss (from logits), as nntui fuses it
)
with torch.no_grad():  # Keras's initializers, zero biases
    nn.init.kaiming_normal_(model[0].weight, nonlinearity='relu')
    nn.init.zeros_(model[0].bias)
    nn.init.kaiming_normal_(model[2].weight, nonlinearity='relu')
    nn.init.zeros_(model[2].bias)
    nn.init.xavier_uniform_(model[4].weight)
    nn.init.zeros_(model[4].bias)

loss_fn = nn.CrossEntropyLoss(reduction='none')
optimizer = torch.optim.RMSprop([p for p in model.parameters() if p.requires_grad], lr=0.001, alpha=0.9, eps=0.00031622776601683794, momentum=0.0)  # eps: PyTorch adds it outside the square root, Keras 3 inside: sqrt(1e-07) gives the same step where the average is near 0

def batch_loss(out, y, weighted=True):
    y_t = y
    each = loss_fn(out, y_t)
    return each.mean()

def penalty():  # L1 / L2 on the kernels, added to the loss as Keras's regularizers are
    return 0.0

def evaluate(x, y):
    model.eval()
    with torch.no_grad():
        out = model(torch.as_tensor(x))
        y = torch.as_tensor(y)
        loss = batch_loss(out, y, weighted=False).item()
        return loss, (out.argmax(dim=1) == y).float().mean().item()

def snapshot():
    return copy.deepcopy(model.state_dict())

def restore(state):
    model.load_state_dict(state)

x_t, y_t = torch.as_tensor(x_train), torch.as_tensor(y_train)
batch_size, epochs = 32, 3
steps_per_epoch = math.ceil(len(x_t) / batch_size)
generator = torch.Generator().manual_seed(0)
history = {'loss': [], 'val_loss': [], 'accuracy': [], 'val_accuracy': []}

step = 0
for epoch in range(epochs):
    model.train()
    order = torch.randperm(len(x_t), generator=generator)
    total = 0.0
    for start in range(0, len(x_t), batch_size):
        idx = order[start:start + batch_size]
        loss = batch_loss(model(x_t[idx]), y_t[idx])
        optimizer.zero_grad()
        (loss + penalty()).backward()
        optimizer.step()
        step += 1
        total += loss.item() * len(idx)
    val_loss, val_acc = evaluate(x_val, y_val) if len(x_val) else (math.nan, None)
    _, acc = evaluate(x_train, y_train)
    history['loss'].append(total / len(x_t))
    history['val_loss'].append(val_loss)
    history['accuracy'].append(acc)
    history['val_accuracy'].append(val_acc)
    print(f'epoch {epoch + 1}: loss {total / len(x_t):.4f}  val_loss {val_loss:.4f}')

test_loss, test_accuracy = evaluate(x_test, y_test)
print(f'test_loss {test_loss:.4f}' + ('' if test_accuracy is None else f'  test_accuracy {test_accuracy:.4f}'))
