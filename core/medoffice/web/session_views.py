"""Sessions pages: users see where they are signed in and end the others; administrators end
anyone's. An ended session is refused on its next request, in every server process."""
from __future__ import annotations

from flask import abort, redirect, url_for
from flask_login import current_user

from ..auth import session_store, sessions
from ..auth.access import requires
from ..auth.accounts import ADMIN, role_names
from ..models import User
from ..localtime import local_datetime
from . import core_blueprint as bp
from .shell import notify, render_page


def _rows(user_id: int) -> list[dict]:
    """The user's live sessions as the page shows them (times in the practice's zone)."""
    current = sessions.current()
    return [{"id": s.id, "browser": s.browser or "Unknown browser", "address": s.address or "unknown",
             "started": local_datetime(s.created_at, zone=False), "seen": local_datetime(s.last_seen_at, zone=False),
             "current": current is not None and s.id == current.id}
            for s in session_store.live_for_user(user_id)]


@bp.route("/account/sessions")
@requires("core.account.use")
def my_sessions():
    """Where the current user is signed in, with a button to end each other session."""
    return render_page("core/sessions.html", title="Your sessions", rows=_rows(current_user.id), user=None,
                       breadcrumbs=[("Your sessions", None)])


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@requires("core.account.use")
def my_session_end(session_id: int):
    """End one of the user's other sessions (this one ends with Log out)."""
    current = sessions.current()
    if current is not None and session_id == current.id:
        notify("That is this session: use Log out to end it.", "info")
    elif session_store.end_for_user(current_user.id, session_store.ENDED_BY_USER, only=session_id):
        notify("The session was ended.")
    else:
        notify("That session had already ended.", "info")
    return redirect(url_for("core.my_sessions"))


@bp.route("/account/sessions/end-others", methods=["POST"])
@requires("core.account.use")
def my_sessions_end_others():
    """End every session of the user but this one."""
    current = sessions.current()
    ended = session_store.end_for_user(current_user.id, session_store.ENDED_BY_USER,
                                       keep=current.id if current is not None else None)
    notify(f"Ended {len(ended)} other session{'s' if len(ended) != 1 else ''}." if ended
           else "You have no other sessions.")
    return redirect(url_for("core.my_sessions"))


def _managed_user(user_id: int) -> User:
    """The user an administrator acts on; only an administrator acts on an administrator."""
    user = User.get_or_none(User.id == user_id)
    if user is None:
        abort(404)
    if ADMIN in role_names(user.id) and not current_user.is_admin:
        notify("Only an administrator can change an administrator's account.", "error")
        abort(403)
    return user


@bp.route("/admin/users/<int:user_id>/sessions")
@requires("core.users.manage")
def user_sessions(user_id: int):
    """A user's live sessions, for an administrator to end."""
    user = User.get_or_none(User.id == user_id)
    if user is None:
        abort(404)
    return render_page("core/sessions.html", title=f"Sessions of {user.username}", rows=_rows(user.id), user=user,
                       breadcrumbs=[("Users", url_for("core.users")),
                                    (user.username, url_for("core.user_edit", user_id=user.id)), ("Sessions", None)])


@bp.route("/admin/users/<int:user_id>/sessions/<int:session_id>/end", methods=["POST"])
@requires("core.users.manage")
def user_session_end(user_id: int, session_id: int):
    """An administrator ends one session of a user."""
    user = _managed_user(user_id)
    ended = session_store.end_for_user(user.id, session_store.REVOKED, only=session_id)
    notify("The session was ended." if ended else "That session had already ended.", "success" if ended else "info")
    return redirect(url_for("core.user_sessions", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/sessions/end", methods=["POST"])
@requires("core.users.manage")
def user_sessions_end(user_id: int):
    """An administrator ends every session of a user (their own but the one in use)."""
    user = _managed_user(user_id)
    current = sessions.current()
    keep = current.id if current is not None and user.id == current_user.id else None
    ended = session_store.end_for_user(user.id, session_store.REVOKED, keep=keep)
    notify(f"Ended {len(ended)} session{'s' if len(ended) != 1 else ''} of {user.username}." if ended
           else f"{user.username} had no session to end.")
    return redirect(url_for("core.user_sessions", user_id=user.id))
