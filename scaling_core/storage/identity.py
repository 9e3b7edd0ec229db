"""Who acts on a shared store and what they may change: the identity of a session, the rule, and its settings.

The dashboard works out the identity (ui/identity.py: single-user, OpenID Connect sign-in or a trusted proxy
header); the store only applies the rule. data/identity/settings.json names the proxy header (off by default),
the admins and how long a deleted result can be restored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AfterValidator, StringConstraints

from scaling_core.core.errors import ConfigError
from scaling_core.core.settings import Number, SettingsModel, load_settings

Mode = Literal["single-user", "oidc", "header"]
USER_LIMIT = 200  # characters of a user id (an e-mail address or a proxy's user name)
MAX_UNDO_HOURS = 24 * 366


@dataclass(frozen=True)
class Identity:
    """The person behind a session: user (e-mail or proxy user name; None when nobody is signed in), how the app
    knows it, and whether the settings name them an admin."""

    user: str | None = None
    mode: Mode = "single-user"
    is_admin: bool = False

    @property
    def signed_in(self) -> bool:
        """Whether a user is known (never in single-user mode)."""
        return self.user is not None

    @property
    def owner(self) -> str | None:
        """What a result saved by this identity records as its owner: the user, or None when nobody is signed in."""
        return self.user

    @property
    def may_change_shared(self) -> bool:
        """Whether it may replace what the whole team uses (the latency profile, trainings): a signed-in user, or
        anyone when the app runs for one user."""
        return self.mode == "single-user" or self.signed_in

    def may_delete(self, owner: str | None) -> bool:
        """Whether it may delete (or restore) a result of this owner: its owner or an admin; in single-user mode
        the results saved without sign-in."""
        if self.is_admin:
            return True
        if self.mode == "single-user":
            return owner is None
        return self.signed_in and owner == self.user


LOCAL = Identity()
"""The one user of an app without sign-in (and of the command line)."""


class NotAllowed(ConfigError):
    """An identity asked for a change that the ownership rule gives to someone else."""


def refuse(action: str, what: str, owner: str | None, by: Identity) -> NotAllowed:
    """The error for `by` attempting `action` on `what`, which `owner` (None: nobody signed in) owns."""
    whose = f"its owner {owner}" if owner else "an admin (it was saved without sign-in)"
    you = f"you are {by.user}" if by.signed_in else "you are not signed in"
    return NotAllowed(action, what, f"only by {whose} or an admin; {you}")


def _hours(value: int | float) -> int | float:
    if not (math.isfinite(value) and 0 < value <= MAX_UNDO_HOURS):
        raise ValueError(f"a number of hours in (0, {MAX_UNDO_HOURS}]")
    return value


HeaderName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]
UserId = Annotated[str, StringConstraints(min_length=1, max_length=USER_LIMIT, strip_whitespace=True)]


class IdentitySettingsFile(SettingsModel):
    """The schema of data/identity/settings.json."""

    note: str | None = None
    user_header: HeaderName | None
    admins: tuple[UserId, ...]
    undo_hours: Annotated[Number, AfterValidator(_hours)]


@dataclass(frozen=True)
class IdentitySettings:
    """The proxy header that names the user (None: not trusted), the admins (lower case), the undo period."""

    user_header: str | None
    admins: frozenset[str]
    undo_s: float


@lru_cache(maxsize=1)
def identity_settings() -> IdentitySettings:
    """The shipped identity settings (ConfigError naming the key if the file is malformed)."""
    raw = load_settings("identity/settings.json", IdentitySettingsFile)
    return IdentitySettings(raw.user_header, frozenset(a.lower() for a in raw.admins), raw.undo_hours * 3600.0)
