"""Every ``web.AppKey`` of the simulator app, in one place."""

from __future__ import annotations

from aiohttp import web

from simulator.engine import Engine

ENGINE = web.AppKey("engine", Engine)
