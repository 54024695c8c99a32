"""Microsoft Teams through botbuilder: every Bot Framework import of aiom lives under bot/teams/.

`adapter.PLATFORM` is what bot/wiring.py attaches (the contract is bot/platform.py).
"""
