"""Slack: the slack-bolt app on aiom's aiohttp server (or Socket Mode), and the Slack deliverer.

All Slack SDK code lives under this package; conversations/ never imports it. `adapter.PLATFORM` is what
bot/wiring.py attaches (the contract is bot/platform.py).
"""
