"""Run ImageShare (an Alibaba Cloud ECS-compatible image-sharing service) inside tests.

``ImageShare`` starts ``imageshare serve --in-memory`` on a free loopback port with accounts whose credentials
are known in advance and a control token, and drives the control endpoint: reset, snapshots, state files,
regions, clock, faults. ``ServerProcess`` runs any ``imageshare serve`` (a kept store, PostgreSQL) for suites
that need more than a test double. The pytest plugin (``imageshare_pytest.plugin``) wraps them in fixtures.
"""

from .server import Account, ImageShare, ImageShareError, ServerProcess

__all__ = ["Account", "ImageShare", "ImageShareError", "ServerProcess"]
