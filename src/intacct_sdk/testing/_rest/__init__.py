"""The REST side of the emulator: ``/ia/api/v1/...`` served over the same company."""

from intacct_sdk.testing._rest._oauth import REST_CLIENT_ID, REST_CLIENT_SECRET
from intacct_sdk.testing._rest._side import REST_PREFIX, RestEmulator, is_rest_path

__all__ = ["REST_CLIENT_ID", "REST_CLIENT_SECRET", "REST_PREFIX", "RestEmulator", "is_rest_path"]
