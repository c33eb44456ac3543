"""Sign-in tokens already used, so that each one signs a player in once."""

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
