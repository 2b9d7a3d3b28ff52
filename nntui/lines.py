"""The line a person reads for each trainer event: shared by the headless displays (plain lines,
Rich) and the dashboard's event log, so both say the same thing the same way."""

from __future__ import annotations

from engine.reports.run import fmt_seconds, fmt_value


def epoch_line(e) -> str:
    if e.accuracy is None:
        first = (f"loss {fmt_value(e.loss)}  mae {fmt_value(e.mae)}  rmse {fmt_value(e.rmse)}  r2 {fmt_value(e.r2)}  "
                 f"val_loss {fmt_value(e.val_loss)}  val_mae {fmt_value(e.val_mae)}  val_rmse {fmt_value(e.val_rmse)}  "
                 f"val_r2 {fmt_value(e.val_r2)}")
    else:
        first = (f"loss {fmt_value(e.loss)}  accuracy {fmt_value(e.accuracy)}  val_loss {fmt_value(e.val_loss)}  "
                 f"val_accuracy {fmt_value(e.val_accuracy)}")
    return f"epoch {e.epoch:>3}  {first}  lr {e.lr:.3g}  {fmt_seconds(e.seconds)}  {e.samples_per_second:,.0f} samples/s"


def event_line(e) -> str | None:
    """The line a person reads for an event (None: nothing to say)."""
    k = e.kind
    if k == "run_started":
        return ((f"resuming after epoch {e.resumed_from} of {e.epochs} (its checkpoint); " if e.resumed_from else "")
                + f"backend {e.backend} on {e.device} ({e.reason}); {e.params:,} params; {e.train_samples:,} train / "
                f"{e.val_samples:,} val / {e.test_samples:,} test samples")
    if k == "epoch_end":
        return epoch_line(e)
    if k == "improved":
        return None
    if k == "no_improvement":
        return (f"  no improvement: {e.monitor} {e.value:.4f}, best {e.best:.4f} at epoch {e.best_epoch}; "
                f"patience {e.wait}/{e.patience}")
    if k == "lr_reduced":
        return (f"  learning rate {e.old_lr:.3g} -> {e.new_lr:.3g} from epoch {e.epoch + 1}: {e.monitor} "
                f"{e.value:.4f} has not improved on {e.best:.4f} (reduce on plateau)")
    if k == "early_stop":
        return f"  early stop at epoch {e.epoch}: {e.reason}"
    if k == "weights_restored":
        return f"  restored the best weights, from epoch {e.best_epoch} ({e.monitor} {e.best:.4f})"
    if k == "diverged":
        return f"  diverged: {e.message}"
    if k == "inspect":
        return inside_line(e)
    if k == "finished":
        metric = (f"test_accuracy {fmt_value(e.test_accuracy)}" if e.test_mae is None else
                  f"test_mae {fmt_value(e.test_mae)}  test_rmse {fmt_value(e.test_rmse)}  test_r2 {fmt_value(e.test_r2)}")
        return (f"finished ({e.reason}) after {e.epochs_run} epochs in {fmt_seconds(e.seconds)}: "
                f"test_loss {fmt_value(e.test_loss)}  {metric}")
    return None


def inside_line(e) -> str:
    """An inspect event in one line: the gradient norms of the first and last layers and the worst
    dead / saturated fractions."""
    layers = e.layers
    g0, g1 = layers[0]["grad_norm"], layers[-1]["grad_norm"]
    parts = [f"  inside, epoch {e.epoch}: gradient norm {g0:.2g} (first layer) .. {g1:.2g} (last)"]
    for key, word in (("dead", "dead ReLU units"), ("saturated", "saturated")):
        values = [lay[key] for lay in layers if lay[key] is not None]
        if values:
            parts.append(f"{word} up to {max(values) * 100:.0f}%")
    same = [lay["name"] for lay in layers if lay["distinct_units"] == 1 and lay["units"] > 1]
    if same:
        parts.append("identical units in " + ", ".join(same))
    return "; ".join(parts)


def compact_epoch_line(e) -> str:
    """The epoch line for a narrow terminal (80 columns): samples/s is on the batch bar."""
    if e.accuracy is None:
        return (f"epoch {e.epoch:>3} loss {fmt_value(e.loss)} mae {fmt_value(e.mae)} r2 {fmt_value(e.r2, '.3f')} "
                f"val_loss {fmt_value(e.val_loss)} val_mae {fmt_value(e.val_mae)} val_r2 {fmt_value(e.val_r2, '.3f')}")
    return (f"epoch {e.epoch:>3} loss {fmt_value(e.loss)} acc {fmt_value(e.accuracy)} val_loss {fmt_value(e.val_loss)} "
            f"val_acc {fmt_value(e.val_accuracy)} lr {e.lr:.2g} {fmt_seconds(e.seconds)}")


def narrow_epoch_line(e, lr: bool = True) -> str:
    """The epoch line for a terminal under 64 columns: train / validation side by side."""
    second = ("mae", e.mae, e.val_mae) if e.accuracy is None else ("acc", e.accuracy, e.val_accuracy)
    return (f"ep {e.epoch} loss {fmt_value(e.loss)}/{fmt_value(e.val_loss)} "
            f"{second[0]} {fmt_value(second[1])}/{fmt_value(second[2])}" + (f" lr {e.lr:.2g}" if lr else ""))


def fitted_epoch_line(e, width: int) -> str:
    """The epoch line that fits a terminal ``width`` columns wide (train/val where it must)."""
    for line in (epoch_line(e), compact_epoch_line(e), narrow_epoch_line(e)):
        if len(line) <= width:
            return line
    return narrow_epoch_line(e, lr=False)
