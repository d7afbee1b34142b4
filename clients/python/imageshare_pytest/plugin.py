"""pytest fixtures: one in-memory ImageShare per session, reset before every test that asks for it.

    def test_share(imageshare):
        owner, friend = imageshare.accounts
        ecs = imageshare.client(owner)
        ...

Options: ``--imageshare-bin PATH`` (else ``$IMAGESHARE_BIN`` or ``imageshare`` on the PATH),
``--imageshare-accounts N`` (default 2), ``--imageshare-seed N`` (reproducible IDs and RequestIds: every test
starts from the same ones) and ``--imageshare-fixtures FILE`` (a state file loaded at start and every reset).
"""

from __future__ import annotations

from typing import Iterator

import pytest

from .server import ImageShare


def pytest_addoption(parser) -> None:
    group = parser.getgroup("imageshare")
    group.addoption("--imageshare-bin", default=None, help="the imageshare binary")
    group.addoption("--imageshare-accounts", type=int, default=2, help="known accounts to create (default 2)")
    group.addoption("--imageshare-seed", type=int, default=None, help="seed for reproducible IDs and RequestIds")
    group.addoption("--imageshare-fixtures", default=None, help="a state file to load at start and at every reset")


@pytest.fixture(scope="session")
def imageshare_server(request) -> Iterator[ImageShare]:
    """The session's server, started once and stopped at the end."""
    server = ImageShare(binary=request.config.getoption("--imageshare-bin"),
                        accounts=request.config.getoption("--imageshare-accounts"),
                        seed=request.config.getoption("--imageshare-seed"),
                        fixtures=request.config.getoption("--imageshare-fixtures"))
    with server:
        yield server


@pytest.fixture
def imageshare(imageshare_server: ImageShare) -> ImageShare:
    """The session's server, reset to its fixtures and known accounts (clock back, no faults, every start
    region) for this test."""
    imageshare_server.reset()
    return imageshare_server
