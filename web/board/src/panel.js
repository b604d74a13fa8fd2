// A whistle's panel: its cases, the summons with a countdown to each report-by deadline, who
// has acknowledged, arrived and finished, the joint action, the timeline, and the viewer's actions.
import { gql } from "./api.js";
import { CASE_STATUS, EVENT_TYPE, SUMMONS_STATUS, WHISTLE_KIND, WHISTLE_SCOPE, WHISTLE_STATUS, countdown, escape, when } from "./words.js";

const WHISTLE = `query Whistle($number: String!) { whistle(number: $number) {
  number kind scope status reason openedAt reportBy overdue reviewNote feedback
  caller { code name } jointAction { at place }
  cases { number title status address location { lat lng } category { name } }
  summons { id status summonedAt reportBy acknowledgedAt arrivedAt completedAt overdue task note
    department { code name } partner { code name } }
  events { id type at note actor { sub role } } } }`;

const STEP = {
  SUMMONED: { label: "确认接收", mutation: "acknowledgeSummons" },
  ACKNOWLEDGED: { label: "到场报到", mutation: "reportIn" },
  ARRIVED: { label: "完成任务", mutation: "completeSummons" },
};

const ACTIVE = new Set(["SUMMONING", "IN_ACTION"]);

/** A party steps on a summons it was sent (not while the whistle waits for review). */
function mine(summons, viewer) {
  if (!summons.summonedAt) return false;
  if (viewer.role === "DEPARTMENT") return summons.department?.code === viewer.department?.code;
  if (viewer.role === "STREET_OFFICE") return !summons.department && summons.partner?.code === viewer.jurisdiction?.code;
  return false;
}

/** The hub's rule: the city platform reviews any whistle; a district platform a street office's
 * of its district, unless it is city-wide. */
function reviews(whistle, viewer) {
  if (whistle.status !== "PENDING_REVIEW") return false;
  if (viewer.role === "CITY_PLATFORM") return true;
  const caller = whistle.caller.code;
  const district = viewer.jurisdiction?.code;
  return viewer.role === "DISTRICT_PLATFORM" && whistle.scope !== "CITY" && caller.length > 6 && caller.slice(0, 6) === district;
}

export class WhistlePanel {
  constructor(root, { token, viewer, onClose }) {
    this.root = root;
    this.token = token;
    this.viewer = viewer;
    this.number = null;
    this.whistle = null;
    root.addEventListener("click", (event) => this.click(event));
    this.onClose = onClose;
    setInterval(() => this.tick(), 1000);
  }

  async open(number) {
    this.number = number;
    await this.refresh();
  }

  async refresh() {
    if (!this.number) return;
    const { whistle } = await gql(this.token, WHISTLE, { number: this.number });
    if (!whistle || whistle.number !== this.number) return;
    this.whistle = whistle;
    this.render();
  }

  close() {
    this.number = null;
    this.whistle = null;
    this.root.hidden = true;
    this.onClose?.();
  }

  render() {
    const w = this.whistle;
    this.root.hidden = false;
    this.root.dataset.panelWhistle = w.number;
    this.root.innerHTML = `
      <header><h2>${escape(w.number)}</h2><button type="button" class="close" aria-label="关闭">×</button></header>
      <p class="status" data-whistle-status="${w.status}">${WHISTLE_STATUS[w.status]} · ${WHISTLE_KIND[w.kind]} · ${WHISTLE_SCOPE[w.scope]}${w.overdue ? ' · <b class="late">有超时</b>' : ""}</p>
      <p class="reason">${escape(w.reason)}</p>
      <p class="meta">${escape(w.caller.name)} 吹哨 · ${when(w.openedAt)}</p>
      ${reviews(w, this.viewer) ? '<p class="actions"><button data-review="true">批准</button><button data-review="false">驳回</button></p>' : ""}
      <h3>召集与报到</h3>
      <table class="summons"><thead><tr><th>报到方</th><th>状态</th><th>报到时限</th><th>确认</th><th>到场</th><th>完成</th><th></th></tr></thead>
      <tbody>${w.summons.map((s) => this.summonsRow(s)).join("")}</tbody></table>
      ${w.jointAction ? `<h3>联合行动</h3><p>${when(w.jointAction.at)} · ${escape(w.jointAction.place)}</p>` : ""}
      <h3>哨源诉求</h3>
      <ul class="source-cases">${w.cases.map((c) => `<li data-case-number="${escape(c.number)}"><b>${escape(c.number)}</b> ${CASE_STATUS[c.status] ?? c.status} · ${escape(c.category?.name)} · ${escape(c.address ?? c.title)}</li>`).join("")}</ul>
      <h3>时间线</h3>
      <ol class="timeline">${w.events.map((e) => `<li data-event-type="${e.type}"><time>${when(e.at)}</time> ${EVENT_TYPE[e.type] ?? escape(e.type)}${e.note ? ` · ${escape(e.note)}` : ""} <small>${escape(e.actor?.sub)}</small></li>`).join("")}</ol>
      <p class="error" role="alert"></p>`;
  }

  summonsRow(s) {
    const who = s.department?.name ?? s.partner?.name ?? "—";
    const step = ACTIVE.has(this.whistle.status) && mine(s, this.viewer) && STEP[s.status];
    const open = s.status !== "DONE" && s.status !== "ARRIVED";
    return `<tr data-summons-id="${escape(s.id)}" data-summons-status="${s.status}" class="${s.overdue ? "overdue" : ""}">
      <td>${escape(who)}</td><td class="summons-state">${s.summonedAt ? SUMMONS_STATUS[s.status] : "待审核后发出"}</td>
      <td>${when(s.reportBy)}${open && s.reportBy ? ` <b data-deadline="${s.reportBy}">${countdown(s.reportBy)}</b>` : ""}</td>
      <td>${when(s.acknowledgedAt)}</td><td>${when(s.arrivedAt)}</td><td>${when(s.completedAt)}</td>
      <td>${step ? `<button data-step="${step.mutation}" data-summons="${escape(s.id)}">${step.label}</button>` : ""}</td></tr>`;
  }

  tick() {
    for (const element of document.querySelectorAll("[data-deadline]")) {
      element.textContent = countdown(element.dataset.deadline);
      element.classList.toggle("late", new Date(element.dataset.deadline) < new Date());
    }
  }

  async click(event) {
    if (event.target.closest(".close")) return this.close();
    const button = event.target.closest("button[data-step], button[data-review]");
    if (!button) return;
    button.disabled = true;
    try {
      const errors = button.dataset.review ? await this.review(button.dataset.review === "true") : await this.step(button.dataset.step, button.dataset.summons);
      this.root.querySelector(".error").textContent = errors.map((e) => e.message).join("; ");
      if (!errors.length) await this.refresh();
    } catch (error) {
      this.root.querySelector(".error").textContent = String(error.message ?? error);
    } finally {
      button.disabled = false;
    }
  }

  async step(mutation, summonsId) {
    const input = { summonsId };
    if (mutation === "reportIn") {
      const place = this.whistle.cases.find((c) => c.location)?.location;
      input.location = place ? { lat: place.lat, lng: place.lng } : null;
    }
    const type = mutation.charAt(0).toUpperCase() + mutation.slice(1);
    const data = await gql(this.token, `mutation Step($input: ${type}Input!) { ${mutation}(input: $input) { errors { code message } } }`, { input });
    return data[mutation].errors;
  }

  async review(approve) {
    const data = await gql(this.token, "mutation Review($input: ReviewWhistleInput!) { reviewWhistle(input: $input) { errors { code message } } }", { input: { whistleNumber: this.whistle.number, approve } });
    return data.reviewWhistle.errors;
  }
}
