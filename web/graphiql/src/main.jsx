// GraphiQL for the hub, bundled with everything it needs: the page makes no request off the hub.
import React, { useMemo, useState } from "react";
import { createRoot } from "react-dom/client";
import { GraphiQL } from "graphiql";
import { createClient } from "graphql-ws";
import { getOperationAST, parse } from "graphql";
import "graphiql/style.css";
import "./hub.css";

const config = JSON.parse(document.getElementById("hub-graphiql").textContent);
const httpUrl = new URL(config.endpoint, window.location.href);
const wsUrl = new URL(httpUrl);
wsUrl.protocol = httpUrl.protocol === "https:" ? "wss:" : "ws:";

const sockets = new Map(); // one graphql-ws client per Authorization value

function socketFor(authorization) {
  if (!sockets.has(authorization)) {
    const connectionParams = authorization ? { authorization } : {};
    sockets.set(authorization, createClient({ url: wsUrl.href, connectionParams, lazy: true }));
  }
  return sockets.get(authorization);
}

function subscribe(client, params) {
  // An async iterator over the socket's results, as GraphiQL expects for subscriptions.
  const queue = [];
  let wake = null;
  const push = (item) => { queue.push(item); if (wake) { wake(); wake = null; } };
  const stop = client.subscribe(params, {
    next: (value) => push({ value }),
    error: (error) => push({ error }),
    complete: () => push(null),
  });
  return {
    [Symbol.asyncIterator]() { return this; },
    async next() {
      while (queue.length === 0) await new Promise((resolve) => { wake = resolve; });
      const item = queue.shift();
      if (item === null) return { done: true, value: undefined };
      if (item.error) {
        const errors = Array.isArray(item.error) ? item.error : [{ message: String(item.error.reason || item.error) }];
        return { done: false, value: { errors } };
      }
      return { done: false, value: item.value };
    },
    async return() { stop(); return { done: true, value: undefined }; },
  };
}

function headerValue(headers, name) {
  const key = Object.keys(headers || {}).find((k) => k.toLowerCase() === name);
  return key ? headers[key] : undefined;
}

function isSubscription(params) {
  try {
    return getOperationAST(parse(params.query), params.operationName)?.operation === "subscription";
  } catch {
    return false; // the server reports the syntax error
  }
}

async function fetcher(params, options) {
  const headers = options?.headers || {};
  if (isSubscription(params)) {
    return subscribe(socketFor(headerValue(headers, "authorization")), params);
  }
  const response = await fetch(httpUrl, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json", ...headers },
    body: JSON.stringify(params),
  });
  return response.json();
}

function headersFor(token) {
  return token ? JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2) : "";
}

function Hub() {
  const tokens = config.tokens || [];
  const [chosen, setChosen] = useState(tokens.length ? 0 : -1);
  const token = chosen >= 0 ? tokens[chosen].token : null;
  const headers = useMemo(() => headersFor(token), [token]);
  return (
    <div className="hub-ide">
      {tokens.length > 0 && (
        <div className="hub-signin">
          <label>
            Sign in as{" "}
            <select data-testid="sign-in" value={chosen} onChange={(e) => setChosen(Number(e.target.value))}>
              <option value={-1}>no token (public reference data)</option>
              {tokens.map((t, i) => <option key={t.label} value={i}>{t.label}</option>)}
            </select>
          </label>
          <span className="hub-note">demo tokens; the header goes in the Headers tab below</span>
        </div>
      )}
      <div className="hub-graphiql">
        <GraphiQL
          key={chosen}
          fetcher={fetcher}
          defaultQuery={config.defaultQuery}
          initialHeaders={headers}
          defaultHeaders={headers}
          defaultEditorToolsVisibility={tokens.length > 0 ? "headers" : false}
          shouldPersistHeaders={false}
        />
      </div>
    </div>
  );
}

createRoot(document.getElementById("graphiql")).render(<Hub />);
