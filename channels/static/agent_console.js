/* Agent console page: log in, watch the queue, take a conversation, read and answer it, record a
 * complaint outcome, hand it back or transfer it; look up a claim or customer with a reason (the
 * claim workspace), work tasks, record complaints received offline, write internal notes. Every text from customers or agents goes through textContent
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
                overdue: "超时 / overdue", met: "已按时完成 / met on time",
                met_late: "逾期完成 / met late" };
  var LIGHT_NAMES = { green: "绿灯 / Green", yellow: "黄灯 / Yellow", red: "红灯 / Red" };
  var TASK_STATUS = { open: "待办 / Open", taken: "办理中 / Taken", done: "已完成 / Done",
                      cancelled: "已取消 / Cancelled" };

  var csrf = null;
  var me = null;
  var selectedId = null;
  var shownLines = 0;
  var queueTimer = null;
  var detailTimer = null;
  var lastQueue = [];
  var view = "queue";
  var templates = [];
  var selectedLanguage = "zh";
  var lastLookup = null;
  var ROLES = { agent: "坐席 / Agent", supervisor: "主管 / Supervisor",
                complaint_officer: "投诉专员 / Complaint officer" };
  var STAGES = { reported: "已报案 / reported", documents_review: "审核材料 / documents review",
                 assessment: "定损核赔 / assessment", payment: "赔付中 / payment",
                 closed: "已结案 / closed", denied: "拒赔 / denied", withdrawn: "已撤案 / withdrawn" };
  var DOCS = { missing: "缺 / missing", received: "已收 / received", waived: "免 / waived" };
  var SOURCES = { hotline: "热线 / hotline", letter: "信函 / letter", email: "邮件 / email",
                  regulator: "监管转办 / regulator" };

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
    $("agent-role").textContent = ROLES[me.role] || me.role || "";
    var complaintsRole = me.role === "supervisor" || me.role === "complaint_officer";
    $("tab-complaints").hidden = !complaintsRole;
    $("tab-regulator").hidden = me.role !== "supervisor";
    document.body.setAttribute("data-role", me.role || "agent");
    loadColleagues();
    loadTemplates();
    refreshTasks();
    $("who").hidden = false;
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    document.body.setAttribute("data-logged-in", "true");
    startPolling();
    $("dashboard-link").hidden = me.role !== "supervisor";
    lookUpFromLink();
  }

  // The supervisors' dashboard links a claim here as #lookup=<number>&reason=<why>. Anyone can
  // write such a link, so it only FILLS IN the look-up form: nothing is looked up (or audited)
  // until the agent has read the reason and pressed Look up, so the reason recorded is theirs.
  function lookUpFromLink() {
    var wanted = new URLSearchParams(location.hash.slice(1));
    var number = wanted.get("lookup");
    if (!number) { return; }
    history.replaceState(null, "", location.pathname + location.search);
    $("lookup-query").value = number.slice(0, 64);
    $("lookup-reason").value = (wanted.get("reason") || "").slice(0, 200);
    $("lookup-form").setAttribute("data-prefilled", "true");
    notice("请核对查询原因，再按“查询” / Check the reason, then press Look up");
    document.querySelector("[data-testid=lookup-button]").focus();
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
      if (entry.routed_why && entry.status === "queued") {
        var routed = entry.routed_to_name || ROLES[entry.routed_role] || entry.routed_role;
        var tag = el("div", entry.theirs ? "theirs" : "meta", (entry.routed_why === "case_owner" ?
          "首问负责 / Case owner: " : "转给 / Transferred to: ") + routed +
          (entry.theirs ? " · 您的 / yours" : "") +
          (entry.transfer_note ? " · " + entry.transfer_note : ""));
        tag.setAttribute("data-testid", "queue-routed");
        item.appendChild(tag);
      }
      if (entry.theirs) { item.setAttribute("data-theirs", "true"); }
      item.appendChild(el("div", "meta", waited(entry.waiting_s) + " · " +
        (entry.language || "?") + " · " + (entry.channel || "?") + " · #" + entry.id));

      var actions = el("div", "actions");
      var elsewhere = entry.routed_why === "transfer" && !entry.theirs &&
        !(me && me.role === "supervisor");
      if (entry.status === "queued" && elsewhere) {
        actions.appendChild(el("span", "badge", "已转交他人 / Transferred to a colleague"));
      } else if (entry.status === "queued") {
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
    ["queue", "tasks", "complaints", "regulator"].forEach(function (tab) {
      $("tab-" + tab).classList.toggle("active", name === tab);
    });
    $("queue").hidden = name !== "queue";
    $("tasks").hidden = name !== "tasks";
    $("complaints-view").hidden = name !== "complaints";
    $("regulator").hidden = name !== "regulator";
    if (name === "complaints") { refreshComplaints(); }
    if (name === "tasks") { refreshTasks(); }
    if (name === "regulator") { refreshRegulator(); }
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
    // Only complaint officers and supervisors record complaint outcomes.
    $("outcome-form").hidden = !reference || !(me && (me.role === "supervisor" ||
      me.role === "complaint_officer"));
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
      renderNotes($("conversation-notes"), r.data.notes || []);
      selectedLanguage = r.data.handoff.language === "en" ? "en" : "zh";
      var mine = r.data.mine;
      $("reply-form").hidden = !mine;
      $("handback-form").hidden = !mine;
      $("transfer-form").hidden = !mine;
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

  // --- the claim workspace ---------------------------------------------------------------------

  function section(parent, title) {
    parent.appendChild(el("h3", "", title));
  }

  function table(parent, headers, rows, testid) {
    var t = el("table");
    if (testid) { t.setAttribute("data-testid", testid); }
    var head = el("tr");
    headers.forEach(function (h) { head.appendChild(el("th", "", h)); });
    t.appendChild(head);
    rows.forEach(function (row) {
      var tr = el("tr");
      row.forEach(function (cell) {
        var td = el("td");
        if (cell instanceof Node) { td.appendChild(cell); } else { td.textContent = cell || ""; }
        tr.appendChild(td);
      });
      t.appendChild(tr);
    });
    parent.appendChild(t);
  }

  function lookUp(query, reason) {
    if (!reason || reason.trim().length < 4) {
      notice("请填写查询原因（至少4个字）/ Say why you look this up (4+ characters)");
      $("lookup-reason").focus();
      return Promise.resolve();
    }
    return api("POST", "lookup", { query: query, reason: reason }).then(function (r) {
      if (!r.ok) {
        notice("查询失败 / Look-up failed: " + (r.data.message || r.status));
        return;
      }
      notice("");
      lastLookup = { query: query, reason: reason };
      renderLookup(r.data);
    });
  }

  function renderLookup(data) {
    var panel = $("workspace-panel");
    panel.textContent = "";
    panel.hidden = false;
    if (data.kind === "customer") {
      panel.setAttribute("data-kind", "customer");
      (data.customers || []).forEach(function (c) {
        panel.appendChild(el("h2", "", c.name + " · " + c.phone_masked));
        panel.appendChild(el("div", "meta", (c.policies || []).map(function (p) {
          return p.number + " " + p.product_zh;
        }).join(" · ")));
        table(panel, ["理赔 / Claim", "阶段 / Stage", "灯 / Light", ""],
          (c.claims || []).map(function (claim) {
            var open = el("button", "", "打开 / Open");
            open.type = "button";
            open.setAttribute("data-testid", "open-claim");
            open.addEventListener("click", function () {
              lookUp(claim.number, lastLookup ? lastLookup.reason : "");
            });
            return [claim.number, STAGES[claim.stage] || claim.stage,
                    LIGHT_NAMES[claim.light] || claim.light, open];
          }), "customer-claims");
      });
      return;
    }
    renderClaim(panel, data.claim);
  }

  function renderClaim(panel, c) {
    panel.setAttribute("data-kind", "claim");
    panel.setAttribute("data-claim", c.number);
    var head = el("div", "row");
    head.appendChild(el("h2", "", c.number));
    var stage = el("span", "badge", STAGES[c.stage] || c.stage);
    stage.setAttribute("data-testid", "claim-stage");
    head.appendChild(stage);
    var light = el("span", "light " + c.light, LIGHT_NAMES[c.light] || c.light);
    light.setAttribute("data-testid", "claim-light");
    head.appendChild(light);
    panel.appendChild(head);
    var facts = el("dl", "facts");
    fact(facts, "客户 / Customer", c.customer.name + " · " + c.customer.phone_masked);
    fact(facts, "保单 / Policy", c.policy_number + " · " + c.product);
    fact(facts, "首问负责 / Case owner", c.owner);
    fact(facts, "出险 / Incident", c.incident_type + " · " + localTime(c.incident_at) +
      (c.incident_place ? " · " + c.incident_place : ""));
    fact(facts, "金额 / Amounts", ["estimated", "approved", "paid"].filter(function (k) {
      return c.amounts[k];
    }).map(function (k) { return k + " " + c.amounts[k]; }).join(" · "));
    panel.appendChild(facts);

    section(panel, "风险提示 / Flags");
    var flags = el("div");
    flags.setAttribute("data-testid", "claim-flags");
    (c.flags || []).forEach(function (f) {
      flags.appendChild(el("div", "flag", f.code + " · " + f.note_zh + " / " + f.note_en +
        " (" + f.route + ")"));
    });
    if (!(c.flags || []).length) { flags.appendChild(el("div", "meta", "无 / none")); }
    panel.appendChild(flags);

    section(panel, "时效 / Deadlines");
    table(panel, ["规则 / Rule", "到期 / Due", "状态 / Status"], (c.deadlines || []).map(
      function (d) {
        var status = d.status === "met" && d.late ? "met_late" : d.status;
        return [d.rule_zh, d.due_local, CLOCK[status] || d.status];
      }), "claim-deadlines");

    section(panel, "材料清单 / Checklist");
    table(panel, ["材料 / Item", "状态 / Status", "收到 / Received"], (c.checklist || []).map(
      function (d) {
        return [d.label_zh + " / " + d.label_en + (d.mandatory ? "" : " (选 / optional)") +
          (d.fetched_by_insurer ? " (公司调取 / fetched by us)" : ""),
          DOCS[d.status] || d.status, localTime(d.received_at)];
      }), "claim-checklist");

    section(panel, "文件 / Files");
    var files = el("ul");
    files.setAttribute("data-testid", "claim-files");
    (c.files || []).forEach(function (f) {
      var li = el("li");
      var link = el("a", "", f.filename);
      link.href = "api/files/" + encodeURIComponent(f.id);
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.setAttribute("data-testid", "claim-file");
      li.appendChild(link);
      li.appendChild(document.createTextNode(" · " + [f.document, Math.ceil(f.size_bytes / 1024) +
        " KB", localTime(f.received_at)].filter(Boolean).join(" · ")));
      files.appendChild(li);
    });
    if (!(c.files || []).length) { files.appendChild(el("li", "meta", "无 / none")); }
    panel.appendChild(files);

    section(panel, "任务 / Tasks");
    var tasks = el("ol", "queue");
    tasks.setAttribute("data-testid", "claim-tasks");
    (c.tasks || []).forEach(function (t) { tasks.appendChild(taskItem(t)); });
    if (!(c.tasks || []).length) { tasks.appendChild(el("li", "meta", "无 / none")); }
    panel.appendChild(tasks);

    section(panel, "投诉与争议 / Complaints and disputes");
    table(panel, ["编号 / Ref", "来源 / Source", "事项 / About", "状态 / Status", "决定期限 / Decide by"],
      (c.complaints || []).map(function (k) {
        return [k.reference, SOURCES[k.source] || k.channel || "", k.subject, k.status,
          localTime(k.decision_due_at) + " (" + (CLOCK[k.decision_status] || k.decision_status) + ")"];
      }).concat((c.disputes || []).map(function (d) {
        return ["争议 / dispute", "", d.step, "", localTime(d.updated_at)];
      })), "claim-complaints");
    if (c.complaints_hidden) { panel.appendChild(el("p", "meta", c.complaints_hidden)); }

    section(panel, "内部备注 / Internal notes");
    var notes = el("div", "notes");
    notes.setAttribute("data-testid", "claim-notes");
    renderNotes(notes, c.notes || []);
    panel.appendChild(notes);
    var noteForm = el("form", "composer");
    var noteInput = el("input");
    noteInput.maxLength = 2000;
    noteInput.placeholder = "内部备注（客户看不到）/ Internal note (never shown to the customer)";
    noteInput.setAttribute("data-testid", "claim-note-input");
    var noteButton = el("button", "", "备注 / Note");
    noteButton.type = "submit";
    noteForm.appendChild(noteInput);
    noteForm.appendChild(noteButton);
    noteForm.addEventListener("submit", function (event) {
      event.preventDefault();
      addNote({ claim_number: c.number }, noteInput, function (note) {
        c.notes = (c.notes || []).concat([note]);
        renderNotes(notes, c.notes);
      });
    });
    panel.appendChild(noteForm);

    section(panel, "对话记录 / Conversation history");
    (c.history || []).forEach(function (h) {
      panel.appendChild(el("div", "meta", h.conversation_id));
      var box = el("div", "transcript history");
      box.setAttribute("data-testid", "claim-history");
      if (!h.transcript.length) { box.appendChild(el("div", "meta", "暂无记录 / nothing yet")); }
      h.transcript.forEach(function (line) {
        if (line.from === "system") { return; }
        var node = el("div", "line " + line.from);
        node.appendChild(el("span", "who", line.from + " · " + localTime(line.at)));
        node.appendChild(el("span", "text", line.text));
        box.appendChild(node);
      });
      panel.appendChild(box);
    });
    if (!(c.history || []).length) { panel.appendChild(el("div", "meta", "无 / none")); }
  }

  function renderNotes(box, notes) {
    box.textContent = "";
    notes.forEach(function (n) {
      var node = el("div", "note", "🔒 " + n.author.replace(/^agent:/, "") + " · " +
        localTime(n.at) + "：" + n.text);
      node.setAttribute("data-testid", "note");
      box.appendChild(node);
    });
  }

  function addNote(where, input, done) {
    var text = input.value;
    if (!text.trim()) { return; }
    var body = { text: text };
    Object.keys(where).forEach(function (k) { body[k] = where[k]; });
    api("POST", "notes", body).then(function (r) {
      if (r.ok) { input.value = ""; notice(""); done(r.data.note); } else {
        notice("备注失败 / Note not saved: " + (r.data.message || r.status));
      }
    });
  }

  // --- tasks ------------------------------------------------------------------------------------

  function taskItem(t) {
    var item = el("li", "item" + (t.overdue ? " reason-urgent" : ""));
    item.setAttribute("data-testid", "task-item");
    item.setAttribute("data-task", String(t.id));
    item.setAttribute("data-status", t.status);
    var top = el("div", "top");
    // A card about one claim clock names it: two cards of one claim never look the same.
    top.appendChild(el("span", "", t.title + (t.clock_zh ? " · " + t.clock_zh + " / " +
      t.clock_en : "")));
    top.appendChild(el("span", "badge" + (t.overdue ? " late" : ""),
      (TASK_STATUS[t.status] || t.status) + (t.overdue ? " · 逾期 / overdue" : "")));
    item.appendChild(top);
    var detail = t.detail || {};
    if (detail.text_zh || detail.text_en || detail.figures) {
      // An alert's card shows its figures (README: "the figures in its detail").
      var box = el("details", "task-detail");
      box.open = true;
      box.setAttribute("data-testid", "task-detail");
      box.appendChild(el("summary", "", "详情 / Detail"));
      if (detail.text_zh) { box.appendChild(el("div", "", detail.text_zh)); }
      if (detail.text_en) { box.appendChild(el("div", "", detail.text_en)); }
      var flat = Object.keys(detail).filter(function (k) {
        var v = detail[k];
        return ["text_zh", "text_en", "checked_at", "alert"].indexOf(k) < 0 &&
          (typeof v === "number" || typeof v === "string");
      });
      if (flat.length) {
        box.appendChild(el("div", "meta", flat.map(function (k) {
          return k + ": " + detail[k];
        }).join(" · ")));
      }
      (Array.isArray(detail.figures) ? detail.figures : []).forEach(function (f) {
        if (f && typeof f === "object") {
          box.appendChild(el("div", "meta", Object.keys(f).map(function (k) {
            var v = f[k];
            return k + ": " + (v === null || v === undefined ? "无数据 / no data"
              : (typeof v === "object" ? JSON.stringify(v) : String(v)));
          }).join(" · ")));
        }
      });
      box.addEventListener("click", function (event) { event.stopPropagation(); });
      item.appendChild(box);
    }
    item.appendChild(el("div", "meta", "#" + t.id + " · " + t.kind + " · " +
      (ROLES[t.owner_role] || t.owner_role) + " · 到期 / due " + t.due_local +
      (t.claim_number ? " · " + t.claim_number : "") +
      (t.complaint_reference ? " · " + t.complaint_reference : "") +
      (t.assignee ? " · " + t.assignee : "")));
    if (t.outcome) { item.appendChild(el("div", "ask", "结果 / outcome: " + t.outcome)); }
    if (t.status === "open" || t.status === "taken") {
      var actions = el("div", "actions");
      if (t.status === "open") {
        var take = el("button", "primary", "接手 / Take");
        take.type = "button";
        take.setAttribute("data-testid", "task-take");
        take.addEventListener("click", function (event) {
          event.stopPropagation();
          taskAction(t.id, "take", {});
        });
        actions.appendChild(take);
      }
      var outcome = el("input");
      outcome.maxLength = 2000;
      outcome.placeholder = "办理结果 / Outcome";
      outcome.setAttribute("data-testid", "task-outcome");
      var done = el("button", "", "完成 / Done");
      done.type = "button";
      done.setAttribute("data-testid", "task-done");
      done.addEventListener("click", function (event) {
        event.stopPropagation();
        taskAction(t.id, "done", { outcome: outcome.value });
      });
      actions.appendChild(outcome);
      actions.appendChild(done);
      item.appendChild(actions);
    }
    return item;
  }

  function taskAction(id, action, body) {
    return api("POST", "tasks/" + id + "/" + action, body).then(function (r) {
      if (r.ok) {
        notice(action === "take" ? "已接手任务 / Task taken: #" + id : "任务完成 / Task done: #" + id);
        document.querySelectorAll('[data-task="' + id + '"]').forEach(function (node) {
          node.replaceWith(taskItem(r.data.task));
        });
      } else {
        notice("任务操作失败 / Task refused: " + (r.data.message || r.status));
      }
      refreshTasks();
    });
  }

  function refreshTasks() {
    return api("GET", "tasks").then(function (r) {
      if (!r.ok) { return; }
      var list = $("tasks");
      list.textContent = "";
      var tasks = r.data.tasks || [];
      $("task-count").textContent = String(tasks.filter(function (t) {
        return t.status === "open";
      }).length);
      tasks.forEach(function (t) { list.appendChild(taskItem(t)); });
      if (!tasks.length) { list.appendChild(el("li", "meta", "没有待办任务 / No open tasks")); }
    }).catch(function () {});
  }

  // --- complaints received offline, the regulator list ----------------------------------------

  function recordComplaint(event) {
    event.preventDefault();
    var body = { source: $("complaint-source").value };
    [["name", "complaint-name"], ["phone", "complaint-phone"], ["policy_number", "complaint-policy"],
     ["claim_number", "complaint-claim"], ["subject", "complaint-subject"],
     ["facts", "complaint-facts"], ["request", "complaint-request"]].forEach(function (pair) {
      var value = $(pair[1]).value.trim();
      if (value) { body[pair[0]] = value; }
    });
    api("POST", "complaints", body).then(function (r) {
      if (r.ok) {
        var c = r.data.complaint;
        notice("已登记投诉 / Complaint recorded: " + c.reference + " · " +
          (SOURCES[c.source] || c.source) + " · 决定期限 / decide by " + localTime(c.decision.due_at));
        $("complaint-form").reset();
        refreshComplaints();
        refreshTasks();
      } else {
        notice("登记失败 / Not recorded: " + (r.data.message || r.status));
      }
    });
  }

  function refreshRegulator() {
    return api("GET", "regulator").then(function (r) {
      var box = $("regulator");
      box.textContent = "";
      if (!r.ok) { box.appendChild(el("p", "error", r.data.message || String(r.status))); return; }
      box.appendChild(el("h3", "", "红灯理赔 / Red claims"));
      table(box, ["理赔 / Claim", "阶段 / Stage", "时效 / Clock", "到期 / Due"],
        r.data.red_claims.map(function (c) {
          return [c.number, STAGES[c.stage] || c.stage, c.clock, localTime(c.due_at)];
        }), "regulator-claims");
      box.appendChild(el("h3", "", "监管转办 / Regulator referrals"));
      table(box, ["编号 / Ref", "事项 / About", "决定期限 / Decide by"],
        r.data.referrals.map(function (k) {
          return [k.reference, k.subject, localTime(k.decision_due_at) + " (" +
            (CLOCK[k.decision_status] || k.decision_status) + ")"];
        }), "regulator-referrals");
    });
  }

  // --- transfers, quick replies -----------------------------------------------------------------

  function loadColleagues() {
    api("GET", "agents").then(function (r) {
      if (!r.ok) { return; }
      var select = $("transfer-to");
      select.textContent = "";
      select.appendChild(new Option("转给… / Transfer to…", ""));
      (r.data.agents || []).forEach(function (a) {
        select.appendChild(new Option(a.display_name + " · " + (ROLES[a.role] || a.role),
          "agent:" + a.username));
      });
      if (me && me.role === "supervisor") {
        select.appendChild(new Option("主管队列 / Supervisors' queue", "role:supervisor"));
      }
      select.appendChild(new Option("投诉专员队列 / Complaint officers' queue",
        "role:complaint_officer"));
    });
  }

  function transfer(event) {
    event.preventDefault();
    var target = $("transfer-to").value;
    if (!target || selectedId === null) { return; }
    var body = { note: $("transfer-note").value };
    if (target.indexOf("agent:") === 0) { body.to_agent = target.slice(6); }
    else { body.to_role = target.slice(5); }
    api("POST", "handoffs/" + selectedId + "/transfer", body).then(function (r) {
      if (r.ok) {
        $("transfer-note").value = "";
        notice("已转交 / Transferred: " + (r.data.handoff.routed_to_name ||
          ROLES[r.data.handoff.routed_role] || ""));
        loadEntry(false);
        refreshQueue();
      } else {
        notice("转交失败 / Not transferred: " + (r.data.message || r.status));
      }
    });
  }

  function loadTemplates() {
    api("GET", "templates").then(function (r) {
      if (!r.ok) { return; }
      templates = r.data.templates || [];
      var select = $("template-select");
      while (select.options.length > 1) { select.remove(1); }
      templates.forEach(function (t) {
        select.appendChild(new Option(t.title_zh + " / " + t.title_en, t.key));
      });
    });
  }

  function insertTemplate() {
    var select = $("template-select");
    var chosen = templates.filter(function (t) { return t.key === select.value; })[0];
    select.value = "";
    if (!chosen) { return; }
    var input = $("reply-input");
    var text = chosen[selectedLanguage] || chosen.zh;
    input.value = input.value ? input.value + " " + text : text;
    input.focus();
  }

  // --- polling ----------------------------------------------------------------------------------

  function startPolling() {
    stopPolling();
    var tick = function () {
      refreshQueue().then(function () {
        if (view === "complaints") { return refreshComplaints(); }
        if (view === "tasks") { return refreshTasks(); }
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
    $("tab-tasks").addEventListener("click", function () { switchView("tasks"); });
    $("tab-regulator").addEventListener("click", function () { switchView("regulator"); });
    $("lookup-form").addEventListener("submit", function (event) {
      event.preventDefault();
      lookUp($("lookup-query").value, $("lookup-reason").value);
    });
    $("complaint-form").addEventListener("submit", recordComplaint);
    $("transfer-form").addEventListener("submit", transfer);
    $("note-form").addEventListener("submit", function (event) {
      event.preventDefault();
      addNote({ handoff_id: selectedId }, $("note-input"), function () { loadEntry(false); });
    });
    $("template-select").addEventListener("change", insertTemplate);
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
