"""Run ImageShare (an Alibaba Cloud ECS-compatible image-sharing service) inside tests.

``ImageShare`` starts ``imageshare serve --in-memory`` on a free loopback port with accounts whose credentials
are known in advance and a control token, and drives the control endpoint: reset, clock, faults. The pytest
plugin (``imageshare_pytest.plugin``) wraps it in fixtures.
"""

from .server import Account, ImageShare, ImageShareError

__all__ = ["Account", "ImageShare", "ImageShareError"]
