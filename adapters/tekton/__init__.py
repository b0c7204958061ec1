"""The Tekton adapter: a Task (``releasegate.yaml``), its image and a thin platform plugin.

The Task maps its params to ``RELEASEGATE_*`` variables and runs
``python3 -m releasegate.adapters.tekton``; :mod:`.plugin` writes decisions to the
Task's results files. No promotion or gate rule lives here.
"""

from __future__ import annotations

from releasegate.adapters.tekton.plugin import RESULTS, TektonPlatform, write_results

__all__ = ["RESULTS", "TektonPlatform", "write_results"]
