"""report.md and its curves (SVG, which GitHub and browsers render), written from a run's files'
contents. Colours and markers are the TUI's: train and validation keep their two colours, ^ marks
the best epoch and x the early stop."""

from __future__ import annotations

import math

from ..columns import history_fields, is_regression
from ..text import md_cell, printable

#: the test figures of a run's results table: (metrics.json key, head), for classification and regression
TEST_COLUMNS = {False: (("test_loss", "test loss"), ("test_accuracy", "test accuracy")),
                True: (("test_loss", "test loss"), ("test_mae", "test MAE"), ("test_rmse", "test RMSE"),
                       ("test_r2", "test R²"))}
#: how a history column is written where it is not a plain 4-decimal figure
ROW_FORMATS = {"lr": ".3g", "seconds": ".2f"}


def fmt_value(v, spec=".4f") -> str:
    """A metric for people: "-" when missing, nan/inf as words, numbers in ``spec``."""
    if v is None:
        return "-"
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return format(v, spec) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


def fmt_seconds(v, sep: str = "") -> str:
    """A duration for people: tenths of a second from 0.1 s, milliseconds below that (a run of
    tiny epochs reads "34ms", not "0.0s"); "-" when missing."""
    if v is None:
        return "-"
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
        return str(v)
    if v >= 0.1 or v <= 0:
        return f"{v:.1f}{sep}s"
    ms = v * 1e3
    return f"{ms:.0f}{sep}ms" if ms >= 10 else f"{ms:.2g}{sep}ms"


def markdown_report(exp, summary: str, data_line: str, history: list[dict], events: list[dict],
                    metrics: dict, inside: list[str] = (), boundary: bool = False, units: bool = False) -> str:
    """The human report of a run; ``inside``: the inspected statistics' section (inside_report),
    placed after the curves."""
    title = printable(exp.name or "run")
    lines = [f"# {title}", ""]
    if exp.description:
        lines += [printable(exp.description.strip(), keep_newlines=True), ""]
    status = metrics.get("reason", "completed")
    if metrics.get("interrupted"):
        status += " (interrupted)"
    lines += ["| | |", "|---|---|", f"| data | {md_cell(data_line)} |",
              f"| backend | {metrics.get('backend')} on {metrics.get('device')}{_thread_note(metrics, exp)} |",
              f"| epochs | {metrics.get('epochs_run')} of {exp.train.epochs} ({status}) |",
              f"| time | {fmt_seconds(metrics.get('seconds'), ' ')}, {fmt_value(metrics.get('samples_per_second'), ',.0f')} samples/s |",
              "", "## Results", ""]
    regression = any(is_regression(r) for r in history) or metrics.get("test_mae") is not None
    tests = TEST_COLUMNS[regression]
    if any(metrics.get(k) is not None for k, _ in tests[1:]):
        lines += ["| " + " | ".join(head for _, head in tests) + " |", "|" + "---:|" * len(tests),
                  "| " + " | ".join(fmt_value(metrics.get(k)) for k, _ in tests) + " |", ""]
    else:
        lines += ["No test metrics (the run ended before they were computed).", ""]
    lines += ["![loss](loss.svg)", ""]
    if regression:
        lines += ["![mae](mae.svg)", "", "![r2](r2.svg)", ""]
    elif any(r.get("accuracy") is not None for r in history):
        lines += ["![accuracy](accuracy.svg)", ""]
    if boundary:
        lines += ["![decision boundary](boundary.svg)", "",
                  "The plane coloured by the predicted class, paler where the model is unsure; the training "
                  "points solid.", ""]
    if units:
        lines += ["![every unit's picture](units.svg)", "",
                  "Every dense unit's activation over the plane (blue positive, orange negative, by the size of "
                  "the unit's largest), a row per layer, the output last; units marked dead never fire on the "
                  "training data, saturated ones sit on their activation's flat ends.", ""]
    lines += list(inside)
    lines += ["## Model", "", "```", summary, "```", "",
              f"- loss: {exp.model.loss}" + (f", label smoothing {exp.model.label_smoothing:g}" if exp.model.label_smoothing else ""),
              "- optimizer: " + exp.optimizer.name + " (" + ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
                                                              for k, v in exp.optimizer.hyperparameters().items()) + ")",
              "- schedule: " + exp.schedule.name + ("" if exp.schedule.name == "constant" else " (" + ", ".join(
                  f"{k} {v}" for k, v in exp.schedule.settings().items()) + f", per {exp.schedule.unit})"),
              f"- batch size {exp.train.batch_size}, seed {exp.seed}"
              + (f", class weights {_class_weight_text(exp.train.class_weight)}" if exp.train.class_weight else ""), ""]
    lines += ["## Early stopping", ""] + [f"- {line}" for line in story(exp, events, metrics)] + [""]
    columns = history_fields(regression)
    lines += ["## Epochs", "", "| " + " | ".join(columns) + " |", "|" + "---:|" * len(columns)]
    for r in history:
        lines.append("| " + " | ".join(str(r["epoch"]) if k == "epoch" else fmt_value(r.get(k), ROW_FORMATS.get(k, ".4f"))
                                       for k in columns) + " |")
    lines.append("")
    cm, names = metrics.get("confusion_matrix"), metrics.get("class_names")
    if cm and names:
        names = [md_cell(n) for n in names]
        lines += ["## Confusion matrix (test set)", "", "Rows: true class; columns: predicted.", "",
                  "| true \\ predicted | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
        lines += [f"| {names[i]} | " + " | ".join(f"**{v}**" if i == j else str(v) for j, v in enumerate(row)) + " |"
                  for i, row in enumerate(cm)]
        report = metrics.get("class_report")
        if report:
            lines += ["", "| class | precision | recall | F1 | samples |", "|---|---:|---:|---:|---:|"]
            lines += [f"| {names[i]} | {fmt_value(report['precision'][i])} | {fmt_value(report['recall'][i])} | "
                      f"{fmt_value(report['f1'][i])} | {report['support'][i]} |" for i in range(len(names))]
            lines += [f"| *{avg} average* | {fmt_value(report[avg]['precision'])} | {fmt_value(report[avg]['recall'])} | "
                      f"{fmt_value(report[avg]['f1'])} | {sum(report['support'])} |" for avg in ("macro", "weighted")]
            lines += ["", "Recall is each class's test accuracy; the macro average weighs every class alike, the "
                      "weighted one by its samples."]
        else:
            lines += ["", "| class | test accuracy | samples |", "|---|---:|---:|"]
            lines += [f"| {names[i]} | {fmt_value(acc)} | {sum(cm[i])} |"
                      for i, acc in enumerate(metrics["per_class_accuracy"])]
        extra = [f"top-5 accuracy {fmt_value(metrics['test_top5_accuracy'])}" if metrics.get("test_top5_accuracy")
                 is not None else None,
                 f"ROC AUC {fmt_value(metrics['test_roc_auc'])}" if metrics.get("test_roc_auc") is not None else None,
                 _calibration_text(metrics.get("calibration"))]
        if any(extra):
            lines += ["", "Also on the test set: " + ", ".join(e for e in extra if e) + "."]
        if metrics.get("roc") and metrics["roc"].get("auc") is not None:
            lines += ["", "![ROC](roc.svg)"]
        lines.append("")
    return "\n".join(lines)


def _calibration_text(cal: dict | None) -> str | None:
    """One line on calibration: ECE, and mean confidence against accuracy (over- or under-confident)."""
    if not cal:
        return None
    gap = cal["mean_confidence"] - cal["accuracy"]
    return (f"expected calibration error {cal['ece']:.4f} (15 bins; mean confidence {cal['mean_confidence']:.4f} "
            f"against accuracy {cal['accuracy']:.4f}: {'over' if gap > 0 else 'under'}-confident by {abs(gap):.4f})")


def story(exp, events: list[dict], metrics: dict) -> list[str]:
    """The early-stopping story of a run, one plain sentence per line (report.md bullets them,
    `nntui report` prints them)."""
    es = exp.early_stopping
    diverged = [e for e in events if e.get("event") == "diverged"]
    out = [f"Diverged: {e['message']}" for e in diverged[:1]]
    out += [f"Interrupted by {e.get('signal', 'the user')}; the run was saved as it stood."
            for e in events if e.get("event") == "interrupted"]
    out += [f"Resumed after epoch {e['resumed_from']} from its checkpoint; what was "
            "trained after that epoch was trained again." for e in events
            if e.get("event") == "run_started" and e.get("resumed_from")]
    plateau = getattr(exp, "reduce_lr_on_plateau", None)
    if plateau is not None:
        out.append(f"Reducing the learning rate on a plateau of {plateau.monitor}: x{plateau.factor:g} after "
                   f"{plateau.patience} epochs without improvement, cooldown {plateau.cooldown}, "
                   f"min_lr {plateau.min_lr:g}.")
        out += [f"Epoch {e['epoch']}: {e['monitor']} {fmt_value(e['value'])} had not improved on "
                f"{fmt_value(e['best'])}; learning rate {e['old_lr']:.3g} -> {e['new_lr']:.3g}."
                for e in events if e.get("event") == "lr_reduced"]
    if es is None:
        return out + ["Early stopping was not configured: all epochs were trained."]
    out.append(f"Monitoring {es.monitor} ({es.direction}), patience {es.patience}, min_delta {es.min_delta:g}"
               + (f", smoothed over {es.smoothing} epochs" if es.smoothing > 1 else "")
               + (f", counting from epoch {es.start_from_epoch + 1}" if es.start_from_epoch else "")
               + (f", baseline {es.baseline:g}" if es.baseline is not None else "")
               + (", restoring the best weights." if es.restore_best_weights else "."))
    for e in events:
        kind = e.get("event")
        if kind == "improved":
            short = es.baseline is not None and not (
                (e["value"] < es.baseline - es.min_delta) if es.direction == "min" else (e["value"] > es.baseline + es.min_delta))
            out.append(f"Epoch {e['epoch']}: new best {e['monitor']} {fmt_value(e['value'])}"
                       + (f", not yet past the baseline {es.baseline:g} (patience counts on)." if short else "."))
        elif kind == "no_improvement":
            out.append(f"Epoch {e['epoch']}: {e['monitor']} {fmt_value(e['value'])}, no improvement on "
                       f"{fmt_value(e['best'])} (epoch {e['best_epoch']}); patience {e['wait']}/{e['patience']}.")
        elif kind == "early_stop":
            out.append(f"Stopped early at epoch {e['epoch']}: {e['reason']}.")
        elif kind == "weights_restored":
            out.append(f"Restored the weights of epoch {e['best_epoch']} ({e['monitor']} {fmt_value(e['best'])}).")
    if not metrics.get("stopped_early") and not diverged:
        out.append(f"Did not stop early; best epoch {metrics.get('best_epoch')}.")
    return out


def _class_weight_text(cw) -> str:
    return "balanced" if cw == "balanced" else ", ".join(f"{md_cell(k)} {v:g}" for k, v in cw.items())


def _thread_note(metrics: dict, exp) -> str:
    """', 2 threads (auto: 97% of steps; 1 for 3%)' from the steps run at each count."""
    steps = {int(k): v for k, v in (metrics.get("threads") or {}).items() if isinstance(v, int) and v > 0}
    if not steps:
        return ""
    total = sum(steps.values())
    main = max(steps, key=steps.get)
    how = "held" if exp.train.threads is not None else "auto"
    plural = lambda n: f"{n} thread" + ("s" if n != 1 else "")  # noqa: E731
    if len(steps) == 1:
        return f", {plural(main)} ({how})"
    others = "; ".join(f"{n} for {100 * c / total:.0f}%" for n, c in sorted(steps.items()) if n != main)
    return f", {plural(main)} ({how}: {100 * steps[main] / total:.0f}% of steps; {others})"
