"""Staff accounts and the audit log of what they did."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from helpcenter.db import Base, utcnow


class StaffMember(Base):
    """Someone who works in the console: an operator, supervisor, investigator, editor or admin."""

    __tablename__ = "staff_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored case-folded: one account per address, whatever the case typed.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(20))
    # argon2id, with its parameters and salt (argon2-cffi's encoded form).
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Live chat: "available" or "away", and when it was last set or confirmed by the inbox.
    presence: Mapped[str] = mapped_column(String(10), default="away", server_default="away")
    presence_at: Mapped[datetime | None]
    # Two-factor authentication (TOTP, RFC 6238): the base32 secret, set when enrolment begins;
    # it counts only once a code made with it was confirmed (`totp_enabled_at`).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    # The time step of the last code accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Stored in each session at sign-in; raising it ends every session made before
    # ("sign out everywhere", a new password, a reset of two-factor authentication).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    # Flask-Login's user interface.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The hash changes with the password, so a new password ends every other session.
        return f"{self.id}:{self.password_hash[-16:]}"

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@", 1)[0]

    @property
    def has_totp(self) -> bool:
        return self.totp_secret is not None and self.totp_enabled_at is not None


class RecoveryCode(Base):
    """A single-use code that stands in for a TOTP code when the phone is lost (argon2id)."""

    __tablename__ = "staff_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    used_at: Mapped[datetime | None]


class PasswordReset(Base):
    """A link sent by email to choose a new password: single-use, valid for a few minutes."""

    __tablename__ = "staff_password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id"), index=True)
    # sha256 of the token in the link: the database alone cannot make a working link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AuditEntry(Base):
    """One thing a staff member did: who, what, on what, when and from where."""

    __tablename__ = "staff_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"), index=True)
    # Kept as written at the time: the account may be renamed or removed later.
    staff_email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(80), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
