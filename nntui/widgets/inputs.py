"""Text inputs that keep the order of the keys typed into them."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class InOrderInput(Input):
    """An Input that runs its own editing keys (backspace, ctrl+u, arrows, ...) when they arrive,
    in order with the characters. Textual runs a widget's bindings only when the key has bubbled
    up to the app, after the characters typed behind it have been inserted: ctrl+u then "128"
    typed fast left the field empty, backspace in a burst removed the wrong character."""

    async def _on_key(self, event: events.Key) -> None:
        binding = next(iter(self._bindings.key_to_bindings.get(event.key, ())), None)
        if binding is not None:
            event.stop()
            event.prevent_default()
            self._restart_blink()
            await self.run_action(binding.action)
            return
        await super()._on_key(event)
