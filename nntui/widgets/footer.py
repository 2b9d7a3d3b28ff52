"""The Footer, most important keys first: `?` always leads (whatever has focus), then the keys a
screen names in ``FOOTER_FIRST``, then the rest in Textual's order (the focused widget's first).
At 80 columns the keys on the right are the ones cut."""

from __future__ import annotations

from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeyFooter(Footer):
    def compose(self):
        keys = list(super().compose())
        order = ("help", *getattr(self.screen, "FOOTER_FIRST", ()))

        def rank(item) -> int:
            if isinstance(item, FooterKey) and "-command-palette" not in item.classes:
                action = item.action.removeprefix("app.").removeprefix("screen.")
                return order.index(action) if action in order else len(order)
            return len(order) + 1   # the palette stays at the far right

        yield from sorted(keys, key=rank)
