// The whistle board: sign in with a token, then the map, the live lists, a whistle's panel and
// the month's figures for what that token may see.
import "./board.css";
import { ApiError, TOKEN_KEY, everyNode, follow, gql, liveClient, readToken } from "./api.js";
import { showRanking, showRates } from "./figures.js";
import { Ground } from "./ground.js";
import { CaseList, WhistleList } from "./lists.js";
import { WhistlePanel } from "./panel.js";
import { CASE_COLOUR, LIVE_STATE, ROLE, SCOPE_COLOUR, WARNING_COLOUR, escape } from "./words.js";

const PLACE = "code name level ancestors { code name level }";
// Where the live feeds stand is taken first, before anything the board shows is read.
const ME = `{ me { sub role jurisdiction { ${PLACE} } department { code name jurisdiction { ${PLACE} } } }
  eventCursors { whistleEvents caseEvents } }`;
const OUTLINES = `query Outlines($code: String!) { jurisdiction(code: $code) {
  code name level boundary children { code name level boundary } } }`;
const GRIDS = `query Grids($code: String!, $after: String) { jurisdiction(code: $code) {
  grids(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { code name boundary } } } }`;
// A row's fields only (the panel asks for the rest of the one whistle it shows): light enough
// for pages of 100 within the hub's cost limit, so 1,000 whistles are ten requests.
const WHISTLE_FIELDS = `number kind scope status reason openedAt reportBy overdue caller { name }
  cases { location { lat lng } footprint } summons { status }`;
const WHISTLES = `query Whistles($after: String) { whistles(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor } nodes { ${WHISTLE_FIELDS} } } }`;
const OPEN_CASES = "[RECEIVED, DISPATCHED, RESPONDED]";
const CASE_FIELDS = `number title status location { lat lng } respondOverdue resolveOverdue warningLevel
  subdistrict { code name }`;
const FIGURES = `query Figures($code: String!, $level: JurisdictionLevel!, $from: DateTime!, $to: DateTime!) {
  serviceRates(jurisdictionCode: $code, from: $from, to: $to) {
    received responded resolved rated satisfied responseRate resolutionRate satisfactionRate }
  rankings(level: $level, parentCode: $code, from: $from, to: $to) { rank score jurisdiction { code name } }
  hotspots(jurisdictionCode: $code, from: $from, to: $to, first: 10) {
    hotspots { label caseCount cases(first: 1) { nodes { location { lat lng } } } } } }`;

const liveState = document.querySelector("[data-live-state]");

function setLive(state) {
  liveState.dataset.liveState = state;
  liveState.textContent = LIVE_STATE[state];
}

/** The district (or the city) a token watches, and its own street office or district. */
function groundOf(me) {
  const place = me.jurisdiction ?? me.department?.jurisdiction;
  if (!place || place.level === "CITY") return { code: "110000", level: "CITY", own: null };
  if (place.level === "DISTRICT") return { code: place.code, level: "DISTRICT", own: null };
  const district = place.ancestors.find((a) => a.level === "DISTRICT");
  const street = place.level === "SUBDISTRICT" ? place : place.ancestors.find((a) => a.level === "SUBDISTRICT");
  return { code: district.code, level: "DISTRICT", own: street?.code ?? null };
}

function signIn(message = "") {
  document.querySelector(".board").hidden = true;
  const section = document.querySelector(".sign-in");
  section.hidden = false;
  section.querySelector(".error").textContent = message;
  section.querySelector("form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, new FormData(event.target).get("token").trim());
    location.reload();
  }, { once: true });
}

async function drawGround(token, ground, map) {
  const { jurisdiction } = await gql(token, OUTLINES, { code: ground.code });
  document.querySelector("[data-ground]").textContent = jurisdiction.name;
  document.querySelector("[data-ground]").dataset.ground = jurisdiction.code;
  const places = [jurisdiction, ...jurisdiction.children];
  if (ground.own) {
    const grids = await everyNode(token, GRIDS, { code: ground.own }, (d) => d.jurisdiction.grids, { limit: 1000 });
    places.push(...grids.map((g) => ({ ...g, level: "GRID" })));
  }
  map.drawOutlines(places, ground.own);
}

async function drawFigures(token, ground, map) {
  const to = new Date();
  const from = new Date(to.getTime() - 30 * 86_400_000);
  const level = ground.level === "CITY" ? "DISTRICT" : "SUBDISTRICT";
  const data = await gql(token, FIGURES, { code: ground.code, level, from: from.toISOString(), to: to.toISOString() });
  showRates(document.querySelector(".rates"), data.serviceRates);
  showRanking(document.getElementById("ranking"), data.rankings, ground.own);
  map.showHotspots(data.hotspots.hotspots);
}

async function boot() {
  const token = readToken();
  if (!token) return signIn();
  let me;
  let eventCursors;
  try {
    ({ me, eventCursors } = await gql(token, ME));
  } catch (error) {
    return signIn(error instanceof ApiError ? error.message : "无法连接枢纽");
  }
  if (!me) return signIn("令牌无效");
  document.querySelector(".board").hidden = false;
  document.querySelector("[data-viewer]").textContent = `${ROLE[me.role] ?? me.role} · ${me.department?.name ?? me.jurisdiction?.name ?? me.sub}`;
  const signOut = document.querySelector(".sign-out");
  signOut.hidden = false;
  signOut.addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); location.reload(); });

  const ground = groundOf(me);
  const map = new Ground(document.getElementById("map"));
  const panel = new WhistlePanel(document.querySelector(".panel"), { token, viewer: me });
  const open = (number) => {
    panel.open(number).catch((error) => console.warn(error));
    const whistle = whistles.whistles.get(number);
    if (whistle) map.focus(whistle);
  };
  const whistles = new WhistleList(document.querySelector(".whistles"), open);
  const cases = new CaseList(document.querySelector(".cases"));

  // The subscriptions start after the cursors taken before anything was read: whatever commits
  // while the lists load is replayed, even if it commits before the hub has registered the
  // subscriptions. Events wait until the lists are in, then apply in order.
  let pending = [];
  const apply = (handle) => (event) => (pending ? pending.push(() => handle(event)) : handle(event));
  const onWhistle = (event) => {
    whistles.upsert(event.whistle);
    map.showWhistle(event.whistle, open);
    if (panel.number === event.whistle.number) panel.refresh().catch((error) => console.warn(error));
  };
  const onCase = (event) => {
    cases.upsert(event.case);
    map.showCase(event.case);
  };
  const client = liveClient(token, setLive);
  follow(client, `subscription Whistles($after: ID) { whistleEvents(after: $after) { id type whistle { ${WHISTLE_FIELDS} } } }`, { after: eventCursors.whistleEvents }, apply(onWhistle));
  follow(client, `subscription Cases($after: ID) { caseEvents(after: $after) { id type case { ${CASE_FIELDS} } } }`, { after: eventCursors.caseEvents }, apply(onCase));

  const month = new Date(Date.now() - 30 * 86_400_000).toISOString();
  const caseQuery = (variables, filter) => `query Cases($after: String, ${variables}) { cases(filter: ${filter}, first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${CASE_FIELDS} } } }`;
  // The whistles show page by page as they come (a page is one request of 100 rows).
  const showWhistles = (page) => {
    for (const whistle of page) {
      whistles.whistles.set(whistle.number, whistle);
      map.showWhistle(whistle, open);
    }
    whistles.render();
    if (!performance.getEntriesByName("board-first-rows").length) performance.mark("board-first-rows");
  };
  const showCases = (page) => {
    for (const item of page) {
      map.showCase(item);
      cases.upsert(item);
    }
  };
  await Promise.all([
    everyNode(token, WHISTLES, {}, (d) => d.whistles, { onPage: showWhistles }),
    everyNode(token, caseQuery("$code: String!", `{jurisdictionCode: $code, overdue: true, statuses: ${OPEN_CASES}}`), { code: ground.code }, (d) => d.cases, { limit: 500, onPage: showCases }),
    everyNode(token, caseQuery("$code: String!, $from: DateTime!", "{jurisdictionCode: $code, reportedFrom: $from}"), { code: ground.code, from: month }, (d) => d.cases, { limit: 300, onPage: showCases }),
    drawGround(token, ground, map),
  ]);
  const queued = pending;
  pending = null;
  for (const handle of queued) handle();
  performance.mark("board-ready");
  document.body.dataset.ready = "true";
  drawFigures(token, ground, map).catch((error) => {
    document.querySelector(".rates").textContent = `统计暂不可用：${escape(error.message)}`;
  });
}

function legend() {
  const dot = (colour, label) => `<i style="background:${colour}"></i>${label}`;
  document.querySelector(".legend").innerHTML = [
    "吹哨：", dot(SCOPE_COLOUR.DISTRICT, "区内"), dot(SCOPE_COLOUR.CROSS_DISTRICT, "跨区"), dot(SCOPE_COLOUR.CITY, "市级"),
    "<br>诉求：", dot(CASE_COLOUR.DISPATCHED, "办理中"), dot(CASE_COLOUR.RESOLVED, "已解决"),
    dot(WARNING_COLOUR.YELLOW, "黄色预警"), dot(WARNING_COLOUR.RED, "超期/红色预警"), dot("#f59e0b", "热点"),
  ].join("");
}

legend();
boot().catch((error) => {
  const banner = document.createElement("p");
  banner.className = "failure";
  banner.setAttribute("role", "alert");
  banner.textContent = `看板加载失败：${error.message ?? error}`;
  document.body.append(banner);
  throw error;
});
