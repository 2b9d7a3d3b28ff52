"""The engine is a library: importing it must load no UI module."""

import subprocess
import sys


def test_engine_imports_no_ui():
    code = ("import sys, engine\n"
            "engine.train\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'nntui', 'plotext'))\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"import engine loaded UI modules: {out}"
