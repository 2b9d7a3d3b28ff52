"""`nntui export`: an experiment as a PyTorch, Keras or MLX script (engine.export), printed or
written to a file; what the framework cannot say is warned about on stderr (and commented in
the script at its line)."""

from __future__ import annotations

import sys
from pathlib import Path

from .exits import EXIT_BAD_INPUT, EXIT_OK


def export_command(args) -> int:
    import engine
    from engine.atomic import write_text_atomic
    from engine.export import export
    from engine.text import printable

    try:
        if bool(args.experiment) == bool(args.preset):
            raise engine.SpecError("", "give an experiment file or --preset NAME (one of them)")
        exp = engine.presets.load_preset(args.preset) if args.preset else engine.Experiment.from_toml(args.experiment)
        source = f"preset {args.preset}" if args.preset else Path(args.experiment).name
        result = export(exp, args.to, standalone=args.standalone, source=source)
    except engine.SpecError as exc:
        print(f"nntui: export: {printable(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for warning in dict.fromkeys(result.warnings):
        print(f"nntui: export: warning: {warning}", file=sys.stderr)
    if args.output:
        try:
            write_text_atomic(args.output, result.code)
        except OSError as exc:
            print(f"nntui: export: {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"wrote {args.output} ({args.to}); run it with: python {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(result.code)
    return EXIT_OK
