// The hub's GraphQL API from the page: queries over HTTP, events over graphql-ws.
import { createClient } from "graphql-ws";

export const TOKEN_KEY = "hub.token";

export class ApiError extends Error {}

export function readToken() {
  const fromLink = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromLink) {
    sessionStorage.setItem(TOKEN_KEY, fromLink);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export async function gql(token, query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 401) throw new ApiError("令牌无效或已过期");
  const body = await response.json();
  if (body.errors?.length) throw new ApiError(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

/**
 * Pages through a connection up to `limit` nodes; `onPage` hears each page's nodes as it comes,
 * so a long list shows while the rest loads.
 */
export async function everyNode(token, query, variables, pick, { limit = 5000, onPage } = {}) {
  const nodes = [];
  let after = null;
  do {
    const connection = pick(await gql(token, query, { ...variables, after }));
    nodes.push(...connection.nodes);
    onPage?.(connection.nodes);
    after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
  } while (after && nodes.length < limit);
  return nodes;
}

/** The live socket; `onState` hears "connecting", "live" and "offline". */
export function liveClient(token, onState) {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
  return createClient({
    url,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    keepAlive: 10_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 5000))),
    on: {
      connecting: () => onState("connecting"),
      connected: () => onState("live"),
      closed: () => onState("offline"),
      error: () => onState("offline"),
    },
  });
}

/**
 * A subscription that resumes where it stopped: graphql-ws sends the same payload again after
 * each reconnection, so `after` is kept up to date in it and the hub replays what was missed.
 * It starts after `after` (the hub's `eventCursors`, taken before the lists were read), so an
 * event committed before the hub registered the subscription is replayed, not lost.
 */
export function follow(client, query, { after = null, ...variables }, onEvent) {
  const payload = { query, variables: { ...variables, after } };
  const seen = new Set();
  client.subscribe(payload, {
    next: ({ data, errors }) => {
      if (errors?.length || !data) return;
      const event = Object.values(data)[0];
      payload.variables.after = event.id;
      if (seen.has(event.id)) return;
      seen.add(event.id);
      onEvent(event);
    },
    error: (error) => console.warn("subscription", error),
    complete: () => {},
  });
}
