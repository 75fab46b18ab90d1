/* What the officers' map and the co-ordinator's patch map share: a few number and text helpers (the facts
 * both profiles give), the groups, hubs and spaces layers (loaded from /map/markers.geojson for the view,
 * toggled with Leaflet's layer control, with a popup per place), and AreaMap: areas coloured by need ×
 * provision, a list with an entry per area beside the map, and an area's profile opened from either.
 *
 * Every string from the API reaches the page through textContent or setAttribute, never innerHTML.
 * Needs patchmap-core.js (window.Patchmap.core) and patchmap-details.js (window.Patchmap.text) loaded first.
 */
(function () {
  "use strict";

  var T = window.Patchmap.text;
  var C = window.Patchmap.core;
  var el = T.el;
  var $ = C.$;
  var KINDS = ["group", "hub", "space"];
  var KIND_PLURAL = { group: "Groups", hub: "Community hubs", space: "Spaces to use" };
  var DEBOUNCE_MS = 300;
  var CLUSTER_OVER = 1500;

  function num(v, digits) {
    if (typeof v !== "number" || !isFinite(v)) return "not known";
    return v.toLocaleString("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  function pct(v) { return typeof v === "number" && isFinite(v) ? Math.round(v * 100) + "%" : "not known"; }

  /* The facts both maps' profiles give of an area (`a`, from the profile `p`), in words. */
  var facts = {
    imd: function (a) { return num((a.deprivation || {}).imd_decile, 1) + " (1 = most deprived tenth of England)"; },
    counted: function (a) {
      return T.plural(a.groups, "group") + ", " + T.plural(a.hubs, "community hub") + ", " +
        T.plural(a.spaces, "space");
    },
    coverage: function (a, p) { return pct(a.coverage) + " of residents within " + num(p.radius_m, 0) + " m"; },
  };

  /* The explanation without the area's name in front (the list and profile show the name already). */
  function reason(row) {
    var text = row.explanation || "";
    return text.indexOf(row.name + ": ") === 0 ? text.slice(row.name.length + 2) : text;
  }

  /* What the list says first, in the same words as its #1 row: "#1 is Mile Cross: High need, medium provision.
   * None has high need and low provision." (rows in priority order; unscored rows have no class). */
  function highLowWords(rows, labels) {
    var ranked = rows.filter(function (r) { return r.priority === 1; })[0];
    var n = rows.filter(function (r) { return r.bivariate_class === "high-low"; }).length;
    var label = ranked && labels && labels[ranked.bivariate_class] ? labels[ranked.bivariate_class].label : null;
    var first = ranked ? "#1 is " + ranked.name + (label ? ": " + label : "") + ". " : "None is ranked. ";
    return first + (n ? n + (n === 1 ? " has" : " have") : "None has") + " high need and low provision.";
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
    this.nextSignal = C.latestOnly();
    this.schedule = C.debounce(this.load.bind(this), DEBOUNCE_MS);  // after the map moves
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

  AssetLayers.prototype.load = function () {
    var self = this;
    var signal = this.nextSignal();
    var url = C.withParams(this.config.markersUrl, { bbox: C.bboxParam(this.map), zoom: Math.round(this.map.getZoom()),
      cluster_over: CLUSTER_OVER });
    C.getJSON(url, signal).then(function (fc) {
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
        self.layers[k].addLayer(C.zoomInMarker(self.map, latlng, {
          icon: L.divIcon({ html: node, className: "pm-cluster-icon", iconSize: [32, 32] }),
          title: T.plural(n, T.kindName(k).toLowerCase(), KIND_PLURAL[k].toLowerCase()) + " here: select to zoom in" }));
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

  /* ------------------------------------------------------------ areas, their list and a profile */

  /* The areas on `map` (this.areas, a GeoJSON layer the page script fills; this.byCode and this.paths by
   * area code), the groups, hubs and spaces (this.assetLayers), and an area's profile in #pm-profile, loaded
   * from config.profileUrl. The page's script inherits from it and supplies profileBody(profile). options:
   *   list         id of the list with an <li data-code> per area beside the map
   *   entryButton  selector of the button in an entry that selects its area (the focus goes back to it)
   *   noun         what an area is called while its profile loads ("Area", "Ward")
   *   hover        true: pointing at an area on the map marks its entry, and the other way round
   *   markCurrent  true: the selected entry's button says aria-current */
  function AreaMap(map, config, options) {
    var self = this;
    this.map = map;
    this.config = config;
    this.styles = config.styles;
    this.options = options;
    this.byCode = {};
    this.paths = {};
    this.selected = null;
    this.profile = null;
    this.loads = 0;
    this.profileLoads = 0;
    this.signals = { areas: C.latestOnly(), profile: C.latestOnly() };
    map.options.zoomSnap = 0.5;  // so fitting a district fills the map, on a phone too
    this.areas = L.geoJSON(null, {
      style: function (f) { return self.areaStyle(f.properties); },
      onEachFeature: function (f, layer) { self.bindArea(f.properties, layer); },
    }).addTo(map);
    this.highlight = L.layerGroup().addTo(map);
    this.assetLayers = new AssetLayers(map, config, function (text) {
      self.setStatus($("pm-status").textContent + " " + text);
    });
    document.body.dataset.mapState = "loading";
  }

  /* The controls every such page has: back from the profile (button or Escape), the groups, hubs and
   * spaces following the view, and a note when the base map's tiles fail. */
  AreaMap.prototype.listen = function () {
    var self = this;
    $("pm-back").addEventListener("click", function () { self.closeProfile(true); });
    $("pm-profile").addEventListener("keydown", function (e) { if (e.key === "Escape") self.closeProfile(true); });
    this.map.on("moveend", function () { self.assetLayers.schedule(); });
    C.noteTileErrors(this.map);
  };

  AreaMap.prototype.setStatus = function (text) { $("pm-status").textContent = text; };

  /* A fresh signal for one kind of request (`what`: "areas" or "profile"), aborting the one before it. */
  AreaMap.prototype.abort = function (what) { return this.signals[what](); };

  AreaMap.prototype.classOf = function (row) {
    return (row && row.bivariate_class && this.styles.classes[row.bivariate_class]) || null;
  };

  AreaMap.prototype.areaStyle = function (row) {
    var c = this.classOf(row);
    var base = c ? this.styles.area : this.styles.unscored;
    return Object.assign({}, base, { fillColor: c ? c.fill : base.fillColor, className: "pm-area" });
  };

  AreaMap.prototype.bindArea = function (row, layer) {
    var self = this;
    this.paths[row.code] = layer;
    layer.bindTooltip(function () {
      var box = el("div", "pm-tip");
      box.appendChild(el("strong", null, row.name));
      var c = self.classOf(row);
      box.appendChild(el("span", "pm-tip-class", c ? c.label : self.styles.unscored.label));
      return box;
    }, { sticky: true, direction: "top", offset: [0, -8] });
    layer.on("click", function () { self.select(row.code, "map"); });
    if (this.options.hover) {
      layer.on("mouseover", function () { self.hover(row.code, true); });
      layer.on("mouseout", function () { self.hover(row.code, false); });
    }
    layer.on("add", function () {
      var node = layer.getElement();
      if (node) node.setAttribute("data-code", row.code);
    });
  };

  AreaMap.prototype.hover = function (code, on) {
    if (this.grid && this.byCode[code]) {  // areas from tiles (patchmap-areatiles.js)
      if (on) this.grid.setFeatureStyle(code, this.tileStyle(code, { weight: 3 }));
      else this.grid.resetFeatureStyle(code);
    }
    var layer = this.paths[code];
    if (layer) layer.setStyle({ weight: on ? 3 : this.areaStyle(this.byCode[code]).weight });
    var li = this.entryFor(code);
    if (li) li.classList.toggle("is-hovered", on);
  };

  /* Loads the areas (a GeoJSON FeatureCollection from url, the request before it aborted) and hands them to
   * shown(fc) (which may return a promise of the areas drawn, as tiles are); the body's data-map-state says
   * loading, ready or error, and the status what went wrong ("The {noun} could not be loaded."). */
  AreaMap.prototype.loadAreas = function (url, noun, shown) {
    var self = this;
    var signal = this.abort("areas");
    document.body.dataset.mapState = "loading";
    C.getJSON(url, signal).then(function (fc) {
      if (signal.aborted) return;
      return Promise.resolve(shown(fc)).then(function () {
        if (signal.aborted) return;
        self.loads += 1;
        document.body.dataset.mapState = "ready";
      });
    }).catch(function (e) {
      if (e.name === "AbortError") return;
      self.setStatus("The " + noun + " could not be loaded. " + e.message);
      document.body.dataset.mapState = "error";
    });
  };

  /* Puts the features on the map in their order (the last on top), in place of those before. */
  AreaMap.prototype.setAreas = function (features) {
    var self = this;
    if (this.clearTiles) this.clearTiles();
    this.byCode = {};
    features.forEach(function (f) { self.byCode[f.properties.code] = f.properties; });
    this.paths = {};
    this.areas.clearLayers();
    this.areas.addData(features);
  };

  /* Fits the map to all the areas shown. */
  AreaMap.prototype.fitAreas = function () {
    if (this.areas.getLayers().length) this.map.fitBounds(this.areas.getBounds(), { padding: [8, 8], animate: !C.reduced() });
  };

  /* The swatch and the words of the area's class, in a `tag` (a span unless said). */
  AreaMap.prototype.classLine = function (row, tag) {
    var c = this.classOf(row);
    var line = el(tag || "span", "pm-class");
    var sw = el("span", "pm-swatch pm-bv--" + (c ? row.bivariate_class : "none"));
    sw.setAttribute("aria-hidden", "true");
    line.appendChild(sw);
    line.appendChild(el("span", null, c ? c.label : this.styles.unscored.label + (row.not_scored ? ": " + row.not_scored : "")));
    return line;
  };

  AreaMap.prototype.entryFor = function (code) {
    var found = null;
    document.querySelectorAll("#" + this.options.list + " > li").forEach(function (li) { if (li.dataset.code === code) found = li; });
    return found;
  };

  /* Outlines the area on the map and marks its entry in the list (none when code is null). */
  AreaMap.prototype.mark = function (code) {
    var options = this.options;
    this.highlight.clearLayers();
    document.querySelectorAll("#" + options.list + " > li.is-selected").forEach(function (li) {
      li.classList.remove("is-selected");
      if (options.markCurrent) li.querySelector(options.entryButton).removeAttribute("aria-current");
    });
    if (!code) return;
    var layer = this.paths[code];
    if (layer) {
      var sel = this.styles.selected;
      var shape = layer.toGeoJSON();
      L.geoJSON(shape, { interactive: false, style: { color: sel.halo, weight: 7, opacity: 1, fill: false } }).addTo(this.highlight);
      L.geoJSON(shape, { interactive: false, style: { color: sel.line, weight: 3, opacity: 1, fill: false,
        className: "pm-area-selected" } }).addTo(this.highlight);
    }
    var li = this.entryFor(code);
    if (li) {
      li.classList.add("is-selected");
      if (options.markCurrent) li.querySelector(options.entryButton).setAttribute("aria-current", "true");
    }
  };

  /* Moves the map to a selected area when it is not in view, unless it was selected on the map, or again
   * as the areas reloaded. from: "map", "list", "reload" or what the page calls it. */
  AreaMap.prototype.reveal = function (layer, from) {
    if (from === "map" || from === "reload") return;
    var b = layer.getBounds();
    if (!this.map.getBounds().contains(b)) this.map.fitBounds(b, { padding: [24, 24], maxZoom: 14, animate: !C.reduced() });
  };

  AreaMap.prototype.profileUrl = function (code) { return this.config.profileUrl + encodeURIComponent(code); };

  /* Said when the selection changes (an area's profile shown, or closed); the page may remember it. */
  AreaMap.prototype.selectionChanged = function () {};

  /* Selects an area: marks it, moves the map to it (see reveal), and loads and shows its profile in place
   * of the list. On "reload" (the areas loaded again) the focus stays where it is. */
  AreaMap.prototype.select = function (code, from) {
    var self = this;
    var known = this.byCode[code];
    this.selected = code;
    this.mark(code);
    if (this.grid) this.markTiled(code, from);
    else if (this.paths[code]) this.reveal(this.paths[code], from);
    $("pm-list-view").hidden = true;
    $("pm-profile").hidden = false;
    var title = $("pm-profile-title");
    if (from !== "reload" || !title.textContent) {
      title.textContent = known ? known.name : this.options.noun + " " + code;
      $("pm-profile-body").replaceChildren(el("p", "pm-hint", "Loading the profile\u2026"));
    }
    if (from !== "reload") title.focus();
    document.body.dataset.profileState = "loading";
    var signal = this.abort("profile");
    C.getJSON(this.profileUrl(code), signal).then(function (p) {
      if (signal.aborted || self.selected !== code) return;
      self.profile = p;
      title.textContent = p.area.name;
      $("pm-profile-body").replaceChildren(self.profileBody(p));
      self.profileLoads += 1;
      document.body.dataset.profileState = "ready";
      self.selectionChanged();
    }).catch(function (e) {
      if (e.name === "AbortError") return;
      $("pm-profile-body").replaceChildren(el("p", "pm-error", "The profile could not be loaded. " + e.message));
      document.body.dataset.profileState = "error";
    });
  };

  /* Back from the profile to the list; with `focus`, to the area's entry (or the list's section). */
  AreaMap.prototype.closeProfile = function (focus) {
    var code = this.selected;
    this.abort("profile");
    this.selected = null;
    this.mark(null);
    $("pm-profile").hidden = true;
    $("pm-list-view").hidden = false;
    this.selectionChanged();
    if (!focus) return;
    var li = code && this.entryFor(code);
    var button = li && li.querySelector(this.options.entryButton);
    if (button) button.focus(); else $("pm-results").focus();
  };

  /* Makes Page (a constructor that calls AreaMap) inherit AreaMap's methods. */
  function inherit(Page) {
    Page.prototype = Object.create(AreaMap.prototype);
    Page.prototype.constructor = Page;
    return Page;
  }

  window.Patchmap = window.Patchmap || {};
  window.Patchmap.areamap = {
    num: num, facts: facts, reason: reason, highLowWords: highLowWords, AssetLayers: AssetLayers, AreaMap: AreaMap,
    inherit: inherit,
  };
})();
