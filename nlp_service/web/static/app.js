/* 建言献策工作台: vanilla JavaScript, no build step, no third-party code.
 *
 * Every call goes to the JSON API with the key the user entered once (kept in localStorage).
 * Text from the server is always inserted as text (textContent / text nodes). The only HTML inserted is the
 * search highlights (title_html / snippet_html), which the server has already escaped; even those are rebuilt
 * here keeping nothing but text and <mark> elements.
 */
"use strict";

(() => {
  const KEY_STORE = "nlp_service.apiKey";
  const PAGE = 20;
  const state = {
    key: "",
    names: { topics: {}, departments: {} },
    taxonomy: { topics: [], departments: [] },
    statusNames: {},
    channelNames: {},
    search: { offset: 0, like: null, likeTitle: "" },
    review: { offset: 0, total: 0 },
    view: "desk",
  };
  const $ = (id) => document.getElementById(id);

  // --- DOM helpers: text only ---------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false || c === "") continue;
      node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function replace(node, ...children) {
    node.replaceChildren();
    return append(node, children);
  }

  /** Server-escaped highlight HTML -> a fragment with only text nodes and <mark> elements. */
  function serverHtml(html) {
    const tpl = document.createElement("template");
    tpl.innerHTML = html || ""; // inert: template content runs no scripts and loads nothing
    const out = document.createDocumentFragment();
    (function copy(src, dst) {
      for (const n of src.childNodes) {
        if (n.nodeType === Node.TEXT_NODE) dst.appendChild(document.createTextNode(n.data));
        else if (n.nodeType === Node.ELEMENT_NODE) {
          if (n.tagName === "MARK") dst.appendChild(copy(n, document.createElement("mark")));
          else copy(n, dst);
        }
      }
      return dst;
    })(tpl.content, out);
    return out;
  }

  const pct = (p) => (typeof p === "number" && isFinite(p) ? `${(p * 100).toFixed(1)}%` : "—");
  const rate = (r) => pct(r > 1 ? r / 100 : r); // a rate given as 0..1 or as a percentage
  const topicName = (id) => (id ? state.names.topics[id] || id : "—");
  const deptName = (id) => (id ? state.names.departments[id] || id : "—");
  const statusName = (s) => (s ? state.statusNames[s] || s : "—");
  const channelName = (c) => (c ? state.channelNames[c] || c : null);

  function probBar(p) {
    const fill = el("span");
    fill.style.width = `${Math.max(0, Math.min(1, p || 0)) * 100}%`; // CSSOM: allowed by the page's CSP
    return el("span", { class: "prob" }, el("span", { class: "bar" }, fill), el("span", {}, pct(p)));
  }

  const chips = (words) => el("span", { class: "chips" }, (words || []).map((w) => el("span", { class: "chip" }, w)));
  const loading = (text) => el("p", { class: "empty" }, text || "加载中…");
  const errorBox = (err) => el("p", { class: "error", role: "alert" }, err && err.message ? err.message : String(err));

  // --- notices ------------------------------------------------------------------------------------------
  let noticeTimer = null;
  function notice(message, kind) {
    const box = $("notice");
    box.textContent = message;
    box.className = kind === "info" ? "notice info" : "notice";
    box.hidden = false;
    clearTimeout(noticeTimer);
    if (kind === "info") noticeTimer = setTimeout(() => { box.hidden = true; }, 4000);
  }
  const clearNotice = () => { $("notice").hidden = true; };

  // --- the API ------------------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { "X-API-Key": state.key, Accept: "application/json" };
    const init = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, `无法连接服务器：${e.message}`);
    }
    const raw = await resp.text();
    let data = null;
    try { data = raw ? JSON.parse(raw) : null; } catch (_) { data = null; }
    if (resp.ok) return data;
    const detail = data && (data.detail || data.title) ? String(data.detail || data.title) : resp.statusText;
    const messages = {
      401: "API 密钥无效、缺失或已被吊销（401），请重新登录。",
      403: "权限不足（403）：此操作需要工作人员（staff）或管理员的 API 密钥。",
      404: `未找到（404）：${detail}`,
      413: `内容过大（413）：${detail}`,
      422: `输入有误（422）：${detail}`,
      503: `服务暂不可用（503）：${detail}`,
    };
    const err = new ApiError(resp.status, messages[resp.status] || `请求失败（${resp.status}）：${detail}`);
    if (resp.status === 401 && state.key) logout(err.message);
    else if (resp.status === 403) notice(err.message);
    throw err;
  }

  const query = (params) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
    return q.toString();
  };

  // --- login --------------------------------------------------------------------------------------------
  function showLogin(message) {
    $("app").hidden = true;
    $("who").hidden = true;
    $("login").hidden = false;
    const err = $("login-error");
    err.textContent = message || "";
    err.hidden = !message;
    $("login-key").focus();
  }

  function logout(message) {
    state.key = "";
    localStorage.removeItem(KEY_STORE);
    clearNotice();
    showLogin(message);
  }

  async function start(key) {
    state.key = key;
    let tx;
    let queue;
    try {
      // The taxonomy checks the key; the review queue checks that it is at least a staff key.
      [tx, queue] = await Promise.all([api("GET", "v1/taxonomy"), api("GET", "v1/review-queue?limit=1")]);
    } catch (e) {
      if (e.status === 401 || e.status === 403) {
        state.key = "";
        localStorage.removeItem(KEY_STORE);
        clearNotice();
        showLogin(e.status === 403 ? "该密钥没有工作人员权限（403），请使用 staff 或 admin 角色的密钥。" : e.message);
      } else {
        showLogin(e.message);
      }
      return;
    }
    localStorage.setItem(KEY_STORE, key);
    setTaxonomy(tx);
    setReviewCount(queue.total);
    $("login").hidden = true;
    $("login-key").value = "";
    $("who-label").textContent = `已登录（密钥 …${key.slice(-4)}）`;
    $("who").hidden = false;
    $("app").hidden = false;
    const fromHash = location.hash.replace("#", "");
    activate(["desk", "search", "review", "clusters", "hot"].includes(fromHash) ? fromHash : "desk");
  }

  function setTaxonomy(tx) {
    state.taxonomy = { topics: tx.topics || [], departments: tx.departments || [] };
    state.names.topics = Object.fromEntries(state.taxonomy.topics.map((t) => [t.id, t.name]));
    state.names.departments = Object.fromEntries(state.taxonomy.departments.map((d) => [d.id, d.name]));
    for (const select of document.querySelectorAll("select[data-taxonomy]")) {
      const keep = select.value;
      replace(select, el("option", { value: "" }, "全部"),
        state.taxonomy[select.dataset.taxonomy].map((x) => el("option", { value: x.id }, x.name)));
      select.value = keep;
    }
  }

  function setReviewCount(n) {
    state.review.total = n;
    $("review-count").textContent = n ? String(n) : "";
  }

  // --- tabs ---------------------------------------------------------------------------------------------
  function activate(view) {
    state.view = view;
    for (const tab of document.querySelectorAll("[role=tab]")) {
      const on = tab.dataset.view === view;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      $(tab.getAttribute("aria-controls")).hidden = !on;
    }
    history.replaceState(null, "", `#${view}`);
    if (view === "review") loadReview();
    if (view === "clusters") loadClusters();
    if (view === "hot") loadHotIssues();
  }

  // --- 分析报告 -----------------------------------------------------------------------------------------
  const REPORT_STAGES = { items: "读取建议", volume: "数量趋势", distribution: "主题与部门", clusters: "议题聚类",
    emerging: "新兴问题", hot_issues: "热点问题", duplicates: "重复建议", adoption: "采纳与落实",
    reply_times: "答复时效", news: "新闻报道", render: "生成文件", done: "完成" };

  async function downloadLink(job, fmt) {
    const resp = await fetch(`v1/reports/${job.job_id}/file`, { headers: { "X-API-Key": state.key } });
    if (!resp.ok) throw new ApiError(resp.status, `下载失败（${resp.status}）`);
    const url = URL.createObjectURL(await resp.blob());
    return el("p", {},
      el("a", { href: url, download: job.file, id: "report-download", class: "button" }, `下载报告（${job.file}）`),
      fmt === "html" ? el("a", { href: url, target: "_blank", rel: "noopener", id: "report-preview" }, " 在新窗口预览") : null);
  }

  async function submitReport(ev) {
    ev.preventDefault();
    const result = $("report-result");
    const fmt = $("report-format").value;
    const bar = el("progress", { id: "report-progress", max: "1", value: "0" });
    const stage = el("span", { id: "report-stage" }, "排队中…");
    replace(result, el("div", { class: "card" }, bar, " ", stage));
    try {
      const { job_id } = await api("POST", "v1/reports",
        { since: $("report-since").value, until: $("report-until").value, format: fmt });
      for (;;) {
        const job = await api("GET", `v1/reports/${job_id}`);
        bar.value = job.progress;
        replace(stage, `${REPORT_STAGES[job.stage] || job.stage || "排队中"} · ${pct(job.progress)}`);
        if (job.status === "failed") throw new ApiError(500, `报告生成失败：${job.error || "未知原因"}`);
        if (job.status === "done") {
          append(result.firstChild, [await downloadLink(job, fmt)]);
          return;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    } catch (e) {
      append(result, [errorBox(e)]);
    }
  }

  function defaultReportPeriod() {
    const y = new Date().getFullYear() - 1;
    if (!$("report-since").value) $("report-since").value = `${y}-01-01`;
    if (!$("report-until").value) $("report-until").value = `${y}-12-31`;
  }

  // --- 新闻核验 -----------------------------------------------------------------------------------------
  const FIGURE_KINDS = { submitted: "收到建议", adopted: "采纳", implemented: "落实", written_into_plan: "写入规划",
    replied: "答复" };
  const QUALIFIERS = { exact: "", about: "约", nearly: "近", more_than: "超过" };
  const figureName = (k) => (String(k).startsWith("rate:") ? "比率" : FIGURE_KINDS[k] || k);

  function linkActions(link) {
    const done = el("span", { class: "done" });
    const answer = (confirmed) => async () => {
      try {
        await api("POST", `v1/news-links/${link.link_id}/confirm`, { confirmed });
        replace(done, confirmed ? "已确认" : "已否认");
      } catch (e) {
        notice(e.message || String(e), "error");
      }
    };
    return el("div", { class: "row" },
      el("button", { type: "button", class: "secondary", "data-action": "confirm", onclick: answer(true) }, "确认关联"),
      el("button", { type: "button", class: "secondary", "data-action": "reject", onclick: answer(false) }, "否认"),
      done);
  }

  function renderNews(out) {
    const figures = out.figures || [];
    const links = out.links || [];
    return el("div", { class: "card", id: "news-card", "data-id": out.id },
      el("h2", { id: "news-title" }, out.title || "（未识别标题）"),
      el("div", { class: "meta" },
        el("span", {}, `发布：${out.published || "未识别"}`),
        el("span", {}, `来源：${out.source || "未识别"}`),
        out.editor ? el("span", {}, `编辑：${out.editor}`) : null,
        el("span", {}, `主题：${topicName(out.topic.id)}（${pct(out.topic.probability)}）`)),
      el("h3", {}, "报道的办理数字"),
      figures.length ? el("ul", { class: "plain", id: "news-figures" }, figures.map((f) =>
        el("li", {}, `${figureName(f.kind)} ${QUALIFIERS[f.qualifier] || ""}${f.value}：${f.text}`))) :
        el("p", { class: "empty" }, "未发现建议办理相关的数字。"),
      el("h3", {}, "可能报道的建议"),
      links.length ? el("ul", { class: "list", id: "news-links" }, links.map((l) => {
        const ev = l.evidence || {};
        return el("li", { "data-id": l.suggestion_id },
          el("div", { class: "item-title" }, `#${l.suggestion_id} ${l.title || ""}`),
          el("div", { class: "reason" }, `相似度 ${pct(l.score)}`,
            ev.shared_names && ev.shared_names.length ? `；共同地名/单位：${ev.shared_names.join("、")}` : "",
            ev.shared_keywords && ev.shared_keywords.length ? `；共同关键词：${ev.shared_keywords.slice(0, 6).join("、")}` : "",
            ev.outcome_words ? "；含办理结果用语" : ""),
          linkActions(l));
      })) : el("p", { class: "empty", id: "news-links" }, "没有足够相似的建议。"));
  }

  async function submitNews(ev) {
    ev.preventDefault();
    const result = $("news-result");
    const page = $("news-page").value;
    if (!page.trim()) return replace(result, errorBox("请粘贴新闻内容。"));
    replace(result, loading("解析中…"));
    try {
      replace(result, renderNews(await api("POST", "v1/news", { page })));
    } catch (e) {
      replace(result, errorBox(e));
    }
  }

  // --- accept / correct, shared by the desk and the review queue ----------------------------------------
  function reviewActions(id, predicted, onDone) {
    const status = el("span", { class: "done", role: "status" });
    const topicSel = el("select", { "aria-label": "纠正后的主题" },
      state.taxonomy.topics.map((t) => el("option", { value: t.id }, t.name)));
    const deptSel = el("select", { "aria-label": "纠正后的部门" },
      state.taxonomy.departments.map((d) => el("option", { value: d.id }, d.name)));
    topicSel.value = predicted.topic || "";
    deptSel.value = predicted.department || "";
    const panel = el("div", { class: "actions", hidden: true },
      el("label", {}, "主题", topicSel), el("label", {}, "部门", deptSel));
    const acceptBtn = el("button", { type: "button", class: "ok", "data-action": "accept" }, "采纳");
    const correctBtn = el("button", { type: "button", class: "secondary", "data-action": "correct" }, "纠正");
    const sendBtn = el("button", { type: "button", class: "primary", "data-action": "send-correction" }, "提交纠正");
    const cancelBtn = el("button", { type: "button", class: "secondary" }, "取消");
    append(panel, [sendBtn, cancelBtn]);
    const buttons = [acceptBtn, correctBtn, sendBtn, cancelBtn];
    const busy = (on) => buttons.forEach((b) => { b.disabled = on; });

    function finished(text) {
      status.textContent = text;
      panel.hidden = true;
      acceptBtn.hidden = true;
      correctBtn.hidden = true;
      if (onDone) onDone();
    }

    acceptBtn.addEventListener("click", async () => {
      busy(true);
      try {
        const out = await api("POST", `v1/suggestions/${id}/accept`);
        const a = out.accepted || {};
        finished(`已采纳：主题 ${topicName(a.topic)} · 部门 ${deptName(a.department)}`);
      } catch (e) {
        status.textContent = e.message;
      } finally {
        busy(false);
      }
    });
    correctBtn.addEventListener("click", () => { panel.hidden = !panel.hidden; });
    cancelBtn.addEventListener("click", () => { panel.hidden = true; });
    sendBtn.addEventListener("click", async () => {
      busy(true);
      try {
        const out = await api("POST", `v1/suggestions/${id}/correction`,
          { topic: topicSel.value || null, department: deptSel.value || null });
        const parts = (out.corrections || []).map((c) => {
          const name = c.field === "topic" ? topicName : deptName;
          const label = c.field === "topic" ? "主题" : "部门";
          return c.before === c.after ? `${label} ${name(c.after)}（确认）` : `${label} ${name(c.before)} → ${name(c.after)}`;
        });
        finished(`已纠正：${parts.join("；")}`);
      } catch (e) {
        status.textContent = e.message;
      } finally {
        busy(false);
      }
    });
    return el("div", {}, el("div", { class: "actions" }, acceptBtn, correctBtn, status), panel);
  }

  // --- 分流台 -------------------------------------------------------------------------------------------
  function whyLines(why) {
    why = why || {};
    return [
      why.shared_keywords && why.shared_keywords.length
        ? el("div", { class: "reason" }, el("b", {}, "共同关键词："), chips(why.shared_keywords)) : null,
      why.shared_entities && why.shared_entities.length
        ? el("div", { class: "reason" }, el("b", {}, "共同提及："), chips(why.shared_entities)) : null,
      why.same_place ? el("div", { class: "reason" }, el("b", {}, "同一地点："), why.same_place) : null,
      typeof why.days_apart === "number" ? el("div", { class: "reason" }, el("b", {}, "时间相隔："), `${why.days_apart} 天`) : null,
    ];
  }

  function renderSimilar(items, queryId) {
    if (!items || !items.length) return el("p", { class: "hint" }, "没有找到相似的历史建议。");
    return el("ul", { class: "list", id: "desk-similar" }, items.map((s) => el("li", { "data-id": s.id },
      el("div", {},
        el("span", { class: "item-title" }, s.title || "（无标题）"),
        el("span", { class: "badge" }, `相似度 ${s.score.toFixed(3)}`),
        s.duplicate ? el("span", { class: "badge dup" }, "疑似重复") : null,
        typeof s.duplicate_probability === "number"
          ? el("span", { class: "badge" }, `同一问题概率 ${pct(s.duplicate_probability)}`) : null),
      el("div", { class: "meta" },
        el("span", {}, `#${s.id}`),
        s.submitted ? el("span", {}, s.submitted) : null,
        s.place ? el("span", {}, s.place) : null,
        el("span", {}, `主题：${topicName(s.topic)}`),
        el("span", {}, `部门：${deptName(s.department)}`),
        el("span", {}, `状态：${s.status_name || statusName(s.status)}`),
        s.outcome ? el("span", {}, `办理结果：${s.outcome}`) : null),
      whyLines(s.why),
      pairLines(s.duplicate_why),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "link small", onclick: () => moreLike(s.id, s.title) }, "更多类似"),
        queryId && s.duplicate ? notDuplicateButton(queryId, s.id) : null))));
  }

  function pairLines(why) {
    if (!why) return [];
    return [
      why.for && why.for.length ? el("div", { class: "reason" }, el("b", {}, "判为同一问题的依据："), chips(why.for)) : null,
      why.against && why.against.length
        ? el("div", { class: "reason against" }, el("b", {}, "不同之处："), chips(why.against)) : null,
    ];
  }

  function notDuplicateButton(id, other) {
    const btn = el("button", { type: "button", class: "secondary small", "data-action": "not-duplicate" }, "不是重复");
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      try {
        await api("POST", `v1/suggestions/${id}/pair-judgement`, { other, same: false });
        btn.replaceWith(el("span", { class: "done" }, "已记录：不是重复"));
      } catch (e) {
        btn.disabled = false;
        notice(e.message || String(e), "error");
      }
    });
    return btn;
  }

  function reviewBadge(r) {
    const th = r.thresholds || {};
    const wait = [];
    if (r.review && r.review.topic) wait.push(`主题 ${pct(r.topic.probability)} < ${pct(th.topic)}`);
    if (r.review && r.review.department) wait.push(`部门 ${pct(r.department.probability)} < ${pct(th.department)}`);
    if (!wait.length) return el("span", { class: "badge ok", id: "desk-needs-review" }, "主题与部门均已自动确定，已分派");
    const sent = r.review.department ? "" : "部门已先行分派，";
    return el("span", { class: "badge warn", id: "desk-needs-review" }, `${sent}需人工审核（${wait.join("；")}）`);
  }

  function renderSubmission(out) {
    const r = out.routing;
    const review = reviewBadge(r);
    const dups = out.duplicate_of || [];
    const others = (r.topic.top || []).filter((t) => t.id !== r.topic.id);
    return el("div", { class: "card", id: "desk-card", "data-id": out.id },
      el("div", { class: "row between" }, el("h2", {}, `已受理 #${out.id}`, review)),
      dups.length ? el("p", { class: "banner", id: "desk-duplicate" },
        el("span", { class: "badge dup" }, "疑似重复"), ` 与历史建议 ${dups.map((d) => `#${d}`).join("、")} 高度相似，请考虑并案。`) : null,
      el("h3", {}, "建议主题"),
      el("div", { id: "desk-topic" },
        el("span", { class: "topic" }, r.topic.name), el("span", { class: "badge" }, pct(r.topic.probability))),
      r.topic.reason && r.topic.reason.words && r.topic.reason.words.length
        ? el("div", { class: "reason" }, el("b", {}, "依据词："), chips(r.topic.reason.words)) : null,
      others.length ? el("div", { class: "meta" }, "其他候选：",
        others.map((t) => el("span", {}, `${t.name} ${pct(t.probability)}`))) : null,
      el("h3", {}, "责任部门（前三）"),
      el("table", { id: "desk-departments" },
        el("thead", {}, el("tr", {}, el("th", {}, "#"), el("th", {}, "部门"), el("th", {}, "概率"), el("th", {}, "理由"))),
        el("tbody", {}, r.departments.map((d, i) => el("tr", {},
          el("td", {}, String(i + 1)),
          el("td", {}, d.name),
          el("td", {}, probBar(d.probability)),
          el("td", {},
            d.reason.words && d.reason.words.length
              ? el("div", { class: "reason" }, el("b", {}, "关键词："), chips(d.reason.words)) : null,
            d.reason.named_in_text ? el("div", { class: "reason" }, el("b", {}, "文中点名："), d.reason.named_in_text) : null,
            d.reason.responsibility ? el("div", { class: "reason" }, el("b", {}, "权责清单："), d.reason.responsibility) : null,
            !d.reason.words?.length && !d.reason.named_in_text && !d.reason.responsibility
              ? el("span", { class: "reason" }, "—") : null))))),
      reviewActions(out.id, { topic: r.topic.id, department: r.department.id }, () => {
        if (r.needs_review) setReviewCount(Math.max(0, state.review.total - 1));
      }),
      el("h3", {}, "相似的历史建议"),
      renderSimilar(out.similar, out.id));
  }

  async function submitDesk(ev) {
    ev.preventDefault();
    const body = $("desk-body").value.trim();
    const result = $("desk-result");
    if (!body) {
      replace(result, errorBox("请填写建议内容。"));
      return;
    }
    const payload = { body, title: $("desk-title").value.trim() };
    if ($("desk-place").value.trim()) payload.place = $("desk-place").value.trim();
    if ($("desk-channel").value) payload.channel = $("desk-channel").value;
    const btn = $("desk-submit");
    btn.disabled = true;
    replace(result, loading("正在分流…"));
    try {
      const out = await api("POST", "v1/suggestions", payload);
      replace(result, renderSubmission(out));
      if (out.routing.needs_review) setReviewCount(state.review.total + 1);
    } catch (e) {
      replace(result, errorBox(e));
    } finally {
      btn.disabled = false;
    }
  }

  // --- 检索 ---------------------------------------------------------------------------------------------
  function pager(offset, total, limit, go) {
    if (total <= limit) return null;
    const page = Math.floor(offset / limit) + 1;
    const pages = Math.ceil(total / limit);
    return el("div", { class: "pager" },
      el("button", { type: "button", class: "secondary", disabled: page <= 1, onclick: () => go(offset - limit) }, "上一页"),
      el("span", {}, `第 ${page} / ${pages} 页`),
      el("button", { type: "button", class: "secondary", disabled: page >= pages, onclick: () => go(offset + limit) }, "下一页"));
  }

  function renderSearch(out) {
    const items = out.results || [];
    if (!items.length) return el("p", { class: "empty" }, "没有符合条件的结果。");
    return el("div", { class: "card" },
      el("p", { class: "hint", id: "search-total" }, `共 ${out.total} 条结果`),
      el("ul", { class: "list", id: "search-list" }, items.map((x) => el("li", { "data-id": x.id },
        el("div", { class: "item-title" }, x.title_html ? serverHtml(x.title_html) : "（无标题）"),
        el("div", { class: "meta" },
          el("span", {}, `#${x.id}`),
          x.date ? el("span", {}, x.date) : null,
          el("span", {}, `主题：${topicName(x.topic)}`),
          x.kind === "suggestion" ? el("span", {}, `部门：${deptName(x.department)}`) : null,
          x.kind === "suggestion" ? el("span", {}, `状态：${statusName(x.status)}`) : null,
          channelName(x.channel) ? el("span", {}, channelName(x.channel)) : null,
          x.place ? el("span", {}, x.place) : null),
        el("p", { class: "snippet" }, serverHtml(x.snippet_html)),
        el("button", { type: "button", class: "link small", onclick: () => moreLike(x.id, x.title) }, "更多类似")))),
      pager(out.offset, out.total, out.limit, runSearch));
  }

  async function runSearch(offset) {
    state.search.offset = Math.max(0, offset || 0);
    const s = state.search;
    const params = {
      q: s.like ? "" : $("search-q").value.trim(), mode: $("search-mode").value, sort: $("search-sort").value,
      since: $("search-since").value, until: $("search-until").value, topic: $("search-topic").value,
      department: $("search-department").value, status: $("search-status").value,
      channel: $("search-channel").value, like: s.like, offset: s.offset, limit: PAGE,
    };
    const banner = $("search-like");
    if (s.like) {
      replace(banner, `与 #${s.like}「${s.likeTitle || "（无标题）"}」类似的建议 `,
        el("button", { type: "button", class: "link", onclick: () => { s.like = null; runSearch(0); } }, "返回关键词检索"));
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
    const result = $("search-result");
    replace(result, loading("检索中…"));
    try {
      replace(result, renderSearch(await api("GET", `v1/search?${query(params)}`)));
    } catch (e) {
      replace(result, errorBox(e));
    }
  }

  function moreLike(id, title) {
    state.search.like = id;
    state.search.likeTitle = title || "";
    if (state.view !== "search") activate("search");
    runSearch(0);
  }

  // --- 待审核 -------------------------------------------------------------------------------------------
  function renderReview(out) {
    setReviewCount(out.total);
    const items = out.items || [];
    if (!items.length) return el("p", { class: "empty" }, "没有待审核的建议。");
    return el("div", { class: "card" },
      el("p", { class: "hint", id: "review-total" }, `共 ${out.total} 条待审核`),
      el("ul", { class: "list", id: "review-list" }, items.map((x) => {
        const p = x.prediction || {};
        const alt = p.alternatives || {};
        return el("li", { "data-id": x.id },
          el("div", { class: "item-title" }, x.title || "（无标题）"),
          el("div", { class: "meta" },
            el("span", {}, `#${x.id}`),
            x.submitted ? el("span", {}, x.submitted) : null,
            channelName(x.channel) ? el("span", {}, channelName(x.channel)) : null,
            x.place ? el("span", {}, x.place) : null,
            el("span", {}, `状态：${statusName(x.status)}`)),
          el("div", { class: "body-text" }, x.body || ""),
          el("div", { class: "reason" }, el("b", {}, "系统建议："),
            `主题 ${topicName(p.topic)}（${pct(p.topic_probability)}）· 部门 ${deptName(p.department)}（${pct(p.department_probability)}）`),
          alt.topics && alt.topics.length ? el("div", { class: "reason" }, el("b", {}, "候选主题："),
            alt.topics.map((t) => `${t.name || topicName(t.id)} ${pct(t.probability)}`).join("，")) : null,
          alt.departments && alt.departments.length ? el("div", { class: "reason" }, el("b", {}, "候选部门："),
            alt.departments.map((d) => `${deptName(d.id)} ${pct(d.probability)}`).join("，")) : null,
          reviewActions(x.id, { topic: p.topic, department: p.department },
            () => setReviewCount(Math.max(0, state.review.total - 1))));
      })),
      pager(out.offset, out.total, out.limit, loadReview));
  }

  function curveTable(curves) {
    const names = { topic: "主题", department: "部门", joint: "主题与部门均对" };
    const keys = Object.keys(names).filter((k) => curves && curves[k]);
    if (!keys.length) return null;
    const rows = curves[keys[0]].filter((_, i) => i % 2 === 1);
    return el("table", { class: "table", id: "quality-curve" },
      el("caption", {}, "留出集：按置信度自动处理前 X% 时的准确率"),
      el("thead", {}, el("tr", {}, el("th", {}, "自动处理比例"), keys.map((k) => el("th", {}, names[k])))),
      el("tbody", {}, rows.map((c, i) => el("tr", {}, el("td", {}, pct(c.coverage)),
        keys.map((k) => el("td", {}, pct(curves[k][2 * i + 1].accuracy)))))));
  }

  function renderQuality(q) {
    const h = q.held_out || {};
    const share = (x) => (x ? `${pct(x.coverage)}（其中正确 ${pct(x.precision)}）` : "—");
    const live = q.live || {};
    const liveText = (f) => (live[f] && live[f].reviewed
      ? `${pct(live[f].accuracy)}（${live[f].unchanged}/${live[f].reviewed}）` : "尚无审核记录");
    return el("details", { class: "card", id: "review-quality-card" },
      el("summary", {}, `分流质量：主题阈值 ${pct(q.thresholds.topic)}，部门阈值 ${pct(q.thresholds.department)}`),
      el("p", { class: "hint" }, `阈值按目标准确率 ${pct(q.target_precision)} 在训练数据的交叉验证结果上选定；下列数字来自训练从未见过的 ${h.items || "—"} 条留出建议。`),
      el("ul", { class: "plain", id: "quality-shares" },
        el("li", {}, `部门自动分派：${share(h.department)}`),
        el("li", {}, `主题自动确定：${share(h.topic)}`),
        el("li", {}, `两项均自动：${share(h.both)}；全部留出建议两项均对 ${pct(h.joint_accuracy)}`),
        el("li", { id: "quality-live" }, `人工审核后的实时准确率：主题 ${liveText("topic")}，部门 ${liveText("department")}`)),
      curveTable(q.coverage_curve));
  }

  async function loadQuality() {
    try {
      replace($("review-quality"), renderQuality(await api("GET", "v1/routing/quality")));
    } catch (e) {
      replace($("review-quality"), errorBox(e));
    }
  }

  async function loadReview(offset) {
    if (typeof offset !== "number") loadQuality();
    if (typeof offset === "number") state.review.offset = Math.max(0, offset);
    const result = $("review-result");
    replace(result, loading());
    try {
      const out = await api("GET", `v1/review-queue?${query({ offset: state.review.offset, limit: PAGE })}`);
      if (!out.items.length && out.total && state.review.offset) return loadReview(0);
      replace(result, renderReview(out));
    } catch (e) {
      replace(result, errorBox(e));
    }
  }

  // --- 议题聚类 -----------------------------------------------------------------------------------------
  const KNOWN_CLUSTER_FIELDS = new Set(["id", "label", "keywords", "size", "adoption_rate"]);

  function keywordText(k) {
    if (Array.isArray(k)) return String(k[0]);
    if (k && typeof k === "object") return String(k.word || k.term || k.label || "");
    return String(k);
  }

  function renderClusters(data) {
    const items = Array.isArray(data) ? data : (data && (data.clusters || data.items)) || [];
    if (!items.length) return el("p", { class: "empty" }, "暂无聚类结果。");
    return el("ul", { class: "list card", id: "clusters-list" }, items.map((c) => {
      const words = (Array.isArray(c.keywords) ? c.keywords : []).map(keywordText).filter(Boolean);
      const extra = Object.entries(c).filter(([k, v]) => !KNOWN_CLUSTER_FIELDS.has(k)
        && (typeof v === "string" || typeof v === "number" || typeof v === "boolean"));
      return el("li", { "data-id": c.id },
        el("div", {},
          el("span", { class: "item-title" }, c.label || `议题 ${c.id}`),
          typeof c.size === "number" ? el("span", { class: "badge" }, `${c.size} 条`) : null,
          typeof c.adoption_rate === "number" ? el("span", { class: "badge ok" }, `采纳率 ${rate(c.adoption_rate)}`) : null),
        words.length ? el("div", { class: "reason" }, el("b", {}, "关键词："), chips(words.slice(0, 12))) : null,
        extra.length ? el("div", { class: "meta" }, extra.map(([k, v]) => el("span", {}, `${k}：${v}`))) : null,
        words.length ? el("button", { type: "button", class: "link small", onclick: () => {
          $("search-q").value = words.slice(0, 5).join(" ");
          state.search.like = null;
          activate("search");
          runSearch(0);
        } }, "检索该议题") : null);
    }));
  }

  async function loadClusters() {
    const result = $("clusters-result");
    replace(result, loading());
    try {
      replace(result, renderClusters(await api("GET", "v1/clusters")));
    } catch (e) {
      replace(result, e.status === 404 ? el("p", { class: "empty", id: "clusters-none" }, "聚类尚未生成。") : errorBox(e));
    }
  }

  // --- 热点问题 -----------------------------------------------------------------------------------------
  function renderHotIssues(data) {
    const issues = (data && data.issues) || [];
    if (!issues.length) return el("p", { class: "empty", id: "hot-none" }, "暂无热点问题（至少两条留言反映同一具体问题）。");
    return el("ol", { class: "list card", id: "hot-list" }, issues.map((h) => el("li", { "data-ids": h.ids.join(",") },
      el("div", {},
        el("span", { class: "item-title" }, h.label),
        el("span", { class: "badge" }, `${h.size} 条留言`),
        el("span", { class: "badge" }, `${h.submitters} 人`),
        el("span", { class: "badge warn" }, `热度 ${h.heat.toFixed(1)}`)),
      el("div", { class: "meta" },
        el("span", {}, `时间：${h.since || "?"} 至 ${h.until || "?"}`),
        el("span", {}, `点赞 ${h.likes}，反对 ${h.dislikes}`),
        h.place ? el("span", {}, `地点/人群：${h.place}`) : null),
      h.keywords && h.keywords.length ? el("div", { class: "reason" }, el("b", {}, "关键词："), chips(h.keywords)) : null,
      el("details", {}, el("summary", {}, "留言明细"),
        el("ul", {}, h.messages.map((m) => el("li", {},
          `${m.external_id || "#" + m.id} · ${m.submitted || ""} · ${m.title || ""}`)))))));
  }

  async function loadHotIssues() {
    const result = $("hot-result");
    replace(result, loading());
    try {
      const q = new URLSearchParams({ top: "30" });
      if ($("hot-since").value) q.set("since", $("hot-since").value);
      if ($("hot-until").value) q.set("until", $("hot-until").value);
      replace(result, renderHotIssues(await api("GET", `v1/hot-issues?${q}`)));
    } catch (e) {
      replace(result, errorBox(e));
    }
  }

  // --- wiring -------------------------------------------------------------------------------------------
  function init() {
    for (const o of $("search-status").options) if (o.value) state.statusNames[o.value] = o.textContent;
    for (const o of $("search-channel").options) if (o.value) state.channelNames[o.value] = o.textContent;

    $("login-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const key = $("login-key").value.trim();
      if (key) start(key);
    });
    $("logout").addEventListener("click", () => logout(""));
    for (const tab of document.querySelectorAll("[role=tab]")) {
      tab.addEventListener("click", () => { clearNotice(); activate(tab.dataset.view); });
    }
    $("desk-form").addEventListener("submit", submitDesk);
    $("desk-form").addEventListener("reset", () => replace($("desk-result")));
    $("desk-body").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) $("desk-form").requestSubmit();
    });
    $("search-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      state.search.like = null;
      runSearch(0);
    });
    $("search-form").addEventListener("reset", () => {
      state.search.like = null;
      $("search-like").hidden = true;
      replace($("search-result"));
    });
    $("review-refresh").addEventListener("click", () => loadReview());
    $("clusters-refresh").addEventListener("click", loadClusters);
    $("hot-form").addEventListener("submit", (ev) => { ev.preventDefault(); loadHotIssues(); });
    $("news-form").addEventListener("submit", submitNews);
    $("report-form").addEventListener("submit", submitReport);
    defaultReportPeriod();
    $("news-form").addEventListener("reset", () => replace($("news-result")));

    const saved = localStorage.getItem(KEY_STORE);
    if (saved) start(saved);
    else showLogin("");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
