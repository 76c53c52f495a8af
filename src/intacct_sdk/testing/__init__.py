"""Test support for code that talks to Intacct: a gateway emulator and pytest fixtures.

Nothing here is imported by ``import intacct_sdk``; import it on demand.
"""

__all__: list[str] = []
