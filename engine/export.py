"""An experiment as a runnable script for PyTorch, Keras or MLX: the model, its initializers,
penalties, loss, optimizer (conventions converted where the framework's differ), schedule,
epochs, batch size, early stopping, plateau, class weights and clipping, written the way the
framework's own tutorials write them. The data come through nntui's ``engine.load_data`` (the
same splits and scaling), or, with ``standalone``, are read inline from an NPZ, CSV or IDX file.
Where a framework cannot say a setting, the script says so at that line and the export's
``warnings`` list it."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .errors import SpecError
from .nn.initializers import DEFAULT_SCALE

FRAMEWORKS = ("pytorch", "keras", "mlx")


@dataclass
class Export:
    framework: str
    code: str
    warnings: list[str] = field(default_factory=list)


def export(exp, framework: str, standalone: bool = False, source: str = "") -> Export:
    """``exp`` as a script for ``framework`` (pytorch, keras or mlx)."""
    if framework not in FRAMEWORKS:
        raise SpecError("--to", f"must be one of {', '.join(FRAMEWORKS)}, got {framework!r}")
    w = _Writer(exp, framework, standalone, source)
    return Export(framework, w.write(), w.warnings)


def _num(v) -> str:
    """A number as Python source, short and exact."""
    return repr(v)


def _scale(lay) -> float:
    """The layer's initializer scale: its own, else the engine's default for that initializer."""
    return lay.init_scale if lay.init_scale is not None else DEFAULT_SCALE.get(lay.initializer, 0.05)


class _Writer:
    def __init__(self, exp, framework, standalone, source):
        self.exp, self.fw, self.standalone, self.source = exp, framework, standalone, source
        self.warnings: list[str] = []
        m = exp.model
        self.dense = [lay for lay in m.layers if lay.type == "dense"]
        self.out = self.dense[-1]
        self.regression = m.loss == "mse"
        self.fused = (self.out.activation == "softmax" and m.loss in ("sparse_categorical_crossentropy",
                                                                        "categorical_crossentropy")) or (
            self.out.activation == "sigmoid" and m.loss == "binary_crossentropy")

    def note(self, line: str, why: str) -> str:
        """A line the framework cannot say exactly: the comment at it, and a warning."""
        self.warnings.append(why)
        return f"{line}  # nntui: {why}" if line else f"# nntui: {why}"

    # -- the parts every script shares ---------------------------------------------------------------

    def header(self) -> list[str]:
        exp = self.exp
        name = {"pytorch": "PyTorch", "keras": "Keras", "mlx": "MLX"}[self.fw]
        title = exp.name or "experiment"
        article = "an" if name == "MLX" else "a"
        return [f'"""{title}: the nntui experiment{f" {self.source}" if self.source else ""} as {article} {name} script.',
                "",
                *(["Run it as it stands: it reads its data inline."] if self.standalone else
                  ["Run it as it stands: the data come through nntui's engine.load_data, with the same",
                   "splits and scaling as nntui (pip install nntui)."]), '"""', ""]

    def data_lines(self) -> list[str]:
        d = self.exp.data
        if not self.standalone:
            return ["import engine  # nntui: the same data, splits and scaling as nntui's run", "",
                    f"data = engine.load_data(engine.spec.DataSpec.parse({d.to_dict()!r}))",
                    "x_train, y_train = data.x_train, data.y_train",
                    "x_val, y_val = data.x_val, data.y_val",
                    "x_test, y_test = data.x_test, data.y_test", ""]
        return self.standalone_data()

    def standalone_data(self) -> list[str]:
        d = self.exp.data
        if d.name not in ("npz", "csv", "fashion-mnist", "mnist"):
            raise SpecError("--standalone", f"reads NPZ, CSV and IDX files inline; the {d.name} set is nntui's own: "
                            "export without --standalone (it loads through engine.load_data)")
        if d.name in ("fashion-mnist", "mnist") and not d.path:
            raise SpecError("data.path", "--standalone reads IDX files from a folder: set data.path")
        lines = ["import gzip", "from pathlib import Path", ""]
        if d.name == "npz":
            lines += [f"with np.load({d.path!r}) as z:",
                      "    x, y = z['x'].reshape(len(z['x']), -1).astype(np.float32), z['y']",
                      "    x_test = z['x_test'].reshape(len(z['x_test']), -1).astype(np.float32) if 'x_test' in z else None",
                      "    y_test = z['y_test'] if 'y_test' in z else None"]
        elif d.name == "csv":
            target = d.target if isinstance(d.target, int) else None
            skip = 0 if d.header == "no" else 1
            lines += [f"table = np.loadtxt({d.path!r}, delimiter={d.delimiter!r}, skiprows={skip}, dtype=np.float64)",
                      f"x, y = np.delete(table, {target if target is not None else -1}, axis=1).astype(np.float32), "
                      f"table[:, {target if target is not None else -1}]",
                      "x_test = y_test = None"]
            if target is None:
                lines.append(self.note("", f"the target column {d.target!r} is named: the last column is taken here"))
        else:
            lines += ["def idx(name):",
                      f"    with gzip.open(Path({d.path!r}) / name) as fh:",
                      "        raw = fh.read()",
                      "    dims = raw[3]",
                      "    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]",
                      "    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)", "",
                      "x = idx('train-images-idx3-ubyte.gz').reshape(60000, -1).astype(np.float32)",
                      "y = idx('train-labels-idx1-ubyte.gz').astype(np.int64)",
                      "x_test = idx('t10k-images-idx3-ubyte.gz').reshape(10000, -1).astype(np.float32)",
                      "y_test = idx('t10k-labels-idx1-ubyte.gz').astype(np.int64)"]
        classification = not self.regression
        lines += ["", f"rng = np.random.default_rng({d.seed})",
                  "order = rng.permutation(len(x))",
                  "if x_test is None:   # a test part held out",
                  f"    n_test = int(round(len(x) * {d.test_split!r}))",
                  "    x_test, y_test = x[order[:n_test]], y[order[:n_test]]",
                  "    order = order[n_test:]",
                  f"n_val = int(round(len(order) * {d.validation_split!r}))",
                  "x_val, y_val = x[order[:n_val]], y[order[:n_val]]",
                  "x_train, y_train = x[order[n_val:]], y[order[n_val:]]",
                  self.note("", "the splits here are random, not stratified as nntui's: other rows, the same sizes")]
        if d.scale == "minmax":
            per = "axis=0" if d.name == "npz" or d.name == "csv" else "axis=None"
            lines += [f"lo, hi = x_train.min({per}), x_train.max({per})",
                      "span = np.where(hi > lo, hi - lo, 1.0)",
                      "x_train, x_val, x_test = ((a - lo) / span for a in (x_train, x_val, x_test))"]
        elif d.scale == "standardize":
            per = "axis=0" if d.name in ("npz", "csv") else "axis=None"
            lines += [f"mu, sd = x_train.mean({per}), x_train.std({per})",
                      "sd = np.where(sd > 0, sd, 1.0)",
                      "x_train, x_val, x_test = ((a - mu) / sd for a in (x_train, x_val, x_test))"]
        lines += ["x_train, x_val, x_test = (a.astype(np.float32) for a in (x_train, x_val, x_test))"]
        if classification:
            lines += ["y_train, y_val, y_test = (a.astype(np.int64) for a in (y_train, y_val, y_test))"]
        else:
            lines += ["y_train, y_val, y_test = (a.reshape(len(a), -1).astype(np.float32) for a in (y_train, y_val, y_test))"]
        return lines + [""]

    def schedule_lines(self) -> list[str]:
        """``lr_at(step)``: the rate of optimizer step ``step`` (0-based), nntui's formula."""
        s, lr = self.exp.schedule, self.exp.optimizer.learning_rate
        if s.name == "constant":
            return []
        per = "step / steps_per_epoch" if s.unit == "epoch" else "float(step)"
        body = {
            "exponential": [f"p = t / {_num(s.decay_every)}", *(["p = math.floor(p)"] if s.staircase else []),
                            f"return {_num(lr)} * {_num(s.decay_rate)} ** p"],
            "inverse_time": [f"p = t / {_num(s.decay_every)}", *(["p = math.floor(p)"] if s.staircase else []),
                             f"return {_num(lr)} / (1 + {_num(s.decay_rate)} * p)"],
            "step": [f"return {_num(lr)} * {_num(s.decay_rate)} ** math.floor(t / {_num(s.decay_every)} + 1e-9)"],
            "cyclical": [f"cycle = math.floor(1 + t / (2 * {_num(s.step_size)}))",
                         f"x = abs(t / {_num(s.step_size)} - 2 * cycle + 1)",
                         f"return {_num(lr)} + ({_num(s.max_lr)} - {_num(lr)}) * max(0.0, 1 - x)"],
            "cosine_restarts": [f"t_i = {_num(s.period)}", "while t >= t_i - 1e-12:   # warm restarts",
                                "    t -= t_i", f"    t_i *= {_num(s.period_mult)}",
                                f"return {_num(s.min_lr)} + ({_num(lr)} - {_num(s.min_lr)}) * "
                                "(1 + math.cos(math.pi * t / t_i)) / 2"],
        }[s.name]
        return ["def lr_at(step):", f'    """The learning rate of step `step` (0-based): {s.name.replace("_", " ")}, '
                f'by {s.unit}."""', f"    t = {per}", *("    " + b for b in body), ""]

    def class_weight_lines(self) -> list[str]:
        cw = self.exp.train.class_weight
        if cw is None or self.regression:
            return []
        k = self.out.units if self.out.units > 1 else 2
        if cw == "balanced":
            return [f"counts = np.bincount(np.asarray(y_train).astype(np.int64).ravel(), minlength={k})",
                    f"class_weight = len(y_train) / ({k} * np.maximum(counts, 1))   # balanced, as Keras's", ""]
        return ["names = list(data.class_names)" if not self.standalone else f"names = [str(i) for i in range({k})]",
                f"given = {dict(cw)!r}",
                "class_weight = np.array([given.get(n, 1.0) for n in names])", ""]

    def epochs_loop_stop(self) -> tuple[list[str], list[str]]:
        """Early stopping and plateau written out for a plain loop: (set-up lines, per-epoch lines,
        which see `monitored`, the epoch's value of the monitor)."""
        es, pl = self.exp.early_stopping, self.exp.reduce_lr_on_plateau
        setup, each = [], []
        for table, who in ((es, "stop"), (pl, "plateau")):
            if table is None:
                continue
            mode = table.mode if table.mode != "auto" else ("max" if "acc" in table.monitor or table.monitor.endswith("r2") else "min")
            sign = "-" if mode == "max" else ""
            setup.append(f"{who}_best, {who}_wait = math.inf, 0   # {table.monitor}, {mode}")
            delta = _num(table.min_delta)
            if who == "stop":
                if es.smoothing > 1:
                    setup.append(self.note("", f"early_stopping.smoothing = {es.smoothing} is nntui's own: "
                                              "the raw value is watched here"))
                if es.baseline is not None:
                    setup[-1] = f"stop_best, stop_wait = {sign}{_num(es.baseline)}, 0   # the baseline to beat"
                body = [f"if value < stop_best - {delta}:",
                        "    stop_best, stop_wait = value, 0",
                        *(["    best_state = snapshot()"] if es.restore_best_weights else []),
                        "else:", "    stop_wait += 1",
                        f"    if stop_wait >= {es.patience}:",
                        f"        print(f'early stop after epoch {{epoch + 1}}: {es.monitor} did not improve for "
                        f"{es.patience} epochs')",
                        *(["        restore(best_state)"] if es.restore_best_weights else []),
                        "        break"]
                if es.start_from_epoch:     # Keras's warm-up: the first epochs are not counted
                    body = [f"if epoch + 1 > {es.start_from_epoch}:", *("    " + b for b in body)]
                each += [f"value = {sign}history['{es.monitor}'][-1]", *body]
            else:
                setup.append("plateau_scale, plateau_cool = 1.0, 0")
                each += [f"value = {sign}history['{pl.monitor}'][-1]",
                         "if plateau_cool > 0:", "    plateau_cool -= 1", "    plateau_wait = 0",
                         f"if value < plateau_best - {_num(pl.min_delta)}:", "    plateau_best, plateau_wait = value, 0",
                         "elif plateau_cool == 0:", "    plateau_wait += 1",
                         f"    if plateau_wait >= {pl.patience}:",
                         f"        plateau_scale = max(plateau_scale * {_num(pl.factor)}, {_num(pl.min_lr)} / "
                         f"{_num(self.exp.optimizer.learning_rate)})",
                         f"        plateau_cool, plateau_wait = {pl.cooldown}, 0"]
        return setup, each

    def write(self) -> str:
        lines = getattr(self, f"write_{self.fw}")()
        body = "\n".join(lines)
        kept = []
        for line in lines:      # an import the script does not use goes (no schedule: no math)
            m = re.fullmatch(r"(?:from \S+ )?import (?:\S+ as )?([\w, ]+)", line)
            if m and not line.startswith("import engine"):
                names = [n.strip() for n in m.group(1).split(",")]
                rest = body.replace(line, "", 1)
                if not any(re.search(rf"\b{n}\b", rest) for n in names):
                    continue
            kept.append(line)
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept))
        return text.rstrip() + "\n"

    # -- PyTorch ------------------------------------------------------------------------------------------

    INIT_TORCH = {"zeros": "nn.init.zeros_({w})", "constant": "nn.init.constant_({w}, {s})",
                  "random_normal": "nn.init.normal_({w}, std={s})", "random_uniform": "nn.init.uniform_({w}, -{s}, {s})",
                  "glorot_normal": "nn.init.xavier_normal_({w})", "glorot_uniform": "nn.init.xavier_uniform_({w})",
                  "he_normal": "nn.init.kaiming_normal_({w}, nonlinearity='relu')",
                  "he_uniform": "nn.init.kaiming_uniform_({w}, nonlinearity='relu')",
                  "lecun_normal": "nn.init.normal_({w}, std=1 / math.sqrt({w}.shape[1]))"}
    ACT_TORCH = {"linear": None, "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()", "relu": "nn.ReLU()",
                 "leaky_relu": "nn.LeakyReLU({slope})", "softmax": "nn.Softmax(dim=1)", "elu": "nn.ELU()",
                 "selu": "nn.SELU()", "gelu": "nn.GELU()", "gelu_tanh": "nn.GELU(approximate='tanh')",
                 "swish": "nn.SiLU()"}

    def write_pytorch(self) -> list[str]:
        exp, m, opt, tr = self.exp, self.exp.model, self.exp.optimizer, self.exp.train
        lines = self.header() + ["import copy", "import math", "", "import numpy as np", "import torch",
                                 "from torch import nn", ""]
        lines += self.data_lines()
        lines += [f"torch.manual_seed({exp.seed})", "", "model = nn.Sequential("]
        width, inits, penalties, frozen, i = "x_train.shape[1]", [], [], [], 0
        for k, lay in enumerate(m.layers):
            if lay.type == "dense":
                lines.append(f"    nn.Linear({width}, {lay.units}),")
                w = f"model[{i}].weight"
                inits += [self.INIT_TORCH[lay.initializer].format(w=w, s=_num(_scale(lay))), f"nn.init.zeros_(model[{i}].bias)"]
                if lay.l1 or lay.l2:
                    penalties.append((i, lay.l1, lay.l2))
                if not lay.trainable:
                    frozen.append(i)
                i += 1
                act = self.ACT_TORCH[lay.activation]
                if lay is self.out and self.fused:
                    lines.append(f"    # the {lay.activation} is inside the loss (from logits), as nntui fuses it")
                elif act:
                    lines.append(f"    {act.format(slope=_num(lay.negative_slope))},")
                    i += 1
                width = str(lay.units)
            elif lay.type == "dropout":
                lines.append(f"    nn.Dropout({_num(lay.rate)}),")
                i += 1
            else:
                lines.append(f"    nn.BatchNorm1d({width}, momentum={_num(round(1 - lay.momentum, 12))}, "
                             f"eps={_num(lay.epsilon)}),  # PyTorch's momentum is 1 - Keras's")
                if not lay.trainable:
                    frozen.append(i)
                i += 1
        lines += [")", "with torch.no_grad():  # Keras's initializers, zero biases", *("    " + s for s in inits)]
        for j in frozen:
            lines.append(f"model[{j}].requires_grad_(False)  # trainable = false")
        lines.append("")
        # the loss
        ls = m.label_smoothing
        if self.regression:
            lines.append("loss_fn = nn.MSELoss(reduction='none')")
        elif m.loss == "binary_crossentropy":
            lines.append("loss_fn = nn.BCEWithLogitsLoss(reduction='none')" if self.fused else
                         "loss_fn = nn.BCELoss(reduction='none')")
        else:
            if self.fused:
                lines.append(f"loss_fn = nn.CrossEntropyLoss(reduction='none'{f', label_smoothing={_num(ls)}' if ls else ''})")
            else:
                lines.append(self.note("loss_fn = lambda p, y: nn.functional.nll_loss(torch.log(p.clamp_min(1e-7)), y, "
                                       "reduction='none')", f"cross-entropy on a {self.out.activation} output"))
        lines += self.class_weight_lines()
        # the optimizer
        hp = opt.hyperparameters()
        lr, wd = hp["learning_rate"], hp.get("weight_decay", 0.0)
        eps = hp.get("epsilon")
        params = "[p for p in model.parameters() if p.requires_grad]"
        if opt.name == "sgd":
            o = f"torch.optim.SGD({params}, lr={_num(lr)}, momentum={_num(hp['momentum'])}, nesterov={hp['nesterov']})"
            if hp["nesterov"] and not hp["momentum"]:
                o = f"torch.optim.SGD({params}, lr={_num(lr)})"
        elif opt.name == "rmsprop":
            o = (f"torch.optim.RMSprop({params}, lr={_num(lr)}, alpha={_num(hp['rho'])}, eps={_num(math.sqrt(eps))}, "
                 f"momentum={_num(hp['momentum'])})  # eps: PyTorch adds it outside the square root, Keras 3 inside: "
                 f"sqrt({_num(eps)}) gives the same step where the average is near 0")
        elif opt.name == "adagrad":
            o = (f"torch.optim.Adagrad({params}, lr={_num(lr)}, initial_accumulator_value="
                 f"{_num(hp['initial_accumulator_value'])}, eps={_num(math.sqrt(eps))})  # eps outside the square root "
                 f"in PyTorch: sqrt of Keras's {_num(eps)}")
        else:
            cls = {"adam": "Adam", "adamax": "Adamax", "adamw": "AdamW", "nadam": "NAdam"}[opt.name]
            extra = f", weight_decay={_num(wd)}" if opt.name == "adamw" else ""
            o = (f"torch.optim.{cls}({params}, lr={_num(lr)}, betas=({_num(hp['beta_1'])}, {_num(hp['beta_2'])}), "
                 f"eps={_num(eps)}{extra})")
            if opt.name == "adam":
                o += "  # Keras scales eps by sqrt(1 - beta_2^t): a difference only in the first steps"
        lines += [f"optimizer = {o}"]
        if exp.schedule.name != "constant" or exp.reduce_lr_on_plateau:
            lines.append("base_lrs = [g['lr'] for g in optimizer.param_groups]")
        lines.append("")
        lines += self.schedule_lines()
        lines += ["def batch_loss(out, y, weighted=True):",
                  "    y_t = " + ("y" if self.regression or m.loss != "binary_crossentropy" else
                                  f"y.float().view(-1, 1){f' * {_num(1 - ls)} + {_num(ls / 2)}' if ls else ''}"),
                  "    each = loss_fn(out, y_t)" + (".mean(dim=1)" if self.regression or m.loss == "binary_crossentropy" else "")]
        if exp.train.class_weight is not None and not self.regression:
            lines += ["    if weighted:  # train.class_weight: each sample's loss by its class's weight, as Keras's",
                      "        each = each * torch.as_tensor(class_weight, dtype=each.dtype)[y.long().view(-1)]"]
        lines.append("    return each.mean()")
        lines.append("")
        lines += ["def penalty():  # L1 / L2 on the kernels, added to the loss as Keras's regularizers are",
                  "    return " + (" + ".join(
                      f"{_num(l1)} * model[{j}].weight.abs().sum() + {_num(l2)} * model[{j}].weight.pow(2).sum()"
                      for j, l1, l2 in penalties) if penalties else "0.0"), ""]
        lines += ["def evaluate(x, y):",
                  "    model.eval()",
                  "    with torch.no_grad():",
                  "        out = model(torch.as_tensor(x))",
                  "        y = torch.as_tensor(y)",
                  "        loss = batch_loss(out, y, weighted=False).item()"]
        if self.regression:
            lines.append("        return loss, None")
        elif m.loss == "binary_crossentropy":
            lines.append(f"        return loss, ((out.view(-1) > {0.0 if self.fused else 0.5}).long() == y.long()).float().mean().item()")
        else:
            lines.append("        return loss, (out.argmax(dim=1) == y).float().mean().item()")
        lines.append("")
        lines += ["def snapshot():", "    return copy.deepcopy(model.state_dict())", "",
                  "def restore(state):", "    model.load_state_dict(state)", ""]
        setup, each = self.epochs_loop_stop()
        lines += ["x_t, y_t = torch.as_tensor(x_train), torch.as_tensor(y_train)",
                  f"batch_size, epochs = {tr.batch_size}, {tr.epochs}",
                  "steps_per_epoch = math.ceil(len(x_t) / batch_size)",
                  f"generator = torch.Generator().manual_seed({exp.seed})",
                  "history = {'loss': [], 'val_loss': [], 'accuracy': [], 'val_accuracy': []}",
                  *setup, "best_state = snapshot()" if exp.early_stopping and exp.early_stopping.restore_best_weights else "",
                  "step = 0", "for epoch in range(epochs):", "    model.train()",
                  "    order = torch.randperm(len(x_t), generator=generator)" if tr.shuffle else
                  "    order = torch.arange(len(x_t))",
                  "    total = 0.0",
                  "    for start in range(0, len(x_t), batch_size):",
                  "        idx = order[start:start + batch_size]"]
        rate = "lr_at(step)" if exp.schedule.name != "constant" else "base"
        scale = " * plateau_scale" if exp.reduce_lr_on_plateau else ""
        if exp.schedule.name != "constant" or exp.reduce_lr_on_plateau:
            lines += ["        for g, base in zip(optimizer.param_groups, base_lrs):", f"            g['lr'] = {rate}{scale}"]
        lines += ["        loss = batch_loss(model(x_t[idx]), y_t[idx])", "        optimizer.zero_grad()",
                  "        (loss + penalty()).backward()"]
        if hp.get("clipvalue"):
            lines.append(f"        nn.utils.clip_grad_value_(model.parameters(), {_num(hp['clipvalue'])})")
        if hp.get("clipnorm"):
            lines += ["        for p in model.parameters():  # clipnorm: each tensor's norm, as Keras",
                      f"            nn.utils.clip_grad_norm_([p], {_num(hp['clipnorm'])})"]
        if hp.get("global_clipnorm"):
            lines.append(f"        nn.utils.clip_grad_norm_(model.parameters(), {_num(hp['global_clipnorm'])})")
        if wd and opt.name != "adamw":
            lines += ["        with torch.no_grad():  # decoupled weight decay, as Keras 3's (not PyTorch's L2 form)",
                      "            for g in optimizer.param_groups:", "                for p in g['params']:",
                      f"                    p.mul_(1 - g['lr'] * {_num(wd)})"]
        lines += ["        optimizer.step()", "        step += 1", "        total += loss.item() * len(idx)",
                  "    val_loss, val_acc = evaluate(x_val, y_val) if len(x_val) else (math.nan, None)",
                  "    _, acc = evaluate(x_train, y_train)",
                  "    history['loss'].append(total / len(x_t))", "    history['val_loss'].append(val_loss)",
                  "    history['accuracy'].append(acc)", "    history['val_accuracy'].append(val_acc)",
                  "    print(f'epoch {epoch + 1}: loss {total / len(x_t):.4f}  val_loss {val_loss:.4f}')",
                  *("    " + e for e in each), "",
                  "test_loss, test_accuracy = evaluate(x_test, y_test)",
                  "print(f'test_loss {test_loss:.4f}' + ('' if test_accuracy is None else f'  test_accuracy {test_accuracy:.4f}'))"]
        return lines

    # -- Keras --------------------------------------------------------------------------------------------

    def write_keras(self) -> list[str]:
        exp, m, opt, tr = self.exp, self.exp.model, self.exp.optimizer, self.exp.train
        lines = self.header() + ["import math", "", "import keras", "import numpy as np", "from keras import layers", ""]
        lines += self.data_lines()
        lines += [f"keras.utils.set_random_seed({exp.seed})", "", "model = keras.Sequential([",
                  "    keras.Input((x_train.shape[1],)),"]
        for lay in m.layers:
            if lay.type == "dense":
                args = [str(lay.units)]
                act = lay.activation
                if act == "gelu_tanh":
                    args.append("activation=lambda x: keras.activations.gelu(x, approximate=True)")
                elif act == "leaky_relu":
                    pass
                elif act != "linear":
                    args.append(f"activation={ {'swish': 'silu'}.get(act, act)!r}")
                init = lay.initializer
                if lay.init_scale is not None or init in ("random_normal", "random_uniform", "constant"):
                    s = _scale(lay)
                    args.append({"random_normal": f"kernel_initializer=keras.initializers.RandomNormal(stddev={_num(s)})",
                                 "random_uniform": f"kernel_initializer=keras.initializers.RandomUniform({_num(-s)}, {_num(s)})",
                                 "constant": f"kernel_initializer=keras.initializers.Constant({_num(s)})"}.get(
                        init, f"kernel_initializer={init!r}"))
                elif init != "glorot_uniform":
                    args.append(f"kernel_initializer={init!r}")
                if lay.l1 or lay.l2:
                    args.append(f"kernel_regularizer=keras.regularizers.L1L2(l1={_num(lay.l1)}, l2={_num(lay.l2)})")
                if not lay.trainable:
                    args.append("trainable=False")
                lines.append(f"    layers.Dense({', '.join(args)}),")
                if act == "leaky_relu":
                    lines.append(f"    layers.LeakyReLU(negative_slope={_num(lay.negative_slope)}),")
            elif lay.type == "dropout":
                lines.append(f"    layers.Dropout({_num(lay.rate)}),")
            else:
                lines.append(f"    layers.BatchNormalization(momentum={_num(lay.momentum)}, epsilon={_num(lay.epsilon)}"
                             f"{'' if lay.trainable else ', trainable=False'}),")
        lines += ["])", ""]
        hp = dict(opt.hyperparameters())
        cls = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam", "adamax": "Adamax",
               "adamw": "AdamW", "nadam": "Nadam"}[opt.name]
        args = []
        for k, v in hp.items():
            if k in ("weight_decay", "clipnorm", "global_clipnorm", "clipvalue") and not v and not (
                    k == "weight_decay" and opt.name == "adamw"):
                continue
            args.append(f"{k}={_num(v)}")
        lines.append(f"optimizer = keras.optimizers.{cls}({', '.join(args)})")
        ls = m.label_smoothing
        if self.regression:
            loss = "'mse'"
        elif m.loss == "binary_crossentropy":
            loss = f"keras.losses.BinaryCrossentropy(label_smoothing={_num(ls)})" if ls else "'binary_crossentropy'"
        elif ls:
            loss = f"keras.losses.CategoricalCrossentropy(label_smoothing={_num(ls)})"
            k = self.out.units
            lines += ["# label smoothing needs one-hot targets in Keras 3 (its sparse loss has none)",
                      f"y_train, y_val, y_test = (keras.utils.to_categorical(a, {k}) for a in (y_train, y_val, y_test))"]
        else:
            loss = f"{m.loss!r}"
        metrics = "['mae']" if self.regression else "['accuracy']"
        lines += [f"model.compile(optimizer=optimizer, loss={loss}, metrics={metrics})", ""]
        callbacks = []
        lines += self.schedule_lines()
        if exp.schedule.name != "constant":
            lines += [f"steps_per_epoch = math.ceil(len(x_train) / {tr.batch_size})", "",
                      "class Schedule(keras.callbacks.Callback):",
                      '    """nntui\'s schedule, set before every step."""',
                      "    def __init__(self):", "        super().__init__()", "        self.step = 0",
                      "    def on_train_batch_begin(self, batch, logs=None):",
                      "        self.model.optimizer.learning_rate.assign(lr_at(self.step))",
                      "        self.step += 1", ""]
            callbacks.append("Schedule()")
            if exp.reduce_lr_on_plateau:
                lines.append(self.note("", "ReduceLROnPlateau and a schedule both set the rate: Keras's last word wins "
                                           "each step, nntui multiplies them"))
        es = exp.early_stopping
        if es is not None:
            a = [f"monitor={es.monitor!r}", f"patience={es.patience}", f"min_delta={_num(es.min_delta)}",
                 f"mode={es.mode!r}", f"restore_best_weights={es.restore_best_weights}"]
            if es.start_from_epoch:
                a.append(f"start_from_epoch={es.start_from_epoch}")
            if es.baseline is not None:
                a.append(f"baseline={_num(es.baseline)}")
            line = f"    keras.callbacks.EarlyStopping({', '.join(a)}),"
            callbacks.append(self.note(line[4:], f"smoothing {es.smoothing} is nntui's own") if es.smoothing > 1 else line[4:])
        pl = exp.reduce_lr_on_plateau
        if pl is not None:
            callbacks.append(f"keras.callbacks.ReduceLROnPlateau(monitor={pl.monitor!r}, factor={_num(pl.factor)}, "
                             f"patience={pl.patience}, min_delta={_num(pl.min_delta)}, cooldown={pl.cooldown}, "
                             f"min_lr={_num(pl.min_lr)}, mode={pl.mode!r})")
        weights = self.class_weight_lines()
        lines += weights
        fit = [f"    x_train, y_train, batch_size={tr.batch_size}, epochs={tr.epochs}, shuffle={tr.shuffle},",
               "    validation_data=(x_val, y_val) if len(x_val) else None,"]
        if callbacks:
            fit.append("    callbacks=[" + ", ".join(callbacks) + "],")
        if weights:
            fit.append("    class_weight=dict(enumerate(class_weight)),")
        lines += ["history = model.fit(", *fit, ")", "results = model.evaluate(x_test, y_test, verbose=0)",
                  "print(dict(zip(['test_loss', 'test_mae' if " + str(self.regression) +
                  " else 'test_accuracy'], results)))"]
        return lines

    # -- MLX ----------------------------------------------------------------------------------------------

    ACT_MLX = {"linear": None, "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()", "relu": "nn.ReLU()",
               "leaky_relu": "nn.LeakyReLU({slope})", "softmax": "nn.Softmax()", "elu": "nn.ELU()",
               "selu": "nn.SELU()", "gelu": "nn.GELU()", "gelu_tanh": "nn.GELU(approx='precise')",  # the tanh form
               "swish": "nn.SiLU()"}
    INIT_MLX = {"zeros": "mx.zeros(shape)", "constant": "mx.full(shape, {s})",
                "random_normal": "{s} * mx.random.normal(shape)",
                "random_uniform": "mx.random.uniform(-{s}, {s}, shape)",
                "glorot_normal": "math.sqrt(2 / (fan_in + fan_out)) * mx.random.normal(shape)",
                "glorot_uniform": "mx.random.uniform(-1, 1, shape) * math.sqrt(6 / (fan_in + fan_out))",
                "he_normal": "math.sqrt(2 / fan_in) * mx.random.normal(shape)",
                "he_uniform": "mx.random.uniform(-1, 1, shape) * math.sqrt(6 / fan_in)",
                "lecun_normal": "math.sqrt(1 / fan_in) * mx.random.normal(shape)"}

    def write_mlx(self) -> list[str]:
        exp, m, opt, tr = self.exp, self.exp.model, self.exp.optimizer, self.exp.train
        lines = self.header() + ["import math", "from functools import partial", "", "import mlx.core as mx",
                                 "import mlx.nn as nn", "import mlx.optimizers as optim", "import numpy as np", ""]
        lines += self.data_lines()
        lines += [f"mx.random.seed({exp.seed})", "", "layers, penalties = [], []",
                  "width = x_train.shape[1]"]
        for lay in m.layers:
            if lay.type == "dense":
                init = self.INIT_MLX[lay.initializer].format(s=_num(_scale(lay)))
                lines += [f"fan_in, fan_out = width, {lay.units}", "shape = (fan_out, fan_in)   # MLX keeps (out, in)",
                          f"linear = nn.Linear(width, {lay.units})",
                          f"linear.weight = {init}  # {lay.initializer}, as nntui draws it",
                          "linear.bias = mx.zeros((fan_out,))", "layers.append(linear)"]
                if lay.l1 or lay.l2:
                    lines.append(f"penalties.append((len(layers) - 1, {_num(lay.l1)}, {_num(lay.l2)}))")
                if not lay.trainable:
                    lines.append("linear.freeze()  # trainable = false")
                act = self.ACT_MLX[lay.activation]
                if lay is self.out and self.fused:
                    lines.append(f"# the {lay.activation} is inside the loss (from logits), as nntui fuses it")
                elif act:
                    lines.append(f"layers.append({act.format(slope=_num(lay.negative_slope))})")
                lines.append(f"width = {lay.units}")
            elif lay.type == "dropout":
                lines.append(f"layers.append(nn.Dropout({_num(lay.rate)}))")
            else:
                lines.append(f"layers.append(nn.BatchNorm(width, eps={_num(lay.epsilon)}, "
                             f"momentum={_num(round(1 - lay.momentum, 12))}))  # MLX's momentum is 1 - Keras's")
                if not lay.trainable:
                    lines.append("layers[-1].freeze()")
        lines += ["model = nn.Sequential(*layers)", "mx.eval(model.parameters())", ""]
        hp = opt.hyperparameters()
        lr, eps = hp["learning_rate"], hp.get("epsilon")
        if opt.name == "sgd":
            o = f"optim.SGD(learning_rate={_num(lr)}, momentum={_num(hp['momentum'])}, nesterov={hp['nesterov']})"
        elif opt.name == "rmsprop":
            o = (f"optim.RMSprop(learning_rate={_num(lr)}, alpha={_num(hp['rho'])}, eps={_num(math.sqrt(eps))})"
                 f"  # eps outside the square root in MLX: sqrt of Keras 3's {_num(eps)}")
            if hp["momentum"]:
                o = self.note(o, "MLX's RMSprop has no momentum: left out")
        elif opt.name == "adagrad":
            o = f"optim.Adagrad(learning_rate={_num(lr)}, eps={_num(math.sqrt(eps))})  # eps outside the square root"
            if hp["initial_accumulator_value"]:
                o = self.note(o, f"MLX's Adagrad starts its accumulator at 0, not {_num(hp['initial_accumulator_value'])}")
        elif opt.name == "nadam":
            o = self.note(f"optim.Adam(learning_rate={_num(lr)}, betas=[{_num(hp['beta_1'])}, {_num(hp['beta_2'])}], "
                          f"eps={_num(eps)}, bias_correction=True)", "MLX has no Nadam: Adam instead")
        else:
            cls = {"adam": "Adam", "adamax": "Adamax", "adamw": "AdamW"}[opt.name]
            extra = f", weight_decay={_num(hp['weight_decay'])}" if opt.name == "adamw" else ""
            extra += ", bias_correction=True" if opt.name != "adamax" else ""    # as Keras's
            o = f"optim.{cls}(learning_rate={_num(lr)}, betas=[{_num(hp['beta_1'])}, {_num(hp['beta_2'])}], eps={_num(eps)}{extra})"
        lines += [f"optimizer = {o}", ""]
        wd = hp.get("weight_decay", 0.0)
        ls = m.label_smoothing
        if self.regression:
            lossexpr = "nn.losses.mse_loss(out, y, reduction='none').mean(axis=1)"
        elif m.loss == "binary_crossentropy":
            target = f"y.reshape(-1, 1) * {_num(1 - ls)} + {_num(ls / 2)}" if ls else "y.reshape(-1, 1)"
            lossexpr = (f"nn.losses.binary_cross_entropy(out, {target}, with_logits={self.fused}, "
                        "reduction='none').mean(axis=1)")
        else:
            lossexpr = (f"nn.losses.cross_entropy(out, y{f', label_smoothing={_num(ls)}' if ls else ''})" if self.fused
                        else self.note("-mx.log(mx.maximum(mx.take_along_axis(out, y[:, None], axis=1)[:, 0], 1e-7))",
                                       f"cross-entropy on a {self.out.activation} output"))
        lines += self.class_weight_lines()
        weight = " * class_weights[y.astype(mx.int32).reshape(-1)]" if exp.train.class_weight is not None and not self.regression else ""
        if weight:
            lines += ["class_weights = mx.array(class_weight, dtype=mx.float32)", ""]
        lines += ["def loss_fn(model, x, y):", "    out = model(x)", f"    loss = ({lossexpr}{weight}).mean()",
                  "    for i, l1, l2 in penalties:   # L1 / L2 on the kernels, as Keras's regularizers",
                  "        w = model.layers[i].weight",
                  "        loss = loss + l1 * mx.abs(w).sum() + l2 * (w * w).sum()", "    return loss", ""]
        clip = []
        if hp.get("clipvalue"):
            clip.append(f"grads = tree_map(lambda g: mx.clip(g, -{_num(hp['clipvalue'])}, {_num(hp['clipvalue'])}), grads)")
        if hp.get("clipnorm"):
            clip.append(self.note(f"grads, _ = optim.clip_grad_norm(grads, {_num(hp['clipnorm'])})",
                                  "clipnorm clips each tensor in Keras; MLX clips the global norm"))
        if hp.get("global_clipnorm"):
            clip.append(f"grads, _ = optim.clip_grad_norm(grads, {_num(hp['global_clipnorm'])})")
        if wd and opt.name != "adamw":
            clip.append(self.note("", "decoupled weight decay (Keras 3's) is not applied here"))
        state = "[model.state, optimizer.state, mx.random.state]"
        lines += ["loss_and_grad = nn.value_and_grad(model, loss_fn)", "",
                  f"@partial(mx.compile, inputs={state}, outputs={state})",
                  "def train_step(x, y):", "    loss, grads = loss_and_grad(model, x, y)",
                  *("    " + c for c in clip), "    optimizer.update(model, grads)", "    return loss", ""]
        utils = ["tree_flatten", "tree_map", "tree_unflatten"] if hp.get("clipvalue") else ["tree_flatten", "tree_unflatten"]
        lines += ["def evaluate(x, y):", "    model.eval()", "    out = model(mx.array(x))", "    y = mx.array(y)",
                  f"    loss = ({lossexpr}).mean().item()" if "#" not in lossexpr else
                  "    loss = loss_fn(model, mx.array(x), y).item()"]
        if self.regression:
            lines.append("    return loss, None")
        elif m.loss == "binary_crossentropy":
            lines.append(f"    return loss, ((out.reshape(-1) > {0.0 if self.fused else 0.5}) == (y > 0.5)).mean().item()")
        else:
            lines.append("    return loss, (mx.argmax(out, axis=1) == y).mean().item()")
        lines.append("")
        setup, each = self.epochs_loop_stop()
        lines += self.schedule_lines()
        lines += ["def snapshot():", "    return [(k, mx.array(v)) for k, v in tree_flatten(model.parameters())]", "",
                  "def restore(state):", "    model.update(tree_unflatten(state))", ""]
        lines.insert(lines.index("import numpy as np") + 1, f"from mlx.utils import {', '.join(utils)}")
        lines += [f"batch_size, epochs = {tr.batch_size}, {tr.epochs}",
                  "steps_per_epoch = math.ceil(len(x_train) / batch_size)",
                  f"rng = np.random.default_rng({exp.seed})",
                  "history = {'loss': [], 'val_loss': [], 'accuracy': [], 'val_accuracy': []}", *setup,
                  "best_state = snapshot()" if exp.early_stopping and exp.early_stopping.restore_best_weights else "",
                  "step = 0", "for epoch in range(epochs):", "    model.train()",
                  "    order = rng.permutation(len(x_train))" if tr.shuffle else "    order = np.arange(len(x_train))",
                  "    total = 0.0", "    for start in range(0, len(x_train), batch_size):",
                  "        idx = order[start:start + batch_size]"]
        if exp.schedule.name != "constant" or exp.reduce_lr_on_plateau:
            rate = "lr_at(step)" if exp.schedule.name != "constant" else _num(lr)
            lines.append(f"        optimizer.learning_rate = {rate}{' * plateau_scale' if exp.reduce_lr_on_plateau else ''}")
        lines += ["        loss = train_step(mx.array(x_train[idx]), mx.array(y_train[idx]))",
                  "        mx.eval(model.state, optimizer.state)", "        step += 1",
                  "        total += loss.item() * len(idx)",
                  "    val_loss, val_acc = evaluate(x_val, y_val) if len(x_val) else (math.nan, None)",
                  "    _, acc = evaluate(x_train, y_train)",
                  "    history['loss'].append(total / len(x_train))", "    history['val_loss'].append(val_loss)",
                  "    history['accuracy'].append(acc)", "    history['val_accuracy'].append(val_acc)",
                  "    print(f'epoch {epoch + 1}: loss {total / len(x_train):.4f}  val_loss {val_loss:.4f}')",
                  *("    " + e for e in each), "",
                  "test_loss, test_accuracy = evaluate(x_test, y_test)",
                  "print(f'test_loss {test_loss:.4f}' + ('' if test_accuracy is None else f'  test_accuracy {test_accuracy:.4f}'))"]
        return lines
