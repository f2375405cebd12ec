"""The window's screens, one class each: `Picker`, `RolePlay`, `Debrief`.

Each has `handle_event`, `update` and `draw`; input arrives as action objects (see
`widgets.read_input`), and a screen moves on by asking the app to switch.
"""
from .base import Scene
from .debrief import Debrief
from .picker import Picker
from .roleplay import RolePlay

__all__ = ["Scene", "Picker", "RolePlay", "Debrief"]
