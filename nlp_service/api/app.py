"""The FastAPI application: HTTP in, the service facade, HTTP out. Handlers hold no logic."""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, PlainTextResponse

from nlp_service import __version__
from nlp_service.access.roles import Role
from nlp_service.api import errors
from nlp_service.api.deps import Admin, Staff, Submitter
from nlp_service.api.limits import BodyLimit
from nlp_service.api.metrics import ApiMetrics
from nlp_service.api.schemas import (
    ConfirmIn,
    CorrectionIn,
    KeyCreate,
    MergeIn,
    NewsIn,
    PairJudgementIn,
    ReportIn,
    RouteIn,
    SimilarIn,
    StatusUpdate,
    SuggestionCreate,
    TextIn,
)
from nlp_service.api.web import router as web_router
from nlp_service.domain.records import SuggestionIn
from nlp_service.search.hybrid import MODES, SearchRequest
from nlp_service.service import Service
from nlp_service.storage.repository import SuggestionFilter

log = logging.getLogger("nlp_service.api")
Limit = Annotated[int, Query(ge=1, le=200)]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def _filters(since: date | None, until: date | None, topic: str | None, department: str | None,
             status: str | None, channel: str | None, submitter_group: str | None, place: str | None
             ) -> dict[str, Any]:
    return {"since": since, "until": until, "topic": topic, "department": department, "status": status,
            "channel": channel, "submitter_group": submitter_group, "place": place}


def create_app(service: Service | None = None) -> FastAPI:
    svc = service or Service()
    app = FastAPI(title="nlp_service", version=__version__,
                  description="建言献策、提案建议与12345留言的文本挖掘、分流、检索服务。"
                              "认证：请求头 X-API-Key（或 Authorization: Bearer）。")
    app.state.service = svc
    app.state.metrics = metrics = ApiMetrics()
    errors.install(app)
    app.include_router(web_router)
    app.add_middleware(BodyLimit, limit=svc.settings.max_request_bytes)

    @app.middleware("http")
    async def log_and_measure(request: Request, call_next: Any) -> Response:
        t0 = time.perf_counter()
        response = await call_next(request)
        # The path only: query strings (search terms) and bodies may carry personal data, so they never reach logs.
        seconds = time.perf_counter() - t0
        log.info("%s %s %d %.1fms", request.method, request.url.path, response.status_code, seconds * 1000)
        route = request.scope.get("route")
        metrics.observe(request.method, getattr(route, "path", "unmatched"), response.status_code, seconds)
        return response

    # --- ops --------------------------------------------------------------------------------------------
    @app.get("/health", tags=["ops"], summary="健康检查（无需认证）")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.get("/metrics", tags=["ops"], summary="Prometheus 指标：请求数与耗时（文本格式）",
             response_class=PlainTextResponse)
    def prometheus_metrics(_: Staff) -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    # --- suggestions ------------------------------------------------------------------------------------
    @app.post("/v1/suggestions", tags=["suggestions"], status_code=201,
              summary="提交建议：入库、分流、相似与重复检测，一次返回")
    async def submit(body: SuggestionCreate, who: Submitter, response: Response) -> dict[str, Any]:
        # exclude_unset: an update by external id changes only the fields the request carries
        out = await run_in_threadpool(svc.suggestions.submit, SuggestionIn(**body.model_dump(exclude_unset=True)),
                                      who)
        if out["updated"]:
            response.status_code = 200
        return out

    @app.get("/v1/suggestions", tags=["suggestions"], summary="建议列表（提交者只看到自己的）")
    async def list_suggestions(who: Submitter, since: date | None = None, until: date | None = None,
                               topic: str | None = None, department: str | None = None,
                               status: str | None = None, channel: str | None = None,
                               submitter_group: str | None = None, place: str | None = None,
                               offset: Offset = 0, limit: Limit = 50) -> dict[str, Any]:
        flt = _filters(since, until, topic, department, status, channel, submitter_group, place)
        return await run_in_threadpool(svc.suggestions.list_items, flt, offset, limit, who)

    @app.get("/v1/suggestions/{sid}", tags=["suggestions"], summary="查看一条建议")
    async def get_suggestion(sid: ItemId, who: Submitter) -> dict[str, Any]:
        return await run_in_threadpool(svc.suggestions.get, sid, who)

    @app.post("/v1/suggestions/{sid}/status", tags=["suggestions"], summary="更新办理状态")
    async def set_status(sid: ItemId, body: StatusUpdate, who: Staff) -> dict[str, Any]:
        return await run_in_threadpool(svc.suggestions.set_status, sid, body.status, body.date, body.note, who)

    @app.post("/v1/suggestions/{sid}/correction", tags=["review"], summary="纠正主题/部门")
    async def correct(sid: ItemId, body: CorrectionIn, who: Staff) -> dict[str, Any]:
        return await run_in_threadpool(svc.routing.correct, sid, who, body.topic, body.department)

    @app.post("/v1/suggestions/{sid}/accept", tags=["review"], summary="采纳系统分流结果")
    async def accept(sid: ItemId, who: Staff) -> dict[str, Any]:
        return await run_in_threadpool(svc.routing.accept, sid, who)

    @app.post("/v1/suggestions/{sid}/merge", tags=["suggestions"], summary="并案")
    async def merge(sid: ItemId, body: MergeIn, who: Staff) -> dict[str, Any]:
        return await run_in_threadpool(svc.suggestions.merge, sid, body.into, who)

    @app.post("/v1/suggestions/{sid}/pair-judgement", tags=["suggestions"], summary="判定是否同一问题（不是重复）")
    async def judge_pair(sid: ItemId, body: PairJudgementIn, who: Staff) -> dict[str, Any]:
        return await run_in_threadpool(svc.suggestions.judge_pair, sid, body.other, body.same, who)

    @app.delete("/v1/suggestions/{sid}", tags=["suggestions"], status_code=204, summary="删除（管理员）")
    async def delete(sid: ItemId, who: Admin) -> Response:
        await run_in_threadpool(svc.suggestions.delete, sid, who)
        return Response(status_code=204)

    @app.get("/v1/suggestions/{sid}/similar", tags=["similar"], summary="相似的历史建议（更多类似）")
    async def similar_to(sid: ItemId, who: Staff, k: Annotated[int, Query(ge=1, le=50)] = 5) -> dict[str, Any]:
        return {"items": await run_in_threadpool(svc.search.similar, None, sid, k, who)}

    # --- routing, similarity, search --------------------------------------------------------------------
    @app.post("/v1/route", tags=["routing"], summary="分流：主题与责任部门（不入库）")
    async def route(body: RouteIn, _: Staff) -> dict[str, Any]:
        return await run_in_threadpool(svc.routing.route, body.text, body.place)

    @app.post("/v1/similar", tags=["similar"], summary="相似的历史建议与重复标记")
    async def similar(body: SimilarIn, who: Staff) -> dict[str, Any]:
        return {"items": await run_in_threadpool(svc.search.similar, body.text, None, body.k, who)}

    @app.get("/v1/search", tags=["search"], summary="检索：关键词 + 语义，支持筛选")
    async def search(who: Staff, q: Annotated[str, Query(max_length=2000)] = "",
                     mode: Annotated[str, Query(pattern="^(" + "|".join(MODES) + ")$")] = "hybrid",
                     kind: Annotated[str, Query(pattern="^(suggestion|news)$")] = "suggestion",
                     since: date | None = None, until: date | None = None, topic: str | None = None,
                     department: str | None = None, status: str | None = None, channel: str | None = None,
                     submitter_group: str | None = None, place: str | None = None,
                     sort: Annotated[str, Query(pattern="^(relevance|newest|oldest)$")] = "relevance",
                     like: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None, offset: Offset = 0,
                     limit: Limit = 20) -> dict[str, Any]:
        flt = SuggestionFilter(**_filters(since, until, topic, department, status, channel, submitter_group,
                                          place))
        req = SearchRequest(q, mode, kind, flt, sort, offset, limit, like)
        return await run_in_threadpool(svc.search.search, req, who)

    # --- issues: clusters and adoption -------------------------------------------------------------------
    @app.get("/v1/hot-issues", tags=["issues"], summary="热点问题：同一地点同一问题的多条留言，按热度排序")
    async def hot_issues(who: Staff, since: date | None = None, until: date | None = None,
                         top: int = Query(20, ge=1, le=500)) -> dict[str, Any]:
        return await run_in_threadpool(svc.issues.hot_issues, since, until, top, who)

    @app.get("/v1/clusters", tags=["issues"], summary="议题聚类：标签、规模、代表建议、趋势、热度、采纳")
    async def clusters(who: Staff, recompute: bool = False, since: date | None = None,
                       until: date | None = None) -> dict[str, Any]:
        return await run_in_threadpool(svc.issues.clusters, recompute, since, until, who)

    @app.get("/v1/adoption", tags=["issues"], summary="采纳率与落实率：按主题、部门、渠道、议题或时间段")
    async def adoption(_: Staff, by: Annotated[str, Query(pattern="^(topic|department|channel|cluster|period)$")],
                       period: Annotated[str | None, Query(pattern="^(year|quarter|month)$")] = None,
                       since: date | None = None, until: date | None = None) -> dict[str, Any]:
        return await run_in_threadpool(svc.issues.adoption, by, period, since, until)

    # --- review -----------------------------------------------------------------------------------------
    @app.get("/v1/review-queue", tags=["review"], summary="待人工审核")
    async def review_queue(who: Staff, offset: Offset = 0, limit: Limit = 50) -> dict[str, Any]:
        return await run_in_threadpool(svc.routing.review_queue, offset, limit, who)

    @app.get("/v1/accuracy", tags=["review"], summary="基于人工审核的实时准确率")
    async def accuracy(_: Staff) -> dict[str, Any]:
        return await run_in_threadpool(svc.routing.live_accuracy)

    @app.get("/v1/routing/quality", tags=["review"], summary="分流质量：阈值、留出集覆盖率/准确率曲线与实时准确率")
    async def routing_quality(_: Staff) -> dict[str, Any]:
        return await run_in_threadpool(svc.routing.quality)

    @app.get("/v1/taxonomy", tags=["routing"], summary="主题与部门")
    def taxonomy(_: Submitter) -> dict[str, Any]:
        tx = svc.pipeline.taxonomy
        return {"topics": [{"id": t.id, "name": t.name} for t in tx.topics],
                "departments": [{"id": d.id, "name": d.name} for d in tx.departments]}

    # --- text -------------------------------------------------------------------------------------------
    @app.post("/v1/text/clean", tags=["text"], summary="文本清洗")
    async def clean(body: TextIn, _: Staff) -> dict[str, Any]:
        return {"text": await run_in_threadpool(svc.pipeline.clean, body.text)}

    @app.post("/v1/text/segment", tags=["text"], summary="分词")
    async def segment(body: TextIn, _: Staff) -> dict[str, Any]:
        return {"tokens": await run_in_threadpool(svc.pipeline.tokens, body.text)}

    @app.post("/v1/text/keywords", tags=["text"], summary="关键词")
    async def keywords(body: TextIn, _: Staff, k: Annotated[int, Query(ge=1, le=100)] = 10,
                       method: Annotated[str, Query(pattern="^(tfidf|textrank)$")] = "tfidf") -> dict[str, Any]:
        kws = await run_in_threadpool(svc.pipeline.keywords, body.text, k, method)
        return {"keywords": [{"word": w, "score": s} for w, s in kws]}

    @app.post("/v1/text/entities", tags=["text"], summary="实体：部门、地点、组织、建言数字")
    async def entities(body: TextIn, _: Staff) -> dict[str, Any]:
        ents = await run_in_threadpool(svc.pipeline.entities, body.text)
        return {"entities": [e.to_dict() for e in ents]}

    # --- news -------------------------------------------------------------------------------------------
    @app.post("/v1/news", tags=["news"], status_code=201, summary="新闻入库：清洗、分类、数字抽取、关联建议")
    async def ingest_news(body: NewsIn, who: Staff) -> dict[str, Any]:
        return await run_in_threadpool(svc.news.ingest, body.page, who, body.external_id)

    @app.get("/v1/suggestions/{sid}/news", tags=["news"], summary="报道该建议办理情况的新闻（采纳证据）")
    async def suggestion_news(sid: ItemId, _: Staff) -> dict[str, Any]:
        return {"items": await run_in_threadpool(svc.news.evidence, sid)}

    @app.post("/v1/news-links/{link_id}/confirm", tags=["news"], summary="确认/否认新闻与建议的关联")
    async def confirm_link(link_id: ItemId, body: ConfirmIn, who: Staff) -> dict[str, Any]:
        return await run_in_threadpool(svc.news.confirm, link_id, body.confirmed, who)

    # --- reports --------------------------------------------------------------------------------------
    @app.post("/v1/reports", tags=["reports"], status_code=202, summary="生成分析报告（后台任务），返回任务编号")
    async def start_report(body: ReportIn, who: Staff) -> dict[str, Any]:
        return await run_in_threadpool(svc.reports.start, body.since, body.until, body.format, who)

    @app.get("/v1/reports/{job_id}", tags=["reports"], summary="报告任务的状态、进度与阶段")
    def report_status(job_id: str, _: Staff) -> dict[str, Any]:
        out = svc.reports.status(job_id)
        return {**out, "file_url": f"/v1/reports/{job_id}/file" if out["status"] == "done" else None}

    @app.get("/v1/reports/{job_id}/file", tags=["reports"], summary="下载生成的报告文件")
    def report_file(job_id: str, _: Staff) -> FileResponse:
        path, media_type = svc.reports.file(job_id)
        return FileResponse(path, media_type=media_type, filename=path.name)

    # --- admin ------------------------------------------------------------------------------------------
    @app.get("/v1/keys", tags=["admin"], summary="API 密钥列表")
    async def keys(_: Admin) -> dict[str, Any]:
        from nlp_service.access.keys import list_keys

        return {"items": await run_in_threadpool(list_keys, svc.db)}

    @app.post("/v1/keys", tags=["admin"], status_code=201, summary="创建 API 密钥（只显示一次）")
    async def create_key(body: KeyCreate, who: Admin) -> dict[str, Any]:
        from nlp_service.access.keys import create_key

        key = await run_in_threadpool(create_key, svc.db, body.name, Role(body.role), who.name)
        return {"name": body.name, "role": body.role, "key": key}

    @app.delete("/v1/keys/{name}", tags=["admin"], status_code=204, summary="吊销 API 密钥")
    async def revoke_key(name: str, who: Admin) -> Response:
        from nlp_service.access.keys import revoke_key

        await run_in_threadpool(revoke_key, svc.db, name, who.name)
        return Response(status_code=204)

    return app
