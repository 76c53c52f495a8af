"""A typed client for Sage Intacct's XML Web Services gateway."""

from intacct_sdk._version import __version__

__all__ = ["__version__"]
