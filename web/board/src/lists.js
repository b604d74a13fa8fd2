// The live lists: whistles (filtered by status, kind and scope) and overdue or red-warned cases.
import { CASE_STATUS, SCOPE_COLOUR, WHISTLE_KIND, WHISTLE_SCOPE, WHISTLE_STATUS, countdown, escape, when } from "./words.js";
import { caseColour } from "./ground.js";

const OPEN = new Set(["PENDING_REVIEW", "SUMMONING", "IN_ACTION"]);

/** Newest first: by opening time, then by number (W-<district>-<day>-<serial>). */
const newer = (a, b) => a.openedAt > b.openedAt || (a.openedAt === b.openedAt && a.number > b.number);

function options(select, all, labels) {
  select.innerHTML = [`<option value="">${all}</option>`]
    .concat(Object.entries(labels).map(([value, label]) => `<option value="${value}">${label}</option>`))
    .join("");
}

export class WhistleList {
  constructor(root, onOpen) {
    this.root = root;
    this.list = root.querySelector(".whistle-list");
    this.count = root.querySelector("[data-whistle-count]");
    this.form = root.querySelector(".filters");
    this.whistles = new Map();
    this.rows = new WeakMap(); // a whistle's row, built once for each state of it
    this.onOpen = onOpen;
    options(this.form.status, "全部状态", { OPEN: "未办结", ...WHISTLE_STATUS });
    this.form.status.value = "";
    options(this.form.kind, "全部类型", WHISTLE_KIND);
    options(this.form.scope, "全部范围", WHISTLE_SCOPE);
    this.form.addEventListener("change", () => this.render());
    this.list.addEventListener("click", (event) => {
      const row = event.target.closest("[data-whistle-number]");
      if (row) this.onOpen(row.dataset.whistleNumber);
    });
  }

  matches(whistle, { status, kind, scope } = Object.fromEntries(new FormData(this.form))) {
    if (status === "OPEN" ? !OPEN.has(whistle.status) : status && whistle.status !== status) return false;
    return (!kind || whistle.kind === kind) && (!scope || whistle.scope === scope);
  }

  upsert(whistle) {
    this.whistles.set(whistle.number, whistle);
    const row = this.list.querySelector(`[data-whistle-number="${CSS.escape(whistle.number)}"]`);
    if (!this.matches(whistle)) {
      row?.remove();
    } else if (row) {
      row.replaceWith(this.rowOf(whistle));
    } else {
      this.insert(whistle);
    }
    this.count.textContent = String(this.list.children.length);
  }

  insert(whistle) {
    for (const other of this.list.children) {
      if (!newer(this.whistles.get(other.dataset.whistleNumber) ?? {}, whistle)) {
        this.list.insertBefore(this.rowOf(whistle), other);
        return;
      }
    }
    this.list.append(this.rowOf(whistle));
  }

  render() {
    const filter = Object.fromEntries(new FormData(this.form));
    const shown = [...this.whistles.values()].filter((w) => this.matches(w, filter))
      .sort((a, b) => (newer(a, b) ? -1 : 1));
    this.list.replaceChildren(...shown.map((w) => this.rowOf(w)));
    this.count.textContent = String(shown.length);
  }

  rowOf(whistle) {
    let row = this.rows.get(whistle);
    if (!row) {
      row = this.row(whistle);
      this.rows.set(whistle, row);
    }
    return row;
  }

  row(whistle) {
    const row = document.createElement("li");
    row.className = `whistle status-${whistle.status.toLowerCase()}${whistle.overdue ? " overdue" : ""}`;
    row.dataset.whistleNumber = whistle.number;
    row.dataset.whistleStatus = whistle.status;
    row.dataset.whistleKind = whistle.kind;
    row.dataset.whistleScope = whistle.scope;
    row.dataset.openedAt = whistle.openedAt;
    row.tabIndex = 0;
    const parties = whistle.summons ?? [];
    const arrived = parties.filter((s) => s.status === "ARRIVED" || s.status === "DONE").length;
    const deadline = OPEN.has(whistle.status) && whistle.reportBy ? countdown(whistle.reportBy) : "";
    row.innerHTML = `
      <span class="scope" style="background:${SCOPE_COLOUR[whistle.scope]}">${WHISTLE_SCOPE[whistle.scope]}</span>
      <span class="number">${escape(whistle.number)}</span>
      <span class="state">${WHISTLE_STATUS[whistle.status] ?? whistle.status}</span>
      <span class="reason">${escape(whistle.reason)}</span>
      <span class="meta">${WHISTLE_KIND[whistle.kind] ?? whistle.kind} · ${escape(whistle.caller?.name)} · ${when(whistle.openedAt)}</span>
      <span class="parties">报到 ${arrived}/${parties.length}${deadline ? ` · <b data-deadline="${whistle.reportBy}">${deadline}</b>` : ""}${whistle.overdue ? ' · <b class="late">有超时</b>' : ""}</span>`;
    return row;
  }
}

export function needsAttention(item) {
  const open = !["RESOLVED", "CLOSED", "DECLINED", "MERGED"].includes(item.status);
  return open && (item.respondOverdue || item.resolveOverdue || item.warningLevel === "RED");
}

export class CaseList {
  constructor(root) {
    this.list = root.querySelector(".case-list");
    this.count = root.querySelector("[data-case-count]");
  }

  upsert(item) {
    const row = this.list.querySelector(`[data-case-number="${CSS.escape(item.number)}"]`);
    if (!needsAttention(item)) {
      row?.remove();
    } else if (row) {
      row.replaceWith(this.row(item));
    } else {
      this.list.prepend(this.row(item));
    }
    this.count.textContent = String(this.list.children.length);
  }

  row(item) {
    const row = document.createElement("li");
    row.className = "case";
    row.dataset.caseNumber = item.number;
    row.dataset.caseStatus = item.status;
    if (item.warningLevel) row.dataset.warningLevel = item.warningLevel;
    const flags = [item.respondOverdue && "响应超时", item.resolveOverdue && "办理超时", item.warningLevel === "RED" && "红色预警"].filter(Boolean);
    row.innerHTML = `
      <span class="dot" style="background:${caseColour(item)}"></span>
      <span class="number">${escape(item.number)}</span>
      <span class="state">${CASE_STATUS[item.status] ?? item.status}</span>
      <span class="reason">${escape(item.title)}</span>
      <span class="meta">${escape(item.subdistrict?.name)} · ${flags.join(" · ")}</span>`;
    return row;
  }
}
