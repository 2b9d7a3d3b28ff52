"""`nntui backprop`: backpropagation for one sample and one weight, written out (engine.backprop):
the forward pass layer by layer, the loss, the chain rule's factors with their numbers, the
backend's own gradient and a finite-difference estimate beside their product, and the update."""

from __future__ import annotations

import sys

from .exits import EXIT_BAD_INPUT, EXIT_OK

#: the lecture's small network on a 2D set, when no experiment is given
DEFAULT = {"name": "backprop-2-3-2", "seed": 1, "data": {"name": "moons", "samples": 200},
           "model": {"layers": [{"units": 3, "activation": "tanh"}, {"units": 2, "activation": "softmax"}]},
           "optimizer": {"name": "sgd", "learning_rate": 0.1}}
SHOWN_UNITS = 8          # a layer's first units listed (and the chosen one)


def _vector(v, chosen: int | None = None) -> str:
    idx = list(range(min(len(v), SHOWN_UNITS)))
    if chosen is not None and chosen not in idx:
        idx.append(chosen)
    parts = [(f"[{v[i]:.4f}]" if i == chosen else f"{v[i]:.4f}") for i in idx]
    return " ".join(parts) + (f" ... ({len(v)} units)" if len(v) > len(idx) else "")


def derivation_lines(d, exp) -> list[str]:
    """The derivation as plain lines (the same text on a terminal, in a pipe and in the app)."""
    u, i, k = d.unit, d.weight, d.layer
    out = [f"sample x = {_vector(d.sample)}   target t = {_vector(d.target)}", "", "forward (evaluation mode):"]
    for tr in d.layers:
        if tr.kind == "dense":
            chosen = u if tr.index == k else None
            out.append(f"  layer {tr.index} dense {tr.activation}:  z = {_vector(tr.z, chosen)}")
            out.append(f"  {' ' * len(str(tr.index))}       {' ' * len(tr.activation)}  a = {_vector(tr.a, chosen)}")
        else:
            out.append(f"  layer {tr.index} {tr.kind}: a = {_vector(tr.a)}")
    out += [f"loss ({exp.model.loss}) L = {d.loss:.6f}", "",
            f"backward, for w = W[{k}][{i}, {u}] = {d.w:.6f} (input {i} into unit {u} of layer {k}):"]
    first = k == next(t.index for t in d.layers if t.kind == "dense")
    rows = []
    if d.fused:
        rows.append((f"dL/dz_{u} = p_{u} - t_{u}", d.dL_dz))
    elif d.da_dz is None:
        rows += [(f"dL/da_{u} (from above)", d.dL_da), (f"dL/dz_{u} (through softmax's Jacobian)", d.dL_dz)]
    else:
        above = "from the loss" if k == d.layers[-1].index else "the next layer's W times its dL/dz, summed"
        act = next(t.activation for t in d.layers if t.index == k)
        rows += [(f"dL/da_{u} ({above})", d.dL_da), (f"da_{u}/dz_{u} = {act}'(z_{u})", d.da_dz)]
    rows.append((f"dz_{u}/dw = {'x' if first else 'a'}_{i} (the input w multiplies)", d.dz_dw))
    chain = f"dL/dz_{u} * dz_{u}/dw" if d.da_dz is None else f"dL/da_{u} * da_{u}/dz_{u} * dz_{u}/dw"
    if d.penalty_term:
        rows.append(("penalty term (2 l2 w + l1 sign w)", d.penalty_term))
    rows += [(f"dL/dw = {chain}" + (" + penalty" if d.penalty_term else ""), d.product),
             ("the backend's own gradient", d.backend_grad),
             ("finite difference (L(w+h) - L(w-h)) / 2h", d.finite_difference)]
    width = max(len(label) for label, _ in rows)
    out += [f"  {label:<{width}}  {value:+.8f}" for label, value in rows]
    out.append(f"update: w - lr dL/dw = {d.w:.6f} - {d.lr:g} * {d.product:+.6f} = {d.updated:.6f}")
    out += [f"note: {n}" for n in d.notes]
    return out


def backprop_command(args) -> int:
    import engine
    from engine.backprop import derive

    def bad(message) -> int:
        print(f"nntui: backprop: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT

    try:
        exp = engine.Experiment.from_toml(args.experiment) if args.experiment else engine.Experiment.from_dict(DEFAULT)
        data = engine.load_data(exp.data)
        exp.check_data(data.n_classes, data.task)
        if not 0 <= args.sample < len(data.x_train):
            raise engine.SpecError("--sample", f"0 to {len(data.x_train) - 1} (the training set's rows), got {args.sample}")
        d = derive(exp, data.x_train[args.sample], data.y_train[args.sample], args.layer, args.unit, args.weight)
    except (engine.SpecError, engine.DataError) as exc:
        return bad(exc)
    lines = [f"{exp.name or 'experiment'}: training sample {args.sample}, fresh weights (seed {exp.seed})", ""]
    lines += derivation_lines(d, exp)
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.markup import escape

        console = Console(highlight=False)
        for line in lines:
            bold = line.startswith(("forward", "backward", "update", "loss"))
            console.print(f"[bold]{escape(line)}[/]" if bold else escape(line))
    else:
        print("\n".join(lines))
    return EXIT_OK
