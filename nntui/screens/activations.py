"""The activation-function viewer: each activation and its derivative over an input range, drawn
from the engine's own functions (forward, and backward with an upstream gradient of 1), beside
every derivative on one plot, so it is plain why ReLU resists vanishing gradients."""

from __future__ import annotations

import numpy as np
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import OptionList, Static

from engine.nn.activations import make_activation

from ..widgets.footer import KeyFooter
from ..widgets.plot import PlotextPlot
from ..widgets.titlebar import TitleBar

#: the element-wise activations (softmax normalises a whole vector; for two classes it is sigmoid)
NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "gelu_tanh", "swish", "linear")
COLOURS = {"sigmoid": (230, 120, 60), "tanh": (200, 90, 200), "relu": (80, 170, 255), "leaky_relu": (90, 200, 140),
           "elu": (120, 220, 220), "selu": (240, 150, 170), "gelu": (160, 140, 255), "gelu_tanh": (110, 110, 230),
           "swish": (210, 200, 120), "linear": (170, 170, 170)}
NOTES = {
    "sigmoid": "The derivative is at most 0.25 (at 0) and nearly 0 beyond |x| = 5. Backpropagation multiplies by it at "
               "every layer: through ten sigmoid layers a gradient shrinks by at least 0.25^10, about 1e-6. "
               "These are vanishing gradients (preset vanishing-gradients).",
    "tanh": "Zero-centred, with a derivative of 1 at 0, so it passes gradients better than sigmoid; but the derivative "
            "falls under 0.1 beyond |x| = 1.8: saturated units pass almost none.",
    "relu": "The derivative is exactly 1 for every positive input, so a gradient passes an active unit unshrunk, "
            "however deep the stack (preset vanishing-gradients-relu). It is 0 for negative inputs: a unit whose "
            "input is negative for every sample is dead and never recovers (preset dying-relu).",
    "leaky_relu": "ReLU with a small slope (0.01 by default) for negative inputs: the derivative is never 0, so "
                  "units cannot die.",
    "elu": "z above 0, e^z - 1 below: negative outputs down to -1 keep the layer's mean near zero, and the "
           "derivative e^z fades smoothly instead of stopping at 0, so units do not die.",
    "selu": "ELU scaled by 1.0507 with alpha 1.6733 (Klambauer et al.): with lecun_normal weights and no other "
            "normalisation, each layer's outputs drift back towards mean 0 and variance 1 (self-normalising).",
    "gelu": "z times the normal distribution's probability that a value is below z (Hendrycks and Gimpel): ReLU's "
            "shape, smoothed, with a small dip below 0; the activation of BERT and GPT.",
    "gelu_tanh": "GELU through tanh instead of erf (Keras's approximate=True): within 0.0005 of the exact curve, "
                 "cheaper where erf is slow.",
    "swish": "z times sigmoid(z) (also called SiLU; Ramachandran et al. found it by search): smooth, non-monotonic "
             "below 0, derivative slightly above 1 near z = 2.4.",
    "linear": "Derivative 1 everywhere, but a stack of linear layers is a single linear map: depth adds nothing. "
              "Used for regression outputs.",
}


def curve(name: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The activation and its derivative at ``x``, from the engine's forward and backward."""
    act = make_activation(name)
    y = act.forward(x.copy())
    return y, act.backward(y, np.ones_like(x), x)


class ActivationScreen(Screen):
    BINDINGS = [Binding("escape,f", "app.pop_screen", "back")]
    CSS_PATH = "activations.tcss"

    def __init__(self, low: float = -5.0, high: float = 5.0) -> None:
        super().__init__()
        self.x = np.linspace(low, high, 401, dtype=np.float64)
        self.chosen = NAMES[0]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Horizontal():
            yield OptionList(*NAMES, id="choices")
            with Vertical(id="right"):
                yield PlotextPlot(id="function")
                yield Static(id="note")
                yield PlotextPlot(id="derivatives")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.query_one(OptionList).highlighted = 0
        self.draw()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.chosen = NAMES[event.option_index]
        self.draw()

    def draw(self) -> None:
        x = self.x
        y, dy = curve(self.chosen, x)
        plot = self.query_one("#function", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.title(f"{self.chosen}(x) and its derivative")
        plt.plot(x.tolist(), y.tolist(), color=COLOURS[self.chosen], marker="braille", label=self.chosen)
        plt.plot(x.tolist(), dy.tolist(), color=(250, 210, 90), marker="braille", label="derivative")
        plot.refresh()
        self.query_one("#note", Static).update(f"max derivative {dy.max():.3g}.  {NOTES[self.chosen]}")
        plot = self.query_one("#derivatives", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.title("every derivative (a gradient's factor per layer)")
        for name in NAMES:
            plt.plot(x.tolist(), curve(name, x)[1].tolist(), color=COLOURS[name], marker="braille", label=name)
        plot.refresh()
