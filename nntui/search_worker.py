"""One search worker process (started by `nntui search --workers N`): runs trials of the shared
study until it has its trials; SIGINT stops the current trial and hands its values back."""

from __future__ import annotations

import argparse
import sys

import engine
from engine import search

from .interrupts import StopSignals


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m nntui.search_worker")
    p.add_argument("experiment")
    p.add_argument("--storage", required=True)
    p.add_argument("--study", required=True)
    p.add_argument("--report", required=True)
    p.add_argument("--offset", type=int, default=0, help="this worker's place, so that seeded samplers differ")
    args = p.parse_args(argv)
    try:
        exp = engine.Experiment.from_toml(args.experiment)
        study = search.open_study(exp, args.storage, args.study, seed_offset=args.offset)
    except (engine.SpecError, search.SearchUnavailable) as exc:
        print(f"nntui search worker: {exc}", file=sys.stderr)
        return 2
    worker = search.Worker(exp, study, args.report)
    with StopSignals(lambda name: worker.control.stop()) as signals:
        worker.run()
    return 130 if signals.stops else 0


if __name__ == "__main__":
    sys.exit(main())
