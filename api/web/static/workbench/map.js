// The workbench maps: the /workbench/map page and the place/signpost pickers. Points arrive
// from the server already in the tiles' coordinate system: nothing is converted here. Text
// reaches the DOM through textContent only (names come from users).
(function () {
  "use strict";
  var SHAPES = { green: "●", yellow: "▲", red: "■", none: "○" };
  var DEFAULT_VIEW = [[36.07, 120.38], 12];

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status + " " + url); }
        return response.json();
      });
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function textNode(tag, text, className) {
    var node = document.createElement(tag);
    node.textContent = text;
    if (className) { node.className = className; }
    return node;
  }

  function baseMap(box) {
    var d = box.dataset;
    // markercluster needs a maxZoom even without a tile layer.
    var map = L.map(box, { maxZoom: 19, minZoom: 3 });
    map.setView(DEFAULT_VIEW[0], DEFAULT_VIEW[1]);
    if (d.tileUrl) {
      L.tileLayer(d.tileUrl, {
        maxZoom: 19,
        subdomains: JSON.parse(d.tileSubdomains || "[]"),
        attribution: d.tileAttribution || ""
      }).addTo(map);
    }
    return map;
  }

  function gridLayer(geojson) {
    return L.geoJSON(geojson, {
      style: function (feature) {
        var kind = feature.properties.kind;
        if (kind === "grid") { return { color: "#1d4f91", weight: 1, fillOpacity: 0.04 }; }
        return { color: kind === "district" ? "#6b2a8c" : "#b3261e", weight: 3, fill: false, dashArray: "6 4" };
      },
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(textNode("span", feature.properties.name), { sticky: true });
      }
    });
  }

  function caseMarker(point, words) {
    var title = point.number + " " + words[point.light];
    var marker = L.marker([point.lat, point.lon], {
      title: title,
      alt: title,
      icon: L.divIcon({
        className: "wb-marker light-" + point.light,
        html: SHAPES[point.light] || "●",
        iconSize: [22, 22]
      })
    });
    marker.light = point.light;
    return marker;
  }

  function clusterGroup(template) {
    return L.markerClusterGroup({
      chunkedLoading: true,
      showCoverageOnHover: false,
      iconCreateFunction: function (cluster) {
        var markers = cluster.getAllChildMarkers();
        var red = 0;
        for (var i = 0; i < markers.length; i++) { if (markers[i].light === "red") { red++; } }
        var label = fill(template, { n: markers.length, red: red });
        var html = document.createElement("span");
        html.appendChild(textNode("span", String(markers.length)));
        html.setAttribute("aria-label", label);
        html.setAttribute("title", label);
        return L.divIcon({
          html: html,
          className: "wb-cluster" + (red ? " wb-cluster-red" : ""),
          iconSize: [40, 40]
        });
      }
    });
  }

  function fitTo(map, layer) {
    var bounds = layer.getBounds && layer.getBounds();
    // No animation: the view is settled (and the clusters laid out) when this returns.
    if (bounds && bounds.isValid()) { map.fitBounds(bounds, { padding: [16, 16], maxZoom: 16, animate: false }); return true; }
    return false;
  }

  function setupOverview(box) {
    var d = box.dataset;
    var map = baseMap(box);
    var words = { green: d.lightGreen, yellow: d.lightYellow, red: d.lightRed, none: d.lightNone };
    var layers = {};
    // Both layers first, then one fit (grids, else the cases): a second fit arriving later
    // would move the map under the user's hand. data-ready tells tests and people it settled.
    var grids = getJSON(d.gridsUrl).then(function (data) {
      layers.grids = gridLayer(data);
      if (document.getElementById("layer-grids").checked) { layers.grids.addTo(map); }
    });
    var cases = getJSON(d.casesUrl).then(function (data) {
      var group = clusterGroup(d.clusterText);
      group.addLayers(data.points.map(function (p) { return caseMarker(p, words); }));
      layers.cases = group;
      if (document.getElementById("layer-cases").checked) { group.addTo(map); }
    });
    Promise.all([grids, cases]).then(function () {
      if (!fitTo(map, layers.grids)) { fitTo(map, L.featureGroup(layers.cases.getLayers())); }
      box.setAttribute("data-ready", "1");
    });
    function loadPlaces() {
      return getJSON(d.placesUrl).then(function (data) {
        var group = L.featureGroup();
        data.points.forEach(function (p) {
          L.circleMarker([p.lat, p.lon], { radius: 5, color: "#0b6e6e", weight: 2, fillOpacity: 0.6 })
            .bindTooltip(textNode("span", fill(d.placeText, { name: p.name })))
            .addTo(group);
        });
        layers.places = group;
        return group;
      });
    }
    var toggles = document.querySelectorAll("#map-layer-form input[data-layer]");
    Array.prototype.forEach.call(toggles, function (input) {
      input.addEventListener("change", function () {
        var name = input.getAttribute("data-layer");
        var ready = layers[name] ? Promise.resolve(layers[name]) : (name === "places" ? loadPlaces() : null);
        if (!ready) { return; }
        ready.then(function (layer) {
          if (input.checked) { layer.addTo(map); } else { map.removeLayer(layer); }
        });
      });
    });
    var heatForm = document.getElementById("map-heat-form");
    if (heatForm) {
      heatForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var status = document.getElementById("heat-status");
        var query = new URLSearchParams(new FormData(heatForm)).toString();
        getJSON(heatForm.getAttribute("action") + "?" + query).then(function (data) {
          if (layers.heat) { map.removeLayer(layers.heat); }
          layers.heat = L.heatLayer(data.cells, { radius: 25, blur: 18, max: Math.max(data.max, 1) }).addTo(map);
          status.textContent = fill(d.heatText, { n: data.cells.length, max: data.max });
        }).catch(function (error) { status.textContent = error.message; });
      });
    }
    setupReplay(map);
    return map;
  }

  function setupReplay(map) {
    var panel = document.getElementById("replay");
    if (!panel) { return; }
    var slider = document.getElementById("replay-pos");
    var play = document.getElementById("replay-play");
    var out = document.getElementById("replay-time");
    var track = null, cursor = null, fixes = [], timer = null;
    function show(i) {
      var fix = fixes[i];
      if (!fix) { return; }
      cursor.setLatLng([fix[0], fix[1]]);
      out.textContent = new Date(fix[2]).toLocaleTimeString(document.documentElement.lang);
    }
    slider.addEventListener("input", function () { show(Number(slider.value)); });
    play.addEventListener("click", function () {
      if (timer) { clearInterval(timer); timer = null; return; }
      timer = setInterval(function () {
        var next = Number(slider.value) + 1;
        if (next >= fixes.length) { clearInterval(timer); timer = null; return; }
        slider.value = String(next);
        show(next);
      }, 200);
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("button[data-track-url]");
      if (!button) { return; }
      getJSON(button.getAttribute("data-track-url")).then(function (data) {
        if (track) { map.removeLayer(track); }
        track = L.featureGroup();
        fixes = [];
        data.runs.forEach(function (run) {
          fixes = fixes.concat(run);
          L.polyline(run.map(function (f) { return [f[0], f[1]]; }), { color: "#d35400", weight: 4 }).addTo(track);
        });
        cursor = L.circleMarker(fixes.length ? [fixes[0][0], fixes[0][1]] : map.getCenter(), { radius: 7, color: "#000" }).addTo(track);
        track.addTo(map);
        fitTo(map, track);
        slider.max = String(Math.max(fixes.length - 1, 0));
        slider.value = "0";
        panel.hidden = false;
        show(0);
      });
    });
  }

  // The picker of the place and signpost forms: a click fills lat, lon and the tiles'
  // coordinate system; typing coordinates moves the pin.
  function setupPicker(box) {
    var d = box.dataset;
    var map = baseMap(box);
    var form = document.getElementById(d.form);
    var lat = form.querySelector("[name=lat]");
    var lon = form.querySelector("[name=lon]");
    var sys = form.querySelector("[name=coordSys]");
    var pin = null;
    function place(latlng) {
      if (pin) { pin.setLatLng(latlng); } else {
        pin = L.marker(latlng, {
          title: d.pinTitle,
          alt: d.pinTitle,
          icon: L.divIcon({ className: "wb-marker wb-pin", html: "◆", iconSize: [22, 22] })
        }).addTo(map);
      }
    }
    if (d.gridsUrl) {
      getJSON(d.gridsUrl).then(function (data) {
        var grids = gridLayer(data).addTo(map);
        if (!pin) { fitTo(map, grids); }
      });
    }
    if (d.lat && d.lon) {
      place([Number(d.lat), Number(d.lon)]);
      map.setView([Number(d.lat), Number(d.lon)], 16);
    }
    map.on("click", function (event) {
      var ll = event.latlng.wrap();
      lat.value = ll.lat.toFixed(7);
      lon.value = ll.lng.toFixed(7);
      sys.value = d.coordSys;
      place(ll);
    });
    return map;
  }

  htmx.onLoad(function (root) {
    var boxes = root.querySelectorAll ? root.querySelectorAll("[data-wb-map]") : [];
    Array.prototype.forEach.call(boxes, function (box) {
      if (box.wbMap) { return; }
      box.wbMap = box.getAttribute("data-wb-map") === "picker" ? setupPicker(box) : setupOverview(box);
    });
  });
})();
