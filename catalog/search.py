"""Full-text search over shows, episodes and people, ranked, with highlighted snippets.

One interface, two engines: an FTS5 virtual table on SQLite and a ``tsvector``
column with a GIN index on PostgreSQL, both named ``search_index`` and created by
migration 0003. The table is not in the ORM metadata (an FTS5 table cannot be
described by it), so Alembic is told to ignore it (``include_name``).

The index holds one document per show, episode and person. A session event
rewrites the documents of rows that changed in the same flush, so the index is
current the moment a change commits, with no job to run. Drafts are indexed too;
the query hides episodes listeners may not see yet, so a scheduled episode becomes
findable at its publish time without anyone touching it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import nh3
from flask_sqlalchemy.session import Session as FlaskSession
from markupsafe import Markup, escape
from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Connection,
    and_,
    column,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.orm import Session, UOWTransaction, attributes, selectinload

from catalog.models import Episode, Person, Show, Transcript
from catalog.transcripts import cues

SEARCH_TABLE = "search_index"
MAX_QUERY_CHARS = 500
MAX_TERMS = 12
# Private-use characters mark matches in snippets; they cannot come from escaped text.
MATCH_START, MATCH_END = "\ue000", "\ue001"
KIND_CODES = {"show": 1, "episode": 2, "person": 3}
TEXT_SEARCH_CONFIG = "english"

search_index = table(
    SEARCH_TABLE,
    column("rowid"),
    column("kind"),
    column("ref_id"),
    column("title"),
    column("body"),
    column("document"),
)

INDEXED_FIELDS: dict[type, tuple[str, ...]] = {
    Show: ("title", "subtitle", "description", "author"),
    Episode: ("title", "summary", "notes_html", "keywords"),
    Person: ("name", "affiliation", "bio"),
    Transcript: ("body", "format", "episode_id"),
}


@dataclass(frozen=True)
class SearchHit:
    """One ranked result: the show, episode or person, and its highlighted text."""

    kind: str
    item: Show | Episode | Person
    title: Markup
    snippet: Markup


def is_search_index_table(name: str | None) -> bool:
    """Tell Alembic which tables belong to the search engine (FTS5 adds shadow tables)."""
    return bool(name) and (name == SEARCH_TABLE or str(name).startswith(SEARCH_TABLE + "_"))


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Leave the search index out of autogenerate's comparison with the models."""
    return not (type_ == "table" and is_search_index_table(name))


def query_terms(query: str) -> list[str]:
    """Return the words of a user's query; operators and punctuation are dropped, not parsed."""
    return re.findall(r"\w+", query[:MAX_QUERY_CHARS])[:MAX_TERMS]


def search(session: Session, query: str, now: datetime, limit: int = 20) -> list[SearchHit]:
    """Return the best matches for ``query`` among shows, visible episodes and people."""
    terms = query_terms(query)
    if not terms:
        return []
    if session.get_bind().dialect.name == "postgresql":
        statement = _postgresql_query(terms, now, limit)
    else:
        statement = _sqlite_query(terms, now, limit)
    rows = session.execute(statement).all()
    items = _load_items(session, [(row.kind, row.ref_id) for row in rows])
    return [
        SearchHit(row.kind, items[row.kind, row.ref_id], _marked(row.title), _marked(row.snippet))
        for row in rows
        if (row.kind, row.ref_id) in items
    ]


def _visible_or_not_episode(now: datetime) -> ColumnElement[bool]:
    return or_(
        search_index.c.kind != "episode",
        and_(Episode.status.in_(("published", "scheduled")), Episode.publish_at <= now),
    )


def _with_episodes(statement: Any) -> Any:
    return statement.select_from(
        search_index.outerjoin(
            Episode, and_(search_index.c.kind == "episode", Episode.id == search_index.c.ref_id)
        )
    )


def _sqlite_query(terms: list[str], now: datetime, limit: int) -> Any:
    # Every term quoted: FTS5 reads "NEAR", "*", "(" or '"' inside quotes as plain text.
    match = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
    fts: ColumnClause[Any] = literal_column(SEARCH_TABLE)
    rank = func.bm25(fts, 0.0, 0.0, 8.0, 1.0)
    # Snippets are costly: rank every match, then make snippets for the page of results only.
    best = (
        _with_episodes(select(search_index.c.rowid))
        .where(fts.op("MATCH")(match), _visible_or_not_episode(now))
        .order_by(rank)
        .limit(limit)
        .correlate(None)
    )
    return (
        select(
            search_index.c.kind,
            search_index.c.ref_id,
            func.highlight(fts, 2, MATCH_START, MATCH_END).label("title"),
            func.snippet(fts, 3, MATCH_START, MATCH_END, "…", 28).label("snippet"),
        )
        .where(fts.op("MATCH")(match), search_index.c.rowid.in_(best.scalar_subquery()))
        .order_by(rank)
    )


def _postgresql_query(terms: list[str], now: datetime, limit: int) -> Any:
    tsquery = func.plainto_tsquery(TEXT_SEARCH_CONFIG, " ".join(terms))
    rank = func.ts_rank_cd(search_index.c.document, tsquery)
    ranked = (
        _with_episodes(
            select(
                search_index.c.kind,
                search_index.c.ref_id,
                search_index.c.title,
                search_index.c.body,
                rank.label("rank"),
            )
        )
        .where(search_index.c.document.op("@@")(tsquery), _visible_or_not_episode(now))
        .order_by(rank.desc(), search_index.c.rowid)
        .limit(limit)
        .subquery()
    )
    # Headlines are costly: make them for the page of results only.
    marks = f"StartSel={MATCH_START}, StopSel={MATCH_END}"
    return select(
        ranked.c.kind,
        ranked.c.ref_id,
        func.ts_headline(
            TEXT_SEARCH_CONFIG, ranked.c.title, tsquery, "HighlightAll=true, " + marks
        ).label("title"),
        func.ts_headline(
            TEXT_SEARCH_CONFIG,
            ranked.c.body,
            tsquery,
            'MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … ", ' + marks,
        ).label("snippet"),
    ).order_by(ranked.c.rank.desc())


def _load_items(
    session: Session, keys: list[tuple[str, int]]
) -> dict[tuple[str, int], Show | Episode | Person]:
    wanted = {kind: [ref_id for k, ref_id in keys if k == kind] for kind in KIND_CODES}
    items: dict[tuple[str, int], Show | Episode | Person] = {}
    if wanted["show"]:
        for show in session.scalars(select(Show).where(Show.id.in_(wanted["show"]))):
            items["show", show.id] = show
    if wanted["episode"]:
        episodes = session.scalars(
            select(Episode)
            .where(Episode.id.in_(wanted["episode"]))
            .options(selectinload(Episode.show))
        )
        for episode in episodes:
            items["episode", episode.id] = episode
    if wanted["person"]:
        for person in session.scalars(select(Person).where(Person.id.in_(wanted["person"]))):
            items["person", person.id] = person
    return items


def _marked(text: str | None) -> Markup:
    escaped = str(escape(text or ""))
    return Markup(escaped.replace(MATCH_START, "<mark>").replace(MATCH_END, "</mark>"))


# Keeping the index current


def _plain(markup: str) -> str:
    return html.unescape(nh3.clean(markup, tags=set()))


def _document(kind: str, item: Any, transcripts: Iterable[str] = ()) -> dict[str, Any]:
    if kind == "show":
        title, body = item.title, " ".join((item.subtitle, item.author, item.description))
    elif kind == "person":
        title, body = item.name, " ".join((item.affiliation, item.bio))
    else:
        parts = (item.summary, _plain(item.notes_html), item.keywords, *transcripts)
        title, body = item.title, " ".join(part for part in parts if part)
    return {
        "rowid": item.id * 8 + KIND_CODES[kind],
        "kind": kind,
        "ref_id": item.id,
        "title": title or "",
        "body": body or "",
    }


def transcript_text(body: str, format: str) -> str:
    """Return the spoken words of a stored transcript, without timings."""
    return " ".join(cue.text for cue in cues(body, format))


def write_documents(
    connection: Connection,
    changed: dict[tuple[str, int], Any],
    removed: set[tuple[str, int]],
) -> None:
    """Replace the documents of changed rows and drop those of removed rows."""
    rowids = [ref_id * 8 + KIND_CODES[kind] for kind, ref_id in (*changed, *removed)]
    if rowids:
        connection.execute(delete(search_index).where(search_index.c.rowid.in_(rowids)))
    episode_ids = [ref_id for kind, ref_id in changed if kind == "episode"]
    transcripts: dict[int, list[str]] = {}
    if episode_ids:
        rows = connection.execute(
            select(Transcript.episode_id, Transcript.body, Transcript.format)
            .where(Transcript.episode_id.in_(episode_ids))
            .order_by(Transcript.id)
        )
        for episode_id, body, transcript_format in rows:
            transcripts.setdefault(episode_id, []).append(transcript_text(body, transcript_format))
    documents = [
        _document(kind, item, transcripts.get(ref_id, ()))
        for (kind, ref_id), item in changed.items()
    ]
    if documents:
        connection.execute(insert(search_index), documents)


def rebuild_index(session: Session) -> int:
    """Index every show, episode and person again; return how many documents were written."""
    session.flush()
    connection = session.connection()
    connection.execute(delete(search_index))
    changed: dict[tuple[str, int], Any] = {}
    models: tuple[tuple[str, Any], ...] = (("show", Show), ("episode", Episode), ("person", Person))
    for kind, model in models:
        for item in session.scalars(select(model)):
            changed[kind, item.id] = item
    write_documents(connection, changed, set())
    return len(changed)


def _kind(item: object) -> str | None:
    return {Show: "show", Episode: "episode", Person: "person"}.get(type(item))


def _has_indexed_changes(item: object) -> bool:
    fields = INDEXED_FIELDS.get(type(item), ())
    return any(attributes.get_history(item, name).has_changes() for name in fields)


@sqlalchemy_event.listens_for(FlaskSession, "after_flush")
def _reindex_after_flush(session: Session, flush_context: UOWTransaction) -> None:
    """Rewrite the documents of rows this flush changed, inside the same transaction."""
    changed: dict[tuple[str, int], Any] = {}
    removed: set[tuple[str, int]] = set()
    episodes_to_load: set[int] = set()
    item: Any
    for item in (*session.new, *session.dirty):
        if isinstance(item, Transcript):
            if item in session.new or _has_indexed_changes(item):
                episodes_to_load.add(item.episode_id)
        elif (kind := _kind(item)) and (item in session.new or _has_indexed_changes(item)):
            changed[kind, item.id] = item
    for item in session.deleted:
        if isinstance(item, Transcript):
            episodes_to_load.add(item.episode_id)
        elif kind := _kind(item):
            removed.add((kind, item.id))
    episodes_to_load -= {ref_id for kind, ref_id in changed if kind == "episode"}
    episodes_to_load -= {ref_id for kind, ref_id in removed if kind == "episode"}
    for episode_id in episodes_to_load:
        episode = session.get(Episode, episode_id)
        if episode is not None:
            changed["episode", episode_id] = episode
    if changed or removed:
        connection = session.connection()
        write_documents(connection, changed, removed)
        if any(kind == "show" for kind, _ in removed):
            # Episodes go with their show through ON DELETE CASCADE, unseen by the ORM.
            connection.execute(
                delete(search_index).where(
                    search_index.c.kind == "episode",
                    search_index.c.ref_id.not_in(select(Episode.id)),
                )
            )
