// The board speaks Chinese first: labels for the schema's enums.
export const WHISTLE_STATUS = {
  PENDING_REVIEW: "待审核", SUMMONING: "吹哨中", IN_ACTION: "处置中",
  RESOLVED: "已解决", CLOSED: "已办结", REJECTED: "已驳回",
};
export const WHISTLE_KIND = { DAILY_ENFORCEMENT: "日常综合执法", KEY_TASK: "重点工作攻坚", EMERGENCY: "应急处置" };
export const WHISTLE_SCOPE = { DISTRICT: "区内", CROSS_DISTRICT: "跨区", CITY: "市级" };
export const SUMMONS_STATUS = { SUMMONED: "待确认", ACKNOWLEDGED: "已确认", ARRIVED: "已报到", DONE: "已完成" };
export const CASE_STATUS = {
  RECEIVED: "已受理", DISPATCHED: "已派单", RESPONDED: "已响应", RESOLVED: "已解决",
  CLOSED: "已办结", DECLINED: "不予受理", MERGED: "已合并",
};
export const ROLE = {
  CITY_PLATFORM: "市级平台", DISTRICT_PLATFORM: "区级平台", STREET_OFFICE: "街乡",
  DEPARTMENT: "部门", GRID_WORKER: "网格员", HOTLINE: "12345热线", OBSERVER: "观察员",
};
export const LIVE_STATE = { connecting: "连接中", live: "实时", offline: "离线" };
export const EVENT_TYPE = {
  BLOWN: "吹哨", SUMMONS_SENT: "派发召集", APPROVED: "审核通过", REJECTED: "驳回",
  SUMMONS_ACKNOWLEDGED: "确认接收", REPORTED_IN: "到场报到", SUMMONS_COMPLETED: "完成任务",
  SUMMONS_OVERDUE: "报到超时", SUMMONS_RELEASED: "提前放行", JOINED: "加入", RATED: "评价",
  JOINT_ACTION_SCHEDULED: "联合行动", RESOLVED: "解决", CLOSED: "办结", ESCALATED: "升级",
};

// Colours: a whistle by its scope, a case by its status (red when overdue or red-warned).
export const SCOPE_COLOUR = { DISTRICT: "#2f6fde", CROSS_DISTRICT: "#e8772e", CITY: "#8a3ffc" };
export const CASE_COLOUR = {
  RECEIVED: "#6b7a90", DISPATCHED: "#2f6fde", RESPONDED: "#1192a8", RESOLVED: "#24a148",
  CLOSED: "#a2a9b0", DECLINED: "#a2a9b0", MERGED: "#a2a9b0",
};
export const WARNING_COLOUR = { RED: "#da1e28", YELLOW: "#f1c21b" };

const clock = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
});
export const when = (iso) => (iso ? clock.format(new Date(iso)) : "—");

/** "还剩 12:30" before a deadline, "超时 3:05" after it. */
export function countdown(iso, now = Date.now()) {
  if (!iso) return "";
  const left = Math.round((new Date(iso).getTime() - now) / 1000);
  const size = Math.abs(left);
  const h = Math.floor(size / 3600);
  const m = Math.floor((size % 3600) / 60);
  const s = String(size % 60).padStart(2, "0");
  const text = h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  return left >= 0 ? `还剩 ${text}` : `超时 ${text}`;
}

export function escape(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
