"""The Footer, most important keys first: `?` always leads (whatever has focus), then the keys a
screen names in ``FOOTER_FIRST``, then the rest in Textual's order (the focused widget's first).
At 80 columns the keys on the right are the ones cut. It is rebuilt only when the keys it shows
change: Textual's rebuilds it on every focus change, twice, 30 to 50 ms each on the Build
screen, which delayed the next key."""

from __future__ import annotations

from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeyFooter(Footer):
    _showing: tuple | None = None

    def bindings_changed(self, screen) -> None:
        if self.is_attached and screen is self.screen and screen.app.app_focus:
            showing = tuple((b.key, b.action, b.description, enabled, tooltip)
                            for (_, b, enabled, tooltip) in screen.active_bindings.values()
                            if b.show or b.key == self.app.COMMAND_PALETTE_BINDING)
            if showing == self._showing:
                return
            self._showing = showing
        super().bindings_changed(screen)

    def compose(self):
        keys = list(super().compose())
        order = ("help", *getattr(self.screen, "FOOTER_FIRST", ()))

        def rank(item) -> int:
            if isinstance(item, FooterKey) and "-command-palette" not in item.classes:
                action = item.action.removeprefix("app.").removeprefix("screen.")
                return order.index(action) if action in order else len(order)
            return len(order) + 1   # the palette stays at the far right

        yield from sorted(keys, key=rank)
