"""Players known from the casino's sign-in, and the sign-in tokens already used."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from helpcenter.db import Base, utcnow


class UsedSignInToken(Base):
    """The `jti` of a casino sign-in token that signed a player in: the unique constraint lets
    one host only accept it. Kept until the token expires, then useless and deleted."""

    __tablename__ = "sso_used_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), unique=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime] = mapped_column(default=utcnow)


class Player(Base):
    """A casino player who signed in here at least once. Only the ID and the times: the name,
    email and VIP level live in the player's session, as the casino's token vouched for them."""

    __tablename__ = "player"

    id: Mapped[int] = mapped_column(primary_key=True)
    player_id: Mapped[str] = mapped_column(String(40), unique=True)
    first_signed_in_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_signed_in_at: Mapped[datetime] = mapped_column(default=utcnow)
