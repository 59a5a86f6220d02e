"""Write the catalog's ID3 tags into a published episode's MP3, as a new file.

Podcast apps show the tags of the file they download (title, show, cover,
chapters), so the file should say what the feed says. The uploaded original is
never changed and no URL ever starts serving other bytes: tagging makes a new
file under a new key, once, when an episode is first published.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from catalog.audio import AudioChapter, CoverArt, EpisodeTags, write_episode_tags
from catalog.models import Episode, MediaFile
from catalog.storage import MediaStore
from catalog.uploads import record_audio

TAGGED_MARK = "catalog_tagged_from"


def is_tagged(media: MediaFile) -> bool:
    """Tell whether ``media`` is a copy the catalog already tagged."""
    return bool((media.tags or {}).get(TAGGED_MARK))


def episode_tags(store: MediaStore, episode: Episode, *, episode_url: str) -> EpisodeTags:
    """Return the tags an episode's file should carry: what its feed item says."""
    show = episode.show
    cover = None
    if show.artwork is not None:
        with store.open(show.artwork.storage_key) as image:
            cover = CoverArt(data=image.read(), mime_type=show.artwork.mime_type)
    chapters = tuple(
        AudioChapter(chapter.start_seconds, None, chapter.title, chapter.url or None)
        for chapter in episode.chapters
    )
    return EpisodeTags(
        title=episode.title,
        show_title=show.title,
        artist=show.author or None,
        episode_number=episode.number,
        cover=cover,
        chapters=chapters,
        link=episode_url,
        description=episode.summary or None,
    )


def tag_for_publication(
    session: Session, store: MediaStore, episode: Episode, *, episode_url: str, max_bytes: int
) -> MediaFile | None:
    """Point the episode at a tagged copy of its MP3; return it, or None when nothing to do.

    Only MP3s are tagged (ID3 is their format), and only once: a file we
    tagged is left alone, so publishing again never moves the enclosure URL.
    """
    audio = episode.audio
    if audio is None or audio.mime_type != "audio/mpeg" or is_tagged(audio):
        return None
    tags = episode_tags(store, episode, episode_url=episode_url)
    with tempfile.TemporaryDirectory(prefix="catalog-tagging-") as scratch:
        tagged_path = Path(scratch) / "tagged.mp3"
        write_episode_tags(store.path_for(audio.storage_key), tagged_path, tags)
        with tagged_path.open("rb") as tagged:
            stored = store.ingest_audio(
                tagged, original_filename=audio.original_filename, max_bytes=max_bytes
            )
    tagged_media = record_audio(session, store, stored)
    tagged_media.tags = {**(tagged_media.tags or {}), TAGGED_MARK: audio.sha256}
    episode.audio = tagged_media
    session.flush()
    return tagged_media
