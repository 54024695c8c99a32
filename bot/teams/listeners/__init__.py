"""The Teams activity listeners, one small handler per kind of activity (bot/teams/handler.py routes to them).

- message.py: typed text (personal chat, @mentions in channels, plain replies in a review card's thread),
  and `Action.Submit` clicks from older clients;
- card_action.py: invoke `adaptiveCard/action` (an `Action.Execute` click or form submission);
- file_consent.py: invoke `fileConsent/invoke` (the user accepted or declined a file);
- install.py: installationUpdate / conversationUpdate (the reference is stored; a personal install is greeted).

common.py holds what they share: where an activity came from, its dedupe key, and running one turn.
"""
