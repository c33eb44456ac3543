"""Contact: helping players pick the right support channel and reach it."""
