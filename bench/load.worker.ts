import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import { requestBuilder, type HttpScenario, type ScenarioData } from './scenarios.js';

/**
 * The load generator, in its own thread so it never shares the server's event loop. It builds
 * each request from the scenario's pure builder and records every response's latency itself,
 * because autocannon's summary has no p95.
 */
export interface LoadJob {
  url: string;
  scenario: HttpScenario;
  data: ScenarioData;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** A fixed request count instead of a duration, for requests too slow to finish many in one window. */
  amount?: number;
  /** Sent with every request: the signed-in scenarios' session cookie and CSRF token. */
  headers?: Record<string, string>;
}

export interface LoadOutcome {
  latenciesMs: number[];
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
  /** Requests issued (warm-up included), so the caller can keep created ids distinct across runs. */
  issued: number;
  firstFailure?: string;
}

const job = workerData as LoadJob;
const build = requestBuilder(job.scenario, job.data);
let counter = 0;

async function run(seconds: number, record: boolean, amount?: number): Promise<Omit<LoadOutcome, 'issued'>> {
  const latenciesMs: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let firstFailure: string | undefined;
  const started = performance.now();
  let finish: (r: autocannon.Result) => void = () => undefined;
  let fail: (e: unknown) => void = () => undefined;
  const done = new Promise<autocannon.Result>((res, rej) => {
    finish = res;
    fail = rej;
  });
  const instance = autocannon({
    url: job.url,
    connections: job.connections,
    ...(amount ? { amount } : { duration: seconds }),
    timeout: 30,
    headers: { accept: 'application/fhir+json', 'content-type': 'application/fhir+json', ...job.headers },
    requests: [
      {
        setupRequest: (req) => {
          const r = build(counter++);
          return { ...req, method: r.method, path: r.path, body: r.body, ...(r.headers ? { headers: { ...req.headers, ...r.headers } } : {}) };
        },
        onResponse: (status, body) => {
          if ((status < 200 || status > 299) && firstFailure === undefined) firstFailure = `${status} ${String(body).slice(0, 500)}`;
        },
      },
    ],
  }, (err, result) => (err ? fail(err) : finish(result)));
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (!record) return;
    latenciesMs.push(ms);
    if (status >= 200 && status <= 299) ok++;
    else non2xx++;
  });
  const result = await done;
  const elapsed = (performance.now() - started) / 1000;
  return { latenciesMs, ok, non2xx, errors: result.errors, seconds: elapsed, firstFailure };
}

// With a fixed count the warm-up is one request per connection; otherwise a short timed run.
if (job.warmupSeconds > 0) await run(job.warmupSeconds, false, job.amount ? job.connections : undefined);
const measured = await run(job.seconds, true, job.amount);
parentPort!.postMessage({ ...measured, issued: counter } satisfies LoadOutcome);
