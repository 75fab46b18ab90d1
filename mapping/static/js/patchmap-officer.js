/* Patchmap officers' map: need × provision by area. The page carries no data: the areas (GeoJSON with each
 * area's class, gap and explanation) load from /analysis/overlay for the chosen settings, a profile from
 * /analysis/areas/{code}, and the groups, hubs and spaces from /map/markers.geojson for the view.
 *
 * Every string from the API reaches the page through textContent, setAttribute or new Option(), never
 * innerHTML, so area and place names always show as plain text.
 */
(function () {
  "use strict";

  var T = window.Patchmap.text;
  var C = window.Patchmap.core;
  var A = window.Patchmap.areamap;
  var el = T.el, fact = T.fact;
  var $ = C.$, withParams = C.withParams, getJSON = C.getJSON;
  var num = A.num, reason = A.reason;
  var KINDS = ["group", "hub", "space"];
  var LEVEL_WORDS = { ward: ["ward", "wards"], lsoa: ["neighbourhood (LSOA)", "neighbourhoods (LSOAs)"],
    locality: ["locality", "localities"], district: ["district", "districts"] };
  var MEASURE_PARAMS = ["kinds", "category", "radius_m", "need", "provision"];
  var ASSETS_SHOWN = 15;
  /* Every level's boundaries are drawn from vector tiles (/ogc/collections/{id}/tiles): its collection. */
  var TILED = { lsoa: "lsoas", ward: "wards", district: "districts", locality: "localities" };

  /* The area of a feature's bounding box in square degrees: enough to put larger shapes underneath. */
  function span(feature) {
    if (!feature.geometry) return 0;
    var b = L.geoJSON(feature).getBounds();
    return (b.getEast() - b.getWest()) * (b.getNorth() - b.getSouth());
  }

  function signed(v) { return typeof v === "number" && isFinite(v) ? (v > 0 ? "+" : v < 0 ? "\u2212" : "") + Math.abs(v).toFixed(2) : "not known"; }
  function levelWord(level, n) { var w = LEVEL_WORDS[level] || ["area", "areas"]; return n === 1 ? w[0] : w[1]; }

  /* The areas, their list (#pm-areas) and a profile, as AreaMap, for the settings in the form. */
  function OfficerMap(map, config) {
    A.AreaMap.call(this, map, config, { list: "pm-areas", entryButton: "button", noun: "Area", hover: true, markCurrent: true });
    this.rows = [];
    this.lastPlace = null;
  }
  A.inherit(OfficerMap);

  /* ------------------------------------------------------------ settings */

  OfficerMap.prototype.readForm = function () {
    var f = $("pm-settings").elements;
    var kinds = KINDS.filter(function (k) { return $("pm-kind-" + k).checked; });
    var level = f.level.value;
    return { level: level, within: level === "district" ? "" : f.within.value, kinds: kinds.join(","),
      category: f.category.value, radius_m: f.radius_m.value, need: f.need.value, provision: f.provision.value };
  };

  OfficerMap.prototype.measures = function (s) {
    var out = {};
    MEASURE_PARAMS.forEach(function (k) { out[k] = s[k]; });
    return out;
  };

  OfficerMap.prototype.overlayUrl = function (s, format) {
    return withParams(this.config.overlayUrl, Object.assign({ level: s.level, within: s.within }, this.measures(s),
      { f: format }));
  };

  /* Settings from the address (a shared link, or the form sent before the script started). */
  OfficerMap.prototype.restore = function () {
    var params = new URLSearchParams(window.location.search);
    var f = $("pm-settings").elements;
    ["level", "need", "provision", "radius_m", "category"].forEach(function (k) {
      if (!params.has(k)) return;
      var before = f[k].value;
      f[k].value = params.get(k);
      if (f[k].value !== params.get(k)) f[k].value = before;  // not one of the options: keep the default
    });
    if (params.has("within")) {
      var code = params.get("within");
      if (code && !Array.prototype.some.call(f.within.options, function (o) { return o.value === code; })) {
        f.within.add(new Option(code, code));
      }
      f.within.value = code;
    }
    var kinds = params.getAll("kinds").join(",").split(",");
    if (KINDS.some(function (k) { return kinds.indexOf(k) !== -1; })) {
      KINDS.forEach(function (k) { $("pm-kind-" + k).checked = kinds.indexOf(k) !== -1; });
    }
    this.syncLevel();
    return params.get("area");
  };

  OfficerMap.prototype.remember = function (s) {
    var params = new URLSearchParams();
    ["level", "within", "need", "provision", "radius_m", "category"].forEach(function (k) {
      if (s[k] || k === "within") params.set(k, s[k]);
    });
    s.kinds.split(",").forEach(function (k) { params.append("kinds", k); });
    if (this.selected) params.set("area", this.selected);
    window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
  };

  OfficerMap.prototype.syncLevel = function () {
    var district = $("pm-level").value === "district";
    $("pm-within").disabled = district;
    $("pm-within-hint").hidden = !district;
  };

  OfficerMap.prototype.loadDistricts = function () {
    var select = $("pm-within");
    getJSON(withParams(this.config.areasUrl, { kind: "district" })).then(function (list) {
      var chosen = select.value;
      var options = list.slice().sort(function (a, b) { return a.name.localeCompare(b.name, "en-GB"); })
        .map(function (d) { return new Option(d.name, d.code); });
      options.push(new Option("All districts", ""));
      select.replaceChildren.apply(select, options);
      select.value = chosen;
      if (select.value !== chosen) select.add(new Option(chosen, chosen, true, true));
    }).catch(function () { /* the default district stays on offer */ });
  };

  OfficerMap.prototype.checkKinds = function (s) {
    var error = $("pm-kinds-error");
    var bad = !s.kinds;
    error.hidden = !bad;
    error.textContent = bad ? "Choose at least one: groups, community hubs or spaces." : "";
    KINDS.forEach(function (k) {
      if (bad) $("pm-kind-" + k).setAttribute("aria-invalid", "true"); else $("pm-kind-" + k).removeAttribute("aria-invalid");
    });
    if (bad) $("pm-kind-group").focus();
    return !bad;
  };

  /* ------------------------------------------------------------ the areas */

  OfficerMap.prototype.load = function (fit) {
    var self = this;
    var s = this.readForm();
    if (!this.checkKinds(s)) return;
    var place = s.level + "/" + s.within;
    fit = fit || place !== this.lastPlace;
    this.setStatus("Loading " + levelWord(s.level, 2) + "\u2026");
    var tiled = TILED[s.level] && this.config.tilesUrl && L.vectorGrid;
    this.loadAreas(this.overlayUrl(s, tiled ? "json" : "geojson"), "areas", function (answer) {
      self.settings = s;
      self.lastPlace = place;
      return tiled ? self.showTiled(answer, TILED[s.level], fit) : self.show(answer, fit);
    });
  };

  /* The overlay's rows (JSON, no geometry) on boundaries from the level's vector tiles; fit: to the district,
   * or to the whole collection's extent when all districts are shown. A promise of the tiles in view drawn. */
  OfficerMap.prototype.showTiled = function (answer, collection, fit) {
    var fc = { type: "FeatureCollection", within: answer.within, notes: answer.notes,
      features: answer.areas.map(function (row) { return { type: "Feature", geometry: null, properties: row }; }) };
    var before = !fit ? null : answer.within ? this.fitTo(answer.within.code) : this.fitExtent(collection);
    var drawn = this.setTiledAreas(answer.areas, collection, before);
    this.show(fc, false, true);
    return drawn;
  };

  OfficerMap.prototype.show = function (fc, fit, tiled) {
    var self = this;
    var s = this.settings;
    this.summary = fc;
    this.rows = fc.features.map(function (f) { return f.properties; });
    // Localities may overlap: draw the largest first, so a smaller one on top can still be selected.
    if (!tiled) this.setAreas(fc.features.slice().sort(function (a, b) { return span(b) - span(a); }));
    if (fit) this.fitAreas();
    $("pm-areas").replaceChildren.apply($("pm-areas"), this.rows.map(function (r) { return self.entry(r); }));
    this.countClasses();
    $("pm-csv").href = this.overlayUrl(s, "csv");
    $("pm-geojson").href = this.overlayUrl(s, "geojson");
    $("pm-geojson").setAttribute("download", "patchmap-overlay-" + s.level + "-" + (s.within || "all") + ".geojson");
    var where = fc.within ? " in " + fc.within.name : s.level === "district" ? "" : " in all districts";
    var n = this.rows.length;
    var text = T.plural(n, levelWord(s.level, 1), levelWord(s.level, 2)) + where + " shown, largest gap first. " +
      A.highLowWords(this.rows, this.styles ? this.styles.classes : null);
    if (fc.notes && fc.notes.length) text += " Note: " + fc.notes.join("; ") + ".";
    this.setStatus(text);
    if (this.selected && this.byCode[this.selected]) this.select(this.selected, "reload");
    else if (this.selected) this.closeProfile(false);
    this.remember(s);
  };

  OfficerMap.prototype.countClasses = function () {
    var counts = {};
    this.rows.forEach(function (r) { if (r.bivariate_class) counts[r.bivariate_class] = (counts[r.bivariate_class] || 0) + 1; });
    document.querySelectorAll("#pm-key td[data-class]").forEach(function (td) {
      td.querySelector(".pm-key-count").textContent = String(counts[td.dataset.class] || 0);
    });
  };

  OfficerMap.prototype.entry = function (row) {
    var self = this;
    var li = el("li", "pm-item pm-area-item");
    li.dataset.code = row.code;
    var button = el("button", "pm-item-button");
    button.type = "button";
    var head = el("span", "pm-item-head");
    var rank = el("span", "pm-rank");
    rank.appendChild(el("span", "pm-visually-hidden", "Priority "));
    rank.appendChild(document.createTextNode(row.priority ? String(row.priority) : "\u2013"));
    head.appendChild(rank);
    head.appendChild(el("span", "pm-item-name", row.name));
    button.appendChild(head);
    button.appendChild(this.classLine(row));
    button.appendChild(el("span", "pm-item-meta", reason(row)));
    button.addEventListener("click", function () { self.select(row.code, "list"); });
    button.addEventListener("mouseenter", function () { self.hover(row.code, true); });
    button.addEventListener("mouseleave", function () { self.hover(row.code, false); });
    button.addEventListener("focus", function () { self.hover(row.code, true); });
    button.addEventListener("blur", function () { self.hover(row.code, false); });
    li.appendChild(button);
    return li;
  };

  /* ------------------------------------------------------------ an area's profile */

  OfficerMap.prototype.profileUrl = function (code) {
    return withParams(this.config.profileUrl + encodeURIComponent(code), this.measures(this.settings));
  };

  OfficerMap.prototype.selectionChanged = function () {
    if (this.settings) this.remember(this.settings);
  };

  OfficerMap.prototype.profileBody = function (p) {
    var self = this;
    var a = p.area;
    var box = el("div", "pm-profile-content");
    var where = p.within ? " in " + p.within.name : "";
    box.appendChild(el("p", "pm-hint", levelWord(a.kind, 1).charAt(0).toUpperCase() + levelWord(a.kind, 1).slice(1) +
      where + " \u00b7 code " + a.code));
    box.appendChild(this.classLine(a, "p"));
    box.appendChild(el("p", "pm-explanation", reason(a)));

    box.appendChild(el("h4", null, "Measures"));
    var dl = el("dl", "pm-facts pm-measures");
    fact(dl, "Priority", a.priority ? a.priority + " of " + T.plural(p.siblings_ranked, levelWord(a.kind, 1),
      levelWord(a.kind, 2)) + where + " (1 = largest gap)" : "Not ranked: no residents");
    fact(dl, "Residents", num(a.population_total, 0) + " (aged 0 to 15: " + num(a.population_0_15, 0) +
      "; 60 and over: " + num(a.population_60_plus, 0) + ")");
    var dep = a.deprivation || {};
    fact(dl, "IMD decile", A.facts.imd(a));
    var need = this.settings.need;
    if (need !== "imd" && dep[need + "_decile"] !== undefined) {
      fact(dl, this.config.needs[need] + " decile", num(dep[need + "_decile"], 1));
    }
    fact(dl, "Counted", A.facts.counted(a) + " (" + num(a.assets, 0) + " in all)");
    fact(dl, "Per 1,000 residents", num(a.assets_per_1000, 1) + " (groups " + num(a.groups_per_1000, 1) +
      ", hubs " + num(a.hubs_per_1000, 1) + ", spaces " + num(a.spaces_per_1000, 1) + ")");
    fact(dl, "Coverage", A.facts.coverage(a, p));
    fact(dl, "Accessibility", "E2SFCA " + num(a.access_e2sfca, 2) + " and 2SFCA " + num(a.access_2sfca, 2) +
      " per 1,000 residents within " + num(p.catchment_m / 1000, 0) + " km");
    fact(dl, "Gap", signed(a.gap) + " (need percentile " + num(a.need_percentile, 2) + " minus provision percentile " +
      num(a.provision_percentile, 2) + ")");
    box.appendChild(dl);

    box.appendChild(el("h4", null, "Groups, hubs and spaces counted (" + p.assets.length + ")"));
    if (p.assets.length) {
      box.appendChild(el("p", "pm-hint", "Names link to each one's public record (data)."));
      var ul = el("ul", "pm-assets");
      p.assets.forEach(function (item, i) { var li = self.assetEntry(item); li.hidden = i >= ASSETS_SHOWN; ul.appendChild(li); });
      box.appendChild(ul);
      if (p.assets.length > ASSETS_SHOWN) {
        var more = el("button", "pm-button pm-button--small", "Show all " + p.assets.length);
        more.type = "button";
        more.addEventListener("click", function () {
          var first = ul.children[ASSETS_SHOWN];
          Array.prototype.forEach.call(ul.children, function (li) { li.hidden = false; });
          more.remove();
          var link = first && first.querySelector("a");
          if (link) link.focus();
        });
        box.appendChild(more);
      }
    } else {
      box.appendChild(el("p", null, "None of the chosen kinds."));
    }

    box.appendChild(el("h4", null, "Neighbouring areas"));
    if (p.neighbours.length) {
      var nl = el("ul", "pm-neighbours");
      p.neighbours.forEach(function (n) {
        var li = el("li");
        var b = el("button", "pm-button pm-button--small", n.name);
        b.type = "button";
        b.addEventListener("click", function () { self.select(n.code, "neighbour"); });
        li.appendChild(b);
        nl.appendChild(li);
      });
      box.appendChild(nl);
    } else {
      box.appendChild(el("p", null, "None found."));
    }
    return box;
  };

  OfficerMap.prototype.assetEntry = function (item) {
    var li = el("li", "pm-kind pm-kind--" + item.kind);
    li.appendChild(T.shape(item.kind, this.styles.markers));
    var base = this.config.detailUrls[item.kind];
    var name = base ? el("a", null, item.name) : el("span", null, item.name);
    if (base) name.href = base + encodeURIComponent(item.id);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(name);
    var sub = item.subtype && this.config.labels[item.kind] ? this.config.labels[item.kind][item.subtype] : "";
    var meta = T.kindName(item.kind) + (sub ? ": " + String(sub).split(" (")[0] : "");
    if (item.serves_only) meta += ", works across the area";
    li.appendChild(el("span", "pm-asset-meta", " \u2013 " + meta));
    return li;
  };

  /* ------------------------------------------------------------ start */

  function startOfficerMap(map, config) {
    var om = new OfficerMap(map, config);
    var form = $("pm-settings");
    var area = om.restore();
    form.addEventListener("submit", function (e) { e.preventDefault(); om.load(false); });
    $("pm-level").addEventListener("change", function () { om.syncLevel(); });
    om.listen();
    window.Patchmap.officer = om;
    om.loadDistricts();
    if (area) om.selected = area;
    om.load(true);
    om.assetLayers.load();
    return om;
  }

  window.Patchmap = window.Patchmap || {};
  window.Patchmap.startOfficerMap = startOfficerMap;
})();
