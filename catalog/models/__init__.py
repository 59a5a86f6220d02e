"""The catalog's tables, one aggregate per module."""

from catalog.models.analytics import AnalyticsSalt, DailyDownloads, DownloadEvent
from catalog.models.episode import Chapter, Episode, Transcript
from catalog.models.feed import FeedCache, FeedFrame, FeedItemCache
from catalog.models.media import MediaFile
from catalog.models.person import Credit, Person
from catalog.models.show import Show
from catalog.models.user import ApiToken, User

# Every column that names a media file: what an export writes as a storage key,
# and what keeps a file from ``catalog media sweep``. A new one goes here.
MEDIA_REFERENCES: dict[type, tuple[str, ...]] = {
    Show: ("artwork_id",),
    Episode: ("artwork_id", "audio_id"),
    Person: ("photo_id",),
    Chapter: ("image_id",),
    MediaFile: ("cover_id",),
}

__all__ = [
    "AnalyticsSalt",
    "FeedCache",
    "FeedFrame",
    "FeedItemCache",
    "ApiToken",
    "Chapter",
    "Credit",
    "DailyDownloads",
    "DownloadEvent",
    "Episode",
    "MEDIA_REFERENCES",
    "MediaFile",
    "Person",
    "Show",
    "Transcript",
    "User",
]
