"""A chat's states and why it ended (`Ticket.chat_state`, `Ticket.chat_end_reason`).

bot -> queued -> active -> ended. `bot`: the answer bot offered articles and waits for the
player's answer; `queued`: waiting for a person; `active`: an operator holds it; `ended`: the
conversation is over (the ticket is resolved, or open at a higher tier as a follow-up case).
"""

CHANNEL = "chat"

BOT = "bot"
QUEUED = "queued"
ACTIVE = "active"
ENDED = "ended"
STATES = (BOT, QUEUED, ACTIVE, ENDED)
# Waiting for the player's answer to the bot or for a person: the worker may end it abandoned.
WAITING_STATES = (BOT, QUEUED)

# Why it ended: resolved by the bot, ended by the operator, escalated to the next tier, left by
# the player before anyone answered (the worker), or ended by the player.
BY_BOT = "bot"
BY_OPERATOR = "operator"
ESCALATED = "escalated"
ABANDONED = "abandoned"
BY_PLAYER = "player"
END_REASONS = (BY_BOT, BY_OPERATOR, ESCALATED, ABANDONED, BY_PLAYER)

# The author kind of the answer bot's messages (besides player, staff and system).
BOT_AUTHOR = "bot"
