"""Ways in: the greeting, help, and anything the bot did not understand."""
