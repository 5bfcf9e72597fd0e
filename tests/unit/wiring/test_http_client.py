"""The HTTP client's hidden dependency: httpcore asks sniffio which async library runs it.

httpcore imports sniffio on every connection-pool lock. anyio no longer installs it, and a
failed import searches every sys.path entry each time, a large share of a busy bot's CPU. So
cramp-bot declares it: these tests fail if it goes missing from the install or the pyproject.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re

import httpcore._synchronization as httpcore_sync


def test_sniffio_is_a_declared_dependency() -> None:
    requirements = importlib.metadata.requires("cramp-bot") or []
    names = {re.split(r"[ <>=!~;\[]", requirement, maxsplit=1)[0] for requirement in requirements}
    assert "sniffio" in names


async def test_sniffio_is_importable_and_names_asyncio_for_httpcore() -> None:
    assert importlib.util.find_spec("sniffio") is not None
    import sniffio

    assert sniffio.current_async_library() == "asyncio"
    # The same answer httpcore gets on every lock, now without a failed import.
    assert httpcore_sync.current_async_library() == "asyncio"
