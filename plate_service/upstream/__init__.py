"""The image-provider client: the only place that talks to the upstream over HTTP."""

from plate_service.upstream.client import ImageProviderClient

__all__ = ["ImageProviderClient"]
