"""A client for Sage Intacct's REST API (``/ia/api/v1``): OAuth 2.0, the query service and writes."""

from __future__ import annotations

__all__: list[str] = []
