/* Patchmap residents' map: search by postcode, place or location; filters; a results list kept in step
 * with the map's markers; details of a place. Markers load from the API for the view (grid clusters when
 * there are many) or for a search; the page itself carries no data.
 */
(function () {
  "use strict";

  var T = window.Patchmap.text;
  var C = window.Patchmap.core;
  var el = T.el;
  var $ = C.$;
  var DEBOUNCE_MS = 250;
  var PAGE = 50;
  var BROWSE_LIST_MAX = 100;
  var POSTCODE = /^[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}$/i;
  var OUTWARD = /^[A-Z]{1,2}[0-9][A-Z0-9]?$/i;
  var WIDE = "(min-width: 60em)";

  /* lon/lat of an item, whichever way the API gave it. */
  function pointOf(item) {
    if (typeof item.lon === "number" && typeof item.lat === "number") return [item.lat, item.lon];
    var p = item.point || item.location;
    if (p && typeof p.lon === "number") return [p.lat, p.lon];
    var g = item.geometry;
    if (g && g.type === "Point") return [g.coordinates[1], g.coordinates[0]];
    return null;
  }

  function keyOf(item) { return item.kind + "/" + item.id; }

  function ResidentMap(map, config) {
    this.map = map;
    this.config = config;
    this.shapes = config.styles.markers;
    this.labels = config.labels;
    this.mode = "browse";
    this.query = null;
    this.items = {};
    this.markers = {};
    this.selected = null;
    this.loads = 0;
    this.details = {};
    this.nextSignal = C.latestOnly();
    // After the map moves; a search cancels it (a pending reload of the view must not replace the search).
    this.schedule = C.debounce(this.moved.bind(this), DEBOUNCE_MS);
    this.cluster = L.markerClusterGroup({
      showCoverageOnHover: false, maxClusterRadius: 48, spiderfyOnMaxZoom: true, chunkedLoading: true,
      animate: !C.reduced(),
      iconCreateFunction: function (c) { return clusterIcon(c.getChildCount()); },
    }).addTo(map);
    this.grid = L.layerGroup().addTo(map);
    this.overlay = L.layerGroup().addTo(map);
    this.list = $("pm-list");
    this.serving = $("pm-serving-list");
    document.body.dataset.mapState = "loading";
  }

  function clusterIcon(count) {
    var size = count < 10 ? 34 : count < 100 ? 40 : count < 1000 ? 46 : 54;
    var node = el("span", "pm-cluster");
    node.appendChild(el("span", null, count.toLocaleString("en-GB")));
    node.appendChild(el("span", "pm-visually-hidden", count === 1 ? " place: select to zoom in" :
      " places here: select to zoom in"));
    return L.divIcon({ html: node, className: "pm-cluster-icon", iconSize: [size, size] });
  }

  ResidentMap.prototype.setStatus = function (text) { $("pm-status").textContent = text; };

  ResidentMap.prototype.done = function () {
    this.loads += 1;
    document.body.dataset.mapState = "ready";
  };

  ResidentMap.prototype.failed = function (text) {
    this.setStatus(text);
    document.body.dataset.mapState = "error";
  };

  /* A signal for the next request for markers (the one before it aborted); the map is loading. */
  ResidentMap.prototype.abort = function () {
    document.body.dataset.mapState = "loading";
    return this.nextSignal();
  };

  /* ------------------------------------------------------------ markers */

  ResidentMap.prototype.markerFor = function (item) {
    var self = this;
    var key = keyOf(item);
    var latlng = pointOf(item);
    if (!latlng) return null;
    var bookable = !!T.bookUrl(item);
    var html = T.shape(item.kind, this.shapes);
    if (bookable) {  // a bookable room or space: a square marker with a "Book" tag, not colour alone
      var tag = el("span", "pm-marker-tag", "Book");
      tag.setAttribute("aria-hidden", "true");
      var wrap = el("span");
      wrap.appendChild(html);
      wrap.appendChild(tag);
      html = wrap;
    }
    var icon = L.divIcon({ html: html, iconSize: [26, 26],
      className: "pm-marker pm-kind--" + item.kind + (bookable ? " pm-marker--bookable" : "") });
    var marker = L.marker(latlng, { icon: icon, keyboard: true, riseOnHover: true,
      title: item.name + (bookable ? " (bookable)" : "") + (T.isSample(item) ? " (sample)" : "") });
    marker.bindPopup(function () { return self.popup(key); }, { maxWidth: 280, autoPanPadding: [24, 24] });
    marker.on("click", function () { self.select(key, "map"); });
    marker.on("add", function () { self.paint(key); });
    return marker;
  };

  /* Put exactly these items on the map, keeping markers that stay (so an open popup stays open). */
  ResidentMap.prototype.showMarkers = function (items) {
    var self = this;
    var keep = {};
    var add = [];
    items.forEach(function (item) {
      var key = keyOf(item);
      keep[key] = true;
      if (!self.markers[key]) {
        var m = self.markerFor(item);
        if (m) { self.markers[key] = m; add.push(m); }
      }
    });
    var drop = Object.keys(this.markers).filter(function (k) { return !keep[k]; });
    var dropped = drop.map(function (k) { return self.markers[k]; });
    drop.forEach(function (k) { delete self.markers[k]; });
    if (drop.length > 50) {
      // markercluster removes layers one by one (seconds for a thousand): start again instead, keeping
      // the markers that stay, and reopen the selected one's popup if it was open.
      var open = this.selected && this.markers[this.selected] && this.markers[this.selected].isPopupOpen();
      this.cluster.clearLayers();
      this.cluster.addLayers(Object.keys(this.markers).map(function (k) { return self.markers[k]; }));
      if (open) this.markers[this.selected].openPopup();
    } else {
      this.cluster.removeLayers(dropped);
      this.cluster.addLayers(add);
    }
  };

  ResidentMap.prototype.paint = function (key) {
    var m = this.markers[key];
    var node = m && m.getElement();
    if (node) node.classList.toggle("is-selected", key === this.selected);
    if (m) m.setZIndexOffset(key === this.selected ? 1000 : 0);
  };

  ResidentMap.prototype.popup = function (key) {
    var self = this;
    var item = this.items[key];
    var box = el("div", "pm-popup");
    box.appendChild(el("p", "pm-popup-name", item.name));
    box.appendChild(el("p", "pm-popup-kind", T.summaryLine(item, this.labels)));
    box.appendChild(T.badgeRow(item));
    var more = el("button", "pm-button pm-button--small", "Show details");
    more.type = "button";
    more.addEventListener("click", function () { self.focusDetails(key); });
    box.appendChild(more);
    return box;
  };

  /* ------------------------------------------------------------ the list */

  ResidentMap.prototype.entry = function (item) {
    var self = this;
    var key = keyOf(item);
    var li = el("li", "pm-item pm-kind--" + item.kind);
    li.dataset.key = key;
    var id = "pm-d-" + item.kind + "-" + item.id;
    var button = el("button", "pm-item-button");
    button.type = "button";
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", id);
    var head = el("span", "pm-item-head");
    head.appendChild(T.shape(item.kind, this.shapes));
    head.appendChild(el("span", "pm-item-name", item.name));
    button.appendChild(head);
    button.appendChild(el("span", "pm-item-meta", T.summaryLine(item, this.labels)));
    var badges = T.badgeRow(item);
    if (badges.childNodes.length) button.appendChild(badges);
    button.addEventListener("click", function () {
      if (self.selected === key) self.deselect(); else self.select(key, "list");
    });
    li.appendChild(button);
    var panel = el("div", "pm-detail");
    panel.id = id;
    panel.hidden = true;
    panel.tabIndex = -1;
    panel.setAttribute("aria-label", "Details of " + item.name);
    li.appendChild(panel);
    return li;
  };

  ResidentMap.prototype.entryFor = function (key) {
    var found = null;
    document.querySelectorAll("#pm-results .pm-item").forEach(function (li) {
      if (li.dataset.key === key) found = li;
    });
    return found;
  };

  /* Make the list show exactly these items. Browsing keeps the entries that stay (and so the focus in them)
   * and adds the rest at the end; a search ("fresh") lists its results anew, in the API's order. */
  ResidentMap.prototype.syncList = function (list, items, mode) {
    var self = this;
    if (mode === "fresh") {
      list.replaceChildren.apply(list, items.map(function (item) { return self.entry(item); }));
      return;
    }
    if (mode !== "append") {
      var keep = {};
      items.forEach(function (item) { keep[keyOf(item)] = true; });
      Array.prototype.slice.call(list.children).forEach(function (li) {
        if (!keep[li.dataset.key]) list.removeChild(li);
      });
    }
    var present = {};
    Array.prototype.forEach.call(list.children, function (li) { present[li.dataset.key] = true; });
    items.forEach(function (item) {
      if (!present[keyOf(item)]) list.appendChild(self.entry(item));
    });
  };

  /* ------------------------------------------------------------ selection and details */

  ResidentMap.prototype.select = function (key, from) {
    var self = this;
    var item = this.items[key];
    if (!item) return;
    var before = this.selected;
    this.selected = key;
    if (before && before !== key) { this.collapse(before); this.paint(before); }
    this.paint(key);
    var li = this.entryFor(key);
    if (!li && !item.serves_your_area) {  // a marker beyond the list's first hundred: list it first
      li = this.entry(item);
      this.list.insertBefore(li, this.list.firstChild);
    }
    if (li) {
      li.classList.add("is-selected");
      var button = li.querySelector(".pm-item-button");
      button.setAttribute("aria-expanded", "true");
      button.setAttribute("aria-current", "true");
      var panel = li.querySelector(".pm-detail");
      panel.hidden = false;
      this.fillDetails(key, panel);
      if (from === "map" && window.matchMedia(WIDE).matches) li.scrollIntoView({ block: "nearest" });
    }
    var marker = this.markers[key];
    if (from === "list" && marker) {
      this.cluster.zoomToShowLayer(marker, function () { self.paint(key); marker.openPopup(); });
    }
  };

  ResidentMap.prototype.collapse = function (key) {
    var li = this.entryFor(key);
    if (!li) return;
    li.classList.remove("is-selected");
    var button = li.querySelector(".pm-item-button");
    button.setAttribute("aria-expanded", "false");
    button.removeAttribute("aria-current");
    li.querySelector(".pm-detail").hidden = true;
  };

  ResidentMap.prototype.deselect = function () {
    var key = this.selected;
    this.selected = null;
    if (!key) return;
    this.collapse(key);
    this.paint(key);
    this.map.closePopup();
  };

  ResidentMap.prototype.focusDetails = function (key) {
    var li = this.entryFor(key);
    if (!li) return;
    var panel = li.querySelector(".pm-detail");
    panel.hidden = false;
    panel.focus({ preventScroll: true });
    panel.scrollIntoView({ block: "nearest" });
  };

  /* Show what the list already knows at once, then the full public record from /groups|hubs|spaces/{id}. */
  ResidentMap.prototype.fillDetails = function (key, panel) {
    var self = this;
    var item = this.items[key];
    var known = this.details[key];
    // A record's own "kind" is its hub or space kind: keep the list's kind (group, hub, space) and subtype.
    var merged = known ? Object.assign({}, item, known, { kind: item.kind, subtype: item.subtype || known.kind }) : item;
    panel.replaceChildren(T.details(merged, this.labels));
    var back = el("button", "pm-button pm-button--small", "Close details");
    back.type = "button";
    back.addEventListener("click", function () {
      var li = self.entryFor(key);
      self.deselect();
      if (li) li.querySelector(".pm-item-button").focus();
    });
    panel.appendChild(back);
    this.nextFree(key, panel);
    var base = this.config.detailUrls[item.kind];
    if (known || !base) return;
    C.getJSON(base + encodeURIComponent(item.id)).then(function (body) {
      self.details[key] = body;
      if (self.selected === key) self.fillDetails(key, panel);
    }).catch(function () { /* the list's own facts stay shown */ });
  };

  /* A bookable place's next free times, from /rooms|spaces/{id}/availability, fetched when its details open
   * (once); if that cannot be read, the booking page is the place to look. */
  ResidentMap.prototype.nextFree = function (key, panel) {
    var self = this;
    var slot = panel.querySelector(".pm-next-free");
    if (!slot) return;
    this.freeTimes = this.freeTimes || {};
    var known = this.freeTimes[key];
    if (known) { slot.textContent = known; return; }
    var m = /^\/book\/(room|space)\/(\d+)$/.exec(slot.dataset.book || "");
    if (!m) return;
    C.getJSON("/" + m[1] + "s/" + m[2] + "/availability").then(function (body) {
      var now = Date.now();
      var spans = (body && Array.isArray(body.free) ? body.free : [])
        .filter(function (s) { return new Date(s.end).getTime() > now; }).slice(0, 3).map(T.freeTimeText).filter(Boolean);
      self.freeTimes[key] = spans.length ? spans.join("; ") + "." : "Nothing free in the next week: see the booking page for later dates.";
    }).catch(function () {
      self.freeTimes[key] = "See the booking page for the free times.";
    }).then(function () {
      var li = self.entryFor(key);
      var now = li && li.querySelector(".pm-next-free");
      if (now) now.textContent = self.freeTimes[key];
    });
  };

  /* ------------------------------------------------------------ browsing the map */

  ResidentMap.prototype.moved = function () {
    if (this.mode === "browse") { this.loadView(); return; }
    var o = this.query && this.query.origin;
    if (!o) return;
    var far = this.map.distance(this.map.getCenter(), o) > Math.max(300, this.query.radius / 2);
    $("pm-here").hidden = !far;
  };

  ResidentMap.prototype.loadView = function () {
    var self = this;
    var signal = this.abort();
    var url = C.withParams(this.config.markersUrl, {
      bbox: C.bboxParam(this.map), zoom: this.map.getZoom(), cluster_over: this.config.clusterOver,
    });
    C.getJSON(url, signal).then(function (fc) {
      if (signal.aborted || self.mode !== "browse") return;
      var features = fc.features || [];
      if (features.length && features[0].properties.kind === "cluster") self.showGrid(features);
      else self.showView(features);
      self.done();
    }).catch(function (e) {
      if (e.name !== "AbortError") self.failed("The places on the map could not be loaded. Please try again later.");
    });
  };

  ResidentMap.prototype.showGrid = function (features) {
    var self = this;
    var total = 0;
    this.showMarkers([]);
    this.syncList(this.list, [], "fresh");
    this.items = {};
    this.grid.clearLayers();
    features.forEach(function (f) {
      var p = f.properties;
      total += p.count;
      var latlng = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      self.grid.addLayer(C.zoomInMarker(self.map, latlng, { icon: clusterIcon(p.count) }));
    });
    this.setStatus("There are " + T.plural(total, "place") + " in this part of the map. Zoom in, or search " +
      "for a postcode or place, to list them.");
  };

  ResidentMap.prototype.showView = function (features) {
    var self = this;
    var centre = this.map.getCenter();
    var items = features.map(function (f) {
      if (f.properties.sample) T.sampleKeys[keyOf(f.properties)] = true;
      return Object.assign({}, f.properties, { lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] });
    });
    this.grid.clearLayers();
    this.items = {};
    items.forEach(function (item) { self.items[keyOf(item)] = item; });
    this.showMarkers(items);
    var near = items.map(function (item) { return [centre.distanceTo([item.lat, item.lon]), item]; })
      .sort(function (a, b) { return a[0] - b[0]; }).slice(0, BROWSE_LIST_MAX)
      .map(function (pair) { return pair[1]; });
    if (this.selected && this.items[this.selected] && near.indexOf(this.items[this.selected]) === -1) {
      near.unshift(this.items[this.selected]);
    }
    this.syncList(this.list, near, "keep");
    $("pm-results-title").textContent = "Places on the map";
    var counts = { group: 0, hub: 0, space: 0 };
    items.forEach(function (item) { counts[item.kind] += 1; });
    var parts = [];
    if (counts.group) parts.push(T.plural(counts.group, "group"));
    if (counts.hub) parts.push(T.plural(counts.hub, "community hub"));
    if (counts.space) parts.push(T.plural(counts.space, "space"));
    var text = items.length ? T.plural(items.length, "place") + " in this part of the map: " + T.joinWords(parts) +
      "." : "No places in this part of the map. Try zooming out, or search for a postcode or place.";
    if (items.length > near.length) text += " The list shows the " + near.length + " nearest the middle of the map.";
    this.setStatus(text);
  };

  window.Patchmap = window.Patchmap || {};
  window.Patchmap.ResidentMap = ResidentMap;
  window.Patchmap.util = { pointOf: pointOf, keyOf: keyOf, POSTCODE: POSTCODE, OUTWARD: OUTWARD, PAGE: PAGE };
})();
