r"""The JSON response class of every route: ASCII-escaped, so no string can break encoding.

Examples
--------
>>> SafeJSONResponse({"a": "\\ud800"}).body
b'{"a":"\\\\ud800"}'
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse

__all__ = ["SafeJSONResponse"]


class SafeJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped (lone surrogates from a client cannot cause a 500)."""

    def render(self, content: Any) -> bytes:
        """Serialise compactly; NaN and infinities are refused as in JSONResponse."""
        return json.dumps(
            content, ensure_ascii=True, allow_nan=False, separators=(",", ":")
        ).encode("ascii")
