/* Patchmap officers' map: the "What if?" panel. The form works without this script (a GET to the what-if page);
 * with it, the change goes to POST /analysis/scenarios with the map's settings, and the answer (the change in
 * words, and the areas that change, before and after) is shown in place. A place is chosen by clicking the map
 * (or pressing Enter on it, for its middle), or typed as a postcode or an easting and northing. An area's list
 * of places offers "What if it closed?" for each one.
 *
 * Every string from the API reaches the page through textContent, never innerHTML.
 */
(function () {
  "use strict";

  var C = window.Patchmap.core;
  var T = window.Patchmap.text;
  var $ = C.$, el = T.el;

  function fixed(v, places) { return typeof v === "number" && isFinite(v) ? v.toFixed(places) : "n/a"; }
  function pct(v) { return typeof v === "number" && isFinite(v) ? Math.round(100 * v) + "%" : "n/a"; }
  function rank(v) { return typeof v === "number" ? String(v) : "not ranked"; }
  function value(id) { return $(id).value.trim(); }

  function WhatIf(om, map, config) {
    this.om = om; this.map = map; this.config = config;
    this.picking = false; this.marker = null; this.picked = null;
  }

  WhatIf.prototype.start = function () {
    var self = this;
    var form = $("pm-whatif-form");
    ["pm-whatif-add", "pm-whatif-close"].forEach(function (id) {
      $(id).addEventListener("change", function () { self.sync(); });
    });
    document.querySelector(".pm-whatif-pick").hidden = false;
    $("pm-whatif-pick").addEventListener("click", function () { self.arm(!self.picking); });
    // Caught before Leaflet sees it, so a click on a marker or an area picks the place instead of opening it.
    this.map.getContainer().addEventListener("click", function (e) {
      if (!self.picking || e.target.closest(".leaflet-control")) return;
      e.stopPropagation();
      self.pick(self.map.mouseEventToLatLng(e));
    }, true);
    this.map.getContainer().addEventListener("keydown", function (e) {
      if (self.picking && e.key === "Enter") { e.preventDefault(); self.pick(self.map.getCenter()); }
      if (self.picking && e.key === "Escape") self.arm(false);
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); self.send(); });
    this.sync();
  };

  WhatIf.prototype.sync = function () {
    var closing = $("pm-whatif-close").checked;
    $("pm-whatif-add-fields").hidden = closing;
    $("pm-whatif-close-fields").hidden = !closing;
  };

  WhatIf.prototype.arm = function (on) {
    this.picking = on;
    $("pm-whatif-pick").setAttribute("aria-pressed", on ? "true" : "false");
    this.map.getContainer().classList.toggle("pm-picking", on);
    if (on) {
      $("pm-whatif-picked").textContent = "Click the map where it would be (or press Enter on the map for its middle).";
      var box = this.map.getContainer();
      box.scrollIntoView({ block: "center" });
      box.focus({ preventScroll: true });
    }
  };

  WhatIf.prototype.pick = function (latlng) {
    this.picked = { lon: Number(latlng.lng.toFixed(6)), lat: Number(latlng.lat.toFixed(6)) };
    ["pm-whatif-postcode", "pm-whatif-easting", "pm-whatif-northing"].forEach(function (id) { $(id).value = ""; });
    if (this.marker) this.marker.remove();
    this.marker = L.circleMarker(latlng, { radius: 9, color: "#1d1d1b", weight: 3, fillColor: "#ffdd00", fillOpacity: 1 })
      .addTo(this.map);
    this.arm(false);
    $("pm-whatif-pick").focus();
    $("pm-whatif-picked").textContent = "Place chosen on the map: " + latlng.lat.toFixed(4) + " N, " + latlng.lng.toFixed(4) + " E.";
  };

  /* The change in the form, as the API takes it; null (with a message) when the place or number is missing. */
  WhatIf.prototype.change = function () {
    if ($("pm-whatif-close").checked) {
      var id = parseInt(value("pm-whatif-close-id"), 10);
      if (!(id > 0)) return this.missing("pm-whatif-close-id", "Give the number of the one to close.");
      return { action: "close", kind: $("pm-whatif-close-kind").value, id: id };
    }
    var add = { action: "add", kind: $("pm-whatif-kind").value, rooms: parseInt(value("pm-whatif-rooms"), 10) || 1 };
    if (value("pm-whatif-easting") && value("pm-whatif-northing")) {
      add.easting_m = Number(value("pm-whatif-easting")); add.northing_m = Number(value("pm-whatif-northing"));
    } else if (value("pm-whatif-postcode")) {
      add.postcode = value("pm-whatif-postcode");
    } else if (this.picked) {
      add.lon = this.picked.lon; add.lat = this.picked.lat;
    } else {
      return this.missing("pm-whatif-pick", "Choose a place on the map, or give a postcode, or an easting and northing.");
    }
    return add;
  };

  WhatIf.prototype.missing = function (focus, words) {
    $("pm-whatif-status").textContent = words;
    $(focus).focus();
    return null;
  };

  WhatIf.prototype.send = function () {
    var change = this.change();
    if (!change) return;
    var s = this.om.readForm();
    var body = { level: s.level, within: s.within || null, kinds: s.kinds || "group,hub,space",
      category: s.category || null, radius_m: Number(s.radius_m), need: s.need, provision: s.provision, changes: [change] };
    var self = this;
    $("pm-whatif-status").textContent = "Working out what changes…";
    document.body.dataset.whatif = "busy";
    C.sendJSON("POST", this.config.scenariosUrl, body).then(function (answer) {
      self.show(answer);
    }).catch(function (e) {
      $("pm-whatif-status").textContent = "That could not be worked out: " + e.message;
      $("pm-whatif-sentences").replaceChildren();
      $("pm-whatif-table").hidden = true;
    }).then(function () { document.body.dataset.whatif = "ready"; });
  };

  WhatIf.prototype.show = function (answer) {
    var changed = answer.areas.filter(function (a) { return a.changed; });
    $("pm-whatif-status").textContent = changed.length + " of " + answer.areas.length + " areas change. Nothing was saved.";
    $("pm-whatif-sentences").replaceChildren.apply($("pm-whatif-sentences"),
      answer.sentences.map(function (s) { return el("li", null, s); }));
    $("pm-whatif-rows").replaceChildren.apply($("pm-whatif-rows"), changed.map(function (a) {
      var tr = el("tr");
      var th = el("th", null, a.name);
      th.scope = "row";
      tr.appendChild(th);
      [[rank(a.before.priority), rank(a.after.priority)],
        [fixed(a.before.assets_per_1000, 2), fixed(a.after.assets_per_1000, 2)],
        [pct(a.before.coverage), pct(a.after.coverage)],
        [fixed(a.before.access_2sfca, 2), fixed(a.after.access_2sfca, 2)]].forEach(function (pair) {
        tr.appendChild(el("td", null, pair[0] + " \u2192 " + pair[1]));
      });
      return tr;
    }));
    $("pm-whatif-table").hidden = changed.length === 0;
  };

  /* An area's list of places: each one also offers "What if it closed?", which fills the form and sends it. */
  WhatIf.prototype.closeButton = function (item) {
    var self = this;
    var b = el("button", "pm-button pm-button--small pm-whatif-close-one", "What if it closed?");
    b.type = "button";
    b.setAttribute("aria-label", "What if " + item.name + " closed?");
    b.addEventListener("click", function () {
      $("pm-whatif-close").checked = true;
      self.sync();
      $("pm-whatif-close-kind").value = item.kind;
      $("pm-whatif-close-id").value = String(item.id);
      $("pm-whatif-answer").scrollIntoView({ block: "nearest" });
      $("pm-whatif-answer").focus();
      self.send();
    });
    return b;
  };

  var start = window.Patchmap.startOfficerMap;
  window.Patchmap.startOfficerMap = function (map, config) {
    var om = start(map, config);
    var whatIf = new WhatIf(om, map, config);
    var entry = om.assetEntry;
    om.assetEntry = function (item) {
      var li = entry.call(om, item);
      if (!item.serves_only || item.kind === "group") {
        li.appendChild(document.createTextNode(" "));
        li.appendChild(whatIf.closeButton(item));
      }
      return li;
    };
    whatIf.start();
    window.Patchmap.whatIf = whatIf;
    return om;
  };
})();
