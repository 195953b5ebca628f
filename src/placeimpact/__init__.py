"""placeimpact: did this place's reform change outcomes?

The public surface lives here; everything else is private to the package.
"""

from .errors import FetchError, FrameworkError, InputError, MethodError, PlaceImpactError, StoreError
from .methods.result import MethodResult
from .panel import Panel, build_panel, panel_from_arrays
from .store import Store, open_store

__version__ = "0.1.0"

__all__ = [
    "FetchError",
    "FrameworkError",
    "InputError",
    "MethodError",
    "MethodResult",
    "Panel",
    "PlaceImpactError",
    "Store",
    "StoreError",
    "build_panel",
    "open_store",
    "panel_from_arrays",
    "__version__",
]
