"""The top line of every screen: nntui, the experiment's file and a * while it has unsaved changes.

Not Textual's Header: each Header watches the app's sub_title, and a change of it while a
Header is being mounted or removed (a screen pushed or popped in the same moment, as loading a
demonstration does) raised NoMatches inside Textual and ended the app. This one is updated by
the app, only where it is attached."""

from __future__ import annotations

from textual.widgets import Static


class TitleBar(Static):
    DEFAULT_CSS = """
    TitleBar { dock: top; height: 1; width: 100%; background: $panel; color: $foreground;
               text-align: center; text-style: bold; }
    """

    def on_mount(self) -> None:
        self.show_title()

    def show_title(self) -> None:
        if self.is_attached:
            self.update(self.app.title_text(), layout=False)
