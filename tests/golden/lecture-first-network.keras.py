"""lecture-first-network: the nntui experiment preset lecture-first-network as a Keras script.

Run it as it stands: the data come through nntui's engine.load_data, with the same
splits and scaling as nntui (pip install nntui).
"""

import keras
from keras import layers

import engine  # nntui: the same data, splits and scaling as nntui's run

data = engine.load_data(engine.spec.DataSpec.parse({'name': 'fashion-mnist', 'path': '', 'scale': 'minmax', 'validation_split': 0.0, 'test_split': 0.2, 'seed': 0}))
x_train, y_train = data.x_train, data.y_train
x_val, y_val = data.x_val, data.y_val
x_test, y_test = data.x_test, data.y_test

keras.utils.set_random_seed(0)

model = keras.Sequential([
    keras.Input((x_train.shape[1],)),
    layers.Dense(512, activation='relu', kernel_initializer='he_normal'),
    layers.Dense(512, activation='relu', kernel_initializer='he_normal'),
    layers.Dense(10, activation='softmax'),
])

optimizer = keras.optimizers.RMSprop(learning_rate=0.001, momentum=0.0, rho=0.9, epsilon=1e-07)
model.compile(optimizer=optimizer, loss='sparse_categorical_crossentropy', metrics=['accuracy'])

history = model.fit(
    x_train, y_train, batch_size=32, epochs=3, shuffle=True,
    validation_data=(x_val, y_val) if len(x_val) else None,
)
results = model.evaluate(x_test, y_test, verbose=0)
print(dict(zip(['test_loss', 'test_mae' if False else 'test_accuracy'], results)))
