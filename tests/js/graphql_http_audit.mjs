// Runs the graphql-http server audit suite (the GraphQL over HTTP spec's reference audits)
// against a live endpoint and prints one JSON array, so that a Python test can assert on it.
//
//   node tests/js/graphql_http_audit.mjs http://127.0.0.1:8000/graphql
//
// Output: [{"id": "22EB", "name": "SHOULD ...", "status": "ok" | "notice" | "warn" | "error",
//           "reason": string | null}, ...]. Exits 0 whatever the audits found (the caller
// judges them); 2 on bad usage, 1 when the suite itself crashes (e.g. the server is down).
import { auditServer } from 'graphql-http';

async function main(argv) {
  const url = argv[2];
  if (!url || argv.length > 3) {
    process.stderr.write('usage: node graphql_http_audit.mjs URL\n');
    return 2;
  }
  const results = await auditServer({ url });
  const report = results.map((result) => ({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === 'ok' ? null : result.reason,
  }));
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return 0;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`graphql-http audit crashed: ${error?.stack ?? error}\n`);
    process.exitCode = 1;
  },
);
