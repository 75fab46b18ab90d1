/* Patchmap map layers: ward boundaries and hubs and spaces, loaded from the API for the current view.
 *
 * Every string that comes from the data reaches the page through textContent or a DOM attribute set by
 * Leaflet (title), never through innerHTML, so names and addresses are always shown as plain text.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 250;
  var METRES_PER_PIXEL_AT_ZOOM_0 = 156543.03392;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clamp(value, low, high) {
    return Math.min(high, Math.max(low, value));
  }

  /* minlon,minlat,maxlon,maxlat of the view, a little larger so markers at the edge are not missed. */
  function bboxParam(map) {
    var b = map.getBounds().pad(0.1);
    return [
      clamp(b.getWest(), -180, 180).toFixed(5),
      clamp(b.getSouth(), -90, 90).toFixed(5),
      clamp(b.getEast(), -180, 180).toFixed(5),
      clamp(b.getNorth(), -90, 90).toFixed(5),
    ].join(",");
  }

  /* Simplify boundaries to under a pixel at this zoom: far fewer vertices, no visible change. */
  function simplifyMetres(map) {
    var lat = map.getCenter().lat * Math.PI / 180;
    var metresPerPixel = METRES_PER_PIXEL_AT_ZOOM_0 * Math.cos(lat) / Math.pow(2, map.getZoom());
    return clamp(Math.round(metresPerPixel * 0.75), 0, 2000);
  }

  function withParams(url, params) {
    var u = new URL(url, window.location.href);
    Object.keys(params).forEach(function (key) { u.searchParams.set(key, params[key]); });
    return u.toString();
  }

  /* Only http(s) links are made clickable, so a stored "javascript:" address can do nothing. */
  function safeUrl(text) {
    try {
      var u = new URL(text);
      return u.protocol === "http:" || u.protocol === "https:" ? u : null;
    } catch (e) {
      return null;
    }
  }

  function areaPopup(props) {
    var box = el("div", "pm-popup");
    box.appendChild(el("h3", null, props.name));
    box.appendChild(el("p", "pm-popup-kind", "Ward (" + props.code + ")"));
    return box;
  }

  function assetPopup(props, labels) {
    var box = el("div", "pm-popup");
    var kindLabels = labels[props.kind] || {};
    box.appendChild(el("h3", null, props.name));
    var what = kindLabels[props.subtype] || props.subtype;
    box.appendChild(el("p", "pm-popup-kind", props.kind === "space" ? what + " (space to use)" : what));
    var where = [props.address, props.postcode].filter(function (part, i, all) {
      return part && !(i === 1 && all[0] && all[0].indexOf(part) !== -1);
    });
    if (where.length) box.appendChild(el("p", null, where.join(", ")));
    if (props.opening_hours) box.appendChild(el("p", null, "Opening hours: " + props.opening_hours));
    if (props.step_free === true) box.appendChild(el("p", null, "Step-free access"));
    if (props.step_free === false) box.appendChild(el("p", null, "Not step-free"));
    var url = props.website ? safeUrl(props.website) : null;
    if (url) {
      var p = el("p", null, "Website: ");
      var a = el("a", null, url.hostname);
      a.href = url.href;
      a.rel = "noopener noreferrer";
      p.appendChild(a);
      box.appendChild(p);
    }
    return box;
  }

  function MapLayers(map, config) {
    this.map = map;
    this.config = config;
    this.areas = null;
    this.assets = null;
    this.controller = null;
    this.timer = null;
    this.loads = 0;
    this.statusNode = document.getElementById("pm-status");
    document.body.dataset.mapState = "loading";
  }

  MapLayers.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { self.load(); }, DEBOUNCE_MS);
  };

  MapLayers.prototype.load = function () {
    var self = this;
    if (this.controller) this.controller.abort();
    var controller = (this.controller = new AbortController());
    var bbox = bboxParam(this.map);
    var areasUrl = withParams(this.config.areasUrl, {
      kind: this.config.areaKind, bbox: bbox, simplify_m: simplifyMetres(this.map),
    });
    var assetsUrl = withParams(this.config.assetsUrl, { bbox: bbox });
    document.body.dataset.mapState = "loading";
    Promise.all([areasUrl, assetsUrl].map(function (url) {
      return fetch(url, { signal: controller.signal, headers: { Accept: "application/geo+json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        });
    })).then(function (results) {
      if (controller.signal.aborted) return;
      self.showAreas(results[0]);
      var counts = self.showAssets(results[1]);
      counts.ward = results[0].features.length;
      self.report(counts);
      self.loads += 1;
      document.body.dataset.mapState = "ready";
    }).catch(function (error) {
      if (error && error.name === "AbortError") return;
      self.setStatus("The map's places and boundaries could not be loaded. Please try again later.");
      document.body.dataset.mapState = "error";
    });
  };

  MapLayers.prototype.showAreas = function (collection) {
    var styles = this.config.styles;
    var layer = L.geoJSON(collection, {
      style: function () { return L.extend({ className: "pm-area pm-area--ward" }, styles.ward); },
      onEachFeature: function (feature, path) {
        path.bindTooltip(el("span", null, feature.properties.name), { sticky: true });
        path.bindPopup(areaPopup(feature.properties));
        path.on("mouseover", function () { path.setStyle(styles.wardHover); });
        path.on("mouseout", function () { path.setStyle(styles.ward); });
      },
    });
    if (this.areas) this.map.removeLayer(this.areas);
    this.areas = layer.addTo(this.map);
  };

  MapLayers.prototype.showAssets = function (collection) {
    var labels = this.config.labels;
    var counts = { hub: 0, space: 0 };
    var group = L.layerGroup();
    collection.features.forEach(function (feature) {
      var props = feature.properties;
      var coords = feature.geometry.coordinates;
      var size = props.kind === "hub" ? 18 : 16;
      var marker = L.marker([coords[1], coords[0]], {
        icon: L.divIcon({ className: "pm-marker pm-marker--" + props.kind, iconSize: [size, size], html: "" }),
        title: props.name,
        keyboard: true,
        riseOnHover: true,
      });
      marker.bindPopup(assetPopup(props, labels));
      counts[props.kind] = (counts[props.kind] || 0) + 1;
      group.addLayer(marker);
    });
    if (this.assets) this.map.removeLayer(this.assets);
    this.assets = group.addTo(this.map);
    return counts;
  };

  MapLayers.prototype.report = function (counts) {
    document.querySelectorAll("[data-count-for]").forEach(function (node) {
      var n = counts[node.dataset.countFor] || 0;
      node.textContent = "(" + n + " in view)";
    });
    this.setStatus("Showing " + plural(counts.hub, "hub") + ", " + plural(counts.space, "space") +
      " and " + plural(counts.ward, "ward") + " in this part of the map.");
  };

  MapLayers.prototype.setStatus = function (text) {
    if (this.statusNode) this.statusNode.textContent = text;
  };

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  function startMap(map, config) {
    var layers = new MapLayers(map, config);
    map.on("moveend", function () { layers.schedule(); });
    map.eachLayer(function (layer) {
      if (layer instanceof L.TileLayer) {
        layer.once("tileerror", function () {
          var note = document.getElementById("pm-tiles-note");
          if (note) note.hidden = false;
        });
      }
    });
    layers.load();
    window.Patchmap.current = layers;
    return layers;
  }

  window.Patchmap = { startMap: startMap };
})();
