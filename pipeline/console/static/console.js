// Keyboard shortcuts for the review console. Pages work without this script (plain forms);
// it adds: j/k move, Enter open, a claim, c confirm, x + digit clear with a reason, r release.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var statusEl = document.getElementById("status");
  var picker = document.getElementById("picker");
  var pickerTarget = null;

  function say(text, ok) {
    if (!statusEl) return;
    statusEl.hidden = false;
    statusEl.textContent = text;
    statusEl.className = "flash " + (ok ? "ok" : "err");
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(typeof data.detail === "string" ? data.detail : r.statusText);
        return data;
      });
    });
  }

  function typing(ev) {
    var t = ev.target;
    return ev.ctrlKey || ev.metaKey || ev.altKey ||
      (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA"));
  }

  function openPicker(target) {
    if (!picker) return;
    pickerTarget = target;
    picker.hidden = false;
  }

  function closePicker() {
    if (picker) picker.hidden = true;
    pickerTarget = null;
  }

  function reasonForKey(key) {
    var b = picker && picker.querySelector('button[data-key="' + key + '"]');
    return b ? b.getAttribute("data-reason") : null;
  }

  function noteFor(reason) {
    if (reason !== "other") return "";
    return window.prompt("Note 说明 (required for 'other'):") || null;
  }

  // ---- queue page ------------------------------------------------------------------------
  function queuePage(table) {
    var sel = 0;
    function rows() { return Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-id]")); }
    function mark() {
      rows().forEach(function (r, i) { r.classList.toggle("sel", i === sel); });
      var r = rows()[sel];
      if (r) r.scrollIntoView({ block: "nearest" });
    }
    function current() { return rows()[sel] || null; }
    function claimRow(row) {
      if (row.getAttribute("data-mine") === "1") return Promise.resolve(row);
      var id = row.getAttribute("data-id");
      return post("/api/items/" + id + "/claim", { version: +row.getAttribute("data-version") })
        .then(function (item) {
          row.setAttribute("data-version", item.version);
          row.setAttribute("data-mine", "1");
          return row;
        });
    }
    function decideRow(row, decision, reason, note) {
      var id = row.getAttribute("data-id");
      return claimRow(row).then(function () {
        return post("/api/items/" + id + "/decide", {
          decision: decision, reason: reason, note: note,
          version: +row.getAttribute("data-version"),
        });
      }).then(function (item) {
        var count = document.getElementById("count-" + row.getAttribute("data-verdict"));
        if (count && /^\d+$/.test(count.textContent)) count.textContent = String(+count.textContent - 1);
        row.remove();
        if (sel >= rows().length) sel = Math.max(0, rows().length - 1);
        mark();
        say("Item " + item.inspection_id + " " + (decision === "clear" ? "cleared 已通过" : "confirmed 已确认"), true);
      }).catch(function (e) { say(e.message, false); });
    }
    mark();
    table.addEventListener("click", function (ev) {
      var tr = ev.target.closest("tr[data-id]");
      if (tr) { sel = rows().indexOf(tr); mark(); }
    });
    return function (ev) {
      var row = current();
      if (ev.key === "j") { sel = Math.min(sel + 1, rows().length - 1); mark(); }
      else if (ev.key === "k") { sel = Math.max(sel - 1, 0); mark(); }
      else if (!row) return false;
      else if (ev.key === "Enter" || ev.key === "o") { location.href = "/items/" + row.getAttribute("data-id"); }
      else if (ev.key === "a") {
        claimRow(row).then(function () { location.href = "/items/" + row.getAttribute("data-id"); })
          .catch(function (e) { say(e.message, false); });
      }
      else if (ev.key === "c") { decideRow(row, "confirm", null, ""); }
      else if (ev.key === "x") { openPicker(function (reason, note) { decideRow(row, "clear", reason, note); }); }
      else return false;
      return true;
    };
  }

  // ---- item page ---------------------------------------------------------------------------
  function itemPage(head) {
    var id = head.getAttribute("data-id");
    function submit(formId) { var f = document.getElementById(formId); if (f) f.submit(); return !!f; }
    if (head.getAttribute("data-mine") === "1") {
      // Keep the lease while the reviewer is looking at the item.
      var every = Math.max(10, +head.getAttribute("data-lease-seconds") / 3) * 1000;
      setInterval(function () {
        if (document.visibilityState !== "visible") return;
        post("/api/items/" + id + "/renew", {}).then(function (item) {
          document.querySelectorAll('input[name="version"]').forEach(function (i) { i.value = item.version; });
        }).catch(function (e) { say(e.message, false); });
      }, every);
    }
    return function (ev) {
      if (ev.key === "a") return submit("claim-form");
      if (ev.key === "c") return submit("confirm-form");
      if (ev.key === "r") return submit("release-form");
      if (ev.key === "j" || ev.key === "n") { location.href = "/items/" + id + "/next"; return true; }
      if (ev.key === "k") { location.href = "/queue"; return true; }
      if (ev.key === "x" && document.getElementById("clear-form")) {
        openPicker(function (reason, note) {
          var f = document.getElementById("clear-form");
          f.querySelector('select[name="reason"]').value = reason;
          f.querySelector('input[name="note"]').value = note;
          f.submit();
        });
        return true;
      }
      return false;
    };
  }

  var table = document.getElementById("queue");
  var head = document.getElementById("item");
  var handler = table ? queuePage(table) : head ? itemPage(head) : null;

  if (picker) {
    picker.addEventListener("click", function (ev) {
      var b = ev.target.closest("button[data-reason]");
      if (b && pickerTarget) choose(b.getAttribute("data-reason"));
    });
  }
  function choose(reason) {
    var target = pickerTarget;
    closePicker();
    var note = noteFor(reason);
    if (note === null) { say("Clearing with 'other' needs a note", false); return; }
    target(reason, note);
  }

  document.addEventListener("keydown", function (ev) {
    if (typing(ev)) return;
    if (pickerTarget) {
      if (ev.key === "Escape") { closePicker(); ev.preventDefault(); return; }
      var reason = reasonForKey(ev.key);
      if (reason) { ev.preventDefault(); choose(reason); }
      return;
    }
    if (handler && handler(ev)) ev.preventDefault();
  });
})();
