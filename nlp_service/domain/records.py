"""Plain data types shared by import, the corpus loader, the API and the reports."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nlp_service.errors import BadInputError

STATUSES = ("received", "assigned", "replied", "adopted", "partly_adopted", "reference", "not_adopted",
            "implemented", "merged")
OUTCOMES = ("adopted", "partly_adopted", "reference", "not_adopted")
STATUS_NAMES = {"received": "已受理", "assigned": "已交办", "replied": "已答复", "adopted": "已采纳",
                "partly_adopted": "部分采纳", "reference": "留作参考", "not_adopted": "未采纳",
                "implemented": "已落实", "merged": "已并案"}
CHANNELS = {"jianyan": "建言献策", "hotline": "12345热线", "cppcc_proposal": "政协提案",
            "npc_suggestion": "人大代表建议", "online_message": "网上留言"}

# Longest text accepted anywhere (a suggestion's body, an API text, a reply); a scraped news page may be
# NEWS_PAGE_FACTOR times longer, since most of a page is navigation the cleaner drops.
MAX_TEXT_CHARS = 200_000
NEWS_PAGE_FACTOR = 5

_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def item_text(title: str | None, body: str | None) -> str:
    """Title and body as one text: what the classifiers and the indexes see, and what is stored."""
    return "\n".join(x for x in (title, body) if x)


def check_length(text: str, limit: int = MAX_TEXT_CHARS, what: str = "text") -> str:
    if len(text) > limit:
        raise BadInputError(f"{what} has {len(text)} characters; the limit is {limit}")
    return text


def parse_date(value: Any) -> dt.date | None:
    """Dates as people export them: 2020/1/6 12:09:38, 2019-01-05, 2019年1月5日, Excel datetimes."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    m = _DATE_RE.search(str(value))
    if not m:
        raise ValueError(f"not a date: {str(value)[:40]!r}")
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


class StatusEventIn(BaseModel):
    status: str
    date: dt.date | None = None
    note: str | None = None

    @field_validator("status")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in STATUSES:
            raise ValueError(f"unknown status {v!r}; one of {', '.join(STATUSES)}")
        return v

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> dt.date | None:
        return parse_date(v)


class SuggestionIn(BaseModel):
    """One suggestion as it arrives from a file, the corpus or the API."""

    model_config = ConfigDict(str_strip_whitespace=True)

    external_id: str | None = Field(None, max_length=128)
    title: str = Field("", max_length=1000)
    body: str = Field("", max_length=MAX_TEXT_CHARS)
    submitted: dt.date | None = None
    channel: str | None = Field(None, max_length=64)
    submitter_group: str | None = Field(None, max_length=64)
    submitter: str | None = Field(None, max_length=128)
    place: str | None = Field(None, max_length=128)
    topic: str | None = Field(None, max_length=64)
    department: str | None = Field(None, max_length=64)
    status: str | None = None
    reply: str | None = Field(None, max_length=MAX_TEXT_CHARS)
    replied: dt.date | None = None
    likes: int | None = Field(None, ge=0)
    dislikes: int | None = Field(None, ge=0)
    dup_group: str | None = Field(None, max_length=64)
    status_history: list[StatusEventIn] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("submitted", "replied", mode="before")
    @classmethod
    def _dates(cls, v: Any) -> dt.date | None:
        return parse_date(v)

    @field_validator("status")
    @classmethod
    def _status(cls, v: str | None) -> str | None:
        if v is not None and v not in STATUSES:
            raise ValueError(f"unknown status {v!r}; one of {', '.join(STATUSES)}")
        return v

    @field_validator("external_id", "channel", "submitter_group", "submitter", "place", "topic", "department",
                     "dup_group", mode="before")
    @classmethod
    def _text_or_none(cls, v: Any) -> str | None:
        if v is None:
            return None
        s = str(v).strip()
        if isinstance(v, float) and v.is_integer():
            s = str(int(v))  # spreadsheet ids arrive as 123.0
        return s or None

    @property
    def text(self) -> str:
        """Title and body as one text: what the classifiers and the indexes see."""
        return item_text(self.title, self.body)

    def current_status(self) -> str:
        if self.status_history:
            return self.status_history[-1].status
        return self.status or ("replied" if self.reply else "received")


class NewsIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    external_id: str | None = Field(None, max_length=128)
    title: str = Field("", max_length=1000)
    body: str = Field("", max_length=MAX_TEXT_CHARS * NEWS_PAGE_FACTOR)
    published: dt.date | None = None
    source: str | None = Field(None, max_length=128)
    editor: str | None = Field(None, max_length=64)
    topic: str | None = Field(None, max_length=64)
    kind: str | None = Field(None, max_length=32)
    links: list[str] = Field(default_factory=list)

    @field_validator("published", mode="before")
    @classmethod
    def _date(cls, v: Any) -> dt.date | None:
        return parse_date(v)
