/* Areas drawn from vector tiles (OGC API Tiles, Leaflet.VectorGrid) rather than from one GeoJSON answer: for a
 * level with many areas (LSOAs: hundreds in a county, 32,844 in England; wards: 7,681), so the map pans smoothly
 * however many are shown. The officers' map draws every level so, the patch page its wards. The tiles carry each area's code and name; its class and everything else come from the page's
 * rows (AreaMap.byCode), as for GeoJSON areas, so the colours follow the settings chosen. Areas without a row
 * (outside the district) are not drawn. The selected area's outline, and the map's fit to a district, are read
 * from /areas/{code} (one feature), since a tile holds only its own piece of a shape.
 *
 * Adds methods to AreaMap (patchmap-areamap.js): load it after that file and Leaflet.VectorGrid.
 */
(function () {
  "use strict";

  var C = window.Patchmap.core;
  var T = window.Patchmap.text;
  var A = window.Patchmap.areamap;
  var el = T.el;
  var P = A.AreaMap.prototype;

  /* True while the areas come from tiles. */
  P.tiled = function () { return !!this.grid; };

  /* The tiles' style of an area (a VectorGrid style: [] leaves the feature out). */
  P.tileStyle = function (code, extra) {
    var row = this.byCode[code];
    if (!row) return [];
    return Object.assign({ fill: true }, this.areaStyle(row), extra || {});
  };

  /* Shows the rows (records without geometry) with their boundaries from `collection`'s tiles, once `before`
   * (a promise: the map's move to the district) has settled; the returned promise settles once the tiles in
   * view are drawn. */
  P.setTiledAreas = function (rows, collection, before) {
    var self = this;
    this.byCode = {};
    rows.forEach(function (r) { self.byCode[r.code] = r; });
    this.paths = {};
    this.areas.clearLayers();
    this.clearTiles();
    var styles = {};
    styles[collection] = function (p) { return self.tileStyle(p.code); };
    this.grid = L.vectorGrid.protobuf(this.config.tilesUrl.replace("{collection}", encodeURIComponent(collection)), {
      vectorTileLayerStyles: styles, interactive: true, maxNativeZoom: 16, rendererFactory: L.svg.tile,
      getFeatureId: function (f) { return f.properties.code; },
    });
    this.tileRequests = 0;
    this.grid.on("tileloadstart", function () { self.tileRequests += 1; });
    this.grid.on("tileload", function (e) { self.nameTilePaths(e.coords); });
    this.grid.on("click", function (e) {
      var code = e.layer.properties.code;
      if (self.byCode[code]) self.select(code, "map");
    });
    this.grid.on("mouseover", function (e) { self.tileHover(e, true); });
    this.grid.on("mouseout", function (e) { self.tileHover(e, false); });
    var grid = this.grid;
    return Promise.resolve(before).then(function () {
      if (self.grid !== grid) return null;  // replaced meanwhile
      var drawn = new Promise(function (resolve) { grid.once("load", resolve); });
      grid.addTo(self.map);
      return drawn;
    });
  };

  P.clearTiles = function () {
    if (this.grid) this.map.removeLayer(this.grid);
    this.grid = null;
    if (this.tip) this.map.removeLayer(this.tip);
    this.tip = null;
  };

  /* Marks each drawn path of a tile with its area's code (data-code), as the GeoJSON areas are. Reads the
   * renderer's features (VectorGrid 1.3.0 keeps them by getFeatureId when it is given: pinned, see assets.py). */
  P.nameTilePaths = function (coords) {
    var renderer = this.grid && this.grid._vectorTiles[this.grid._tileCoordsToKey(coords)];
    if (!renderer || !renderer._features) return;
    Object.keys(renderer._features).forEach(function (code) {
      var path = renderer._features[code].feature._path;
      if (path) path.setAttribute("data-code", code);
    });
  };

  /* Pointing at an area: its name and class in a tooltip, its outline thicker, its entry marked. */
  P.tileHover = function (e, on) {
    var code = e.layer.properties.code;
    var row = this.byCode[code];
    if (!row) return;
    this.hover(code, on);
    if (this.tip) this.map.removeLayer(this.tip);
    this.tip = null;
    if (!on) return;
    var box = el("div", "pm-tip");
    box.appendChild(el("strong", null, row.name));
    var c = this.classOf(row);
    box.appendChild(el("span", "pm-tip-class", c ? c.label : this.styles.unscored.label));
    this.tip = L.tooltip({ direction: "top", offset: [0, -8] }).setLatLng(e.latlng).setContent(box).addTo(this.map);
  };

  /* The area's boundary (a GeoJSON feature from /areas/{code}), for the outline and fits. */
  P.areaShape = function (code) {
    return C.getJSON(this.config.areasUrl + "/" + encodeURIComponent(code));
  };

  /* Draws the selected area's outline from its shape, and moves the map to it as reveal() says. */
  P.markTiled = function (code, from) {
    var self = this;
    this.areaShape(code).then(function (shape) {
      if (self.selected !== code) return;
      var sel = self.styles.selected;
      self.highlight.clearLayers();
      L.geoJSON(shape, { interactive: false, style: { color: sel.halo, weight: 7, opacity: 1, fill: false } }).addTo(self.highlight);
      L.geoJSON(shape, { interactive: false, style: { color: sel.line, weight: 3, opacity: 1, fill: false,
        className: "pm-area-selected" } }).addTo(self.highlight);
      if (from) self.reveal(L.geoJSON(shape), from);
    }).catch(function () { /* the list still marks it */ });
  };

  /* Fits the map to the extent of a whole collection (its OGC API description's bbox: every area of the
   * level, as when all districts are shown), at once; a promise of the move. */
  P.fitExtent = function (collection) {
    var self = this;
    var url = this.config.tilesUrl.replace("{collection}", encodeURIComponent(collection)).replace(/\/tiles\/.*$/, "");
    return C.getJSON(url + "?f=json").then(function (doc) {
      var b = doc.extent && doc.extent.spatial && doc.extent.spatial.bbox && doc.extent.spatial.bbox[0];
      if (b) self.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [8, 8], animate: false });
    }).catch(function () { /* the view stays */ });
  };

  /* Fits the map to a district (or any area) by its code, at once (so the tiles then asked are the view's);
   * a promise of the move. */
  P.fitTo = function (code) {
    var self = this;
    return this.areaShape(code).then(function (shape) {
      self.map.fitBounds(L.geoJSON(shape).getBounds(), { padding: [8, 8], animate: false });
    }).catch(function () { /* the view stays */ });
  };
})();
