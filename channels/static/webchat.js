/* Web chat page: sends what the customer types to the webchat webhook and shows the replies.
 * Message text only ever goes through textContent, so HTML typed by anyone stays text. */
(function () {
  "use strict";

  var MAX_CHARS = 2000;
  var SHOW_COUNT_FROM = 1500;
  var REQUEST_TIMEOUT_MS = 90000;
  // The conversation the server issued ({sender, token}: POST session); the token goes in the
  // X-Chat-Session header of every request that names the sender, never in a URL.
  var STORAGE_KEY = "claimsAssistant.webchat.session";
  // Where pages before server-issued sessions kept an id of their own making: no longer valid.
  var OLD_STORAGE_KEY = "claimsAssistant.webchat.senderId";
  var SESSION_HEADER = "X-Chat-Session";
  var HANDOFF_TEXT = "转人工";
  // Words written outside the customer's turn (a person's replies, proactive notices) wait in
  // the conversation's outbox; the page collects them this often.
  var POLL_MS = 2000;

  var TEXT = {
    welcome:
      "您好!我是理赔助手,可以帮您报案、查询理赔进度、了解需要准备的材料。\n" +
      "Hello! I am the claims assistant. I can help you report a claim, check its progress " +
      "and see which documents you need.",
    error: "网络出错了,请稍后再试 / Connection problem, please try again",
    tooLong: "消息太长了,请分几次发送 / The message is too long, please send it in parts",
    image: "查看图片 / View image",
    attachment: "查看附件 / View attachment",
    whichDocument: "这是哪一份材料?点一下再选照片或 PDF。/ Which document is it? Tap one, then pick the photo or PDF.",
    // The stored conversation could not be continued (its token refused, or an id from an
    // older page): the page never switches conversations without saying so.
    renewed: "之前的对话已无法继续,已为您开始新的对话。/ Your earlier conversation could not be continued, so a new one has started.",
    ended: "对话已结束。如需继续咨询,需要重新核实身份。/ The chat has ended. To continue, you will be asked who you are again.",
    endFailed: "未能结束对话,请稍后再试。/ The chat could not be ended, please try again.",
    replaced: "这个对话已在另一个窗口结束或更换。/ This chat was ended or replaced in another window.",
    earlier: "更早的消息未显示 / Earlier messages are not shown"
  };

  var messages, conversation, input, form, typing, charCount;
  var pending = 0;
  // Replies that arrive after "new conversation" belong to the old one and are dropped.
  var epoch = 0;
  var queue = Promise.resolve();
  var memorySession = null;
  var sessionRequest = null;
  // The conversation this window shows: another window may change the stored one.
  var viewSender = null;

  function validSession(value) {
    return !!value && typeof value === "object" && typeof value.sender === "string" &&
      /^[A-Za-z0-9_-]{1,64}$/.test(value.sender) && typeof value.token === "string" &&
      /^[A-Za-z0-9_-]{16,128}$/.test(value.token);
  }

  function storeSession(value) {
    memorySession = value;
    if (value) {
      viewSender = value.sender;
    }
    try {
      if (value) {
        window.localStorage.setItem(STORAGE_KEY, JSON.stringify(value));
      } else {
        window.localStorage.removeItem(STORAGE_KEY);
      }
      window.localStorage.removeItem(OLD_STORAGE_KEY);
    } catch (e) {
      // Private browsing may refuse storage; the session then lives as long as the page.
    }
  }

  function storedSession() {
    var value = null;
    try {
      value = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "null");
    } catch (e) {
      value = null;
    }
    return validSession(value) ? value : (validSession(memorySession) ? memorySession : null);
  }

  // The conversation's {sender, token}: the stored one, else (or when `fresh`) a new one from
  // the server (an id kept by an older page, without a token, is left behind). A fresh one
  // replaces the stored one only once it is there: other windows see one change, old to new.
  function session(fresh) {
    var known = fresh ? null : storedSession();
    if (known) {
      memorySession = known;
      viewSender = viewSender || known.sender;
      return Promise.resolve(known);
    }
    if (!sessionRequest) {
      sessionRequest = fetch("session", { method: "POST", cache: "no-store" })
        .then(function (res) {
          if (!res.ok) {
            throw new Error("http-" + res.status);
          }
          return res.json();
        })
        .then(function (value) {
          if (!validSession(value)) {
            throw new Error("bad-session");
          }
          storeSession({ sender: value.sender, token: value.token });
          return memorySession;
        })
        .then(function (value) {
          sessionRequest = null;
          return value;
        }, function (err) {
          sessionRequest = null;
          throw err;
        });
    }
    return sessionRequest;
  }

  // The server refused `stale` (401: its key changed, or the token was lost): a new session,
  // unless another request already replaced it; the customer is told once.
  function renewSession(stale) {
    var current = storedSession();
    if (!current || !stale || current.sender !== stale.sender) {
      return session();
    }
    if (!sessionRequest) {
      shownIds = {};
      addNotice(TEXT.renewed, "session-renewed");
    }
    return session(true);
  }

  function sessionHeaders(value, headers) {
    var out = {};
    Object.keys(headers || {}).forEach(function (name) { out[name] = headers[name]; });
    out[SESSION_HEADER] = value.token;
    return out;
  }

  // A request that names the conversation: makeRequest(session) starts it. A 401
  // gets a fresh session (a new conversation) and the request is sent once more in it.
  function withSession(makeRequest) {
    return session().then(function (value) {
      return makeRequest(value).then(function (res) {
        if (res.status !== 401) {
          return res;
        }
        return renewSession(value).then(makeRequest);
      });
    });
  }

  function scrollToEnd() {
    conversation.scrollTop = conversation.scrollHeight;
  }

  function bubble(kind) {
    var el = document.createElement("div");
    el.className = "msg " + kind;
    el.setAttribute("data-testid", "msg-" + kind);
    messages.appendChild(el);
    return el;
  }

  function addUserMessage(text) {
    var el = bubble("user");
    el.textContent = text;
    scrollToEnd();
    return el;
  }

  // A line from the page itself (not the assistant's): a new conversation, an ended chat.
  function addNotice(text, testId) {
    var el = bubble("notice");
    el.setAttribute("role", "status");
    el.setAttribute("data-testid", testId);
    el.textContent = text;
    scrollToEnd();
    return el;
  }

  function addErrorMessage(text) {
    var el = bubble("error");
    el.setAttribute("role", "alert");
    el.setAttribute("data-testid", "error-message");
    el.textContent = text;
    scrollToEnd();
  }

  function safeLink(url, label) {
    if (typeof url !== "string" || !/^https?:\/\//i.test(url)) {
      return null;
    }
    var a = document.createElement("a");
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.textContent = label;
    return a;
  }

  function addBotMessage(reply, kind) {
    var el = bubble("bot");
    if (kind) {
      el.setAttribute("data-kind", kind);
    }
    if (typeof reply.text === "string" && reply.text !== "") {
      var text = document.createElement("div");
      text.className = "msg-text";
      text.textContent = reply.text;
      el.appendChild(text);
    }
    var link = safeLink(reply.image, TEXT.image) || safeLink(reply.attachment, TEXT.attachment);
    if (link) {
      el.appendChild(link);
    }
    if (Array.isArray(reply.buttons) && reply.buttons.length) {
      el.appendChild(buttonChips(reply.buttons));
    }
    if (!el.childNodes.length) {
      // Nothing a person can read (e.g. a custom payload): leave no empty bubble behind.
      messages.removeChild(el);
    }
    scrollToEnd();
    return el;
  }

  function buttonChips(buttons) {
    var chips = document.createElement("div");
    chips.className = "chips";
    buttons.forEach(function (b) {
      if (!b || typeof b.payload !== "string") {
        return;
      }
      var chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.setAttribute("data-testid", "bot-button");
      chip.textContent = typeof b.title === "string" && b.title ? b.title : b.payload;
      chip.addEventListener("click", function () {
        // One choice per question: a second tap must not answer twice.
        Array.prototype.forEach.call(chips.querySelectorAll("button"), function (other) {
          other.disabled = true;
        });
        chip.classList.add("chosen");
        send(b.payload, chip.textContent);
      });
      chips.appendChild(chip);
    });
    return chips;
  }

  function setTyping(on) {
    typing.hidden = !on;
    if (on) {
      scrollToEnd();
    }
  }

  function post(text, sentIn) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    return withSession(function (value) {
      return fetch("webhook", {
        method: "POST",
        headers: sessionHeaders(value, { "Content-Type": "application/json" }),
        body: JSON.stringify({
          sender: value.sender,
          message: text,
          metadata: { locale: navigator.language || "" }
        }),
        signal: controller ? controller.signal : undefined
      });
    })
      .then(function (res) {
        if (res.status === 413) {
          throw new Error("too-long");
        }
        if (res.status === 503) {
          return res.json(); // not handled, nothing saved: the reply asks to send it again
        }
        if (!res.ok) {
          throw new Error("http-" + res.status);
        }
        return res.json();
      })
      .then(function (replies) {
        if (sentIn !== epoch) {
          return;
        }
        if (!Array.isArray(replies)) {
          throw new Error("bad-reply");
        }
        replies.forEach(function (reply) {
          if (reply && typeof reply === "object") {
            addBotMessage(reply);
          }
        });
      })
      .catch(function (err) {
        if (sentIn !== epoch) {
          return;
        }
        addErrorMessage(err && err.message === "too-long" ? TEXT.tooLong : TEXT.error);
      })
      .then(function () {
        if (timer) {
          clearTimeout(timer);
        }
      });
  }

  // Messages go out one after another so replies come back in the order they were asked.
  function send(text, shownAs) {
    if (typeof text !== "string" || !text.trim()) {
      return;
    }
    if (text.length > MAX_CHARS) {
      text = text.slice(0, MAX_CHARS);
    }
    addUserMessage(shownAs || text);
    var sentIn = epoch;
    pending += 1;
    setTyping(true);
    queue = queue.then(function () {
      // Still queued when the customer started over: it belongs to the old conversation.
      return sentIn === epoch ? post(text, sentIn) : null;
    }).then(function () {
      if (sentIn !== epoch) {
        return;
      }
      pending -= 1;
      if (pending <= 0) {
        pending = 0;
        setTyping(false);
      }
    });
  }

  // Outbox messages stay pending until the page says it showed them, so a poll whose answer
  // is lost loses nothing: the message comes back. Ids already shown are acknowledged again
  // (that acknowledgement may be what was lost) but never shown twice.
  var shownIds = {};

  function acknowledge(value, ids) {
    if (!ids.length) {
      return null;
    }
    return fetch("messages/ack", {
      method: "POST",
      headers: sessionHeaders(value, { "Content-Type": "application/json" }),
      body: JSON.stringify({ sender: value.sender, ids: ids }),
      cache: "no-store"
    }).catch(function () {
      // Not acknowledged: the messages come back after their lease and are acknowledged then.
    });
  }

  function poll() {
    var polledIn = epoch;
    var polled = null;
    withSession(function (value) {
      polled = value;
      return fetch("messages?sender=" + encodeURIComponent(value.sender), {
        headers: sessionHeaders(value, { "Accept": "application/json" }),
        cache: "no-store"
      });
    })
      .then(function (res) {
        return res.ok ? res.json() : [];
      })
      .then(function (list) {
        if (polledIn !== epoch || !Array.isArray(list)) {
          return null;
        }
        var ids = [];
        list.forEach(function (message) {
          if (!message || typeof message !== "object") {
            return;
          }
          var id = typeof message.id === "number" ? message.id : null;
          if (id === null || !shownIds[id]) {
            if (typeof message.text === "string" && message.text !== "") {
              addBotMessage({ text: message.text }, String(message.kind || "outbox"));
            }
          }
          if (id !== null) {
            shownIds[id] = true;
            ids.push(id);
          }
        });
        return acknowledge(polled, ids);
      })
      .catch(function () {
        // Offline for a moment: the messages stay in the outbox for the next try.
      })
      .then(function () {
        setTimeout(poll, POLL_MS);
      });
  }

  function updateCount() {
    var n = input.value.length;
    charCount.hidden = n < SHOW_COUNT_FROM;
    charCount.textContent = n + " / " + MAX_CHARS;
    charCount.classList.toggle("full", n >= MAX_CHARS);
  }

  function submitInput() {
    var text = input.value;
    if (!text.trim()) {
      input.focus();
      return;
    }
    input.value = "";
    updateCount();
    send(text);
    input.focus();
  }

  function showWelcome() {
    var el = bubble("bot");
    el.classList.add("welcome");
    el.setAttribute("data-testid", "welcome");
    el.textContent = TEXT.welcome;
  }

  // An empty page for another conversation: replies still on their way are dropped (epoch).
  function clearView() {
    epoch += 1;
    shownIds = {};
    messages.textContent = "";
    pending = 0;
    setTyping(false);
    showWelcome();
  }

  // What the customer said and was shown in the stored conversation (GET history), under the
  // welcome, when the page opens again on it: a reload never hides a conversation that goes on.
  function restoreHistory() {
    var known = storedSession();
    var restoredIn = epoch;
    if (!known) {
      return Promise.resolve();
    }
    viewSender = known.sender;
    // Whatever is added meanwhile (a message typed at once) stays below the restored lines.
    var anchor = document.createElement("span");
    anchor.hidden = true;
    messages.appendChild(anchor);
    function place(el) {
      if (anchor.parentNode === messages) {
        messages.insertBefore(el, anchor);
      }
    }
    return fetch("history?sender=" + encodeURIComponent(known.sender), {
      headers: sessionHeaders(known, { "Accept": "application/json" }),
      cache: "no-store"
    })
      .then(function (res) {
        if (res.status === 401) {
          return renewSession(known).then(function () { return null; });
        }
        return res.ok ? res.json() : null;
      })
      .then(function (history) {
        if (restoredIn !== epoch || !history || !Array.isArray(history.messages)) {
          return;
        }
        if (history.truncated) {
          place(addNotice(TEXT.earlier, "history-truncated"));
        }
        history.messages.forEach(function (line) {
          if (!line || typeof line.text !== "string") {
            return;
          }
          var el = line.from === "customer" ? addUserMessage(line.text) :
            addBotMessage({ text: line.text, buttons: line.buttons },
                          line.from === "agent" ? "agent_message" : "");
          el.setAttribute("data-restored", "true");
          place(el);
        });
        scrollToEnd();
      })
      .catch(function () {
        // Not restored (offline): the conversation itself goes on.
      })
      .then(function () {
        if (anchor.parentNode) {
          anchor.parentNode.removeChild(anchor);
        }
      });
  }

  // "结束对话 / End chat": the server restarts the conversation (its verified identity ends
  // with it), then the page starts a new one. Not ended (offline, server down): the customer
  // is told, and nothing changes.
  function endChat() {
    var button = document.getElementById("end-chat");
    var known = storedSession();
    button.disabled = true;
    var ending = !known ? Promise.resolve() : fetch("end", {
      method: "POST",
      headers: sessionHeaders(known, { "Content-Type": "application/json" }),
      body: JSON.stringify({ sender: known.sender }),
      cache: "no-store"
    }).then(function (res) {
      // 401: this token opens nothing any more; there is nothing left to end with it.
      if (!res.ok && res.status !== 401) {
        throw new Error("http-" + res.status);
      }
    });
    ending
      .then(function () {
        clearView();
        addNotice(TEXT.ended, "chat-ended");
        input.value = "";
        updateCount();
        // What is typed now waits for the new conversation; without one (offline) the ended
        // one is forgotten and the next message asks again.
        var renewal = session(true).then(null, function () { storeSession(null); });
        queue = queue.then(function () { return renewal; });
      }, function () {
        addErrorMessage(TEXT.endFailed);
      })
      .then(function () {
        button.disabled = false;
        input.focus();
      });
  }

  // Another window of this browser ended the chat, or moved to a new conversation: this one
  // follows, and does not go on speaking in (or showing) a conversation that was ended.
  function followOtherWindow(event) {
    if (event.key !== null && event.key !== STORAGE_KEY) {
      return;
    }
    var next = null;
    try {
      next = JSON.parse(event.newValue || "null");
    } catch (e) {
      next = null;
    }
    next = validSession(next) ? next : null;
    if (next && next.sender === viewSender) {
      return;
    }
    memorySession = next;
    if (viewSender) {
      clearView();
      addNotice(TEXT.replaced, "chat-replaced");
    }
    viewSender = null;
    if (next) {
      queue = queue.then(restoreHistory);
    }
  }

  // An SMS receipt's one-time link (#k=<token>): the fragment never reaches a server or a
  // link preview; it is taken off the address at once and spent by one POST, in a fresh
  // conversation, which the server leaves verified for the claim.
  function loginFromLink() {
    var match = /^#k=([A-Za-z0-9_-]{16,64})$/.exec(window.location.hash || "");
    if (!match) {
      return;
    }
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    queue = queue.then(function () {
      setTyping(true);
      // A new session replaces the stored one only once it is there (other windows follow).
      return session(true)
        .then(function () {
          return withSession(function (value) {
            return fetch("login", {
              method: "POST",
              headers: sessionHeaders(value, { "Content-Type": "application/json" }),
              body: JSON.stringify({ sender: value.sender, token: match[1],
                                     metadata: { locale: navigator.language || "" } })
            });
          });
        })
        .then(function (res) { return res.json(); })
        .then(function (answer) {
          if (answer && typeof answer.text === "string") {
            addBotMessage({ text: answer.text }, "login");
          } else {
            addErrorMessage(TEXT.error);
          }
        })
        .catch(function () { addErrorMessage(TEXT.error); })
        .then(function () { setTyping(false); });
    });
  }

  // Documents: pick which one from the claim's list, then the photo or PDF itself.
  var uploadDocument = "";

  function chooseDocument() {
    withSession(function (value) {
      return fetch("documents?sender=" + encodeURIComponent(value.sender), {
        headers: sessionHeaders(value, {}),
        cache: "no-store"
      });
    })
      .then(function (res) { return res.json(); })
      .then(function (info) {
        if (!info.claim_number || info.message) {
          addBotMessage({ text: info.message || "" });
          return;
        }
        var el = bubble("bot");
        var text = document.createElement("div");
        text.className = "msg-text";
        // Which claim the list is for (its number), then which document to send.
        text.textContent = (info.heading ? info.heading + "\n" : "") + TEXT.whichDocument;
        el.appendChild(text);
        var chips = document.createElement("div");
        chips.className = "chips";
        info.documents.forEach(function (doc) {
          var chip = document.createElement("button");
          chip.type = "button";
          chip.className = "chip";
          chip.setAttribute("data-testid", "document-choice");
          chip.textContent = doc.name;
          chip.addEventListener("click", function () {
            uploadDocument = doc.code;
            document.getElementById("upload-input").click();
          });
          chips.appendChild(chip);
        });
        el.appendChild(chips);
        scrollToEnd();
      })
      .catch(function () { addErrorMessage(TEXT.error); });
  }

  function uploadFile(file) {
    addUserMessage("📎 " + file.name);
    setTyping(true);
    var chosen = uploadDocument;
    withSession(function (value) {
      var url = "upload?sender=" + encodeURIComponent(value.sender) +
        (chosen ? "&document=" + encodeURIComponent(chosen) : "");
      return fetch(url, {
        method: "POST",
        body: file,
        headers: sessionHeaders(value, { "Content-Type": file.type || "application/octet-stream",
                                         "X-Filename": encodeURIComponent(file.name) })
      });
    })
      .then(function (res) { return res.json(); })
      .then(function (replies) {
        (Array.isArray(replies) ? replies : []).forEach(function (reply) { addBotMessage(reply); });
      })
      .catch(function () { addErrorMessage(TEXT.error); })
      .then(function () { setTyping(false); uploadDocument = ""; });
  }

  // Voice notes: record with the microphone (MediaRecorder) or pick an audio file; the server
  // recognises it, shows what it heard ("我听到的是…") and answers as if it had been typed.
  var MAX_RECORD_MS = 110000; // the server refuses notes over 120 s
  var VOICE_TEXT = {
    note: "🎤 语音消息 / Voice message",
    seconds: " 秒 / s",
    stop: "⏹ 停止并发送 / Stop and send",
    speak: "🎤 说话 / Speak",
    noMic: "无法使用麦克风。请允许使用麦克风，或点“发语音文件”。/ The microphone is not available. Allow it, or use \"Send a voice file\"."
  };
  var recorder = null;
  var recordTimer = null;
  var recordStarted = 0;

  function recordingType() {
    var types = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/ogg",
                 "audio/mp4"];
    if (typeof MediaRecorder === "undefined" || !MediaRecorder.isTypeSupported) {
      return "";
    }
    for (var i = 0; i < types.length; i++) {
      if (MediaRecorder.isTypeSupported(types[i])) {
        return types[i];
      }
    }
    return "";
  }

  function postVoice(blob, sentIn) {
    return withSession(function (value) {
      var url = "voice?sender=" + encodeURIComponent(value.sender) +
        "&locale=" + encodeURIComponent(navigator.language || "");
      return fetch(url, {
        method: "POST",
        body: blob,
        headers: sessionHeaders(value, { "Content-Type": blob.type || "application/octet-stream" })
      });
    })
      .then(function (res) {
        // 413 (too large) and 503 (try again) carry a reply for the customer, like 200.
        if (!res.ok && res.status !== 413 && res.status !== 503) {
          throw new Error("http-" + res.status);
        }
        return res.json();
      })
      .then(function (replies) {
        if (sentIn !== epoch) {
          return;
        }
        (Array.isArray(replies) ? replies : []).forEach(function (reply) {
          if (reply && typeof reply === "object") {
            addBotMessage(reply, reply.heard ? "heard" : "");
          }
        });
      })
      .catch(function () {
        if (sentIn === epoch) {
          addErrorMessage(TEXT.error);
        }
      });
  }

  // In the same queue as typed messages, so replies keep the order things were sent in.
  function sendVoice(blob, seconds) {
    if (!blob || !blob.size) {
      return;
    }
    addUserMessage(VOICE_TEXT.note + (seconds ? " (" + seconds + VOICE_TEXT.seconds + ")" : ""))
      .setAttribute("data-kind", "voice");
    var sentIn = epoch;
    pending += 1;
    setTyping(true);
    queue = queue.then(function () {
      return sentIn === epoch ? postVoice(blob, sentIn) : null;
    }).then(function () {
      if (sentIn !== epoch) {
        return;
      }
      pending -= 1;
      if (pending <= 0) {
        pending = 0;
        setTyping(false);
      }
    });
  }

  function setRecording(on) {
    var button = document.getElementById("voice-button");
    button.classList.toggle("recording", on);
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? VOICE_TEXT.stop : VOICE_TEXT.speak;
  }

  function stopRecording() {
    if (recorder && recorder.state !== "inactive") {
      recorder.stop();
    }
  }

  function startRecording() {
    var type = recordingType();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia ||
        typeof MediaRecorder === "undefined") {
      addErrorMessage(VOICE_TEXT.noMic);
      return;
    }
    navigator.mediaDevices.getUserMedia({ audio: true })
      .then(function (stream) {
        var chunks = [];
        recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
        recorder.addEventListener("dataavailable", function (event) {
          if (event.data && event.data.size) {
            chunks.push(event.data);
          }
        });
        recorder.addEventListener("stop", function () {
          clearTimeout(recordTimer);
          stream.getTracks().forEach(function (track) { track.stop(); });
          var seconds = Math.max(1, Math.round((Date.now() - recordStarted) / 1000));
          var blob = new Blob(chunks, { type: (recorder.mimeType || type || "audio/webm").split(";")[0] });
          recorder = null;
          setRecording(false);
          sendVoice(blob, seconds);
        });
        recordStarted = Date.now();
        recorder.start();
        setRecording(true);
        recordTimer = setTimeout(stopRecording, MAX_RECORD_MS);
      })
      .catch(function () {
        recorder = null;
        setRecording(false);
        addErrorMessage(VOICE_TEXT.noMic);
      });
  }

  function init() {
    messages = document.getElementById("messages");
    conversation = document.getElementById("conversation");
    input = document.getElementById("message-input");
    form = document.getElementById("composer-form");
    typing = document.getElementById("typing-indicator");
    charCount = document.getElementById("char-count");

    input.maxLength = MAX_CHARS;
    var fromLink = /^#k=/.test(window.location.hash || "");
    var olderId = false;
    try {
      olderId = !!window.localStorage.getItem(OLD_STORAGE_KEY);
    } catch (e) {
      olderId = false;
    }
    // A stored session that is no session (cut short, edited, not JSON) is one that cannot go
    // on: said, like an old id, never a silent switch.
    var brokenStored = false;
    try {
      var stored = window.localStorage.getItem(STORAGE_KEY);
      if (stored) {
        try {
          brokenStored = !validSession(JSON.parse(stored));
        } catch (e) {
          brokenStored = true;
        }
      }
    } catch (e) {
      brokenStored = false;
    }
    var reopened = !fromLink && !!storedSession();
    showWelcome();
    if ((olderId || brokenStored) && !reopened && !fromLink) {
      addNotice(TEXT.renewed, "session-renewed");
    }
    // A page opened again on a conversation shows it first; otherwise the conversation's
    // session is asked for now (a link's login starts a new one itself). Messages typed
    // meanwhile wait for it.
    var opening = fromLink ? Promise.resolve() : reopened ? restoreHistory() :
      session().then(function () {}, function () { /* asked for again with the first message */ });
    queue = queue.then(function () { return opening; });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submitInput();
    });
    input.addEventListener("keydown", function (event) {
      // Enter sends, Shift+Enter breaks the line; Enter that confirms a Chinese IME choice must not send.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        submitInput();
      }
    });
    input.addEventListener("input", updateCount);
    document.getElementById("upload-button").addEventListener("click", chooseDocument);
    document.getElementById("upload-input").addEventListener("change", function (event) {
      var file = event.target.files && event.target.files[0];
      if (file) {
        uploadFile(file);
      }
      event.target.value = "";
    });
    document.getElementById("voice-button").addEventListener("click", function () {
      if (recorder) {
        stopRecording();
      } else {
        startRecording();
      }
    });
    document.getElementById("voice-file-button").addEventListener("click", function () {
      document.getElementById("voice-input").click();
    });
    document.getElementById("voice-input").addEventListener("change", function (event) {
      var file = event.target.files && event.target.files[0];
      if (file) {
        sendVoice(file, 0);
      }
      event.target.value = "";
    });
    document.getElementById("handoff-button").addEventListener("click", function () {
      send(HANDOFF_TEXT);
    });
    document.getElementById("end-chat").addEventListener("click", endChat);
    window.addEventListener("storage", followOtherWindow);
    loginFromLink();
    input.focus();
    // Ready once the conversation is on the page (restored or new); polls start then too.
    opening.then(function () {
      document.body.setAttribute("data-ready", "true");
      setTimeout(poll, POLL_MS);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
