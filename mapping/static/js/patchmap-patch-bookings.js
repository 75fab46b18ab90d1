/* Patchmap co-ordinator's patch page: answering booking requests in place.
 *
 * Without this script each request's Confirm and Decline are plain forms posting to the patch page's own
 * routes (/patch/{district}/bookings/{reference}/confirm|decline), which answer with the page again. With it,
 * the same forms send POST /bookings/{reference}/confirm or /decline ({reason}) with the session's
 * X-CSRF-Token, and the request's status says what happened, in words, in its live region. Strings from the
 * API reach the page through textContent only.
 */
(function () {
  "use strict";

  var C = window.Patchmap.core;

  function Request(li, token) {
    this.li = li;
    this.reference = li.dataset.reference;
    this.status = li.querySelector(".pm-mod-status");
    this.token = token;
    this.busy = false;
  }

  Request.prototype.say = function (words, modifier) {
    var strong = document.createElement("strong");
    strong.textContent = words[0];
    C.say(this.status, "pm-mod-status", words.length > 1 ? [strong, words[1]] : [strong], modifier);
  };

  Request.prototype.start = function () {
    var self = this;
    this.li.querySelectorAll("form.pm-book-decide").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        self.decide(form);
      });
    });
  };

  Request.prototype.decide = function (form) {
    var self = this;
    if (this.busy) return;
    var decision = form.dataset.decision;
    var body = {};
    var reason = form.elements.reason;
    var error = form.querySelector(".pm-error");
    if (reason) {
      body.reason = reason.value.trim();
      if (!body.reason) {
        error.textContent = "Give a reason: the booker is told it.";
        error.hidden = false;
        reason.setAttribute("aria-invalid", "true");
        reason.focus();
        return;
      }
      error.hidden = true;
      reason.removeAttribute("aria-invalid");
    }
    var button = form.querySelector("button[type=submit]");
    this.busy = true;
    button.disabled = true;
    this.say([decision === "confirm" ? "Confirming\u2026" : "Declining\u2026"]);
    var url = "/bookings/" + encodeURIComponent(this.reference) + "/" + decision;
    C.sendJSON("POST", url, body, this.token).then(function () {
      self.li.classList.add("is-decided");
      self.say(decision === "confirm"
        ? ["Confirmed", ": the booker is told, and the time is theirs."]
        : ["Declined", ": the booker is told why, and the time is free again."], "pm-mod-status--done");
      self.status.focus();
      C.settle(self.li);
    }).catch(function (e) {
      button.disabled = false;
      self.say([(decision === "confirm" ? "Not confirmed" : "Not declined") + ": ", e.message], "pm-error");
      button.focus();
    }).then(function () { self.busy = false; });
  };

  function startBookings() {
    var panel = document.getElementById("pm-book-requests");
    if (!panel) return;
    var token = panel.dataset.csrfToken;
    panel.querySelectorAll("li.pm-book-request").forEach(function (li) { new Request(li, token).start(); });
    panel.dataset.ready = "true";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startBookings);
  else startBookings();
})();
