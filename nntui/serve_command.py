"""`nntui serve`: the app in a browser, through textual-serve (Textualize's server for Textual
apps): each browser tab that opens the page starts its own `nntui` session on this machine.
Bound to this machine alone (127.0.0.1) unless told otherwise; any other address is warned about,
since whoever reaches the port can use the app and its file picker as the user running it."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from .exits import EXIT_BAD_INPUT, EXIT_OK
from .startup import settle

LOCAL = {"127.0.0.1", "localhost", "::1"}


def serve_command(args) -> int:
    from engine.text import printable

    if args.experiment is not None and not (args.experiment.endswith(".toml") or Path(args.experiment).is_file()):
        print(f"nntui: serve: {printable(args.experiment)}: not an experiment file (NAME.toml)", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not 0 < args.port < 65536:
        print(f"nntui: serve: --port: 1 to 65535, got {args.port}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        from textual_serve.server import Server
    except ImportError:
        print("nntui: serve: needs textual-serve (pip install textual-serve)", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.host not in LOCAL:
        print(f"nntui: serve: warning: listening on {args.host}: anyone who can reach port {args.port} can use "
              "the app, and its file picker, as you. To reach it from another machine, keep the default "
              f"(127.0.0.1) and tunnel instead: ssh -L {args.port}:127.0.0.1:{args.port} THIS-HOST, then open "
              f"http://127.0.0.1:{args.port} there.", file=sys.stderr)
    command = " ".join(shlex.quote(part) for part in
                       [sys.executable, "-m", "nntui", *([args.experiment] if args.experiment else [])])
    print(f"nntui: serving the app at http://{args.host}:{args.port} (Ctrl+C stops)", file=sys.stderr, flush=True)
    settle()
    try:
        Server(command, host=args.host, port=args.port, title="nntui").serve()
    except OSError as exc:
        print(f"nntui: serve: {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        pass
    return EXIT_OK
