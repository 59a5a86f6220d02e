"""Studio views: parse the request, call one domain function, commit, render.

Every show, episode, credit and statistic is looked up through ``permissions``,
so a producer asking for another show's anything gets 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import unquote
from xml.dom import minidom

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.wrappers import Response as BaseResponse

from catalog import (
    accounts,
    chapters,
    downloads,
    episodes,
    feed,
    feed_source,
    importer,
    people,
    permissions,
    shows,
    tokens,
    transcripts,
    uploads,
)
from catalog.analytics import downloads_after_release, totals_by_app, totals_by_day
from catalog.database import utcnow
from catalog.errors import CatalogError, FileTooLarge, InvalidInput, NotFound
from catalog.extensions import db
from catalog.links import site_links
from catalog.models import Credit, Episode, Person, Show, Transcript, User
from catalog.permissions import Part
from catalog.show_notes import render_notes
from catalog.shows import ArtworkChange
from catalog.storage import MediaStore
from catalog.studio import bp, charts, forms
from catalog.studio.sign_in import LoginFailed, authenticate

Page = str | BaseResponse | tuple[str, int] | tuple[BaseResponse, int]


def _user() -> User:
    return current_user._get_current_object()


def _store() -> MediaStore:
    return MediaStore(current_app.config["CATALOG_MEDIA_ROOT"])


def _max_bytes() -> int:
    return int(current_app.config["CATALOG_MAX_UPLOAD_BYTES"])


def _show(show_slug: str) -> Show:
    return permissions.show_for_editor(db.session, show_slug, _user())


def _episode(show_slug: str, episode_slug: str) -> Episode:
    return permissions.episode_for_editor(db.session, show_slug, episode_slug, _user())


def _episode_url(episode: Episode, anchor: str | None = None) -> str:
    return url_for(
        "studio.episode_edit",
        show_slug=episode.show.slug,
        episode_slug=episode.slug,
        _anchor=anchor,
    )


def _remove_part(
    episode: Episode, part: Part, remove: Callable[[Session, Part], None], *, anchor: str
) -> Page:
    """Take a credit or transcript off the episode if the form's token checks out."""
    if forms.ActionForm().validate_on_submit():
        remove(db.session, part)
        db.session.commit()
    return redirect(_episode_url(episode, anchor))


# ------------------------------------------------------------------ accounts


@bp.route("/login", methods=["GET", "POST"])
def login() -> Page:
    form = forms.LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(db.session, form.email.data, form.password.data, now=utcnow())
        except LoginFailed as error:
            db.session.commit()  # the failure counter must survive the refusal
            form.show_error(error, "password")
            return render_template("studio/login.html", form=form), 401
        login_user(user)
        db.session.commit()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("studio/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Page:
    if forms.ActionForm().validate_on_submit():
        logout_user()
    return redirect(url_for("studio.login"))


def _safe_next(target: str | None) -> str:
    """Follow ``next`` only within the studio, so the login page cannot redirect elsewhere."""
    if target and target.startswith("/studio/") and not target.startswith("//"):
        return target
    return url_for("studio.dashboard")


@bp.get("/")
@login_required
def dashboard() -> Page:
    return render_template(
        "studio/dashboard.html", shows=permissions.editable_shows(db.session, _user())
    )


@bp.route("/users", methods=["GET", "POST"])
@login_required
def users() -> Page:
    permissions.require_admin(_user())
    form = forms.UserForm()
    if form.validate_on_submit():
        try:
            accounts.create_user(
                db.session, email=form.email.data, password=form.password.data, role=form.role.data
            )
        except CatalogError as error:
            db.session.rollback()
            form.show_error(error)
        else:
            db.session.commit()
            flash("Account created.")
            return redirect(url_for("studio.users"))
    all_shows = db.session.scalars(select(Show).order_by(Show.title)).all()
    all_users = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template(
        "studio/users.html",
        form=form,
        users=all_users,
        shows=all_shows,
        assign=_assign_form(),
        action=forms.ActionForm(),
    )


def _assign_form() -> forms.AssignForm:
    form = forms.AssignForm()
    form.shows.choices = forms.options(
        (show.id, show.title) for show in db.session.scalars(select(Show).order_by(Show.title))
    )
    return form


@bp.post("/users/<int:user_id>/shows")
@login_required
def user_shows(user_id: int) -> Page:
    user = _account(user_id)
    form = _assign_form()
    if form.validate_on_submit():
        chosen = set(form.shows.data or [])
        user.shows = [show for show in db.session.scalars(select(Show)) if show.id in chosen]
        db.session.commit()
        flash(f"Shows of {user.email} saved.")
    return redirect(url_for("studio.users"))


def _account(user_id: int) -> User:
    permissions.require_admin(_user())
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such account.")
    return user


@bp.post("/users/<int:user_id>/enabled")
@login_required
def user_enabled(user_id: int) -> Page:
    """Disable or enable an account: its sessions and API tokens stop or start working."""
    user = _account(user_id)
    form = forms.EnableForm()
    if form.validate_on_submit():
        enabled = form.enabled.data == "1"
        try:
            accounts.set_enabled(db.session, user, enabled, by=_user())
        except CatalogError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"{user.email} {'enabled' if enabled else 'disabled'}.")
    else:
        flash("The form expired or was sent from elsewhere; please try again.", "error")
    return redirect(url_for("studio.users"))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@login_required
def user_password(user_id: int) -> Page:
    """Set a new password for an account (argon2), lifting any login lock."""
    user = _account(user_id)
    form = forms.PasswordResetForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(db.session, user, form.password.data)
        except CatalogError as error:
            db.session.rollback()
            form.show_error(error, "password")
        else:
            db.session.commit()
            if user.id == current_user.id:
                login_user(user)  # their other sessions end; this one goes on
            flash(f"New password set for {user.email}; give it to them in a safe way.")
            return redirect(url_for("studio.users"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("studio/user_password.html", account=user, form=form), status


# ------------------------------------------------------------------ API tokens


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_feed() -> Page:
    """Bring a show from its old host by its feed URL; a rerun updates it."""
    form = forms.ImportFeedForm()
    report = None
    if form.validate_on_submit():
        try:
            report = _import_from(form.url.data.strip(), download_media=form.download_media.data)
        except CatalogError as error:
            db.session.rollback()
            form.show_error(error, "url")
        else:
            db.session.commit()
    page = render_template("studio/import.html", form=form, report=report)
    return page, (422 if form.errors or form.form_errors else 200)


def _import_from(url: str, *, download_media: bool) -> importer.ImportReport:
    """Import over http(s) only (never a server-side file) into a show the user may edit."""
    if not url.lower().startswith(("http://", "https://")):
        raise InvalidInput("Give the feed's http:// or https:// address.", field="url")
    config = current_app.config
    fetcher = importer.Fetcher(
        allow_private=bool(config["CATALOG_IMPORT_ALLOW_PRIVATE"]),
        timeout_seconds=float(config["CATALOG_IMPORT_TIMEOUT_SECONDS"]),
    )
    document = importer.read_feed(
        url, fetcher, max_bytes=int(config["CATALOG_IMPORT_MAX_FEED_BYTES"])
    )
    existing = db.session.scalar(select(Show).where(Show.source_feed_url == document.source))
    if existing is not None and not permissions.can_edit_show(_user(), existing):
        raise NotFound("There is no show of yours imported from this feed.")
    report = importer.import_feed(
        db.session,
        _store(),
        document,
        fetcher,
        links=site_links(),
        now=utcnow(),
        download_media=download_media,
        max_bytes=int(config["CATALOG_IMPORT_MAX_MEDIA_BYTES"]),
    )
    if report.is_new_show and not permissions.can_edit_show(_user(), report.show):
        report.show.editors.append(_user())
    return report


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def api_tokens() -> Page:
    """List the signed-in user's tokens; create one and show its plaintext this once."""
    form = forms.TokenForm()
    created = None
    if form.validate_on_submit():
        try:
            token, plaintext = tokens.create_token(db.session, _user(), form.name.data)
        except CatalogError as error:
            db.session.rollback()
            form.show_error(error, "name")
        else:
            db.session.commit()
            created = (token, plaintext)
            form = forms.TokenForm(formdata=None)
    page = render_template(
        "studio/tokens.html",
        form=form,
        created=created,
        tokens=tokens.tokens_of(db.session, _user()),
    )
    status = 201 if created else (422 if form.errors else 200)
    response = current_app.make_response((page, status))
    # The plaintext is on this page only: no cache may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@login_required
def api_token_revoke(token_id: int) -> Page:
    token = tokens.token_of(db.session, token_id, owner=_user())
    form = forms.RevokeTokenForm()
    if form.validate_on_submit():
        tokens.revoke_token(db.session, token.id, utcnow(), owner=_user())
        db.session.commit()
        flash(f"Token “{token.name}” revoked; it no longer works.")
        return redirect(url_for("studio.api_tokens"))
    status = 422 if form.errors else 200
    return render_template("studio/token_revoke.html", token=token, form=form), status


# ------------------------------------------------------------------ shows


def _show_form(show: Show | None = None) -> forms.ShowForm:
    form = forms.ShowForm(obj=show)
    form.category.choices = forms.options(shows.category_choices())
    if show is not None and request.method == "GET":
        form.category.data = "|".join(filter(None, (show.category, show.subcategory)))
    return form


@bp.route("/shows/new", methods=["GET", "POST"])
@login_required
def show_new() -> Page:
    form = _show_form()
    if form.validate_on_submit():
        values = form.values()
        title = values.pop("title")
        try:
            show = shows.create_show(
                db.session, title=title, links=site_links(), editor=_user(), fields=values
            )
        except CatalogError as error:
            db.session.rollback()
            form.show_error(error, "title")
        else:
            db.session.commit()
            flash("Show created. Add artwork, then your first episode.")
            return redirect(url_for("studio.show_edit", show_slug=show.slug))
    return render_template("studio/show_new.html", form=form)


@bp.route("/shows/<show_slug>/", methods=["GET", "POST"])
@login_required
def show_edit(show_slug: str) -> Page:
    show = _show(show_slug)
    form = _show_form(show)
    if form.validate_on_submit():
        try:
            shows.update_show(show, form.values())
            db.session.flush()
        except CatalogError as error:
            db.session.rollback()
            show = _show(show_slug)
            form.show_error(error)
        else:
            db.session.commit()
            flash("Show saved.")
            return redirect(url_for("studio.show_edit", show_slug=show.slug))
    return _render_show(show, form=form)


def _render_show(show: Show, **page: Any) -> Page:
    page.setdefault("form", _show_form(show))
    page.setdefault("artwork_form", forms.ArtworkForm())
    page.setdefault("move_form", forms.MoveForm())
    episodes_list = db.session.scalars(
        select(Episode)
        .where(Episode.show_id == show.id)
        .order_by(Episode.publish_at.desc().nulls_first(), Episode.id.desc())
    ).all()
    status = 422 if any(f.errors for f in page.values() if hasattr(f, "errors")) else 200
    return render_template(
        "studio/show_edit.html",
        show=show,
        episodes=episodes_list,
        action=forms.ActionForm(),
        feed_url=site_links().feed(show.slug),
        now=utcnow(),
        **page,
    ), status


@bp.post("/shows/<show_slug>/artwork")
@login_required
def show_artwork(show_slug: str) -> Page:
    show = _show(show_slug)
    form = forms.ArtworkForm()
    if form.validate_on_submit():
        if not _save_artwork(form, partial(shows.set_show_artwork, db.session, _store(), show)):
            return _render_show(_show(show_slug), artwork_form=form)
        flash("Artwork saved.")
        return redirect(url_for("studio.show_edit", show_slug=show.slug, _anchor="artwork-section"))
    return _render_show(show, artwork_form=form)


def _save_artwork(form: forms.ArtworkForm, attach: Callable[..., ArtworkChange]) -> bool:
    """Store the form's image through ``attach`` and say what was converted; False on an error.

    An error is put on the form and nothing is kept.
    """
    upload = form.artwork.data
    try:
        change = attach(
            upload.stream,
            filename=upload.filename or "",
            max_bytes=_max_bytes(),
            convert=form.convert.data,
        )
    except CatalogError as error:
        db.session.rollback()
        form.show_error(error, "artwork")
        return False
    db.session.commit()
    for note in (*change.changes, *change.warnings):
        flash(note)
    return True


@bp.post("/shows/<show_slug>/move")
@login_required
def show_move(show_slug: str) -> Page:
    show = _show(show_slug)
    form = forms.MoveForm()
    if form.validate_on_submit():
        try:
            shows.move_show(show, form.new_feed_url.data, links=site_links())
        except CatalogError as error:
            form.show_error(error, "new_feed_url")
        else:
            db.session.commit()
            flash("The feed now tells podcast apps the show has moved.")
            return redirect(url_for("studio.show_edit", show_slug=show.slug, _anchor="move"))
    return _render_show(show, move_form=form)


@bp.post("/shows/<show_slug>/move/cancel")
@login_required
def show_move_cancel(show_slug: str) -> Page:
    show = _show(show_slug)
    if forms.ActionForm().validate_on_submit():
        shows.cancel_show_move(show)
        db.session.commit()
        flash("The show stays here.")
    return redirect(url_for("studio.show_edit", show_slug=show.slug, _anchor="move"))


@bp.get("/shows/<show_slug>/feed-preview")
@login_required
def show_feed_preview(show_slug: str) -> Page:
    show = _show(show_slug)
    now, links = utcnow(), site_links()
    channel = feed_source.feed_channel(show, links, now)
    items = feed_source.all_feed_items(db.session, show, links, now)
    return render_template(
        "studio/feed_preview.html",
        show=show,
        episode=None,
        problems=feed.check_feed(channel, items),
        xml=_preview_xml(channel, items),
    )


# ------------------------------------------------------------------ episodes


@bp.get("/shows/<show_slug>/episodes/new")
@login_required
def episode_new(show_slug: str) -> Page:
    show = _show(show_slug)
    return render_template(
        "studio/episode_new.html", show=show, max_bytes=_max_bytes(), action=forms.ActionForm()
    )


@bp.post("/shows/<show_slug>/uploads")
@login_required
def episode_upload(show_slug: str) -> Page:
    """Take audio as the raw request body (XHR), streamed to disk, and make a draft of it."""
    _show(show_slug)  # 404 before a byte is read
    stored = _receive_audio()
    if isinstance(stored, BaseResponse):
        return stored
    show = _show(show_slug)
    episode = episodes.create_episode_from_stored_audio(db.session, _store(), show, stored)
    db.session.commit()
    return jsonify(edit_url=_episode_url(episode), title=episode.title), 201


@bp.post("/shows/<show_slug>/episodes/<episode_slug>/audio")
@login_required
def episode_audio(show_slug: str, episode_slug: str) -> Page:
    """Replace an episode's audio with the raw request body: new file, same GUID."""
    _episode(show_slug, episode_slug)
    stored = _receive_audio()
    if isinstance(stored, BaseResponse):
        return stored
    episode = _episode(show_slug, episode_slug)
    episodes.replace_audio_with_stored(db.session, _store(), episode, stored)
    db.session.commit()
    return jsonify(edit_url=_episode_url(episode), title=episode.title), 200


def _receive_audio() -> Any:
    """Stream the body into the store with no transaction open; answer JSON on refusal."""
    if not request.mimetype.startswith("audio/"):
        return _json_error("Send the audio file itself with an audio/* Content-Type.", 415)
    if (request.content_length or 0) > _max_bytes():
        return _json_error(str(_too_large()), 413)
    filename = unquote(request.headers.get("X-File-Name", "")) or "upload"
    try:
        return uploads.receive_audio(
            db.session, _store(), request.stream, filename=filename, max_bytes=_max_bytes()
        )
    except CatalogError as error:
        return _json_error(str(error), error.status_code, error.field or "audio")


def _too_large() -> FileTooLarge:
    megabytes = _max_bytes() // (1024 * 1024)
    return FileTooLarge(f"The file is larger than {megabytes} MB, the most allowed.")


def _json_error(message: str, status: int, field: str = "audio") -> Response:
    response = jsonify(error=message, field=field)
    response.status_code = status
    return response


@bp.route("/shows/<show_slug>/episodes/<episode_slug>/", methods=["GET", "POST"])
@login_required
def episode_edit(show_slug: str, episode_slug: str) -> Page:
    episode = _episode(show_slug, episode_slug)
    form = forms.EpisodeForm(obj=episode)
    if form.validate_on_submit():
        try:
            episodes.update_episode(episode, form.values())
            db.session.flush()
        except CatalogError as error:
            db.session.rollback()
            form.show_error(error)
            return _render_episode(_episode(show_slug, episode_slug), form=form)
        db.session.commit()
        flash("Episode saved.")
        return redirect(_episode_url(episode))
    return _render_episode(episode, form=form)


def _render_episode(episode: Episode, **page: Any) -> Page:
    page.setdefault("form", forms.EpisodeForm(obj=episode))
    page.setdefault("status_form", _status_form(episode))
    page.setdefault("credit_form", forms.CreditForm())
    page.setdefault("chapters_form", _chapters_form(episode))
    page.setdefault("paste_form", forms.PasteChaptersForm())
    page.setdefault("transcript_form", forms.TranscriptForm())
    page.setdefault("artwork_form", forms.ArtworkForm())
    has_errors = any(f.errors or getattr(f, "form_errors", None) for f in page.values())
    return render_template(
        "studio/episode_edit.html",
        show=episode.show,
        episode=episode,
        action=forms.ActionForm(),
        problems=_episode_problems(episode),
        has_audio_chapters=bool(chapters.chapters_from_audio(episode.audio)),
        max_bytes=_max_bytes(),
        **page,
    ), (422 if has_errors else 200)


def _status_form(episode: Episode) -> forms.StatusForm:
    form = forms.StatusForm(status=episode.status)
    form.time_zone.choices = episodes.time_zone_names()
    if request.method == "GET" and episode.publish_at is not None:
        form.publish_date.data = episode.publish_at.date()
        form.publish_time.data = episode.publish_at.time()
    return form


def _preview_item(episode: Episode) -> feed.FeedItem:
    """Describe the episode as the feed will once it is out (a draft as if published now)."""
    links = site_links()
    if episode.publish_at is not None:
        return feed_source.feed_item(episode.show, episode, links)
    # feed_source describes visible episodes only; lend the draft a time without dirtying it.
    set_committed_value(episode, "publish_at", utcnow())
    try:
        return feed_source.feed_item(episode.show, episode, links)
    finally:
        set_committed_value(episode, "publish_at", None)


def _episode_problems(episode: Episode) -> list[feed.FeedProblem]:
    channel = feed_source.feed_channel(episode.show, site_links(), utcnow())
    return feed.check_feed(channel, [_preview_item(episode)])


@bp.get("/shows/<show_slug>/episodes/<episode_slug>/feed-preview")
@login_required
def episode_feed_preview(show_slug: str, episode_slug: str) -> Page:
    episode = _episode(show_slug, episode_slug)
    channel = feed_source.feed_channel(episode.show, site_links(), utcnow())
    item = _preview_item(episode)
    return render_template(
        "studio/feed_preview.html",
        show=episode.show,
        episode=episode,
        problems=feed.check_feed(channel, [item]),
        xml=_preview_xml(channel, [item]),
    )


def _preview_xml(channel: feed.FeedChannel, items: list[feed.FeedItem]) -> str:
    """Return the feed as indented XML, or why it cannot be built yet."""
    try:
        document = feed.build_feed(channel, items)
    except CatalogError as error:
        return f"The feed cannot be built yet: {error}"
    return minidom.parseString(document).toprettyxml(indent="  ")


@bp.post("/shows/<show_slug>/episodes/<episode_slug>/status")
@login_required
def episode_status(show_slug: str, episode_slug: str) -> Page:
    episode = _episode(show_slug, episode_slug)
    form = _status_form(episode)
    if form.validate_on_submit():
        try:
            at = None
            if form.status.data == "scheduled":
                if form.publish_date.data is None or form.publish_time.data is None:
                    raise InvalidInput(
                        "Give the date and time to publish at.", field="publish_date"
                    )
                at = episodes.publish_time_from_local(
                    form.publish_date.data, form.publish_time.data, form.time_zone.data
                )
            episodes.change_episode_status(
                db.session,
                _store(),
                episode,
                form.status.data,
                now=utcnow(),
                at=at,
                links=site_links(),
                max_bytes=_max_bytes(),
            )
            db.session.flush()
        except CatalogError as error:
            db.session.rollback()
            form.show_error(error, "publish_date")
            return _render_episode(_episode(show_slug, episode_slug), status_form=form)
        db.session.commit()
        flash(
            {"draft": "Back to draft.", "scheduled": "Scheduled.", "published": "Published."}[
                episode.status
            ]
        )
        return redirect(_episode_url(episode, "publishing"))
    return _render_episode(episode, status_form=form)


@bp.post("/shows/<show_slug>/episodes/<episode_slug>/artwork")
@login_required
def episode_artwork(show_slug: str, episode_slug: str) -> Page:
    episode = _episode(show_slug, episode_slug)
    form = forms.ArtworkForm()
    if form.validate_on_submit():
        attach = partial(episodes.set_episode_artwork, db.session, _store(), episode)
        if not _save_artwork(form, attach):
            return _render_episode(_episode(show_slug, episode_slug), artwork_form=form)
        flash("Episode artwork saved.")
        return redirect(_episode_url(episode, "artwork-section"))
    return _render_episode(episode, artwork_form=form)


@bp.route("/shows/<show_slug>/episodes/<episode_slug>/delete", methods=["GET", "POST"])
@login_required
def episode_delete(show_slug: str, episode_slug: str) -> Page:
    episode = _episode(show_slug, episode_slug)
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        show = episode.show
        episodes.delete_episode(db.session, episode)
        db.session.commit()
        flash("Episode deleted.")
        return redirect(url_for("studio.show_edit", show_slug=show.slug))
    status = 422 if form.errors else 200
    return render_template("studio/episode_delete.html", episode=episode, form=form), status


# ------------------------------------------------------------------ guests


@bp.post("/shows/<show_slug>/episodes/<episode_slug>/credits")
@login_required
def credit_add(show_slug: str, episode_slug: str) -> Page:
    episode = _episode(show_slug, episode_slug)
    form = forms.CreditForm()
    if form.validate_on_submit():
        try:
            person = _chosen_person(form)
            people.add_credit(db.session, episode, person, form.role.data)
        except CatalogError as error:
            db.session.rollback()
            form.show_error(error, "person_name")
            return _render_episode(_episode(show_slug, episode_slug), credit_form=form)
        db.session.commit()
        flash(f"{person.name} added as {form.role.data}.")
        return redirect(_episode_url(episode, "guests"))
    return _render_episode(episode, credit_form=form)


def _chosen_person(form: forms.CreditForm) -> Person:
    """Return the person picked from the autocomplete, or create one from the typed name."""
    if form.person_id.data and form.person_id.data.isdigit():
        person = db.session.get(Person, int(form.person_id.data))
        if person is not None and person.name == form.person_name.data.strip():
            return person
    return people.create_person(db.session, name=form.person_name.data)


@bp.post("/shows/<show_slug>/episodes/<episode_slug>/credits/<int:credit_id>/delete")
@login_required
def credit_remove(show_slug: str, episode_slug: str, credit_id: int) -> Page:
    episode = _episode(show_slug, episode_slug)
    credit = permissions.part_of_episode(db.session, episode, Credit, credit_id)
    return _remove_part(episode, credit, people.remove_credit, anchor="guests")


@bp.get("/people/search")
@login_required
def people_search() -> Page:
    found = people.search_people(db.session, request.args.get("q", ""), limit=10)
    return jsonify(
        people=[
            {"id": person.id, "name": person.name, "affiliation": person.affiliation}
            for person in found
        ]
    )


@bp.route("/people/<person_slug>/", methods=["GET", "POST"])
@login_required
def person_edit(person_slug: str) -> Page:
    person = permissions.person_for_editor(db.session, person_slug, _user())
    form = forms.PersonForm(obj=person)
    if form.validate_on_submit():
        try:
            people.update_person(
                person,
                {
                    name: getattr(form, name).data
                    for name in ("name", "affiliation", "bio", "website")
                },
            )
            upload = form.photo.data
            if upload and getattr(upload, "filename", ""):
                people.set_person_photo(
                    db.session,
                    _store(),
                    person,
                    upload.stream,
                    filename=upload.filename,
                    max_bytes=_max_bytes(),
                )
            db.session.flush()
        except CatalogError as error:
            db.session.rollback()
            form.show_error(error, "name")
            person = permissions.person_for_editor(db.session, person_slug, _user())
        else:
            db.session.commit()
            flash("Saved.")
            return redirect(url_for("studio.person_edit", person_slug=person.slug))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("studio/person_edit.html", person=person, form=form), status


# ------------------------------------------------------------------ chapters


def _chapters_form(episode: Episode) -> forms.ChaptersForm:
    rows = [
        {"start": chapters.format_timestamp(c.start_seconds), "title": c.title, "url": c.url}
        for c in episode.chapters
    ]
    form = forms.ChaptersForm(data={"rows": [*rows, *([{}] * 3)]})
    return form


@bp.post("/shows/<show_slug>/episodes/<episode_slug>/chapters")
@login_required
def chapters_save(show_slug: str, episode_slug: str) -> Page:
    episode = _episode(show_slug, episode_slug)
    form = forms.ChaptersForm()
    if form.validate_on_submit():
        try:
            entries = [
                chapters.ChapterEntry(
                    chapters.parse_timestamp(row.start.data), row.title.data, row.url.data
                )
                for row in form.rows
                if (row.start.data or "").strip() or (row.title.data or "").strip()
            ]
            chapters.set_chapters(db.session, episode, entries)
        except CatalogError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            return _render_episode(_episode(show_slug, episode_slug), chapters_form=form)
        db.session.commit()
        flash("Chapters saved.")
        return redirect(_episode_url(episode, "chapters"))
    return _render_episode(episode, chapters_form=form)


@bp.post("/shows/<show_slug>/episodes/<episode_slug>/chapters/paste")
@login_required
def chapters_paste(show_slug: str, episode_slug: str) -> Page:
    episode = _episode(show_slug, episode_slug)
    form = forms.PasteChaptersForm()
    if form.validate_on_submit():
        try:
            chapters.set_chapters(db.session, episode, chapters.parse_chapter_list(form.text.data))
        except CatalogError as error:
            db.session.rollback()
            form.text.errors = [*form.text.errors, str(error)]
            return _render_episode(_episode(show_slug, episode_slug), paste_form=form)
        db.session.commit()
        flash("Chapters saved.")
        return redirect(_episode_url(episode, "chapters"))
    return _render_episode(episode, paste_form=form)


@bp.post("/shows/<show_slug>/episodes/<episode_slug>/chapters/import")
@login_required
def chapters_import(show_slug: str, episode_slug: str) -> Page:
    episode = _episode(show_slug, episode_slug)
    if forms.ActionForm().validate_on_submit():
        try:
            found = chapters.import_audio_chapters(db.session, episode)
        except CatalogError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"Imported {len(found)} chapters from the audio file.")
    return redirect(_episode_url(episode, "chapters"))


# ------------------------------------------------------------------ transcripts


@bp.post("/shows/<show_slug>/episodes/<episode_slug>/transcripts")
@login_required
def transcript_add(show_slug: str, episode_slug: str) -> Page:
    episode = _episode(show_slug, episode_slug)
    form = forms.TranscriptForm()
    if form.validate_on_submit():
        upload = form.transcript.data
        try:
            body = upload.stream.read(transcripts.MAX_TRANSCRIPT_BYTES + 1)
            kind = transcripts.transcript_format(upload.filename or "", upload.mimetype or "")
            transcripts.add_transcript(
                db.session, episode, body=body, format=kind, language=form.language.data
            )
        except CatalogError as error:
            db.session.rollback()
            form.show_error(error, "transcript")
            return _render_episode(_episode(show_slug, episode_slug), transcript_form=form)
        db.session.commit()
        flash("Transcript added.")
        return redirect(_episode_url(episode, "transcripts"))
    return _render_episode(episode, transcript_form=form)


@bp.post("/shows/<show_slug>/episodes/<episode_slug>/transcripts/<int:transcript_id>/delete")
@login_required
def transcript_remove(show_slug: str, episode_slug: str, transcript_id: int) -> Page:
    episode = _episode(show_slug, episode_slug)
    transcript = permissions.part_of_episode(db.session, episode, Transcript, transcript_id)
    return _remove_part(episode, transcript, transcripts.remove_transcript, anchor="transcripts")


# ------------------------------------------------------------------ notes preview, statistics


@bp.post("/preview")
@login_required
def notes_preview() -> Page:
    """Render Markdown exactly as the site and feed will (sanitized)."""
    markdown = request.form.get("markdown", "")
    if len(markdown) > 100_000:
        abort(413)
    return Response(render_notes(markdown), mimetype="text/html")


@bp.get("/shows/<show_slug>/stats")
@login_required
def show_stats(show_slug: str) -> Page:
    show = _show(show_slug)
    now = utcnow()
    stats = downloads.show_stats(db.session, show, now=now)
    return render_template(
        "studio/stats.html",
        show=show,
        episode=None,
        stats=stats,
        total=stats.total,
        by_app=stats.by_app,
        chart=charts.daily_bars(stats.by_day, last_day=now.date()),
    )


@bp.get("/shows/<show_slug>/episodes/<episode_slug>/stats")
@login_required
def episode_stats(show_slug: str, episode_slug: str) -> Page:
    episode = _episode(show_slug, episode_slug)
    now = utcnow()
    counts = downloads.daily_counts(db.session, episode_id=episode.id)
    by_day = totals_by_day(counts)
    released: dict[int, datetime] = {}
    if episode.is_published(now) and episode.publish_at is not None:
        released[episode.id] = episode.publish_at
    windows = {
        days: window
        for days in (7, 30)
        for window in downloads_after_release(counts, released, days=days, now=now).values()
    }
    return render_template(
        "studio/stats.html",
        show=episode.show,
        episode=episode,
        stats=None,
        total=sum(by_day.values()),
        by_app=totals_by_app(counts),
        windows=windows,
        chart=charts.daily_bars(by_day, last_day=now.date()),
    )
