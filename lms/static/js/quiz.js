/* Quiz autosave: every change is POSTed (attempt, question, answer fields, seq).
 * Unsaved answers are queued in localStorage and resent on reconnect or reload,
 * one at a time in seq order, each with the last seq the server accepted from
 * this page (base): if another tab or device saved since, the server says 409.
 * The page works without this file ("Save and continue" saves the page). */
(function () {
  "use strict";
  var form = document.getElementById("quiz-form");
  if (!form) { return; }
  var status = document.getElementById("save-status");
  var url = form.getAttribute("data-autosave-url");
  var storeKey = "lms-quiz-queue-" + form.getAttribute("data-attempt");
  var token = form.querySelector("input[name=csrf_token]").value;
  var baseSeq = form.querySelector("input[name=base_seq]");
  // acked: the last seq the server accepted from this page; seq: the counter for new changes.
  var acked = parseInt(form.getAttribute("data-seq"), 10) || 0;
  var seq = acked;
  var queue = [];
  var sending = false;
  var stopped = false;
  var retryTimer = null;
  var submitting = null;
  // Questions whose last save the server refused (e.g. one position given twice):
  // "Saved" is shown only when every change was acknowledged (issue 14, item 7).
  var rejected = {};

  function show(kind) {
    status.textContent = (status.getAttribute("data-" + kind) || "") + " ";
    status.className = "save-status save-" + kind;
    if (kind === "stale") {
      var link = document.createElement("a");
      link.href = window.location.href;
      link.textContent = status.getAttribute("data-reload") || "↻";
      link.className = "reload-link";
      status.appendChild(link);
    }
  }

  function load() {
    try { return JSON.parse(window.localStorage.getItem(storeKey)) || []; } catch (e) { return []; }
  }
  function persist() {
    try {
      if (queue.length) { window.localStorage.setItem(storeKey, JSON.stringify(queue)); }
      else { window.localStorage.removeItem(storeKey); }
    } catch (e) { /* storage full or disabled: the queue still lives in memory */ }
  }

  function fieldsOf(fieldset) {
    var out = {};
    var els = fieldset.querySelectorAll("input, select, textarea");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (!el.name) { continue; }
      if (!out[el.name]) { out[el.name] = []; }
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) { out[el.name].push(el.value); }
      } else {
        out[el.name].push(el.value);
      }
    }
    return out;
  }

  function apply(item) {
    var fieldset = document.getElementById("question-" + item.question);
    if (!fieldset) { return; }
    var els = fieldset.querySelectorAll("input, select, textarea");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var values = item.fields[el.name] || [];
      if (el.type === "radio" || el.type === "checkbox") { el.checked = values.indexOf(el.value) !== -1; }
      else if (values.length) { el.value = values[0]; }
    }
  }

  function markRejected(qid, refused) {
    var fieldset = document.getElementById("question-" + qid);
    if (refused) { rejected[qid] = true; } else { delete rejected[qid]; }
    if (!fieldset) { return; }
    var note = fieldset.querySelector(".save-refused");
    if (refused) {
      fieldset.setAttribute("aria-invalid", "true");
      if (!note) {
        note = document.createElement("p");
        note.className = "error save-refused";
        note.setAttribute("role", "alert");
        note.textContent = status.getAttribute("data-refused") || "";
        fieldset.insertBefore(note, fieldset.querySelector(".prompt").nextSibling);
      }
    } else {
      fieldset.removeAttribute("aria-invalid");
      if (note) { note.parentNode.removeChild(note); }
    }
  }

  function scheduleRetry() {
    if (retryTimer) { return; }
    retryTimer = window.setTimeout(function () { retryTimer = null; flush(); }, 3000);
  }

  // submitting: what to do once the queue is empty (submit the form). A click's
  // waiter is dropped when sending fails; the timer's waiter keeps waiting.
  function finishWaiters(ok) {
    if (!submitting) { return; }
    if (ok && queue.length === 0) {
      var done = submitting; submitting = null; done();
    } else if (!ok && !submitting.keep) {
      submitting = null;
    }
  }

  function flush() {
    if (sending || stopped) { return; }
    if (!queue.length) {
      show(Object.keys(rejected).length ? "error" : "saved");
      finishWaiters(true);
      return;
    }
    sending = true;
    show("saving");
    var item = queue[0];
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.setRequestHeader("X-CSRFToken", token);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.timeout = 15000;
    xhr.onload = function () {
      sending = false;
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      if (xhr.status === 200 && body.ok === true) {
        markRejected(item.question, false);
        queue = queue.filter(function (it) { return it !== item; });
        persist();
        acked = Math.max(acked, body.seq);
        if (baseSeq) { baseSeq.value = acked; }
        flush();
      } else if (xhr.status === 409) {
        stopped = true; queue = []; persist(); show("stale"); finishWaiters(false);
      } else if (xhr.status === 410) {
        stopped = true; queue = []; persist(); show("closed");
        if (body.result_url) { window.location.href = body.result_url; }
      } else if (xhr.status === 400 && (body.error === "bad_answer" || body.error === "bad_request")) {
        queue = queue.filter(function (it) { return it !== item; }); persist();
        markRejected(item.question, true); flush();
      } else if (xhr.status === 200 || xhr.status === 401 || xhr.status === 400) {
        // Logged out (the login page came back) or an expired form token: keep the answers queued.
        show("login"); finishWaiters(false); scheduleRetry();
      } else {
        show("offline"); finishWaiters(false); scheduleRetry();
      }
    };
    xhr.onerror = xhr.ontimeout = function () {
      sending = false; show("offline"); finishWaiters(false); scheduleRetry();
    };
    xhr.send(JSON.stringify({ question: item.question, seq: item.seq, base: acked, fields: item.fields }));
  }

  function hasValue(fields) {
    for (var name in fields) {
      if (Object.prototype.hasOwnProperty.call(fields, name)) {
        for (var i = 0; i < fields[name].length; i++) { if (fields[name][i] !== "") { return true; } }
      }
    }
    return false;
  }

  function recount() {
    var counter = document.getElementById("answered-count");
    if (!counter) { return; }
    var n = parseInt(counter.getAttribute("data-elsewhere"), 10) || 0;
    var sets = form.querySelectorAll("fieldset[data-question]");
    for (var i = 0; i < sets.length; i++) { if (sets[i].getAttribute("data-answered") === "1") { n += 1; } }
    counter.textContent = n;
  }

  function changed(event) {
    if (stopped) { return; }
    var fieldset = event.target.closest ? event.target.closest("fieldset[data-question]") : null;
    if (!fieldset) { return; }
    var qid = fieldset.getAttribute("data-question");
    seq = Math.max(seq, acked) + 1;
    queue = queue.filter(function (it) { return it.question !== qid; });
    var fields = fieldsOf(fieldset);
    fieldset.setAttribute("data-answered", hasValue(fields) ? "1" : "0");
    recount();
    queue.push({ question: qid, seq: seq, fields: fields });
    persist();
    flush();
  }

  // Resume: answers queued before a reload go back into the page and are resent.
  queue = load();
  for (var i = 0; i < queue.length; i++) {
    seq = Math.max(seq, queue[i].seq);
    apply(queue[i]);
    var restored = document.getElementById("question-" + queue[i].question);
    if (restored) { restored.setAttribute("data-answered", hasValue(queue[i].fields) ? "1" : "0"); }
  }
  recount();
  form.addEventListener("change", changed);
  var typing = null;
  form.addEventListener("input", function (event) {
    if (event.target.type !== "text") { return; }
    window.clearTimeout(typing);
    typing = window.setTimeout(function () { changed(event); }, 800);
  });
  window.addEventListener("online", function () { flush(); });

  // "Save and continue"/"Finish": send queued saves first; offline, stay on the page.
  form.addEventListener("submit", function (event) {
    if (!queue.length || stopped) { return; }
    event.preventDefault();
    var submitter = event.submitter;
    submitting = function () {
      if (submitter && submitter.name) {
        var hidden = document.createElement("input");
        hidden.type = "hidden"; hidden.name = submitter.name; hidden.value = submitter.value;
        form.appendChild(hidden);
      }
      form.submit();
    };
    flush();
  });

  // Timer: count down to the deadline; at zero, save what is queued and submit.
  var timer = document.getElementById("quiz-timer");
  if (timer) {
    var deadline = Date.parse(timer.getAttribute("data-deadline"));
    var skew = Date.parse(timer.getAttribute("data-now")) - Date.now();
    var tick = function () {
      var left = Math.max(0, Math.floor((deadline - (Date.now() + skew)) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      timer.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      if (left <= 60) { timer.className = "timer-low"; }
      if (left === 0) {
        window.clearInterval(handle);
        submitting = function () { document.getElementById("quiz-timeout-form").submit(); };
        submitting.keep = true;
        flush();
      }
    };
    var handle = window.setInterval(tick, 1000);
    tick();
  }
  if (queue.length) { flush(); }
})();
