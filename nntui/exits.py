"""The command line's exit codes (a module of their own: `nntui --help` imports nothing else)."""

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
