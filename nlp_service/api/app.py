"""The FastAPI application factory."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, FastAPI
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from nlp_service import __version__
from nlp_service.api import errors
from nlp_service.service import Service

EXAMPLE = "小区门口的红绿灯坏了三天了，早高峰特别堵，请交警部门尽快修复。"


class TextIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=200_000, examples=[EXAMPLE])


def create_app(service: Service | None = None) -> FastAPI:
    svc = service or Service()
    app = FastAPI(title="nlp_service", version=__version__,
                  description="建言献策、提案建议与12345留言的文本挖掘、分类与检索服务。")
    errors.install(app)

    @app.get("/health", tags=["ops"])
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.post("/v1/route", tags=["routing"], summary="路由：主题与责任部门（不入库）")
    async def route(body: Annotated[TextIn, Body()]) -> dict[str, Any]:
        return await run_in_threadpool(svc.route, body.text)

    @app.post("/v1/text/clean", tags=["text"], summary="文本清洗")
    async def clean(body: TextIn) -> dict[str, Any]:
        return {"text": await run_in_threadpool(svc.pipeline.clean, body.text)}

    @app.post("/v1/text/segment", tags=["text"], summary="分词")
    async def segment(body: TextIn) -> dict[str, Any]:
        return {"tokens": await run_in_threadpool(svc.pipeline.tokens, body.text)}

    @app.post("/v1/text/keywords", tags=["text"], summary="关键词")
    async def keywords(body: TextIn, k: int = 10, method: str = "tfidf") -> dict[str, Any]:
        kws = await run_in_threadpool(svc.pipeline.keywords, body.text, k, method)
        return {"keywords": [{"word": w, "score": s} for w, s in kws]}

    @app.post("/v1/text/entities", tags=["text"], summary="实体：部门、地点、组织、建言数字")
    async def entities(body: TextIn) -> dict[str, Any]:
        ents = await run_in_threadpool(svc.pipeline.entities, body.text)
        return {"entities": [e.to_dict() for e in ents]}

    return app
