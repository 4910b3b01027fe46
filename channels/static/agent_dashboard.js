/* Supervisors' dashboard: asks api/dashboard for the per-day series (bot/kpis/series.py) every
 * few seconds and draws them with ECharts; a click on a point lists the claims behind it, each
 * linking into the console's claim view. Only supervisors get figures: anyone else is shown the
 * refusal the API gives. Text from the server goes through textContent only. */
(function () {
  "use strict";

  var POLL_MS = 10000;
  var COLORS = { green: "#2e8540", yellow: "#e0a100", red: "#c0392b" };
  var STAGES = {
    reported: "已报案 / Reported", documents_review: "审核材料 / Documents review",
    investigation: "调查 / Investigation", assessment: "定损核赔 / Assessment",
    payment: "赔付中 / Payment", closed: "结案 / Closed", denied: "拒赔 / Denied",
    withdrawn: "撤案 / Withdrawn"
  };
  var LIGHTS = { green: "绿灯 / Green", yellow: "黄灯 / Yellow", red: "红灯 / Red" };
  var BANDS = { small: "小额24小时内赔付或拒赔 / Small, paid or refused in 24 h",
                working_days: "7个工作日内赔付或拒赔 / Paid or refused in 7 working days" };
  var COMPLAINTS = {
    decided_15: "15天内办结 / Decided ≤15 days", decided_30: "30天内 / ≤30 days",
    decided_60: "60天内 / ≤60 days", decided_later: "超过60天 / Later",
    undecided: "未办结 / Open", ack_late: "确认超48小时 / Acknowledged late"
  };
  // The store's channel names (bot/kpis/series.py CHANNELS); each answer brings them too.
  var CHANNELS = { webchat: "网页聊天 / Web chat", telegram: "Telegram",
                   twilio: "短信 / WhatsApp / SMS / WhatsApp", twilio_voice: "电话 / Phone",
                   wechat: "微信 / WeChat", rest: "接口 / API", unknown: "未知 / Unknown" };
  var ERRORS = {
    period_reversed: "结束日期早于开始日期 / The period ends before it starts",
    period_too_long: "时间段最长366天 / A period is at most 366 days",
    period_in_future: "时间段在将来，尚未开始 / The period is in the future",
    unknown_line: "没有这个险种 / Unknown line of business",
    unknown_channel: "没有这个渠道 / Unknown channel",
    bad_date: "日期格式应为 年-月-日 / Dates are written YYYY-MM-DD"
  };
  var NO_DATA = "无数据 / no data";

  var charts = {};
  var last = null;
  var timer = null;
  var refreshes = 0;

  function $(id) { return document.getElementById(id); }

  function query(extra) {
    var params = new URLSearchParams();
    // Empty dates: the server's default (the last 30 local days), shown once it answers.
    if ($("from").value) { params.set("from", $("from").value); }
    if ($("to").value) { params.set("to", $("to").value); }
    if ($("line").value) { params.set("line", $("line").value); }
    if ($("channel").value) { params.set("channel", $("channel").value); }
    Object.keys(extra || {}).forEach(function (k) { params.set(k, extra[k]); });
    return params.toString();
  }

  function get(path) {
    return fetch(path, { credentials: "same-origin", cache: "no-store",
                         headers: { "Accept": "application/json" } })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) {
          return { status: res.status, ok: res.ok, data: data };
        });
      });
  }

  function refuse(title, text) {
    stop();
    $("board").hidden = true;
    $("refused").hidden = false;
    $("refused-title").textContent = title;
    $("refused-text").textContent = text;
    document.body.setAttribute("data-refused", "true");
  }

  // Tooltips: a missing value says so in words; shares carry "%".
  function shown(v) { return v === null || v === undefined || v === "-" ? NO_DATA : v; }
  function shownPct(v) { return v === null || v === undefined || v === "-" ? NO_DATA : v + "%"; }
  function channelName(board, key) {
    var named = (board.channels || {})[key];
    return named ? named.zh + " / " + named.en : (CHANNELS[key] || key);
  }

  function pct(v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; }
  function pcts(list) { return list.map(pct); }

  function base(days, yName, extra) {
    var option = {
      animation: false,
      grid: { left: 52, right: 52, top: 36, bottom: 64 },
      legend: { bottom: 0, type: "scroll" },
      tooltip: { trigger: "axis", valueFormatter: shown },
      xAxis: { type: "category", data: days },
      yAxis: [{ type: "value", name: yName, minInterval: 1 }],
      graphic: [],
      series: []
    };
    Object.keys(extra || {}).forEach(function (k) { option[k] = extra[k]; });
    return option;
  }

  function percentAxis(name) {
    return { type: "value", name: name, min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
  }

  function noData(option, empty) {
    option.graphic = empty ? [{ type: "text", left: "center", top: "middle",
      style: { text: NO_DATA, fontSize: 18, fill: "#777" } }] : [];
    return option;
  }

  function build(name, board) {
    var c = board.charts[name];
    var days = board.days;
    var o;
    if (name === "stages") {
      o = base(days, "件 / claims");
      Object.keys(STAGES).forEach(function (stage) {
        var open = c.kind[stage] === "at_day_end";
        o.series.push({ id: stage, name: STAGES[stage], type: open ? "bar" : "line",
          stack: open ? "open" : undefined, data: c.series[stage], emphasis: { focus: "series" },
          symbolSize: 7, lineStyle: open ? undefined : { type: "dashed" } });
      });
    } else if (name === "lights") {
      o = base(days, "件 / claims");
      ["green", "yellow", "red"].forEach(function (light) {
        o.series.push({ id: light, name: LIGHTS[light], type: "bar", stack: "lights",
          itemStyle: { color: COLORS[light] }, data: c.series[light] });
      });
    } else if (name === "settlement") {
      o = base(days, "", { yAxis: [percentAxis("按时 / on time"),
        { type: "value", name: "件 / claims", minInterval: 1 }] });
      Object.keys(BANDS).forEach(function (band) {
        o.series.push({ id: band, name: BANDS[band], type: "line", connectNulls: false,
          data: pcts(c.bands[band].on_time_share), symbolSize: 8,
          tooltip: { valueFormatter: shownPct },
          markLine: band === "small" ? { silent: true, symbol: "none",
            data: [{ yAxis: 100, name: "目标 / target" }] } : undefined });
        o.series.push({ id: band + ":count", name: BANDS[band] + " · 件数 / count",
          type: "bar", yAxisIndex: 1, barGap: 0, itemStyle: { opacity: 0.35 },
          data: c.bands[band].count });
      });
    } else if (name === "complaints") {
      o = base(days, "件 / complaints", { yAxis: [{ type: "value", name: "件 / complaints",
        minInterval: 1 }, percentAxis("48小时确认 / ack 48 h")] });
      ["decided_15", "decided_30", "decided_60", "decided_later", "undecided"].forEach(
        function (key) {
          o.series.push({ id: key, name: COMPLAINTS[key], type: "bar", stack: "decision",
            data: c.series[key] });
        });
      o.series.push({ id: "ack_on_time", name: "48小时内确认率 / Acknowledged in 48 h",
        type: "line", yAxisIndex: 1, data: pcts(c.ack_on_time_share), symbolSize: 8,
        tooltip: { valueFormatter: shownPct },
        markLine: { silent: true, symbol: "none",
          data: [{ yAxis: 100, name: "目标 / target" }] } });
    } else if (name === "satisfaction") {
      o = base(days, "分 / score", { yAxis: [{ type: "value", name: "分 / score", min: 0,
        max: 10 }, { type: "value", name: "份 / answers", minInterval: 1 }] });
      o.series.push({ id: "mean", name: "平均分 / Mean score", type: "line", data: c.mean,
        symbolSize: 8, markLine: { silent: true, symbol: "none",
          data: [{ yAxis: c.target, name: "目标 / target" }] } });
      o.series.push({ id: "below", name: "答卷数 / Answers", type: "bar", yAxisIndex: 1,
        itemStyle: { opacity: 0.35 }, data: c.count });
    } else if (name === "handoffs") {
      o = base(days, "分钟 / minutes", { yAxis: [{ type: "value", name: "分钟 / minutes" },
        { type: "value", name: "次 / handoffs", minInterval: 1 }] });
      o.series.push({ id: "queued", name: "转人工次数 / Handoffs", type: "bar", yAxisIndex: 1,
        itemStyle: { opacity: 0.35 }, data: c.queued });
      o.series.push({ id: "p50", name: "等待中位数 / Wait P50", type: "line",
        data: c.p50_minutes, symbolSize: 8 });
      o.series.push({ id: "p90", name: "等待P90 / Wait P90", type: "line",
        data: c.p90_minutes, symbolSize: 8 });
      $("handoffs-hint").textContent = c.line_applies
        ? "等待接入的分钟数 / Minutes until a person took it"
        : "转人工不分险种：显示全部 / Handoffs carry no line: all are shown";
    } else {
      o = base(days, "", { yAxis: [percentAxis("送达 / delivered")] });
      Object.keys(c.channels).forEach(function (channel) {
        o.series.push({ id: channel, name: channelName(board, channel), type: "line",
          data: pcts(c.channels[channel].delivery_rate), symbolSize: 8,
          tooltip: { valueFormatter: shownPct } });
      });
      // The target line is drawn even with one channel (or none): 90% delivered.
      o.series.push({ id: "target", name: "目标 90% / target 90%", type: "line", data: [],
        markLine: { silent: true, symbol: "none",
          data: [{ yAxis: c.target === undefined ? 90 : c.target * 100,
                   name: "目标 / target" }] } });
    }
    return noData(o, c.empty);
  }

  function draw(board) {
    last = board;
    Object.keys(board.charts).forEach(function (name) {
      var node = $("chart-" + name);
      if (!charts[name]) {
        charts[name] = echarts.init(node);
        charts[name].on("click", function (params) { showBehind(name, params); });
      }
      charts[name].setOption(build(name, board), { notMerge: true });
      node.setAttribute("data-empty", board.charts[name].empty ? "true" : "false");
    });
    refreshes += 1;
    document.body.setAttribute("data-refreshes", String(refreshes));
    $("updated").textContent = "更新于 / Updated " + new Date().toLocaleTimeString("zh-CN");
  }

  function load() {
    return get("api/dashboard?" + query()).then(function (r) {
      if (r.status === 401) {
        refuse("请先登录 / Please log in", "请在工作台登录后再打开看板。/ Log in on the console, then open the dashboard again.");
        return;
      }
      if (r.status === 403) {
        refuse("仅限主管 / Supervisors only", "看板只对主管开放。/ Only supervisors may see the dashboard." +
          (r.data.message ? " (" + r.data.message + ")" : ""));
        return;
      }
      if (!r.ok) {
        // A bad request stays bad: the old charts go, and nothing is asked again until the
        // supervisor changes the filters and presses Show.
        $("error").hidden = false;
        $("error").textContent = ERRORS[r.data.error] || r.data.message || ("HTTP " + r.status);
        document.body.setAttribute("data-error", r.data.error || "http");
        $("board").hidden = true;
        last = null;
        if (r.status === 400 || r.status === 404) { stop(); return "stop"; }
        return;
      }
      $("error").hidden = true;
      document.body.removeAttribute("data-error");
      $("agent-name").textContent = r.data.agent.display_name + " (" + r.data.agent.username + ")";
      $("board").hidden = false;
      if (!$("from").value) { $("from").value = r.data.days[0]; }
      if (!$("to").value) { $("to").value = r.data.days[r.data.days.length - 1]; }
      draw(r.data);
      document.body.setAttribute("data-ready", "true");
    }).catch(function () {
      $("error").hidden = false;
      $("error").textContent = "连接失败，稍后重试 / Could not reach the server; trying again";
    });
  }

  function seriesKey(chart, id) {
    if (chart === "settlement") { return id.split(":")[0]; }
    if (chart === "complaints" && id === "ack_on_time") { return "ack_late"; }
    if (chart === "handoffs") { return "queued"; }
    if (chart === "satisfaction") { return "mean"; }
    if (chart === "notices") { return id + ":undelivered"; }
    return id;
  }

  function showBehind(chart, params) {
    if (!last || params.dataIndex === undefined) { return; }
    var day = last.days[params.dataIndex];
    var key = seriesKey(chart, params.seriesId);
    var title = (params.seriesName || key) + " · " + day;
    get("api/dashboard/claims?" + query({ chart: chart, key: key, day: day })).then(function (r) {
      var box = $("behind");
      box.hidden = false;
      $("behind-title").textContent = title;
      var list = $("behind-claims");
      var refs = $("behind-complaints");
      list.textContent = "";
      refs.textContent = "";
      if (!r.ok) {
        $("behind-count").textContent = ERRORS[r.data.error] || r.data.message || "";
        return;
      }
      box.setAttribute("data-chart", chart);
      box.setAttribute("data-key", key);
      box.setAttribute("data-day", day);
      $("behind-count").textContent = r.data.total + " 件理赔 / claims" +
        (r.data.complaints_total ? " · " + r.data.complaints_total + " 件投诉 / complaints" : "") +
        (r.data.total > r.data.claims.length ? " (前 " + r.data.claims.length + " / first " +
          r.data.claims.length + ")" : "");
      var reason = "主管看板 / Supervisors' dashboard: " + chart + " " + key + " " + day;
      r.data.claims.forEach(function (number) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = "./#" + new URLSearchParams({ lookup: number, reason: reason }).toString();
        link.textContent = number;
        link.setAttribute("data-testid", "behind-claim");
        item.appendChild(link);
        list.appendChild(item);
      });
      r.data.complaints.forEach(function (reference) {
        var item = document.createElement("li");
        item.textContent = "投诉 / Complaint " + reference;
        refs.appendChild(item);
      });
    });
  }

  function stop() { if (timer) { clearTimeout(timer); timer = null; } }

  function init() {
    var params = new URLSearchParams(location.search);
    $("from").value = params.get("from") || "";
    $("to").value = params.get("to") || "";
    $("line").value = params.get("line") || "";
    $("channel").value = params.get("channel") || "";
    $("filters").addEventListener("submit", function (event) {
      event.preventDefault();
      $("behind").hidden = true;
      stop();
      poll();
    });
    $("behind-close").addEventListener("click", function () { $("behind").hidden = true; });
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (name) { charts[name].resize(); });
    });
    if (typeof echarts === "undefined") {
      refuse("图表库未安装 / Charts not installed",
        "请运行 make setup（npm ci）。/ Run make setup (npm ci) on the server.");
      return;
    }
    poll();
  }

  // The next poll starts POLL_MS after the last answer, so a slow period never piles up.
  function poll() {
    load().then(function (outcome) {
      if (outcome === "stop") { return; }
      if (!document.body.hasAttribute("data-refused")) { timer = setTimeout(poll, POLL_MS); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
