// The subscriber side of bench/bench_subscriptions.py: one client process holding many
// graphql-transport-ws sockets, as the benchmark's Python client does, in less CPU per message
// (the load generator shares the hub's two cores; it is apparatus, like wrk for HTTP).
//
//   node bench/subscribers.mjs < share.json
//
// stdin, first line: {"sockets": [[wsUrl, token, localAddress], ...], "variables": {...},
// "query": "...", "warmupEvents": n, "connectsAtOnce": n, "timeoutMs": n}.
// Each socket: connection_init with its own token, one subscribe (id "1"), a pong for every ping.
// Its first `warmupEvents` results are the proof it is in; every later one is an event of a
// round, its arrival time noted on process.hrtime (CLOCK_MONOTONIC, the clock of Python's
// time.monotonic() on Linux; the parent checks the two agree from the "clock" line).
//
// stdout, one JSON line each: ["clock", t] at start, ["ready", total] once every socket has its
// warm-up events, ["got", eventId] once every socket has that event, ["failed", [...]] on the
// first failure, whenever it comes (anything but ping/next/connection_ack, a close, an error, an
// event seen twice by one socket). A line "samples" on stdin is answered with
// ["samples", {eventId: [t, ...]}, failures] and the process exits.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(new URL('../tests/js/package.json', import.meta.url));
const WebSocket = require('ws');

const now = () => Number(process.hrtime.bigint()) / 1e9;
const emit = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
emit(['clock', now()]);

const lines = createInterface({ input: process.stdin });
const pending = [];
let waiting = null;
lines.on('line', (line) => {
  if (waiting) {
    const resolve = waiting;
    waiting = null;
    resolve(line);
  } else pending.push(line);
});
const nextLine = () =>
  pending.length ? Promise.resolve(pending.shift()) : new Promise((r) => { waiting = r; });

const share = JSON.parse(await nextLine());
const total = share.sockets.length;
const arrivals = new Map(); // event id -> arrival times
const counts = new Map(); // event id -> sockets that have it
const failures = [];
let warmed = 0;
let failedSent = false;

function fail(why) {
  failures.push(why);
  if (!failedSent) {
    failedSent = true;
    emit(['failed', failures.slice(0, 3)]);
  }
}

function arrived(eventId, at) {
  let times = arrivals.get(eventId);
  if (!times) arrivals.set(eventId, (times = []));
  times.push(at);
  const count = (counts.get(eventId) ?? 0) + 1;
  counts.set(eventId, count);
  if (count === total) emit(['got', Number(eventId)]);
}

const init = (token) =>
  JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
const subscribe = JSON.stringify({
  id: '1',
  type: 'subscribe',
  payload: { query: share.query, variables: share.variables },
});
const sockets = [];

function open([url, token, address]) {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, 'graphql-transport-ws', {
      localAddress: address,
      perMessageDeflate: false,
      handshakeTimeout: share.timeoutMs,
      skipUTF8Validation: true,
    });
    sockets.push(socket);
    let seen = 0;
    const events = new Set();
    let acked = false;
    socket.on('open', () => socket.send(init(token)));
    socket.on('message', (data) => {
      const at = now();
      let message;
      try {
        message = JSON.parse(data);
      } catch (error) {
        fail(`not JSON: ${String(data).slice(0, 200)}`);
        return;
      }
      switch (message.type) {
        case 'ping':
          socket.send('{"type":"pong"}');
          return;
        case 'connection_ack':
          if (acked) return fail('a second connection_ack');
          acked = true;
          socket.send(subscribe);
          resolve(); // the next socket may connect
          return;
        case 'next': {
          seen += 1;
          if (seen === share.warmupEvents) {
            warmed += 1;
            if (warmed === total) emit(['ready', total]);
          } else if (seen > share.warmupEvents) {
            const id = message.payload?.data?.whistleEvents?.id;
            if (id === undefined) return fail(String(data).slice(0, 500));
            if (events.has(id)) return fail(`event ${id} twice on one socket`);
            events.add(id);
            arrived(id, at);
          }
          return;
        }
        default:
          fail(String(data));
          socket.terminate();
      }
    });
    socket.on('error', (error) => {
      fail(String(error));
      resolve();
    });
    socket.on('close', (code, reason) => {
      if (!closing) fail(`closed ${code} ${reason}`);
      resolve();
    });
  });
}

process.on('uncaughtException', (error) => {
  process.stderr.write(`subscribers.mjs: ${error.stack}\n`);
  fail(String(error));
});

let closing = false;
let next = 0;
async function connector() {
  while (next < total) await open(share.sockets[next++]);
}
await Promise.all(Array.from({ length: share.connectsAtOnce }, connector));

await nextLine(); // "samples"
closing = true;
for (const socket of sockets) socket.terminate();
// Written in full before exiting (a pipe takes 64 KiB at once; exit would cut the rest).
const samples = `${JSON.stringify(['samples', Object.fromEntries(arrivals), failures.slice(0, 3)])}\n`;
process.stdout.write(samples, () => process.exit(0));
