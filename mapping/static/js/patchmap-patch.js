/* Patchmap co-ordinator's patch map: the district's boundary, its wards coloured by need × provision (from
 * /analysis/overlay), groups, hubs and spaces (from /map/markers.geojson), and a ward's profile (from
 * /analysis/areas/{code}) with a link to its ward pack. The lists around the map are rendered by the server.
 *
 * Styles and labels come from mapping/styles.py (as the officers' map); text helpers from patchmap-details.js.
 * Every string from the API reaches the page through textContent or setAttribute, never innerHTML.
 */
(function () {
  "use strict";

  var T = window.Patchmap.text;
  var C = window.Patchmap.core;
  var A = window.Patchmap.areamap;
  var el = T.el, fact = T.fact;
  var $ = C.$, withParams = C.withParams, getJSON = C.getJSON;
  var num = A.num, reason = A.reason;

  /* The district's wards, their key needs (#pm-needs, rendered by the server) and a ward's profile, as AreaMap. */
  function PatchMap(map, config) {
    this.boundary = L.layerGroup().addTo(map);
    A.AreaMap.call(this, map, config, { list: "pm-needs", entryButton: ".pm-show-ward", noun: "Ward", hover: false,
      markCurrent: false });
  }
  A.inherit(PatchMap);

  /* The district's outline, over the wards, so its edge reads on every class's colour. */
  PatchMap.prototype.loadBoundary = function () {
    var self = this;
    getJSON(withParams(this.config.districtUrl, { simplify_m: 10 })).then(function (feature) {
      var sel = self.styles.selected;
      L.geoJSON(feature, { interactive: false, style: { color: sel.halo, weight: 6, opacity: 0.9, fill: false } }).addTo(self.boundary);
      L.geoJSON(feature, { interactive: false, style: { color: sel.line, weight: 2.5, opacity: 1, fill: false,
        className: "pm-district-line" } }).addTo(self.boundary);
    }).catch(function () { /* the wards still show the district */ });
  };

  /* The district's wards: their rows from the overlay, their boundaries from the wards' vector tiles (the map
   * fitted to the district first); with GeoJSON from the overlay where the tiles' script is missing. */
  PatchMap.prototype.loadWards = function () {
    var self = this;
    var tiled = this.config.tilesUrl && L.vectorGrid && this.setTiledAreas;
    var url = withParams(this.config.overlayUrl, { level: "ward", within: this.config.district.code,
      f: tiled ? "json" : "geojson" });
    this.loadAreas(url, "wards", function (answer) {
      var rows = tiled ? answer.areas : answer.features.map(function (f) { return f.properties; });
      var drawn = null;
      if (tiled) drawn = self.setTiledAreas(rows, "wards", self.fitTo(self.config.district.code));
      else { self.setAreas(answer.features); self.fitAreas(); }
      self.setStatus(T.plural(rows.length, "ward") + " of " + self.config.district.name + " on the map. " +
        A.highLowWords(rows) + " The wards with the largest gaps come first below.");
      return drawn;
    });
  };

  /* A ward chosen in the key needs is fitted to the map, whether or not it is in view already. */
  PatchMap.prototype.reveal = function (layer, from) {
    if (from === "list") this.map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 14, animate: !C.reduced() });
  };

  PatchMap.prototype.profileBody = function (p) {
    var a = p.area;
    var box = el("div", "pm-profile-content");
    box.appendChild(this.classLine(a, "p"));
    box.appendChild(el("p", "pm-explanation", reason(a)));
    var actions = el("p", "pm-profile-actions");
    var pack = el("a", "pm-pack-link", "Ward pack (printable, with data)");
    pack.href = this.config.packBase + encodeURIComponent(a.code) + "/pack";
    actions.appendChild(pack);
    box.appendChild(actions);
    var dl = el("dl", "pm-facts pm-measures");
    fact(dl, "Priority", a.priority ? a.priority + " of " + p.siblings_ranked + " wards (1 = largest gap)" : "Not ranked");
    fact(dl, "Residents", num(a.population_total, 0));
    fact(dl, "IMD decile", A.facts.imd(a));
    fact(dl, "Counted", A.facts.counted(a));
    fact(dl, "Per 1,000 residents", num(a.assets_per_1000, 1));
    fact(dl, "Coverage", A.facts.coverage(a, p));
    box.appendChild(dl);
    return box;
  };

  /* ------------------------------------------------------------ deciding residents' offers */

  /* Each pending offer (rendered by the server) gets its contact on request, and Approve, Reject (with a
   * reason) and Ask for more information (with a question), sent to the moderation API with the session's
   * X-CSRF-Token. The decision is shown, in words, in the offer's own live region, which takes the focus. */
  var DECIDED = {
    approve: "Approved", reject: "Rejected", "needs-info": "Waiting for more information",
  };

  function Offer(list, li) {
    this.list = list;
    this.li = li;
    this.url = list.dataset.moderationUrl + encodeURIComponent(li.dataset.id);
    this.status = li.querySelector(".pm-mod-status");
    this.busy = false;
  }

  Offer.prototype.say = function (parts, className) { C.say(this.status, "pm-mod-status", parts, className); };

  /* GET the offer (no body), or POST a decision, with the session's X-CSRF-Token. */
  Offer.prototype.send = function (url, body) {
    return C.sendJSON(body === undefined ? "GET" : "POST", url, body, this.list.dataset.csrfToken);
  };

  Offer.prototype.showContact = function (button) {
    var self = this;
    var box = this.li.querySelector(".pm-contact-body");
    button.setAttribute("aria-expanded", "true");
    box.replaceChildren(el("p", "pm-hint", "Loading the contact\u2026"));
    this.send(this.url).then(function (s) {
      var c = s.contact || {};
      var dl = el("dl", "pm-facts");
      fact(dl, "Name", c.name || "not given");
      var email = el("dd");
      if (c.email && /^[^\s@<>"]+@[^\s@<>"]+$/.test(c.email)) {
        var a = el("a", null, c.email);
        a.href = "mailto:" + c.email;
        email.appendChild(a);
      } else {
        email.textContent = c.email || "not given";
      }
      dl.appendChild(el("dt", null, "Email"));
      dl.appendChild(email);
      fact(dl, "Phone", c.phone || "not given");
      box.replaceChildren(el("p", "pm-hint", "Private: use it only to reply about this offer."), dl);
      button.hidden = true;
    }).catch(function (e) {
      button.setAttribute("aria-expanded", "false");
      box.replaceChildren(el("p", "pm-error", "The contact could not be loaded. " + e.message));
    });
  };

  Offer.prototype.fieldError = function (form, text) {
    var control = form.querySelector("textarea");
    var error = form.querySelector(".pm-error");
    error.textContent = text;
    error.hidden = !text;
    if (text) { control.setAttribute("aria-invalid", "true"); control.focus(); } else control.removeAttribute("aria-invalid");
  };

  Offer.prototype.decide = function (action, body, form) {
    var self = this;
    if (this.busy) return;
    this.busy = true;
    this.li.setAttribute("aria-busy", "true");
    this.say(["Sending\u2026"]);
    this.send(this.url + "/" + action, body).then(function (d) {
      self.done(action, d);
    }).catch(function (e) {
      self.say(["Not done: " + e.message], "pm-error");
      if (form) self.fieldError(form, e.message); else self.li.querySelector(".pm-approve").focus();
    }).then(function () {
      self.busy = false;
      self.li.removeAttribute("aria-busy");
    });
  };

  Offer.prototype.done = function (action, d) {
    var parts = [el("strong", null, DECIDED[action]), ": "];
    if (d.outcome === "published" || d.outcome === "merged") {
      var slash = String(d.published_as || "").split("/");
      var base = JSON.parse(this.list.dataset.recordUrls || "{}")[slash[0]];
      parts.push(d.outcome === "merged" ? "merged into a record on the residents' map. " : "now on the residents' map. ");
      if (base && slash[1]) {
        var a = el("a", "pm-record-link", "See its public record");
        a.href = base + encodeURIComponent(slash[1]);
        parts.push(a);
      }
    } else if (d.outcome === "accepted") {
      parts.push("the offer of help is accepted. It stays private, off the map.");
    } else if (action === "reject") {
      parts.push("not published. The reason is kept with the offer.");
    } else {
      parts.push("the question is emailed to the resident if they gave an email address (if not, use their contact). " +
        "Their answer will be shown with the offer, which can be decided then.");
    }
    this.li.querySelector(".pm-mod-actions").remove();
    this.li.classList.add("is-decided", "is-" + action);
    this.li.dataset.status = d.status;
    this.say(parts, "pm-mod-status--done");
    this.status.focus();
    C.settle(this.li);
  };

  Offer.prototype.start = function () {
    var self = this;
    var contact = this.li.querySelector(".pm-mod-contact");
    var actions = this.li.querySelector(".pm-mod-actions");
    contact.hidden = false;
    actions.hidden = false;
    contact.querySelector(".pm-show-contact").addEventListener("click", function (e) { self.showContact(e.currentTarget); });
    actions.querySelector(".pm-approve").addEventListener("click", function () { self.decide("approve", {}); });
    actions.querySelectorAll("form.pm-decide").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var field = form.dataset.field;
        var value = form.elements[field].value.trim();
        if (!value) {
          self.fieldError(form, field === "reason" ? "Give a reason for rejecting it." : "Write the question to ask.");
          return;
        }
        self.fieldError(form, "");
        var body = {};
        body[field] = value;
        self.decide(form.dataset.decision, body, form);
      });
    });
  };

  function startModeration() {
    var list = $("pm-mod-list");
    if (!list) return;
    list.querySelectorAll(".pm-mod").forEach(function (li) { new Offer(list, li).start(); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startModeration);
  else startModeration();

  /* ------------------------------------------------------------ start */

  function startPatchMap(map, config) {
    var pm = new PatchMap(map, config);
    document.querySelectorAll(".pm-show-ward").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { pm.select(b.dataset.code, "list"); });
    });
    pm.listen();
    window.Patchmap.patch = pm;
    pm.loadBoundary();
    pm.loadWards();
    pm.assetLayers.load();
    return pm;
  }

  window.Patchmap = window.Patchmap || {};
  window.Patchmap.startPatchMap = startPatchMap;
})();
