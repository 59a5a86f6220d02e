"""search index: FTS5 on SQLite, tsvector + GIN on PostgreSQL

Hand-written: Alembic cannot describe an FTS5 table, and the index is left out of
the models (migrations/env.py ignores it through catalog.search.include_name).
The documents are (re)written by catalog.search on every flush; this revision
fills the index from the rows present when it runs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:00:00

"""
import html
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

KIND_CODES = {"show": 1, "episode": 2, "person": 3}


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            """
            CREATE TABLE search_index (
                rowid bigint PRIMARY KEY,
                kind varchar(10) NOT NULL,
                ref_id integer NOT NULL,
                title text NOT NULL,
                body text NOT NULL,
                document tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('english', title), 'A')
                    || setweight(to_tsvector('english', body), 'B')
                ) STORED
            )
            """
        )
        op.execute("CREATE INDEX ix_search_index_document ON search_index USING gin (document)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE search_index USING fts5("
            "kind UNINDEXED, ref_id UNINDEXED, title, body, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
    _fill(bind)


def downgrade():
    op.execute("DROP TABLE search_index")


def _plain(text):
    text = re.sub(r"<[^>]*>", " ", text or "")
    return html.unescape(text)


def _transcript_words(body):
    lines = (line.strip() for line in (body or "").splitlines())
    return " ".join(
        _plain(line)
        for line in lines
        if line and "-->" not in line and not line.isdigit() and line != "WEBVTT"
    )


def _fill(bind):
    documents = []
    for row in bind.execute(sa.text("SELECT id, title, subtitle, author, description FROM show")):
        documents.append(("show", row.id, row.title, f"{row.subtitle} {row.author} {row.description}"))
    for row in bind.execute(sa.text("SELECT id, name, affiliation, bio FROM person")):
        documents.append(("person", row.id, row.name, f"{row.affiliation} {row.bio}"))
    transcripts = {}
    for row in bind.execute(sa.text("SELECT episode_id, body FROM transcript ORDER BY id")):
        transcripts.setdefault(row.episode_id, []).append(_transcript_words(row.body))
    for row in bind.execute(
        sa.text("SELECT id, title, summary, notes_html, keywords FROM episode")
    ):
        parts = (row.summary, _plain(row.notes_html), row.keywords, *transcripts.get(row.id, ()))
        documents.append(("episode", row.id, row.title, " ".join(p for p in parts if p)))
    if documents:
        bind.execute(
            sa.text(
                "INSERT INTO search_index (rowid, kind, ref_id, title, body) "
                "VALUES (:rowid, :kind, :ref_id, :title, :body)"
            ),
            [
                {"rowid": ref_id * 8 + KIND_CODES[kind], "kind": kind, "ref_id": ref_id,
                 "title": title or "", "body": body or ""}
                for kind, ref_id, title, body in documents
            ],
        )
