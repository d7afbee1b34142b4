"""pytest fixtures: one in-memory ImageShare per session, reset before every test that asks for it.

    def test_share(imageshare):
        owner, friend = imageshare.accounts
        ecs = imageshare.client(owner)
        ...

Options: ``--imageshare-bin PATH`` (else ``$IMAGESHARE_BIN`` or ``imageshare`` on the PATH) and
``--imageshare-accounts N`` (default 2).
"""

from __future__ import annotations

from typing import Iterator

import pytest

from .server import ImageShare


def pytest_addoption(parser) -> None:
    group = parser.getgroup("imageshare")
    group.addoption("--imageshare-bin", default=None, help="the imageshare binary")
    group.addoption("--imageshare-accounts", type=int, default=2, help="known accounts to create (default 2)")


@pytest.fixture(scope="session")
def imageshare_server(request) -> Iterator[ImageShare]:
    """The session's server, started once and stopped at the end."""
    server = ImageShare(binary=request.config.getoption("--imageshare-bin"),
                        accounts=request.config.getoption("--imageshare-accounts"))
    with server:
        yield server


@pytest.fixture
def imageshare(imageshare_server: ImageShare) -> ImageShare:
    """The session's server, reset to its known accounts (clock back, no faults) for this test."""
    imageshare_server.reset()
    return imageshare_server
