"""The image-provider client: the only place that talks to the upstream over HTTP."""

from plate_service.upstream.image_provider_client import ImageProviderClient

__all__ = ["ImageProviderClient"]
