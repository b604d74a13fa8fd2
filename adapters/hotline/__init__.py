"""The 12345 citizen hotline (接诉即办): work orders from the hotline's exports."""

from adapters.hotline.adapter import HotlineAdapter, HotlineSettings

__all__ = ["HotlineAdapter", "HotlineSettings"]
