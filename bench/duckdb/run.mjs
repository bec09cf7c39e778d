// Runs SQL statements in DuckDB for the Go tests and benchmarks of this
// module. Input (stdin): {"threads": 2, "queries": ["SELECT ...", ...]}.
// Output (stdout): {"version": "...", "results": [{"ms": 1.5, "cpu_ms":
// 2.9, "rows": [{column: value, ...}, ...]}, ...]}, each statement timed on
// its own (start-up excluded): wall time and the CPU time of all threads. On failure: a message on stderr, exit status 1.
import { DuckDBInstance } from '@duckdb/node-api';

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

try {
  const req = JSON.parse(await readStdin());
  const instance = await DuckDBInstance.create(':memory:', { threads: String(req.threads ?? 2) });
  const conn = await instance.connect();
  const version = (await conn.runAndReadAll('SELECT version() AS v')).getRowObjectsJson()[0].v;
  const results = [];
  for (const q of req.queries) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const reader = await conn.runAndReadAll(q);
    const cpu = process.cpuUsage(c0);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    results.push({ ms, cpu_ms: (cpu.user + cpu.system) / 1e3, rows: reader.getRowObjectsJson() });
  }
  process.stdout.write(JSON.stringify({ version, results }));
} catch (e) {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
}
