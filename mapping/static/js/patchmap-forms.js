/* Patchmap offer forms (offer your help, suggest a group, offer a space), sent with fetch.
 *
 * Without JavaScript each form posts to the submissions API and the API answers with a page. With it, the
 * same fields go as a form post asking for JSON; the reference is shown on success, each problem beside
 * its field (and in a summary at the top) on 422, and a polite message on 429. All text is set with
 * textContent.
 */
(function () {
  "use strict";

  var T = window.Patchmap.text;
  var C = window.Patchmap.core;
  var el = T.el;

  /* "contact.email" -> "contact_email", "categories.0" -> "categories", "location" -> "postcode". */
  function fieldName(where) {
    var parts = String(where).split(".");
    if (parts[0] === "contact") return parts[1] ? "contact_" + parts[1] : "contact_email";
    if (parts[0] === "location" || parts[0] === "lat" || parts[0] === "lon" || parts[0] === "area_code") {
      return "postcode";
    }
    return parts[0];
  }

  /* The API's problems as [{where, problem}]: a list, or the "where: problem; where: problem." text. */
  function problems(body) {
    var detail = body && body.detail;
    if (Array.isArray(detail)) {
      return detail.map(function (p) { return { where: p.where || p.loc || "", problem: p.problem || p.msg || "" }; });
    }
    if (typeof detail !== "string" || !detail) return [];
    return detail.replace(/\.$/, "").split("; ").map(function (part) {
      var i = part.indexOf(": ");
      return i === -1 ? { where: "", problem: part } : { where: part.slice(0, i), problem: part.slice(i + 2) };
    });
  }

  function capital(text) {
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  }

  function labelOf(form, name) {
    var box = form.querySelector('[data-field="' + name + '"]');
    if (box && box.dataset.label) return box.dataset.label;
    var label = box && box.querySelector("label, legend");
    if (!label) return capital(name.replace(/_/g, " "));
    return label.textContent.replace(/\*|\(optional\)/g, "").trim();
  }

  function clear(form) {
    form.querySelectorAll(".pm-error").forEach(function (p) { p.hidden = true; p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (c) { c.removeAttribute("aria-invalid"); });
    form.querySelectorAll(".pm-field.has-error").forEach(function (f) { f.classList.remove("has-error"); });
    var box = form.querySelector(".pm-form-problem");
    box.hidden = true;
    box.replaceChildren();
  }

  function showProblem(form, heading, lines) {
    var box = form.querySelector(".pm-form-problem");
    box.replaceChildren(el("h3", null, heading));
    if (lines.length) {
      var ul = el("ul");
      lines.forEach(function (line) {
        var li = el("li");
        if (line.target) {
          var a = el("a", null, line.text);
          a.href = "#" + line.target.id;
          a.addEventListener("click", function (e) { e.preventDefault(); line.target.focus(); });
          li.appendChild(a);
        } else {
          li.textContent = line.text;
        }
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    box.hidden = false;
    box.tabIndex = -1;
    box.focus();
  }

  /* What can be checked before sending: required answers, consent, and a way to reply. */
  function missing(form) {
    var found = [];
    form.querySelectorAll("[required]").forEach(function (c) {
      var empty = c.type === "checkbox" ? !c.checked : !c.value.trim();
      if (!empty) return;
      var problem = c.name === "consent" ? "tick the box to say we may contact you about this offer" :
        c.tagName === "SELECT" ? "choose one" : "this is required";
      found.push({ where: c.name, problem: problem });
    });
    var email = form.elements.contact_email;
    var phone = form.elements.contact_phone;
    if (email && phone && !email.value.trim() && !phone.value.trim()) {
      found.push({ where: "contact_email", problem: "give an email address or a phone number, so we can reply" });
    }
    return found;
  }

  function showInvalid(form, body, list) {
    var lines = [];
    (list || problems(body)).forEach(function (p) {
      var name = fieldName(p.where);
      var box = form.querySelector('[data-field="' + name + '"]');
      var text = capital(p.problem.replace(/^choose at least 1$/, "choose one"));
      if (!box) { lines.push({ text: text }); return; }
      var control = box.querySelector("input, select, textarea");
      var error = box.querySelector(".pm-error");
      if (error.textContent) error.textContent += " " + text; else error.textContent = text;
      error.hidden = false;
      box.classList.add("has-error");
      if (control) control.setAttribute("aria-invalid", "true");
      lines.push({ text: labelOf(form, name) + ": " + text.charAt(0).toLowerCase() + text.slice(1), target: control });
    });
    var count = lines.length === 1 ? "a problem" : lines.length + " problems";
    showProblem(form, (body && body.error) || "The form has " + count, lines);
  }

  function minutes(response) {
    var s = parseInt(response.headers.get("Retry-After") || "", 10);
    if (!isFinite(s) || s <= 0) return "a while";
    var m = Math.ceil(s / 60);
    return m <= 1 ? "a minute" : "about " + m + " minutes";
  }

  function showDone(form, receipt) {
    var done = form.querySelector(".pm-form-done");
    // The reference is shown on its own below, so a sentence of the message repeating it is left out.
    var message = (receipt.message || "Someone from the community team will be in touch.")
      .split(/(?<=\.)\s+/).filter(function (s) { return s.indexOf(receipt.reference) === -1; }).join(" ");
    done.replaceChildren(el("h3", null, "Thank you: we have your message"), el("p", null, message));
    var ref = el("p", null, "Your reference is ");
    ref.appendChild(el("strong", "pm-reference", receipt.reference));
    ref.appendChild(document.createTextNode(". Please keep it if you want to ask about this later."));
    done.appendChild(ref);
    var again = el("button", "pm-button pm-button--small", "Send another");
    again.type = "button";
    again.addEventListener("click", function () {
      done.hidden = true;
      form.classList.remove("is-done");
      var first = form.querySelector("input:not([type=hidden]), textarea, select");
      if (first) first.focus();
    });
    done.appendChild(again);
    form.reset();
    form.classList.add("is-done");
    done.hidden = false;
    done.focus();
  }

  function send(form) {
    var button = form.querySelector("button[type=submit]");
    clear(form);
    var found = missing(form);
    if (found.length) {
      showInvalid(form, null, found);
      return Promise.resolve();
    }
    button.disabled = true;
    button.dataset.label = button.dataset.label || button.textContent;
    button.textContent = "Sending…";
    var body = new URLSearchParams(new FormData(form));
    return C.fetchJSON(form.action, {
      method: "POST", body: body, headers: { "Content-Type": "application/x-www-form-urlencoded" },
    }).then(function (answer) {
      var response = answer.response;
      var json = answer.body;
      if (response.ok && json.reference) showDone(form, json);
      else if (response.status === 422) showInvalid(form, json);
      else if (response.status === 429) {
        showProblem(form, "You have sent a few forms in a short time", [{
          text: "Thank you for your enthusiasm! To keep the map free of junk we limit how many forms one " +
            "person can send. Please try again in " + minutes(response) + ". What you typed is still here.",
        }]);
      } else if (response.status === 413) {
        showProblem(form, "The form is too long", [{ text: "Please shorten the longest answers and send it again." }]);
      } else {
        showProblem(form, "Sorry, the form could not be sent", [{
          text: (json && json.detail && typeof json.detail === "string" ? json.detail + " " : "") +
            "Please try again later. What you typed is still here.",
        }]);
      }
    }).catch(function () {
      showProblem(form, "Sorry, the form could not be sent", [{
        text: "Check that you are online and try again. What you typed is still here.",
      }]);
    }).then(function () {
      button.disabled = false;
      button.textContent = button.dataset.label;
    });
  }

  /* Links to #pm-offer-help (and the others) open that form's section. */
  function openFromHash(hash) {
    if (!/^#pm-offer-[a-z]+$/.test(hash || "")) return false;
    var details = document.querySelector(hash);
    if (!details) return false;
    details.open = true;
    details.querySelector("summary").focus({ preventScroll: true });
    details.scrollIntoView({ block: "start" });
    return true;
  }

  function startForms() {
    document.querySelectorAll("form[data-form]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        send(form);
      });
    });
    document.querySelectorAll('a[href^="#pm-offer-"]').forEach(function (a) {
      a.addEventListener("click", function (e) {
        if (openFromHash(a.getAttribute("href"))) e.preventDefault();
      });
    });
    openFromHash(window.location.hash);
  }

  window.Patchmap = window.Patchmap || {};
  window.Patchmap.forms = { problems: problems, fieldName: fieldName };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startForms);
  else startForms();
})();
