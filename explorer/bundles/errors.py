"""The library's error for a model bundle that cannot be used, shared by the modules that read one
(bundle.py, latents.py, catalog.py) so that callers catch one class."""


class BundleError(RuntimeError):
    """A bundle is missing, corrupt, unsafe or inconsistent. The message names the file (and,
    for a bad value, the field)."""
