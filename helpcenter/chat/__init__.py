"""Live chat: a ticket on the `chat` channel, answered first by the bot, then by an operator."""
