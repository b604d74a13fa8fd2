// The map of the viewer's ground: outlines as vector layers on a plain background (no tiles:
// the network is closed), cases coloured by status and warning, whistles by scope, footprints.
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { CASE_COLOUR, CASE_STATUS, SCOPE_COLOUR, WARNING_COLOUR, WHISTLE_SCOPE, escape } from "./words.js";

const OUTLINE_STYLE = {
  DISTRICT: { color: "#33415c", weight: 2.5, fill: true, fillColor: "#ffffff", fillOpacity: 0.6 },
  SUBDISTRICT: { color: "#5c677d", weight: 1.2, fillOpacity: 0 },
  GRID: { color: "#979dac", weight: 0.5, dashArray: "2 3", fillOpacity: 0 },
  OWN: { color: "#0353a4", weight: 3, fillColor: "#cfe2ff", fillOpacity: 0.35 },
};

export function caseColour(item) {
  if (item.warningLevel && WARNING_COLOUR[item.warningLevel]) return WARNING_COLOUR[item.warningLevel];
  if (item.respondOverdue || item.resolveOverdue) return WARNING_COLOUR.RED;
  return CASE_COLOUR[item.status] ?? "#6b7a90";
}

export class Ground {
  constructor(element) {
    this.map = L.map(element, { zoomSnap: 0.25, preferCanvas: false, attributionControl: false });
    // A view from the start (the city), so that cases and whistles arriving before the outlines
    // are drawn at once; the outlines then fit the view to the viewer's ground.
    this.map.setView([40.2, 116.4], 8);
    this.outlines = L.featureGroup().addTo(this.map);
    this.footprints = L.featureGroup().addTo(this.map);
    this.hotspots = L.featureGroup().addTo(this.map);
    this.caseLayer = L.featureGroup().addTo(this.map);
    this.whistleLayer = L.featureGroup().addTo(this.map);
    this.cases = new Map();
    this.whistles = new Map();
    this.outlineCount = 0;
  }

  /** Outlines: [{code, name, level, boundary}], `own` drawn stronger. */
  drawOutlines(jurisdictions, ownCode) {
    for (const place of jurisdictions) {
      if (!place.boundary) continue;
      const style = place.code === ownCode ? OUTLINE_STYLE.OWN : OUTLINE_STYLE[place.level] ?? OUTLINE_STYLE.GRID;
      const layer = L.geoJSON(place.boundary, { style: () => style, interactive: false });
      layer.addTo(this.outlines);
      if (place.level !== "GRID") {
        layer.bindTooltip(escape(place.name), { permanent: place.level === "SUBDISTRICT", direction: "center", className: "place-name" });
      }
      this.outlineCount += 1;
    }
    const bounds = this.outlines.getBounds();
    if (bounds.isValid()) this.map.fitBounds(bounds, { padding: [16, 16] });
    this.map.getContainer().dataset.outlines = String(this.outlineCount);
  }

  showCase(item, onOpen) {
    this.cases.get(item.number)?.remove();
    if (!item.location) return;
    const marker = L.circleMarker([item.location.lat, item.location.lng], {
      radius: 6, color: "#ffffff", weight: 1, fillColor: caseColour(item), fillOpacity: 0.9,
    });
    marker.bindTooltip(`${escape(item.number)} · ${CASE_STATUS[item.status] ?? item.status}<br>${escape(item.title ?? "")}`);
    if (onOpen) marker.on("click", () => onOpen(item));
    marker.addTo(this.caseLayer);
    const path = marker.getElement();
    if (path) {
      path.setAttribute("data-case-number", item.number);
      path.setAttribute("data-case-status", item.status);
    }
    this.cases.set(item.number, marker);
  }

  showWhistle(whistle, onOpen) {
    this.whistles.get(whistle.number)?.forEach((layer) => layer.remove());
    const layers = [];
    const colour = SCOPE_COLOUR[whistle.scope] ?? "#2f6fde";
    for (const item of whistle.cases ?? []) {
      if (item.footprint) {
        const print = L.geoJSON(item.footprint, { style: () => ({ color: colour, weight: 2, dashArray: "6 4", fillOpacity: 0.15 }) });
        print.addTo(this.footprints);
        layers.push(print);
      }
      if (!item.location) continue;
      const ring = L.circleMarker([item.location.lat, item.location.lng], {
        radius: 13, color: colour, weight: 3, fillColor: colour, fillOpacity: 0.25,
      });
      ring.bindTooltip(`${escape(whistle.number)} · ${WHISTLE_SCOPE[whistle.scope] ?? whistle.scope}`);
      ring.on("click", () => onOpen(whistle.number));
      ring.addTo(this.whistleLayer);
      ring.getElement()?.setAttribute("data-whistle-marker", whistle.number);
      layers.push(ring);
    }
    this.whistles.set(whistle.number, layers);
  }

  showHotspots(hotspots) {
    this.hotspots.clearLayers();
    for (const spot of hotspots) {
      const location = spot.cases?.nodes?.find((c) => c.location)?.location;
      if (!location) continue;
      const circle = L.circleMarker([location.lat, location.lng], {
        radius: 8 + Math.min(spot.caseCount, 30), color: "#b45309", weight: 1.5,
        fillColor: "#f59e0b", fillOpacity: 0.25, dashArray: "3 3",
      });
      circle.bindTooltip(`热点：${escape(spot.label)} · ${spot.caseCount} 件`);
      circle.addTo(this.hotspots);
      circle.getElement()?.setAttribute("data-hotspot", spot.label);
    }
  }

  focus(whistle) {
    const points = (whistle.cases ?? []).filter((c) => c.location).map((c) => [c.location.lat, c.location.lng]);
    if (points.length) this.map.flyTo(points[0], Math.max(this.map.getZoom(), 14), { duration: 0.4 });
  }
}
