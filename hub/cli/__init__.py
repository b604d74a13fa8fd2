"""``python -m hub.cli``: the ``hub`` command line, as put together in ``hub.app`` (``cli``)."""
