/* Patchmap co-ordinator's patch page: the one-click actions on the district's lists (rendered by the server).
 *
 * - "Confirm still right" on a record that needs checking: POST /{kind}s/{id}/confirm.
 * - "History" on a record: GET /{kind}s/{id}/versions, each version with what changed, and "Restore this
 *   version" on the earlier ones: POST /{kind}s/{id}/versions/{n}/restore, then the history again.
 * - Partners: add (POST /districts/{code}/partners) and remove (DELETE .../{id}), the list updated in place.
 *
 * Unsafe requests carry the session's X-CSRF-Token (from #pm-panels). What happened is said in words in a live
 * region by the record (or the partners' list). Every string from the API reaches the page through textContent
 * or setAttribute, never innerHTML.
 */
(function () {
  "use strict";

  var T = window.Patchmap.text;
  var C = window.Patchmap.core;
  var el = T.el;
  var $ = C.$;
  var ACTIONS = {
    create: "As first recorded", update: "Edited", restore: "Restored an earlier version",
    confirm: "Confirmed still right", unchanged: "No change", import: "Updated by an import",
  };
  var LONGEST = 120; // characters of a value shown in the history

  /* A request with the session's X-CSRF-Token (from #pm-panels). */
  function call(method, url, body) {
    var panels = $("pm-panels");
    return C.sendJSON(method, url, body, panels && panels.dataset.csrfToken);
  }

  function say(p, parts, className) { C.say(p, "pm-record-status", parts, className); }

  /* One click's request: says `doing` and disables the button while it runs (owner.busy stops a second);
   * run() returns the request's promise. On failure says "<failed>: why", enables the button and focuses it. */
  function act(owner, button, doing, failed, run) {
    if (owner.busy) return;
    owner.busy = true;
    button.disabled = true;
    say(owner.status, [doing]);
    run().catch(function (e) {
      button.disabled = false;
      say(owner.status, [failed + ": " + e.message], "pm-error");
      button.focus();
    }).then(function () { owner.busy = false; });
  }

  function when(iso) {
    if (!iso) return "date not known";
    var at = new Date(iso);
    if (isNaN(at.getTime())) return String(iso);
    return at.toLocaleString("en-GB", { day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  /* A field's value in a few words: empty, yes/no, a date, or the text (shortened). */
  function value(v) {
    if (v === null || v === undefined || v === "") return "(empty)";
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (typeof v === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v)) return when(v);
    var text = typeof v === "string" ? v : JSON.stringify(v);
    return text.length > LONGEST ? text.slice(0, LONGEST - 1) + "\u2026" : text;
  }

  function field(name) { return String(name).replace(/_/g, " "); }

  /* ------------------------------------------------------------ a record: confirm and history */

  function Record(li) {
    this.li = li;
    this.url = li.dataset.url;
    this.name = li.dataset.name || "this record";
    this.status = li.querySelector(".pm-record-status");
    this.box = li.querySelector(".pm-history-box");
    this.historyButton = li.querySelector(".pm-history");
    this.busy = false;
  }

  Record.prototype.start = function () {
    var self = this;
    this.li.querySelector(".pm-record-actions").hidden = false;
    var confirm = this.li.querySelector(".pm-confirm");
    if (confirm) confirm.addEventListener("click", function () { self.confirm(confirm); });
    this.historyButton.addEventListener("click", function () { self.toggleHistory(); });
  };

  Record.prototype.confirm = function (button) {
    var self = this;
    act(this, button, "Confirming\u2026", "Not confirmed", function () {
      return call("POST", self.url + "/confirm", {}).then(function () {
        button.remove();
        self.li.classList.add("is-confirmed");
        var words = self.li.querySelector(".pm-confirmed-when");
        if (words) words.textContent = "confirmed today";
        say(self.status, [el("strong", null, "Confirmed today"), ": " + self.name + " no longer needs checking."], "pm-record-status--done");
        self.status.focus();
        C.settle(self.li);
        if (!self.box.hidden) self.loadHistory();
      });
    });
  };

  Record.prototype.toggleHistory = function () {
    if (this.historyButton.getAttribute("aria-expanded") === "true") {
      this.historyButton.setAttribute("aria-expanded", "false");
      this.box.hidden = true;
      this.box.replaceChildren();
      return;
    }
    this.historyButton.setAttribute("aria-expanded", "true");
    this.box.hidden = false;
    this.loadHistory();
  };

  Record.prototype.loadHistory = function () {
    var self = this;
    this.box.setAttribute("aria-busy", "true");
    this.box.replaceChildren(el("p", "pm-hint", "Loading the history\u2026"));
    return call("GET", this.url + "/versions").then(function (list) {
      self.showHistory(list);
    }).catch(function (e) {
      self.box.replaceChildren(el("p", "pm-error", "The history could not be loaded. " + e.message));
    }).then(function () { self.box.removeAttribute("aria-busy"); });
  };

  Record.prototype.showHistory = function (list) {
    var self = this;
    var title = el("h3", "pm-history-title", "History of " + this.name);
    title.tabIndex = -1;
    if (!list.length) {
      this.box.replaceChildren(title, el("p", null, "No changes recorded yet."));
      return;
    }
    var ol = el("ol", "pm-versions");
    ol.setAttribute("aria-label", "Versions of " + this.name + ", newest first");
    list.forEach(function (v, i) {
      var item = el("li", "pm-version");
      var head = el("p", "pm-version-head");
      head.appendChild(el("strong", null, "Version " + v.version));
      head.appendChild(document.createTextNode(
        (i === 0 ? " (now)" : "") + ": " + (ACTIONS[v.action] || v.action) + ", " + when(v.changed_at) + ", " +
        (v.author_kind === "organiser" ? "by the listing's organiser" :
         v.author_kind === "system" ? "by Patchmap" :
         v.changed_by === null || v.changed_by === undefined ? "as imported" : "by user " + v.changed_by) + "."));
      item.appendChild(head);
      var fields = Object.keys(v.changes || {});
      if (fields.length) {
        var ul = el("ul", "pm-version-changes");
        fields.forEach(function (f) {
          var pair = Array.isArray(v.changes[f]) ? v.changes[f] : [undefined, v.changes[f]];
          ul.appendChild(el("li", null, field(f) + ": " + value(pair[0]) + " \u2192 " + value(pair[1])));
        });
        item.appendChild(ul);
      } else if (v.action === "create") {
        item.appendChild(el("p", "pm-hint", "The record as first recorded (by an import, or before its first tracked change)."));
      }
      if (i > 0) {
        var button = el("button", "pm-button pm-button--small pm-restore", "Restore this version");
        button.type = "button";
        button.appendChild(el("span", "pm-visually-hidden", " (version " + v.version + " of " + self.name + ")"));
        button.addEventListener("click", function () { self.restore(v.version, button); });
        item.appendChild(el("p")).appendChild(button);
      }
      ol.appendChild(item);
    });
    this.box.replaceChildren(title, ol);
  };

  Record.prototype.restore = function (version, button) {
    var self = this;
    act(this, button, "Restoring version " + version + "\u2026", "Not restored", function () {
      return call("POST", self.url + "/versions/" + encodeURIComponent(version) + "/restore", {}).then(function (v) {
        var words = v.action === "unchanged"
          ? "Version " + version + " is the same as now: nothing changed."
          : "Version " + version + " restored, kept as version " + v.version + ".";
        say(self.status, [el("strong", null, "Restored"), ": " + words], "pm-record-status--done");
        return self.loadHistory().then(function () { self.status.focus(); });
      });
    });
  };

  /* ------------------------------------------------------------ partners */

  function siteUrl(website) {
    if (!website || !/^https?:\/\//i.test(website)) return null;
    try {
      var u = new URL(website);
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  function Partners(section) {
    this.section = section;
    this.url = section.dataset.partnersUrl;
    this.list = $("pm-partner-list");
    this.none = $("pm-partners-none");
    this.status = $("pm-partners-status");
    this.form = $("pm-partner-form");
  }

  Partners.prototype.start = function () {
    var self = this;
    this.form.hidden = false;
    this.list.querySelectorAll("li.pm-partner").forEach(function (li) { self.addRemove(li); });
    this.form.addEventListener("submit", function (e) { e.preventDefault(); self.add(); });
  };

  Partners.prototype.addRemove = function (li) {
    var self = this;
    var button = el("button", "pm-button pm-button--small pm-remove-partner", "Remove");
    button.type = "button";
    button.appendChild(el("span", "pm-visually-hidden", " " + (li.dataset.name || "partner")));
    button.addEventListener("click", function () { self.remove(li, button); });
    li.appendChild(button);
  };

  Partners.prototype.item = function (p) {
    var li = el("li", "pm-partner");
    li.dataset.id = String(p.id);
    li.dataset.name = p.name;
    var text = el("span", "pm-partner-text");
    var site = siteUrl(p.website);
    if (site) {
      var a = el("a", null, p.name);
      a.href = site;
      a.rel = "noopener noreferrer";
      text.appendChild(a);
    } else {
      text.appendChild(el("strong", null, p.name));
    }
    if (p.role) {
      text.appendChild(document.createTextNode(" "));
      text.appendChild(el("span", "pm-asset-meta", p.role));
    }
    li.appendChild(text);
    this.addRemove(li);
    return li;
  };

  Partners.prototype.fieldError = function (name, text) {
    var input = this.form.elements[name];
    var error = $("pm-partner-" + name + "-error");
    error.textContent = text || "";
    error.hidden = !text;
    if (text) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  };

  Partners.prototype.add = function () {
    var self = this;
    if (this.busy) return;
    var f = this.form.elements;
    var body = { name: f.name.value.trim(), role: f.role.value.trim() || null, website: f.website.value.trim() || null };
    ["name", "role", "website"].forEach(function (n) { self.fieldError(n, ""); });
    var bad = null;
    if (!body.name) { this.fieldError("name", "Give the organisation's name."); bad = bad || "name"; }
    if (body.website && !siteUrl(body.website)) {
      this.fieldError("website", "Give a web address starting https:// or http://, or leave it empty.");
      bad = bad || "website";
    }
    if (bad) { f[bad].focus(); return; }
    this.busy = true;
    say(this.status, ["Adding\u2026"]);
    call("POST", this.url, body).then(function (p) {
      var li = self.item(p);
      var after = Array.prototype.find.call(self.list.children, function (other) {
        return (other.dataset.name || "").toLowerCase() > p.name.toLowerCase();
      });
      self.list.insertBefore(li, after || null);
      self.none.hidden = true;
      self.form.reset();
      say(self.status, [el("strong", null, "Added"), ": " + p.name + "."], "pm-record-status--done");
      f.name.focus();
    }).catch(function (e) {
      var which = /web address/i.test(e.message) ? "website" : /role/i.test(e.message) ? "role" : "name";
      self.fieldError(which, e.message);
      say(self.status, ["Not added: " + e.message], "pm-error");
      f[which].focus();
    }).then(function () { self.busy = false; });
  };

  Partners.prototype.remove = function (li, button) {
    var self = this;
    var name = li.dataset.name || "The partner";
    act(this, button, "Removing\u2026", "Not removed", function () {
      return call("DELETE", self.url + "/" + encodeURIComponent(li.dataset.id)).then(function () {
        li.remove();
        self.none.hidden = self.list.children.length > 0;
        say(self.status, [el("strong", null, "Removed"), ": " + name + " is no longer listed."], "pm-record-status--done");
        self.status.focus();
      });
    });
  };

  /* ------------------------------------------------------------ start */

  function startActions() {
    document.querySelectorAll(".pm-actionable > li.pm-record").forEach(function (li) { new Record(li).start(); });
    var partners = $("pm-partners");
    if (partners) new Partners(partners).start();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startActions);
  else startActions();
})();
