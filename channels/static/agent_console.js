/* Agent console page: log in, watch the queue, take a conversation, read and answer it, record a
 * complaint outcome, hand it back. Every text from customers or agents goes through textContent
 * (no HTML sinks anywhere), so typed HTML stays text. */
(function () {
  "use strict";

  var POLL_MS = 2000;
  var REASONS = {
    request: "要求人工 / Asked for a person",
    elderly: "老年客户 / Elderly customer",
    dispute: "理赔争议 / Disputed decision",
    complaint: "投诉 / Complaint",
    urgent: "紧急 / Urgent",
    not_understood: "未能理解 / Not understood"
  };
  var CLOCK = { ok: "按时 / on time", yellow: "临近 / due soon", red: "超时 / late",
                overdue: "超时 / overdue", met: "已完成 / met" };

  var csrf = null;
  var me = null;
  var selectedId = null;
  var shownLines = 0;
  var queueTimer = null;
  var detailTimer = null;
  var lastQueue = [];
  var view = "queue";

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function api(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    if (method !== "GET" && csrf) { headers["X-CSRF-Token"] = csrf; }
    return fetch("api/" + path, {
      method: method,
      headers: headers,
      credentials: "same-origin",
      cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.status === 401) { showLogin(); }
        return { status: res.status, ok: res.ok, data: data };
      });
    });
  }

  function notice(text) {
    var n = $("notice");
    n.textContent = text || "";
    n.hidden = !text;
  }

  function localTime(iso) {
    if (!iso) { return ""; }
    var d = new Date(iso);
    return d.toLocaleString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" });
  }

  function waited(seconds) {
    var m = Math.floor(seconds / 60);
    if (m < 1) { return "等待 <1 分钟 / waiting <1 min"; }
    if (m < 60) { return "等待 " + m + " 分钟 / waiting " + m + " min"; }
    return "等待 " + Math.floor(m / 60) + " 小时 " + (m % 60) + " 分 / waiting " +
      Math.floor(m / 60) + " h " + (m % 60) + " min";
  }

  // --- login ------------------------------------------------------------------------------------

  function showLogin() {
    stopPolling();
    me = null; csrf = null;
    $("app-view").hidden = true;
    $("who").hidden = true;
    $("login-view").hidden = false;
  }

  function showApp(data) {
    me = data.agent;
    csrf = data.csrf_token;
    $("agent-name").textContent = me.display_name + " (" + me.username + ")";
    $("who").hidden = false;
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    document.body.setAttribute("data-logged-in", "true");
    startPolling();
  }

  function login(event) {
    event.preventDefault();
    var error = $("login-error");
    error.hidden = true;
    api("POST", "login", { username: $("username").value, password: $("password").value })
      .then(function (r) {
        $("password").value = "";
        if (r.ok) { showApp(r.data); return; }
        error.textContent = r.status === 429 ? "尝试次数太多，请稍后再试 / Too many attempts, try later"
          : "用户名或密码错误 / Wrong username or password";
        error.hidden = false;
      })
      .catch(function () {
        error.textContent = "网络出错 / Network error";
        error.hidden = false;
      });
  }

  function logout() {
    api("POST", "logout", {}).then(function () {
      selectedId = null;
      document.body.removeAttribute("data-logged-in");
      showLogin();
    });
  }

  // --- queue ------------------------------------------------------------------------------------

  function customerLabel(summary) {
    var c = (summary && summary.customer) || {};
    if (c.name) { return c.name + (c.verified ? " ✓" : ""); }
    return "未核实客户 / Unverified customer";
  }

  function renderQueue(entries) {
    lastQueue = entries;
    var list = $("queue");
    list.textContent = "";
    $("queue-count").textContent = String(entries.filter(function (e) {
      return e.status === "queued";
    }).length);
    entries.forEach(function (entry) {
      var summary = entry.summary || {};
      var elderly = summary.customer && summary.customer.elderly;
      var item = el("li", "item reason-" + entry.reason + (elderly ? " elderly" : "") +
        (entry.id === selectedId ? " selected" : ""));
      item.setAttribute("data-testid", "queue-item");
      item.setAttribute("data-id", String(entry.id));
      item.setAttribute("data-conversation", entry.conversation_id);
      item.setAttribute("data-status", entry.status);

      var top = el("div", "top");
      top.appendChild(el("span", "", customerLabel(summary)));
      var badges = el("span");
      if (elderly) { badges.appendChild(el("span", "badge elderly", "老年 / 60+")); }
      badges.appendChild(el("span", "badge" + (entry.reason === "urgent" ? " urgent" : ""),
        REASONS[entry.reason] || entry.reason));
      top.appendChild(badges);
      item.appendChild(top);

      var ask = summary.first_request || (summary.asked || []).map(function (a) {
        return a.label;
      }).join("、");
      if (ask) { item.appendChild(el("div", "ask", ask)); }
      if (entry.callback_at) {
        var callback = el("div", "callback", "回电 / Call back: " + entry.callback_local +
          " · " + (entry.callback_phone || ""));
        callback.setAttribute("data-testid", "queue-callback");
        item.appendChild(callback);
      }
      item.appendChild(el("div", "meta", waited(entry.waiting_s) + " · " +
        (entry.language || "?") + " · " + (entry.channel || "?") + " · #" + entry.id));

      var actions = el("div", "actions");
      if (entry.status === "queued") {
        var take = el("button", "primary", "接入 / Take");
        take.type = "button";
        take.setAttribute("data-testid", "take-button");
        take.addEventListener("click", function (event) {
          event.stopPropagation();
          takeEntry(entry.id, take);
        });
        actions.appendChild(take);
      } else {
        var mine = me && entry.agent_name === me.display_name;
        actions.appendChild(el("span", "badge taken", (mine ? "我在处理 / Mine" :
          "处理中 / Taken") + " · " + (entry.agent_name || "")));
      }
      item.appendChild(actions);
      item.addEventListener("click", function () { openEntry(entry.id); });
      list.appendChild(item);
    });
  }

  function refreshQueue() {
    return api("GET", "queue").then(function (r) {
      if (r.ok) { renderQueue(r.data.queue || []); }
    }).catch(function () {});
  }

  function takeEntry(id, button) {
    button.disabled = true;
    api("POST", "handoffs/" + id + "/take", {}).then(function (r) {
      if (r.status === 409) {
        notice("这个对话已被 " + (r.data.by || "其他坐席") + " 接入 / Already taken by " +
          (r.data.by || "another agent"));
      } else if (r.ok) {
        notice("");
        openEntry(id);
      } else {
        notice("接入失败 / Could not take it: " + (r.data.message || r.status));
      }
      refreshQueue();
    });
  }

  // --- complaints -------------------------------------------------------------------------------

  function renderComplaints(list) {
    var box = $("complaints");
    box.textContent = "";
    list.slice().reverse().forEach(function (c) {
      var item = el("li", "item" + (c.repeated ? " reason-complaint" : ""));
      item.setAttribute("data-testid", "complaint-item");
      item.setAttribute("data-reference", c.reference);
      var top = el("div", "top");
      top.appendChild(el("span", "", c.reference));
      var badges = el("span");
      if (c.repeated) { badges.appendChild(el("span", "badge late", "重复 / repeat of " + c.repeat_of)); }
      badges.appendChild(el("span", "badge", c.status));
      top.appendChild(badges);
      item.appendChild(top);
      item.appendChild(el("div", "ask", (c.complainant_name || "") + " · " + c.subject));
      item.appendChild(el("div", "meta", "受理 / acknowledge: " + localTime(c.acknowledge.due_at) +
        " (" + (CLOCK[c.acknowledge.status] || c.acknowledge.status) + ")"));
      item.appendChild(el("div", "meta", "决定 / decide: " + localTime(c.decision.due_at) +
        " (" + (CLOCK[c.decision.status] || c.decision.status) + ", " + c.complexity + ")"));
      if (c.outcome) {
        item.appendChild(el("div", "ask", "结果 / outcome: " + c.outcome + " · " +
          (c.accepted === true ? "接受 / accepted" : c.accepted === false ?
            "不接受 / not accepted" : "未确认 / not yet known")));
      }
      box.appendChild(item);
    });
  }

  function refreshComplaints() {
    return api("GET", "complaints").then(function (r) {
      if (r.ok) { renderComplaints(r.data.complaints || []); }
    }).catch(function () {});
  }

  function switchView(name) {
    view = name;
    $("tab-queue").classList.toggle("active", name === "queue");
    $("tab-complaints").classList.toggle("active", name === "complaints");
    $("queue").hidden = name !== "queue";
    $("complaints").hidden = name !== "complaints";
    if (name === "complaints") { refreshComplaints(); }
  }

  // --- one conversation -------------------------------------------------------------------------

  function fact(list, label, value) {
    if (value === undefined || value === null || value === "") { return; }
    list.appendChild(el("dt", "", label));
    list.appendChild(el("dd", "", value));
  }

  function renderSummary(handoff) {
    var s = handoff.summary || {};
    var c = s.customer || {};
    $("summary-title").textContent = customerLabel(s) + " · " + (REASONS[handoff.reason] ||
      handoff.reason) + " · #" + handoff.id;
    var list = $("summary-list");
    list.textContent = "";
    fact(list, "保单 / Policy", c.policy_number);
    fact(list, "老年 / Elderly", c.elderly ? "是 / yes (60+)" : "");
    fact(list, "理赔 / Claim", s.claim_number);
    (s.claims || []).forEach(function (claim) {
      fact(list, "名下理赔 / Claims", claim.number + " · " + claim.stage + " · " + claim.product +
        (claim.incident_time ? " · " + claim.incident_time : ""));
    });
    fact(list, "想办 / Asked", (s.asked || []).map(function (a) { return a.label; }).join("、"));
    fact(list, "第一句 / First words", s.first_request);
    if (s.complaint) {
      fact(list, "投诉 / Complaint", (s.complaint.reference || "未登记完 / not registered yet") +
        (s.complaint.repeat_of ? " (重复 / repeat of " + s.complaint.repeat_of + ")" : ""));
      fact(list, "投诉事项 / About", s.complaint.about);
      fact(list, "经过 / Facts", s.complaint.facts);
      fact(list, "诉求 / Request", s.complaint.request);
    }
    fact(list, "报案草稿 / Report draft", s.report_draft);
    if (handoff.callback_at) {
      fact(list, "回电 / Call back", handoff.callback_local + " · " + (handoff.callback_phone || ""));
    }
    fact(list, "语言 / Language", handoff.language);
    fact(list, "渠道 / Channel", handoff.channel);
    fact(list, "对话 / Conversation", handoff.conversation_id);
    fact(list, "状态 / Status", handoff.status + (handoff.agent_name ? " · " + handoff.agent_name : ""));
    var reference = s.complaint && s.complaint.reference;
    $("outcome-form").hidden = !reference;
    $("outcome-ref").textContent = reference || "";
  }

  function renderTranscript(lines, reset) {
    var box = $("transcript");
    if (reset) { box.textContent = ""; shownLines = 0; }
    var atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 20;
    for (var i = shownLines; i < lines.length; i++) {
      var line = lines[i];
      var node;
      if (line.from === "system") {
        node = el("div", "line system", line.event === "paused" ?
          "— 转人工，机器人暂停 / handed to a person, bot paused —" :
          "— 交还机器人 / handed back to the bot —");
      } else {
        node = el("div", "line " + line.from);
        var who = line.from === "customer" ? "客户 / Customer" : line.from === "agent" ?
          "坐席 / Agent · " + (line.agent || "") : "机器人 / Bot";
        node.appendChild(el("span", "who", who + " · " + localTime(line.at)));
        node.appendChild(el("span", "text", line.text));
      }
      node.setAttribute("data-testid", "line-" + line.from);
      box.appendChild(node);
    }
    shownLines = lines.length;
    if (atEnd || reset) { box.scrollTop = box.scrollHeight; }
  }

  function loadEntry(reset) {
    if (selectedId === null) { return Promise.resolve(); }
    var id = selectedId;
    return api("GET", "handoffs/" + id).then(function (r) {
      if (!r.ok || id !== selectedId) { return; }
      renderSummary(r.data.handoff);
      renderTranscript(r.data.transcript || [], reset);
      var mine = r.data.mine;
      $("reply-form").hidden = !mine;
      $("handback-form").hidden = !mine;
      $("conversation").setAttribute("data-mine", mine ? "true" : "false");
    }).catch(function () {});
  }

  function openEntry(id) {
    selectedId = id;
    $("empty").hidden = true;
    $("conversation").hidden = false;
    renderQueue(lastQueue);
    loadEntry(true);
  }

  function sendReply(event) {
    event.preventDefault();
    var input = $("reply-input");
    var text = input.value;
    if (!text.trim() || selectedId === null) { return; }
    api("POST", "handoffs/" + selectedId + "/messages", { text: text }).then(function (r) {
      if (r.ok) {
        input.value = "";
        loadEntry(false);
      } else if (r.status === 403) {
        notice("这个对话不在您名下 / This conversation is not yours");
      } else {
        notice("发送失败 / Not sent: " + (r.data.message || r.status));
      }
    });
  }

  function handBack(event) {
    event.preventDefault();
    if (selectedId === null) { return; }
    var note = $("handback-note").value;
    api("POST", "handoffs/" + selectedId + "/handback", { resolution: note }).then(function (r) {
      if (r.ok) {
        $("handback-note").value = "";
        notice("已交还机器人 / Handed back to the bot");
        loadEntry(false);
        refreshQueue();
      } else {
        notice("交还失败 / Could not hand back: " + (r.data.message || r.status));
      }
    });
  }

  function recordOutcome(event) {
    event.preventDefault();
    var reference = $("outcome-ref").textContent;
    var choice = $("outcome-accepted").value;
    var accepted = choice === "yes" ? true : choice === "no" ? false : null;
    api("POST", "complaints/" + encodeURIComponent(reference) + "/outcome",
      { outcome: $("outcome-text").value, accepted: accepted }).then(function (r) {
      if (r.ok) {
        $("outcome-text").value = "";
        notice("已记录并告知客户 / Recorded, customer told: " + reference);
        loadEntry(false);
        refreshComplaints();
      } else {
        notice("记录失败 / Not recorded: " + (r.data.message || r.status));
      }
    });
  }

  // --- polling ----------------------------------------------------------------------------------

  function startPolling() {
    stopPolling();
    var tick = function () {
      refreshQueue().then(function () {
        if (view === "complaints") { return refreshComplaints(); }
      });
      loadEntry(false);
    };
    tick();
    queueTimer = setInterval(tick, POLL_MS);
  }

  function stopPolling() {
    if (queueTimer) { clearInterval(queueTimer); queueTimer = null; }
    if (detailTimer) { clearInterval(detailTimer); detailTimer = null; }
  }

  function init() {
    $("login-form").addEventListener("submit", login);
    $("logout").addEventListener("click", logout);
    $("reply-form").addEventListener("submit", sendReply);
    $("handback-form").addEventListener("submit", handBack);
    $("outcome-form").addEventListener("submit", recordOutcome);
    $("tab-queue").addEventListener("click", function () { switchView("queue"); });
    $("tab-complaints").addEventListener("click", function () { switchView("complaints"); });
    $("reply-input").addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        sendReply(event);
      }
    });
    api("GET", "me").then(function (r) {
      if (r.ok) { showApp(r.data); } else { showLogin(); }
      document.body.setAttribute("data-ready", "true");
    }).catch(function () {
      showLogin();
      document.body.setAttribute("data-ready", "true");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
