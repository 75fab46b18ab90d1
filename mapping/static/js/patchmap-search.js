/* Patchmap residents' map: the search form (postcode, outward code, ward name or "use my location"), the
 * filters, results from /search/nearby on the map and in the list, and the page's start.
 */
(function () {
  "use strict";

  var T = window.Patchmap.text;
  var C = window.Patchmap.core;
  var U = window.Patchmap.util;
  var ResidentMap = window.Patchmap.ResidentMap;
  var el = T.el;
  var $ = C.$;
  var KINDS = ["group", "hub", "space"];

  function radiusText(m) {
    return m < 1000 ? m + " metres" : (m / 1000) + " km";
  }

  /* The filters chosen in the form, as /search/nearby parameters (a free-room search's own, when one is on). */
  ResidentMap.prototype.filters = function () {
    var form = $("pm-search");
    if (this.free) return Object.assign({ radius_m: form.elements.radius_m.value }, this.free);
    var kinds = KINDS.filter(function (k) { return $("pm-kind-" + k).checked; });
    var p = { radius_m: form.elements.radius_m.value };
    if (kinds.length && kinds.length < KINDS.length) p.kinds = kinds.join(",");
    ["category", "community", "cost"].forEach(function (k) { if (form.elements[k].value) p[k] = form.elements[k].value; });
    var q = form.elements.q.value.trim();
    if (q) p.q = q;
    // The API asks for a day and a time; a time alone means today, a day alone is not enough.
    var day = form.elements.day.value;
    var time = form.elements.time.value;
    if (time) p.open_at = (day || ["su", "mo", "tu", "we", "th", "fr", "sa"][new Date().getDay()]) + " " + time;
    if ($("pm-step-free").checked) p.step_free = "true";
    if ($("pm-volunteers").checked) p.volunteers_wanted = "true";
    return p;
  };

  ResidentMap.prototype.countFilters = function () {
    var form = $("pm-search");
    $("pm-when-note").hidden = !(form.elements.day.value && !form.elements.time.value);
    var p = this.filters();
    var n = Object.keys(p).filter(function (k) { return k !== "radius_m"; }).length;
    $("pm-filter-count").textContent = n ? "(" + n + " chosen)" : "";
  };

  // What to try instead, with a real postcode and ward of the deployment's district when it has them.
  ResidentMap.prototype.whereAdvice = function () {
    var pc = this.config.examplePostcode, ward = this.config.exampleWard;
    return "Try a postcode" + (pc ? " such as " + pc : "") + ", or the name of a ward" +
      (ward ? " such as " + ward : "") + ".";
  };

  ResidentMap.prototype.whereProblem = function (text) {
    var box = $("pm-where-error");
    box.textContent = text || "";
    box.hidden = !text;
    if (text) $("pm-where").setAttribute("aria-invalid", "true"); else $("pm-where").removeAttribute("aria-invalid");
    if (text) this.setStatus(text);
  };

  /* Turn what was typed into an origin: a postcode, an outward code, or a ward found by name. */
  ResidentMap.prototype.searchFor = function (text) {
    var self = this;
    var where = text.trim();
    this.whereProblem("");
    $("pm-choices").hidden = true;
    if (!where) {
      var c = this.map.getCenter();
      this.search({ lat: c.lat.toFixed(5), lon: c.lng.toFixed(5) }, "the middle of the map");
      return;
    }
    if (U.POSTCODE.test(where) || U.OUTWARD.test(where)) {
      this.search({ postcode: where.toUpperCase() }, where.toUpperCase());
      return;
    }
    this.setStatus("Looking for " + where + "…");
    C.getJSON(C.withParams(this.config.areasUrl, { kind: "ward", q: where, limit: 8 })).then(function (areas) {
      var exact = areas.filter(function (a) { return a.name.toLowerCase() === where.toLowerCase(); });
      if (exact.length === 1 || areas.length === 1) { self.searchWard(exact[0] || areas[0]); return; }
      if (!areas.length) {
        self.whereProblem("We couldn't find \u201c" + where + "\u201d. " + self.whereAdvice());
        return;
      }
      self.offerChoices(areas);
    }).catch(function () {
      self.whereProblem("Sorry, the search is not working just now. Please try again later.");
    });
  };

  ResidentMap.prototype.offerChoices = function (areas) {
    var self = this;
    var box = $("pm-choices");
    box.replaceChildren(el("p", null, "Which place did you mean?"));
    var ul = el("ul");
    areas.forEach(function (area) {
      var b = el("button", "pm-button pm-button--small", area.name);
      b.type = "button";
      b.addEventListener("click", function () {
        box.hidden = true;
        $("pm-where").value = area.name;
        self.searchWard(area);
      });
      var li = el("li");
      li.appendChild(b);
      ul.appendChild(li);
    });
    box.appendChild(ul);
    box.hidden = false;
    this.setStatus(T.plural(areas.length, "place") + " match. Choose one.");
    box.querySelector("button").focus();
  };

  /* A ward's boundary comes from /areas/{code}; the search starts at its middle and the outline is drawn. */
  ResidentMap.prototype.searchWard = function (area) {
    var self = this;
    var url = C.withParams(this.config.areasUrl.replace(/\/?$/, "/") + encodeURIComponent(area.code), { simplify_m: 50 });
    C.getJSON(url).then(function (feature) {
      var outline = L.geoJSON(feature, { style: self.config.styles.wardOutline, interactive: false });
      var c = outline.getBounds().getCenter();
      self.search({ lat: c.lat.toFixed(5), lon: c.lng.toFixed(5) }, area.name, outline);
    }).catch(function () {
      self.whereProblem("Sorry, we couldn't find where " + area.name + " is. Try its postcode instead.");
    });
  };

  ResidentMap.prototype.locate = function () {
    var self = this;
    if (!navigator.geolocation) {
      this.whereProblem("Your browser can't share your location. Please type a postcode or place instead.");
      return;
    }
    this.whereProblem("");
    this.setStatus("Finding your location…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      $("pm-where").value = "";
      self.search({ lat: pos.coords.latitude.toFixed(5), lon: pos.coords.longitude.toFixed(5) }, "your location");
    }, function (err) {
      self.whereProblem(err && err.code === 1 ?
        "That's fine: you chose not to share your location. Type a postcode or place instead." :
        "We couldn't find your location. Please type a postcode or place instead.");
      $("pm-where").focus();
    }, { timeout: 10000, maximumAge: 300000 });
  };

  /* Ask /search/nearby; show the results as markers and in the list, and the search circle. */
  ResidentMap.prototype.search = function (origin, label, outline, offset) {
    var self = this;
    this.schedule.cancel();  // a pending reload of the view must not replace the search
    this.mode = "search";
    var signal = this.abort();
    var params = Object.assign({}, origin, this.filters(), { limit: U.PAGE, offset: offset || 0 });
    this.setStatus("Searching near " + label + "…");
    C.getJSON(C.withParams(this.config.searchUrl, params), signal).then(function (body) {
      if (signal.aborted) return;
      self.showSearch(body, { origin: origin, label: label, outline: outline, params: params }, !!offset);
      self.done();
    }).catch(function (e) {
      if (e.name === "AbortError") return;
      if (!self.query) self.mode = "browse";
      if (self.free && e.status === 422) { freeProblem(e.message); self.setStatus(e.message); self.free = null; }
      else if (e.status === 404 || e.status === 422) self.whereProblem(e.message);
      else { self.failed("Sorry, the search is not working just now. Please try again later."); if (window.console) console.warn(e); }
      document.body.dataset.mapState = "ready";
    });
  };

  ResidentMap.prototype.showSearch = function (body, query, append) {
    var self = this;
    var o = body.origin || {};
    var centre = L.latLng(o.lat, o.lon);
    var radius = Number(body.radius_m || query.params.radius_m);
    var results = body.results || [];
    var serving = body.serving_your_area || [];
    if (!append) {
      this.mode = "search";
      this.grid.clearLayers();
      this.items = {};
      this.deselect();
      this.overlay.clearLayers();
      L.circle(centre, L.extend({ radius: radius, interactive: false }, this.config.styles.searchCircle))
        .addTo(this.overlay);
      L.marker(centre, { icon: L.divIcon({ className: "pm-origin", iconSize: [18, 18], html: "" }),
        interactive: false, keyboard: false }).addTo(this.overlay);
      if (query.outline) query.outline.addTo(this.overlay);
      this.map.fitBounds(L.latLng(centre).toBounds(radius * 2), { animate: false });
    }
    this.query = { origin: centre, radius: radius, label: query.label, base: query };
    if (!append) this.showContact(body.contact, o, query.label);
    results.forEach(function (r) { self.items[U.keyOf(r)] = r; });
    serving.forEach(function (g) { self.items[U.keyOf(g)] = Object.assign({ serves_your_area: true }, g); });
    var onMap = Object.keys(this.items).map(function (k) { return self.items[k]; })
      .filter(function (i) { return !i.serves_your_area && U.pointOf(i); });
    this.showMarkers(onMap);
    var mode = append ? "append" : "fresh";
    this.syncList(this.list, results, mode);
    this.syncList(this.serving, serving.map(function (g) { return self.items[U.keyOf(g)]; }), mode);
    $("pm-serving").hidden = !this.serving.children.length;
    var more = body.more_results === true || body.more_serving === true;
    $("pm-more").hidden = !more;
    this.nextOffset = (query.params.offset || 0) + (body.limit || U.PAGE);
    $("pm-results-title").textContent = "Near " + query.label;
    $("pm-ideas").hidden = true;
    $("pm-clear").hidden = false;
    $("pm-here").hidden = true;
    var notes = (body.notes || []).filter(function (n) { return !/outward code/.test(n); });
    $("pm-notes").textContent = notes.join(" ");
    $("pm-notes").hidden = !notes.length;
    var shown = this.list.children.length;
    var nServing = this.serving.children.length;
    var text = shown ? T.plural(shown, "place") + (body.more_results ? " or more" : "") + " within " +
      radiusText(radius) + " of " + query.label + ", nearest first." : "Nothing found within " +
      radiusText(radius) + " of " + query.label + ". Try a larger distance or fewer filters.";
    if (this.free) {
      text = shown ? T.plural(shown, "room or space", "rooms and spaces") + (body.more_results ? " or more" : "") +
        " free to book then, within " + radiusText(radius) + " of " + query.label + ", nearest first." :
        "Nothing free to book then within " + radiusText(radius) + " of " + query.label +
        ". Try another time, a larger distance, or fewer people.";
      $("pm-results-title").textContent = "Free rooms near " + query.label;
    }
    if (nServing) text += " " + T.plural(nServing, "group") + (body.more_serving ? " or more" : "") +
      (nServing === 1 ? " serves" : " serve") + " this area.";
    if (o.approximate) text += " The postcode's position is approximate.";
    this.setStatus(text);
    if (results.length && results.every(function (r) { return r.sample === undefined && r.source === undefined; })) {
      var b = L.latLngBounds(results.map(U.pointOf));
      this.learnSamples(L.latLngBounds([b.getSouth() - 0.001, b.getWest() - 0.001],
        [b.getNorth() + 0.001, b.getEast() + 0.001]));
    }
  };

  /* The search answer does not say which places are sample data; the map's marker layer does, so ask it
   * for the search's area and badge the entries it names (a sample place must never pass for a real one). */
  ResidentMap.prototype.learnSamples = function (bounds) {
    var self = this;
    var url = C.withParams(this.config.markersUrl, { bbox: C.bboxOf(bounds), zoom: 18, cluster_over: 5000 });
    C.getJSON(url).then(function (fc) {
      (fc.features || []).forEach(function (f) {
        var key = U.keyOf(f.properties);
        if (!f.properties.sample || T.sampleKeys[key]) return;
        T.sampleKeys[key] = true;
        var li = self.entryFor(key);
        var button = li && li.querySelector(".pm-item-button");
        if (!button) return;
        var row = button.querySelector(".pm-badges");
        if (row) button.replaceChild(T.badgeRow(self.items[key]), row); else button.appendChild(T.badgeRow(self.items[key]));
        var m = self.markers[key];
        if (m) m.options.title = self.items[key].name + " (sample)";
        if (m && m.getElement()) m.getElement().title = m.options.title;
        if (self.selected === key) self.fillDetails(key, li.querySelector(".pm-detail"));
      });
    }).catch(function () { /* badges stay as they are */ });
  };

  function freeProblem(text) {
    var box = $("pm-free-error");
    box.textContent = text || "";
    box.hidden = !text;
  }

  /* "Find a free room": rooms and spaces to book, free for the whole time asked, near the place typed above
   * (or the middle of the map). The API says what is wrong with a time (a clock change, the past). */
  ResidentMap.prototype.freeSearch = function () {
    var form = $("pm-free-form");
    var date = form.elements.free_date.value;
    var time = form.elements.free_time.value;
    freeProblem("");
    if (!date || !time) {
      freeProblem("Choose a date and a start time.");
      (date ? form.elements.free_time : form.elements.free_date).focus();
      return;
    }
    var p = { free_from: date + "T" + time, free_for_minutes: form.elements.free_for_minutes.value };
    var people = form.elements.capacity.value.trim();
    var price = form.elements.max_price.value.trim();
    if (people && !/^[1-9]\d{0,3}$/.test(people)) { freeProblem("Give the number of people as a whole number, such as 12."); return; }
    if (price && !/^\d{1,5}(\.\d{1,2})?$/.test(price)) { freeProblem("Give the most per hour in pounds, such as 20."); return; }
    if (people) p.capacity = people;
    if (price) p.max_price = price;
    this.free = p;
    var where = $("pm-where").value.trim();
    if (where && (U.POSTCODE.test(where) || U.OUTWARD.test(where))) {
      this.search({ postcode: where.toUpperCase() }, where.toUpperCase());
    } else {
      var c = this.map.getCenter();
      this.search({ lat: c.lat.toFixed(5), lon: c.lng.toFixed(5) }, where ? "the middle of the map (type a postcode above to search near it)" : "the middle of the map");
    }
  };

  /* The searched place's named council contact (the search answer's contact), under the place's ward name
   * when a lookup of the point gives one (a postcode or "the middle of the map" says less). */
  ResidentMap.prototype.showContact = function (contact, origin, label) {
    var self = this;
    var box = $("pm-area-contact");
    this.contactAsked = null;
    box.hidden = !contact;
    if (!contact) return;
    $("pm-area-contact-place").textContent = label;
    $("pm-area-contact-role").textContent = contact.role_name;
    [["email", contact.email, "mailto:"], ["phone", contact.phone, "tel:"]].forEach(function (w) {
      var item = $("pm-area-contact-" + w[0]);
      var link = item.querySelector("a");
      link.textContent = w[1] || "";
      link.href = w[1] ? w[2] + (w[0] === "phone" ? w[1].replace(/[^0-9+]/g, "") : w[1]) : "#pm-area-contact";
      item.hidden = !w[1];
    });
    $("pm-area-contact-hours").textContent = contact.office_hours ? "Office hours: " + contact.office_hours : "";
    $("pm-area-contact-hours").hidden = !contact.office_hours;
    var asked = this.contactAsked = {};
    C.getJSON(C.withParams(this.config.areasUrl + "/lookup", { lat: origin.lat, lon: origin.lon })).then(function (found) {
      if (self.contactAsked === asked && found && found.ward) $("pm-area-contact-place").textContent = found.ward.name;
    }).catch(function () { /* the label stays */ });
  };

  ResidentMap.prototype.clearSearch = function () {
    this.showContact(null);
    this.free = null;
    this.mode = "browse";
    this.query = null;
    this.overlay.clearLayers();
    this.syncList(this.serving, [], "fresh");
    this.syncList(this.list, [], "fresh");
    $("pm-serving").hidden = true;
    $("pm-more").hidden = true;
    $("pm-clear").hidden = true;
    $("pm-here").hidden = true;
    $("pm-where").value = "";
    $("pm-ideas").hidden = false;
    this.whereProblem("");
    this.deselect();
    window.history.replaceState(null, "", window.location.pathname);
    this.loadView();
  };

  /* "Not sure where to start?": set a few filters and search near what was typed (or the map's middle). */
  var IDEAS = {
    volunteers: function () { $("pm-kind-hub").checked = false; $("pm-kind-space").checked = false;
      $("pm-volunteers").checked = true; },
    spaces: function () { $("pm-kind-group").checked = false; $("pm-kind-hub").checked = false;
      $("pm-cost").value = "low-cost"; },
    "step-free": function () { $("pm-step-free").checked = true; },
  };

  function tryIdea(rm, form, name) {
    var where = form.elements.where.value;
    var radius = form.elements.radius_m.value;
    form.reset();
    form.elements.where.value = where;
    form.elements.radius_m.value = radius;
    IDEAS[name]();
    rm.countFilters();
    $("pm-filters").open = true;
    remember(form);
    rm.searchFor(where);
  }

  /* Keep the search in the address, so a refresh or a shared link shows the same search. */
  function remember(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (value) params.append(key, value); });
    window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
  }

  function restore(form) {
    var params = new URLSearchParams(window.location.search);
    if (!params.has("where") && !params.has("radius_m")) return false;
    var kinds = params.getAll("kinds");
    KINDS.forEach(function (k) { $("pm-kind-" + k).checked = !params.has("radius_m") || kinds.indexOf(k) !== -1; });
    ["where", "radius_m", "category", "q", "day", "time", "cost", "community"].forEach(function (k) {
      if (params.has(k) && form.elements[k]) form.elements[k].value = params.get(k);
    });
    $("pm-step-free").checked = params.get("step_free") === "true";
    $("pm-volunteers").checked = params.get("volunteers_wanted") === "true";
    return true;
  }

  function startResidentMap(map, config) {
    var rm = new ResidentMap(map, config);
    var form = $("pm-search");
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      rm.free = null;
      remember(form);
      rm.searchFor(form.elements.where.value);
    });
    $("pm-free-form").addEventListener("submit", function (e) {
      e.preventDefault();
      rm.freeSearch();
    });
    form.addEventListener("change", function () { rm.countFilters(); });
    form.addEventListener("reset", function () { window.setTimeout(function () { rm.countFilters(); }, 0); });
    $("pm-locate").addEventListener("click", function () { rm.locate(); });
    $("pm-clear").addEventListener("click", function () { rm.clearSearch(); $("pm-where").focus(); });
    $("pm-here").addEventListener("click", function () {
      var c = map.getCenter();
      $("pm-where").value = "";
      rm.search({ lat: c.lat.toFixed(5), lon: c.lng.toFixed(5) }, "the middle of the map");
    });
    $("pm-more").addEventListener("click", function () {
      var q = rm.query.base;
      rm.search(q.origin, q.label, null, rm.nextOffset);
    });
    document.querySelectorAll("[data-idea]").forEach(function (b) {
      b.addEventListener("click", function () { tryIdea(rm, form, b.dataset.idea); });
    });
    map.on("moveend", function () { rm.schedule(); });
    C.noteTileErrors(map);
    window.Patchmap.current = rm;
    rm.countFilters();
    if (restore(form)) { rm.countFilters(); rm.searchFor(form.elements.where.value); } else rm.loadView();
    return rm;
  }

  window.Patchmap.startResidentMap = startResidentMap;
})();
