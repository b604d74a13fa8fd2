// Subscribes to the hub with the reference graphql-transport-ws client (graphql-ws) and prints
// every result as one JSON line, so that a Python test can drive and judge it.
//
//   node tests/js/graphql_ws_check.mjs WS_URL TOKEN QUERY VARIABLES_JSON COUNT
//
// Prints {"next": <payload>} per result and {"ping": n} per server ping (graphql-ws answers each
// with a pong) as they arrive; after COUNT results it completes the subscription from the client
// side (graphql-ws sends `complete`), disposes of the client and prints {"done": true, "pings": n}.
// A subscription error prints {"error": [...]}, a socket closed by the server
// {"closed": {"code": c, "reason": r}}; both exit 1. Bad usage exits 2.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

function emit(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(argv) {
  if (argv.length !== 7) {
    process.stderr.write('usage: node graphql_ws_check.mjs WS_URL TOKEN QUERY VARIABLES_JSON COUNT\n');
    return 2;
  }
  const [url, token, query, variablesJson, countText] = argv.slice(2);
  const wanted = Number(countText);
  let pings = 0;
  let closed = null;
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: true,
    on: {
      ping: (received) => {
        if (received) {
          pings += 1;
          emit({ ping: pings });
        }
      },
      closed: (event) => {
        closed = { code: event.code, reason: event.reason };
      },
    },
  });
  const results = client.iterate({ query, variables: JSON.parse(variablesJson) });
  let seen = 0;
  try {
    for await (const result of results) {
      if (result.errors) {
        emit({ error: result.errors });
        return 1;
      }
      emit({ next: result });
      seen += 1;
      if (seen >= wanted) break; // leaving the loop completes the subscription
    }
  } catch (error) {
    if (closed) emit({ closed });
    else emit({ error: Array.isArray(error) ? error : [String(error?.message ?? error)] });
    return 1;
  }
  await client.dispose();
  emit({ done: seen >= wanted, pings });
  return seen >= wanted ? 0 : 1;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`graphql-ws check crashed: ${error?.stack ?? error}\n`);
    process.exitCode = 1;
  },
);
