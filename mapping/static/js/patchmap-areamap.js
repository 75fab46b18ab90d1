/* What the officers' map and the co-ordinator's patch map share: fetching JSON from the API, a few number
 * and text helpers, and the groups, hubs and spaces layers (loaded from /map/markers.geojson for the view,
 * toggled with Leaflet's layer control, with a popup per place).
 *
 * Every string from the API reaches the page through textContent or setAttribute, never innerHTML.
 * Needs patchmap-details.js (window.Patchmap.text) loaded first.
 */
(function () {
  "use strict";

  var T = window.Patchmap.text;
  var el = T.el;
  var KINDS = ["group", "hub", "space"];
  var KIND_PLURAL = { group: "Groups", hub: "Community hubs", space: "Spaces to use" };
  var DEBOUNCE_MS = 300;
  var CLUSTER_OVER = 1500;

  function withParams(url, params) {
    var u = new URL(url, window.location.href);
    Object.keys(params).forEach(function (k) {
      if (params[k] !== undefined && params[k] !== null && params[k] !== "") u.searchParams.set(k, params[k]);
    });
    return u.pathname + u.search;
  }

  /* GET JSON (with the session cookie); a non-2xx answer rejects with the API's {"error", "detail"} as the
   * message and the HTTP status as e.status. */
  function getJSON(url, signal) {
    var options = { signal: signal, headers: { Accept: "application/json" }, credentials: "same-origin" };
    return fetch(url, options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (r.ok) return body;
        var e = new Error([body && body.error, body && body.detail].filter(Boolean).join(". ") || "HTTP " + r.status);
        e.status = r.status;
        throw e;
      });
    });
  }

  function num(v, digits) {
    if (typeof v !== "number" || !isFinite(v)) return "not known";
    return v.toLocaleString("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  /* The explanation without the area's name in front (the list and profile show the name already). */
  function reason(row) {
    var text = row.explanation || "";
    return text.indexOf(row.name + ": ") === 0 ? text.slice(row.name.length + 2) : text;
  }

  /* One term and value of a <dl>; the value is text or a node. */
  function fact(dl, term, value) {
    dl.appendChild(el("dt", null, term));
    var dd = el("dd");
    if (typeof value === "string") dd.textContent = value; else dd.appendChild(value);
    dl.appendChild(dd);
  }

  /* Groups, hubs and spaces on `map`, one layer per kind with a layer control; config gives markersUrl,
   * detailUrls, labels and styles.markers. onError(text) hears when they could not be loaded. */
  function AssetLayers(map, config, onError) {
    var self = this;
    this.map = map;
    this.config = config;
    this.onError = onError;
    this.layers = {};
    this.loads = 0;
    this.controller = null;
    var overlays = {};
    KINDS.forEach(function (k) {
      self.layers[k] = L.layerGroup().addTo(map);
      // The layer control writes names as HTML: these are made from constants, never from data.
      var shape = config.styles.markers[k].shape;
      overlays['<span class="pm-kind pm-kind--' + k + '"><span class="pm-shape pm-shape--' + shape +
        '" aria-hidden="true"></span></span> ' + KIND_PLURAL[k]] = self.layers[k];
    });
    // Open beside a wide map; a button on a phone's, where the open list would hide much of it.
    var narrow = !window.matchMedia("(min-width: 60em)").matches;
    this.control = L.control.layers(null, overlays, { collapsed: narrow, position: "topright" }).addTo(map);
    var box = this.control.getContainer();
    var list = box.querySelector(".leaflet-control-layers-list");
    list.insertBefore(el("p", "pm-layers-title", "Show on the map"), list.firstChild);
    var toggle = box.querySelector(".leaflet-control-layers-toggle");
    toggle.title = "Show or hide groups, hubs and spaces";
    toggle.setAttribute("aria-label", toggle.title);
  }

  AssetLayers.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { self.load(); }, DEBOUNCE_MS);
  };

  AssetLayers.prototype.load = function () {
    var self = this;
    if (this.controller) this.controller.abort();
    this.controller = new AbortController();
    var signal = this.controller.signal;
    var b = this.map.getBounds().pad(0.05);
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v, i) {
      return Math.max(i % 2 ? -90 : -180, Math.min(i % 2 ? 90 : 180, v)).toFixed(5);
    }).join(",");
    var url = withParams(this.config.markersUrl, { bbox: bbox, zoom: Math.round(this.map.getZoom()), cluster_over: CLUSTER_OVER });
    getJSON(url, signal).then(function (fc) {
      if (signal.aborted) return;
      KINDS.forEach(function (k) { self.layers[k].clearLayers(); });
      (fc.features || []).forEach(function (f) { self.add(f); });
      self.loads += 1;
    }).catch(function (e) {
      if (e.name !== "AbortError") self.onError("The groups, hubs and spaces could not be loaded.");
    });
  };

  AssetLayers.prototype.add = function (f) {
    var self = this;
    var p = f.properties;
    var latlng = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
    if (p.kind === "cluster") {
      KINDS.forEach(function (k) {
        var n = p[k + "s"];
        if (!n) return;
        var node = el("span", "pm-cluster pm-cluster--" + k, n.toLocaleString("en-GB"));
        var m = L.marker(latlng, { icon: L.divIcon({ html: node, className: "pm-cluster-icon", iconSize: [32, 32] }),
          title: T.plural(n, T.kindName(k).toLowerCase()) + " here: select to zoom in", keyboard: true });
        m.on("click", function () { self.map.setView(latlng, Math.min(self.map.getZoom() + 2, 18)); });
        self.layers[k].addLayer(m);
      });
      return;
    }
    if (!this.layers[p.kind]) return;
    // Smaller than the resident map's: the areas' colours are what these maps are for (the target stays 24px).
    var icon = L.divIcon({ html: T.shape(p.kind, this.config.styles.markers),
      className: "pm-marker pm-marker--small pm-kind--" + p.kind, iconSize: [24, 24] });
    var marker = L.marker(latlng, { icon: icon, title: p.name + (p.sample ? " (sample)" : ""), keyboard: true });
    marker.bindPopup(function () { return self.popup(p); }, { maxWidth: 280 });
    this.layers[p.kind].addLayer(marker);
  };

  AssetLayers.prototype.popup = function (p) {
    var box = el("div", "pm-popup");
    box.appendChild(el("p", "pm-popup-name", p.name));
    var sub = this.config.labels[p.kind] && this.config.labels[p.kind][p.subtype];
    box.appendChild(el("p", "pm-popup-kind", T.kindName(p.kind) + (sub ? ": " + String(sub).split(" (")[0] : "") +
      (p.sample ? " (sample data)" : "")));
    var base = this.config.detailUrls[p.kind];
    if (base) {
      var a = el("a", null, "Public record (data)");
      a.href = base + encodeURIComponent(p.id);
      box.appendChild(el("p")).appendChild(a);
    }
    return box;
  };

  window.Patchmap = window.Patchmap || {};
  window.Patchmap.areamap = {
    withParams: withParams, getJSON: getJSON, num: num, reason: reason, fact: fact, AssetLayers: AssetLayers,
  };
})();
