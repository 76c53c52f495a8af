"""pytest plugin registered through the ``pytest11`` entry point.

It only defines fixtures; the emulator itself is imported when a fixture is first used,
so installing this package adds nothing to the start-up of unrelated test suites.
"""
