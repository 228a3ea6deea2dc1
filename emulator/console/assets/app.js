// flexemu console: reads the control API's console read model, re-reads it
// when the timeline stream reports something new (debounced), and acts
// through the control API. Reads are not timeline entries, so reading never
// triggers another read. Everything stays on this page's own origin.
"use strict";
(function () {
  const API = "/emulator/v1";
  const PAGE_SIZE = 50;
  const FEED_MAX = 200;

  const st = {
    state: null,          // last /console/state
    info: null,           // /info, for the default customer addresses
    page: 0,
    selected: "",         // selected conversation SID
    detail: null,         // last /console/conversations/{CH}
    after: 0,             // last timeline seq seen on the stream
    model: true,          // false when the read model is not served
    openChain: new Set(), // expanded chain entries (by seq)
    openExec: new Set(), // expanded execution contexts (by execution SID)
    openHooks: new Set(), // expanded webhook deliveries (by id)
    ws: null,
    retry: 500,
    hooksDirty: true,     // re-read the webhook delivery log on the next refresh
  };
  const HOOKS_MAX = 50;

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...kids) {
    const n = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === "text") n.textContent = v;
        else if (k === "class") n.className = v;
        else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
        else if (k === "dataset") Object.assign(n.dataset, v);
        else n.setAttribute(k, v === true ? "" : v);
      }
    }
    for (const kid of kids.flat()) {
      if (kid === undefined || kid === null || kid === false) continue;
      n.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return n;
  }

  const sid = (s) => el("code", { class: "sid" }, s || "");

  function notice(msg) {
    const n = $("notice");
    n.textContent = msg || "";
    n.hidden = !msg;
  }

  function setLive(msg) { $("live").textContent = msg; }

  async function getJSON(path) {
    const r = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!r.ok) {
      const e = new Error(await errorText(r));
      e.status = r.status;
      throw e;
    }
    return r.json();
  }

  async function post(path, body) {
    const r = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(await errorText(r));
    return r.json().catch(() => ({}));
  }

  async function errorText(r) {
    try {
      const j = await r.json();
      return (j.message || r.statusText) + (j.code ? " (" + j.code + ")" : "");
    } catch (_) {
      return r.status + " " + r.statusText;
    }
  }

  // act runs an action, reports its failure, and re-reads what it changed
  // (the stream would tell us too; this just makes the page snappy).
  async function act(what, fn) {
    try {
      await fn();
      notice("");
    } catch (err) {
      notice(what + " failed: " + err.message);
    }
    schedule(0);
  }

  // ---- reading -----------------------------------------------------------

  let timer = null, running = false, again = false;

  // schedule a re-read: repeated calls within the delay collapse into one,
  // and a call during a read runs one more read after it.
  function schedule(delay) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { timer = null; refresh(); }, delay === undefined ? 120 : delay);
  }

  async function refresh() {
    if (running) { again = true; return; }
    running = true;
    try {
      await readState();
      const c = st.model && st.state && st.state.conversations;
      if (st.selected && c && c.total === 0) deselect(); // a reset: nothing left to read
      if (st.selected) await readDetail();
      if (st.hooksDirty) { st.hooksDirty = false; await readHooks(); }
    } finally {
      running = false;
      if (again) { again = false; schedule(50); }
    }
  }

  async function readState() {
    if (!st.info) {
      try { st.info = await getJSON(API + "/info"); renderAddresses(); } catch (_) { /* retried next time */ }
    }
    if (!st.model) return readFallback();
    try {
      const s = await getJSON(API + "/console/state?page=" + st.page + "&page_size=" + PAGE_SIZE);
      st.state = s;
      if (!st.after && s.timeline_last) st.after = s.timeline_last;
      render();
      document.documentElement.dataset.ready = "1";
    } catch (err) {
      if (err.status === 404) {
        st.model = false;
        notice("This emulator does not serve the console's read model (/emulator/v1/console/state): showing the clock and the live timeline only.");
        return readFallback();
      }
      notice("Could not read the emulator's state: " + err.message);
    }
  }

  // readFallback shows what the control API has without the read model.
  async function readFallback() {
    try {
      const c = await getJSON(API + "/clock");
      renderClock({ now: c.now, clock_mode: c.mode, next_timer: c.next_deadline || null, pending_timers: c.pending_timers });
      if (st.info && st.info.workspace) renderWorkspace(st.info.workspace);
      document.documentElement.dataset.ready = "1";
    } catch (err) {
      notice("Could not read the emulator's clock: " + err.message);
    }
  }

  async function readDetail() {
    const ch = st.selected;
    try {
      const d = await getJSON(API + "/console/conversations/" + encodeURIComponent(ch));
      if (ch !== st.selected) return;
      st.detail = d;
    } catch (err) {
      if (ch !== st.selected) return;
      st.detail = null;
      if (err.status === 404) {
        // gone (a reset, a delete): back to the list
        st.selected = "";
        notice("Conversation " + ch + " no longer exists.");
      } else {
        notice("Could not read conversation " + ch + ": " + err.message);
      }
    }
    renderDetail();
  }

  async function readHooks() {
    try {
      const r = await getJSON(API + "/webhooks");
      renderHooks(r.deliveries || []);
    } catch (err) {
      notice("Could not read the webhook delivery log: " + err.message);
    }
  }

  function renderHooks(all) {
    const list = $("deliveries");
    const recent = all.slice(-HOOKS_MAX).reverse();
    $("deliveries-total").textContent = "(" + all.length + (all.length > HOOKS_MAX ? ", latest " + HOOKS_MAX + " shown" : "") + ")";
    if (!recent.length) { list.replaceChildren(el("li", { class: "muted" }, "No webhooks delivered yet.")); return; }
    list.replaceChildren(...recent.map((d) => {
      const req = d.request || {};
      const failed = !!d.error || !d.status || d.status >= 400;
      const open = st.openHooks.has(d.id);
      const det = el("details", { open }, el("summary", null,
        el("span", { class: "status " + (failed ? "status-timeout" : "status-accepted") }, d.status ? String(d.status) : "no response"), " ",
        el("span", { class: "product" }, req.product || ""), " ", el("strong", null, req.event || ""), " ",
        (req.method || "POST") + " " + (req.url || ""),
        " · attempt " + d.attempt + "/" + d.max_attempts + (d.will_retry ? " (will retry)" : ""),
        " · " + Math.round(d.latency_ms || 0) + " ms", d.error ? " · " + d.error : ""),
        el("pre", null, JSON.stringify(d, null, 2)));
      det.addEventListener("toggle", () => { if (det.open) st.openHooks.add(d.id); else st.openHooks.delete(d.id); });
      return el("li", { class: failed ? "entry failed" : "entry", dataset: { delivery: d.id } }, det);
    }));
  }

  // ---- the stream --------------------------------------------------------

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(proto + "//" + location.host + API + "/stream?after=" + st.after);
    st.ws = ws;
    ws.onopen = () => {
      st.retry = 500;
      setLive("Live: following the emulator's timeline.");
      document.documentElement.dataset.live = "1";
      schedule(0);
    };
    ws.onmessage = (ev) => {
      let e;
      try { e = JSON.parse(ev.data); } catch (_) { return; }
      if (typeof e.seq === "number" && e.seq > st.after) st.after = e.seq;
      feed(e);
      if (st.selected && e.sid === st.selected && /^conversation\.(deleted|removed)$/.test(e.type || "")) deselect();
      if (e.kind === "webhook") st.hooksDirty = true;
      schedule();
    };
    ws.onclose = () => {
      document.documentElement.dataset.live = "0";
      setLive("Disconnected from the emulator; reconnecting…");
      setTimeout(reconnect, st.retry);
      st.retry = Math.min(st.retry * 2, 10000);
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  // feed shows stream entries newest first, at most FEED_MAX of them. A
  // burst (thousands of entries) is drawn once per flush, not per entry.
  let feedBuf = [], feedTimer = null;
  // reconnect follows the stream again; an emulator that restarted numbers
  // its timeline afresh, so resume from what it has now.
  async function reconnect() {
    if (st.model) {
      try {
        const s = await getJSON(API + "/console/state?page=" + st.page + "&page_size=" + PAGE_SIZE);
        if (typeof s.timeline_last === "number" && s.timeline_last < st.after) st.after = s.timeline_last;
      } catch (_) { /* still down: connect fails and retries */ }
    }
    connect();
  }

  function feed(e) {
    feedBuf.push(e);
    if (feedBuf.length > FEED_MAX) feedBuf = feedBuf.slice(-FEED_MAX);
    if (!feedTimer) feedTimer = setTimeout(flushFeed, 60);
  }

  function flushFeed() {
    feedTimer = null;
    const list = $("feed");
    const frag = document.createDocumentFragment();
    for (let i = feedBuf.length - 1; i >= 0; i--) frag.append(entryItem(feedBuf[i], false));
    feedBuf = [];
    list.prepend(frag);
    while (list.childElementCount > FEED_MAX) list.lastElementChild.remove();
  }

  // ---- rendering ---------------------------------------------------------

  // keep keyboard focus across re-renders: elements carry data-key.
  function keepFocus(fn) {
    const a = document.activeElement;
    const key = a && a.dataset ? a.dataset.key : "";
    fn();
    if (key && document.activeElement !== a) {
      const n = document.querySelector('[data-key="' + CSS.escape(key) + '"]');
      if (n) n.focus();
    }
  }

  function render() {
    const s = st.state;
    keepFocus(() => {
      renderClock(s);
      renderWorkspace(s.workspace);
      renderWorkers(s);
      renderQueues(s);
      renderConversations(s);
      renderAddresses();
    });
    if (st.selected) renderAgent();
  }

  function renderClock(s) {
    $("clock-now").textContent = s.now || "";
    $("clock-now").setAttribute("datetime", s.now || "");
    $("clock-mode").textContent = s.clock_mode ? s.clock_mode + " clock" : "";
    $("clock-next").textContent = s.next_timer || "none";
    $("clock-pending").textContent = s.pending_timers ? "(" + s.pending_timers + " pending)" : "";
  }

  function renderWorkspace(ws) {
    const p = $("workspace");
    p.replaceChildren();
    if (!ws) { p.textContent = "No TaskRouter workspace."; return; }
    p.append("Workspace ", el("strong", { text: ws.friendly_name || "" }), " ", sid(ws.sid));
  }

  function renderWorkers(s) {
    const body = $("workers-body");
    const workers = s.workers || [];
    if (!workers.length) { body.replaceChildren(el("p", { class: "muted", text: "No workers." })); return; }
    body.replaceChildren(...workers.map((w) => {
      const selId = "activity-" + w.sid;
      const select = el("select", {
        id: selId, dataset: { key: selId },
        onchange: (ev) => act("Changing " + w.friendly_name + "'s activity",
          () => post(API + "/console/workers/" + encodeURIComponent(w.sid), { activity_sid: ev.target.value })),
      }, (s.activities || []).map((a) => el("option", { value: a.sid, selected: a.sid === w.activity_sid }, a.friendly_name)));
      const res = w.reservations || [];
      return el("article", { class: "worker", dataset: { worker: w.sid } },
        el("h3", null, w.friendly_name, " ", el("span", { class: "badge " + (w.available ? "ok" : "off") }, w.activity_name || "")),
        el("p", { class: "muted" }, "identity ", el("code", null, w.identity || ""), " · ", sid(w.sid)),
        el("p", null, el("label", { for: selId }, "Activity for " + w.friendly_name), " ", select),
        res.length
          ? el("ul", { class: "reservations plain" }, res.map((r) => reservationItem(w, r)))
          : el("p", { class: "muted", text: "No open reservations." }));
    }));
  }

  function reservationItem(w, r) {
    const url = API + "/console/reservations/" + encodeURIComponent(r.sid);
    const buttons = [];
    if (r.status === "pending") {
      buttons.push(
        el("button", { type: "button", class: "primary", dataset: { key: "accept-" + r.sid },
          "aria-describedby": "res-" + r.sid,
          onclick: () => act("Accepting " + r.sid, async () => {
            await post(url, { status: "accepted" });
            if (r.conversation_sid) select(r.conversation_sid);
          }) }, "Accept"),
        el("button", { type: "button", dataset: { key: "reject-" + r.sid }, "aria-describedby": "res-" + r.sid,
          onclick: () => act("Rejecting " + r.sid, () => post(url, { status: "rejected" })) }, "Reject"));
    } else if (r.conversation_sid) {
      buttons.push(el("button", { type: "button", dataset: { key: "open-" + r.sid },
        onclick: () => select(r.conversation_sid) }, "Open conversation"));
    }
    return el("li", { class: "reservation", dataset: { reservation: r.sid, status: r.status } },
      el("div", { id: "res-" + r.sid },
        el("span", { class: "status status-" + r.status }, r.status), " ",
        w.friendly_name, " · reservation ", sid(r.sid), " · task ", sid(r.task_sid),
        r.task_status ? " (" + r.task_status + ")" : "",
        r.conversation_sid ? el("span", null, " · conversation ", sid(r.conversation_sid)) : ""),
      el("div", { class: "buttons" }, buttons));
  }

  function renderQueues(s) {
    const body = $("queues-body");
    const queues = s.queues || [];
    if (!queues.length) { body.replaceChildren(el("p", { class: "muted", text: "No queues." })); return; }
    body.replaceChildren(...queues.map((q) => el("article", { class: "queue" },
      el("h3", null, q.friendly_name, " ", el("span", { class: "badge" }, (q.waiting || []).length + " waiting")),
      el("p", { class: "muted" }, sid(q.sid)),
      (q.waiting || []).length
        ? el("ul", { class: "plain" }, q.waiting.map((t) => el("li", { dataset: { task: t.task_sid } },
          sid(t.task_sid), " ", el("span", { class: "status status-" + t.assignment_status }, t.assignment_status),
          " · waiting ", age(t.age_seconds), " · priority ", String(t.priority),
          t.conversation_sid ? el("span", null, " · ", convLink(t.conversation_sid)) : "")))
        : el("p", { class: "muted", text: "No tasks waiting." }))));
  }

  function age(sec) {
    sec = Math.max(0, Math.round(sec || 0));
    if (sec < 60) return sec + " s";
    const m = Math.floor(sec / 60), r = sec % 60;
    if (m < 60) return m + " min " + r + " s";
    return Math.floor(m / 60) + " h " + (m % 60) + " min";
  }

  function convLink(ch) {
    return el("button", { type: "button", class: "link", dataset: { key: "conv-" + ch },
      "aria-label": "Open conversation " + ch, onclick: () => select(ch) }, el("code", { class: "sid" }, ch));
  }

  function renderConversations(s) {
    const c = s.conversations || { total: 0, items: [] };
    const items = c.items || [];
    $("conversations-total").textContent = "(" + (c.total || 0) + ")";
    const pages = Math.max(1, Math.ceil((c.total || 0) / (c.page_size || PAGE_SIZE)));
    $("page-info").textContent = "page " + ((c.page || 0) + 1) + " of " + pages;
    $("page-prev").disabled = (c.page || 0) <= 0;
    $("page-next").disabled = (c.page || 0) + 1 >= pages;
    const body = $("conversations-body");
    if (!items.length) { body.replaceChildren(el("p", { class: "muted", text: "No conversations yet." })); return; }
    body.replaceChildren(el("table", { class: "convs" },
      el("thead", null, el("tr", null, ["Conversation", "State", "Customer", "Messages", "Last message", "Updated"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", null, items.map((it) => el("tr", { class: it.sid === st.selected ? "selected" : "", dataset: { conversation: it.sid } },
        el("td", null, convLink(it.sid), it.friendly_name ? el("div", { class: "muted" }, it.friendly_name) : ""),
        el("td", null, it.state || ""),
        el("td", null, it.customer_address || ""),
        el("td", null, String(it.message_count || 0)),
        el("td", { class: "body" }, it.last_message ? (it.last_message.author + ": " + it.last_message.body) : ""),
        el("td", null, it.date_updated || ""))))));
  }

  function renderAddresses() {
    const sel = $("customer-to");
    const addrs = (st.state && st.state.addresses) || (st.info && st.info.addresses) || [];
    const want = addrs.map((a) => a.address).join("\n");
    if (sel.dataset.have === want) return;
    const cur = sel.value;
    sel.replaceChildren(...addrs.map((a) => el("option", { value: a.address, dataset: { type: a.type || "" } },
      a.address + (a.type ? " (" + a.type + ")" : ""))));
    sel.dataset.have = want;
    if (cur) sel.value = cur;
    fillFrom();
  }

  // fillFrom suggests the fixture's customer for the chosen address's channel.
  function fillFrom() {
    const sel = $("customer-to");
    const opt = sel.selectedOptions[0];
    const from = $("customer-from");
    const customers = (st.info && st.info.customers) || {};
    if (opt && customers[opt.dataset.type]) from.placeholder = customers[opt.dataset.type];
  }

  // ---- the selected conversation -----------------------------------------

  function select(ch) {
    if (!ch) return;
    if (st.selected !== ch) {
      st.selected = ch;
      st.detail = null;
      st.openChain.clear();
      st.openExec.clear();
    }
    if (st.state) renderConversations(st.state);
    renderDetail();
    readDetail();
    $("conversation").focus({ preventScroll: false });
  }

  function deselect() {
    notice("Conversation " + st.selected + " no longer exists.");
    st.selected = "";
    st.detail = null;
    renderDetail();
  }

  // agentFor is the worker whose accepted (or wrapping) reservation is on
  // the selected conversation, with that reservation.
  function agentFor(ch) {
    for (const w of (st.state && st.state.workers) || []) {
      for (const r of w.reservations || []) {
        if (r.conversation_sid === ch && (r.status === "accepted" || r.status === "wrapping")) return { w, r };
      }
    }
    return null;
  }

  function renderAgent() {
    const box = $("agent");
    const a = st.selected ? agentFor(st.selected) : null;
    box.hidden = !a;
    if (!a) return;
    const ts = a.r.task_status || "";
    $("agent-who").replaceChildren("Acting as ", el("strong", null, a.w.friendly_name),
      " (identity ", el("code", null, a.w.identity), ") on task ", sid(a.r.task_sid), ts ? " (" + ts + ")" : "");
    box.dataset.identity = a.w.identity;
    box.dataset.task = a.r.task_sid;
    $("task-wrap").disabled = ts === "wrapping" || ts === "completed";
    $("task-complete").disabled = ts === "completed";
  }

  function renderDetail() {
    const has = !!st.selected;
    $("conversation-none").hidden = has;
    $("conversation-body").hidden = !has;
    if (!has) return;
    const d = st.detail;
    $("conversation-h").replaceChildren("Conversation ", sid(st.selected));
    renderAgent();
    if (!d) { $("conversation-meta").textContent = "Loading…"; return; }
    const timers = d.timers || {};
    $("conversation-meta").replaceChildren(el("strong", null, d.friendly_name || ""), " state ",
      el("span", { class: "badge" }, d.state || ""),
      d.date_created ? " · created " + d.date_created : "",
      timers.date_inactive ? " · inactive at " + timers.date_inactive : "",
      timers.date_closed ? " · closes at " + timers.date_closed : "");
    const who = {};
    for (const p of d.participants || []) who[p.identity || p.address || ""] = p.type || "";
    $("messages").replaceChildren(...(d.messages || []).map((m) => el("li", { dataset: { index: m.index } },
      el("span", { class: "author" }, m.author || ""),
      who[m.author] ? el("span", { class: "badge" }, who[m.author]) : "", " ",
      el("span", { class: "muted" }, "#" + m.index + " · " + (m.date_created || "") + " · "), sid(m.sid),
      el("div", { class: "body" }, m.body || ""))));
    $("participants").replaceChildren(...(d.participants || []).map((p) => el("li", null,
      el("strong", null, p.identity || p.address || ""), p.type ? " (" + p.type + ")" : "",
      p.proxy_address ? " via " + p.proxy_address : "", " · ", sid(p.sid))));
    $("tasks").replaceChildren(...(d.tasks || []).map((t) => el("li", null,
      sid(t.sid), " ", el("span", { class: "status status-" + t.assignment_status }, t.assignment_status || ""),
      t.queue_name ? " · queue " + t.queue_name : "", t.worker_sid ? el("span", null, " · worker ", sid(t.worker_sid)) : "")));
    const hooks = d.webhooks || [];
    $("webhooks").replaceChildren(...(hooks.length ? hooks.map((h) => el("li", null,
      sid(h.sid), " ", h.target || "", " ", h.url || "", h.flow_sid ? el("span", null, " flow ", sid(h.flow_sid)) : ""))
      : [el("li", { class: "muted" }, "No webhooks attached.")]));
    const exs = d.executions || [];
    $("executions").replaceChildren(...(exs.length ? exs.map(executionItem)
      : [el("li", { class: "muted" }, "No Studio executions.")]));
    const chain = $("chain");
    chain.replaceChildren(...(d.chain || []).map((e) => entryItem(e, true)));
  }

  // executionItem shows one Studio execution: its path of widgets (the
  // first step's widget, then where each step went) and its context.
  function executionItem(x) {
    const steps = x.steps || [];
    const path = steps.length ? [steps[0].name || ""] : [];
    for (const s of steps) if (s.transitioned_to) path.push(s.transitioned_to);
    const ctx = x.context
      ? el("details", { open: st.openExec.has(x.sid) },
        el("summary", null, "Execution context"), el("pre", null, JSON.stringify(x.context, null, 2)))
      : el("p", { class: "muted" }, x.context_omitted || "No execution context.");
    if (x.context) ctx.addEventListener("toggle", () => {
      if (ctx.open) st.openExec.add(x.sid); else st.openExec.delete(x.sid);
    });
    return el("li", { dataset: { execution: x.sid } },
      sid(x.sid), " ", el("strong", null, x.flow_name || x.flow_sid || ""), " ",
      el("span", { class: "status status-" + x.status }, x.status || ""),
      x.date_created ? el("span", { class: "muted" }, " · " + x.date_created) : "",
      el("ol", { class: "path", "aria-label": "Widgets taken" }, ...path.map((w) => el("li", null, w))),
      ctx);
  }

  function entryItem(e, remember) {
    const summary = el("summary", null,
      el("span", { class: "seq" }, "#" + e.seq), " ",
      el("span", { class: "product" }, e.product || ""), " ",
      el("strong", null, e.type || e.kind || ""), " ",
      e.summary || "");
    const det = el("details", { open: remember && st.openChain.has(e.seq) }, summary,
      el("pre", null, JSON.stringify(e, null, 2)));
    if (remember) det.addEventListener("toggle", () => {
      if (det.open) st.openChain.add(e.seq); else st.openChain.delete(e.seq);
    });
    const k = e.kind === "error" || /fail|error/i.test(e.type || "") ? "entry failed" : "entry";
    return el("li", { class: k, dataset: { seq: e.seq } }, det);
  }

  // ---- wiring ------------------------------------------------------------

  function wire() {
    document.querySelectorAll("[data-advance]").forEach((b) => b.addEventListener("click", () =>
      act("Advancing the clock", () => post(API + "/clock/advance", { seconds: Number(b.dataset.advance) }))));
    $("page-prev").addEventListener("click", () => { if (st.page > 0) { st.page--; schedule(0); } });
    $("page-next").addEventListener("click", () => { st.page++; schedule(0); });
    $("customer-to").addEventListener("change", fillFrom);
    $("customer-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const body = $("customer-body").value;
      if (!body.trim()) return;
      const msg = { body, to: $("customer-to").value };
      const from = $("customer-from").value.trim();
      if (from) msg.from = from;
      act("Sending the customer message", async () => {
        const tr = await post(API + "/inbound", msg);
        $("customer-body").value = "";
        const ch = tr && (tr.conversation_sid || (tr.conversation && tr.conversation.sid));
        if (ch && !st.selected) select(ch);
      });
    });
    $("customer-body").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $("customer-form").requestSubmit(); }
    });
    $("reply-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const a = agentFor(st.selected);
      const body = $("reply-body").value;
      if (!a || !body.trim()) return;
      act("Sending the reply", async () => {
        await post(API + "/conversations/" + encodeURIComponent(st.selected) + "/messages", { author: a.w.identity, body });
        $("reply-body").value = "";
      });
    });
    $("reply-body").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $("reply-form").requestSubmit(); }
    });
    const task = (status, what) => () => {
      const a = agentFor(st.selected);
      if (!a) return;
      act(what, () => post(API + "/console/tasks/" + encodeURIComponent(a.r.task_sid), { status }));
    };
    $("task-wrap").addEventListener("click", task("wrapping", "Wrapping up"));
    $("task-complete").addEventListener("click", task("completed", "Completing the task"));
  }

  wire();
  readState().then(() => { renderDetail(); connect(); });
})();
