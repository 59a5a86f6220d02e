"""The catalog's tables, one aggregate per module."""

from catalog.models.analytics import AnalyticsSalt, DailyDownloads, DownloadEvent
from catalog.models.episode import Chapter, Episode, Transcript
from catalog.models.feed import FeedCache, FeedFrame, FeedItemCache
from catalog.models.media import MediaFile
from catalog.models.person import Credit, Person
from catalog.models.show import Show
from catalog.models.user import ApiToken, User

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
    "MediaFile",
    "Person",
    "Show",
    "Transcript",
    "User",
]
