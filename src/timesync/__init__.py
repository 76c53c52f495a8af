"""Embeddable sync between time-tracking apps and Sage Intacct."""

from intacct_sdk._version import __version__

__all__ = ["__version__"]
