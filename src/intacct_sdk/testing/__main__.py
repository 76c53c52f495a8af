"""``python -m intacct_sdk.testing``: run the gateway emulator (as ``intacct emulator``)."""

import sys

from intacct_sdk.testing._cli import main

sys.exit(main())
