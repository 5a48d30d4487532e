"""Request bodies, with Chinese examples for the OpenAPI page."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from nlp_service.domain.records import MAX_TEXT_CHARS, STATUSES

EXAMPLE = "小区门口的红绿灯坏了三天了，早高峰特别堵，请交警部门尽快修复。"


class TextIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=MAX_TEXT_CHARS, examples=[EXAMPLE])


class RouteIn(TextIn):
    place: str | None = Field(None, max_length=128, description="the item's place, if known: which district",
                              examples=["西山区桃源镇"])


class SuggestionCreate(BaseModel):
    title: str = Field("", max_length=1000, examples=["建议在创新大道增设地铁过街通道"])
    body: str = Field(..., min_length=1, max_length=MAX_TEXT_CHARS,
                      examples=["创新大道地铁站B口附近没有过街设施，上下班高峰行人只能横穿马路，建议增设过街通道。"])
    external_id: str | None = Field(None, max_length=128, examples=["12345-20240501-0001"])
    submitted: dt.date | None = None
    channel: str | None = Field(None, max_length=64, examples=["hotline"])
    submitter_group: str | None = Field(None, max_length=64, examples=["citizen"])
    place: str | None = Field(None, max_length=128, examples=["高新区创新街道"])


class StatusUpdate(BaseModel):
    status: str = Field(..., examples=["replied"], pattern="^(" + "|".join(STATUSES) + ")$")
    date: dt.date | None = None
    note: str | None = Field(None, max_length=20_000, examples=["已转交市交通运输局研究办理。"])


class CorrectionIn(BaseModel):
    topic: str | None = Field(None, max_length=64, examples=["transport"])
    department: str | None = Field(None, max_length=64, examples=["jtj"])


class MergeIn(BaseModel):
    into: int = Field(..., ge=1, le=2**31 - 1, description="the suggestion that absorbs this one (并案)")


class PairJudgementIn(BaseModel):
    other: int = Field(..., ge=1, le=2**31 - 1, description="the other suggestion of the pair")
    same: bool = Field(False, description="false: 不是重复 (not the same issue); true: the same issue")


class SimilarIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=MAX_TEXT_CHARS,
                      examples=["地铁站出口共享单车乱停，堵住了盲道"])
    k: int = Field(5, ge=1, le=50)


class KeyCreate(BaseModel):
    name: str = Field(..., min_length=1, max_length=128, examples=["hotline-platform"])
    role: str = Field(..., pattern="^(submitter|staff|admin)$", examples=["submitter"])


class NewsIn(BaseModel):
    page: str = Field(..., min_length=1, max_length=1_000_000,
                      description="the page as scraped: HTML or text with its navigation and footer",
                      examples=["柳河镇卫生院夜间急诊正式开诊\n发布时间:2024-01-10 来源:江川日报\n"
                                "市卫健委采纳群众建议……"])
    external_id: str | None = Field(None, max_length=128)


class ConfirmIn(BaseModel):
    confirmed: bool = Field(..., examples=[True])


class ReportIn(BaseModel):
    since: dt.date = Field(..., examples=["2025-01-01"], description="first submission date counted (inclusive)")
    until: dt.date = Field(..., examples=["2025-12-31"], description="last submission date counted (inclusive)")
    format: str = Field("html", pattern="^(html|xlsx|json|md)$", examples=["html"])
