"""Every event payload of the platform, one module per publishing area.

Importing this package imports each module in it, so the registry always holds every type.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
