"""nntui: the terminal app and command line over the ``engine`` package."""

__version__ = "0.1.0"
